"""A role's listing read lazily: the ids for a membership check, the records on first use,
each part failing on its own when the platform's answer does not hold it."""

import json

import pytest

from recruiting_platform import CandidateListing, OnBehalfOf, PlatformClient, PlatformTransient

ANDREAS = OnBehalfOf(1)
WHERE = "GET /role/7/candidate"


async def test_the_listings_ids_are_the_ids_of_its_records(platform: PlatformClient) -> None:
    listing = await platform.candidate_listing(ANDREAS, 12)
    ids = listing.ids
    assert len(ids) == 300 and min(ids) == 5000
    assert ids == {candidate.id for candidate in await platform.list_candidates(ANDREAS, 12)}
    assert {candidate.id for candidate in listing.candidates} == ids


def test_a_check_reads_the_ids_of_records_a_page_could_not_read() -> None:
    rows = [{"id": 5, "firstName": "Ann", "lastName": "Ek"}, {"id": 6, "firstName": "Bo"}]
    listing = CandidateListing(json.dumps(rows).encode(), where=WHERE, status_code=200)
    assert listing.ids == {5, 6}
    with pytest.raises(PlatformTransient) as caught:
        _ = listing.candidates
    message = str(caught.value)
    assert message.startswith(f"{WHERE}: unreadable answer") and "1.lastName: missing" in message
    assert "Bo" not in message  # the platform's data stays out of errors and logs


def test_records_read_first_give_the_ids_and_free_the_raw_answer() -> None:
    rows = [{"id": 9, "firstName": "Cy", "lastName": "Do", "email": "cy@example.com"}]
    listing = CandidateListing(json.dumps(rows).encode(), where=WHERE, status_code=200)
    assert [candidate.email for candidate in listing.candidates] == ["cy@example.com"]
    assert listing._content == b""
    assert listing.ids == {9}


@pytest.mark.parametrize("body", [b"<html>bad gateway</html>", b'{"id": 1}', b'[{"name": "x"}]'])
def test_an_answer_without_ids_fails_the_check(body: bytes) -> None:
    listing = CandidateListing(body, where=WHERE, status_code=200)
    with pytest.raises(PlatformTransient, match="unreadable answer"):
        _ = listing.ids
