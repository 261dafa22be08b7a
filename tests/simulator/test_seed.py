import httpx


def test_bulk_role_has_300_generated_candidates(andreas: httpx.Client) -> None:
    candidates = andreas.get("/role/12/candidate").json()
    assert [c["id"] for c in candidates] == list(range(5000, 5300))
    names = {(c["firstName"], c["lastName"]) for c in candidates}
    assert len(names) == 300
    assert all(c["email"] is None or c["email"].endswith("@example.com") for c in candidates)
    without_email = [c for c in candidates if c["email"] is None]
    without_linkedin = [c for c in candidates if c["linkedin"] is None]
    assert len(without_email) == 30
    assert len(without_linkedin) == 42


def test_generated_candidates_are_deterministic(andreas: httpx.Client) -> None:
    first = andreas.get("/role/12/candidate").json()[0]
    assert first == {
        "id": 5000,
        "firstName": "Alex",
        "lastName": "Abbott",
        "email": "alex.abbott.5000@example.com",
        "linkedin": "https://linkedin.example.com/in/alex-abbott-5000",
        "cv": {"headline": "Support Engineer", "yearsOfExperience": 1},
    }


def test_candidate_in_two_roles_is_listed_in_both(andreas: httpx.Client) -> None:
    for role_id in (10, 11):
        assert 1006 in [c["id"] for c in andreas.get(f"/role/{role_id}/candidate").json()]


def test_chris_has_only_an_email_channel(client_for) -> None:
    chris = client_for({"Authorization": "Bearer tok-chris"})
    assert chris.get("/channel").json() == [{"id": 300, "type": "EMAIL", "status": "OK"}]
    assert [r["id"] for r in chris.get("/role").json()] == [30]
