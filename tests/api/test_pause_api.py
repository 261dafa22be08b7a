"""Pause and resume over the real API (dev server, both databases): the answer is the
campaign's new state from Temporal; the read model follows; bad input changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import ApiStack
from tests.support.campaigns import (
    BRIEF_EXAMPLE,
    MILAN,
    NO_LINKEDIN,
    ROLE_SWE,
    eventually,
    sent_messages,
)

CAMPAIGN = f"/role/{ROLE_SWE}/candidate/{MILAN}/campaign"
OTHER = f"/role/{ROLE_SWE}/candidate/{NO_LINKEDIN}/campaign"


async def _status(api: ApiStack, path: str = CAMPAIGN) -> str | None:
    async with api.client() as http:
        response = await http.get(path)
    return response.json()["status"] if response.status_code == 200 else None


async def _sent(api: ApiStack, count: int) -> bool:
    return len(await sent_messages(api.simulator, MILAN)) >= count


async def test_pause_and_resume_answer_with_the_new_state_and_the_read_model_follows(
    api: ApiStack,
) -> None:
    until = datetime.now(UTC) + timedelta(days=3)
    async with api.client() as http:
        (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).raise_for_status()
        await eventually(lambda: _sent(api, 2))
        paused = await http.post(f"{CAMPAIGN}/pause", json={"until": until.isoformat()})
        assert paused.status_code == 200, paused.text
        assert paused.json()["status"] == "PAUSED"
        assert datetime.fromisoformat(paused.json()["pausedUntil"]) == until
        assert paused.json()["pauseReason"] == "USER"
        await eventually(lambda: _status_is(api, "PAUSED"))
        view = (await http.get(CAMPAIGN)).json()
        assert view["nextAction"] == "Resumes"
        assert datetime.fromisoformat(view["nextActionAt"]) == until

        resumed = await http.post(f"{CAMPAIGN}/resume")
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["status"] == "RUNNING" and resumed.json()["pausedUntil"] is None
        assert resumed.json()["endsAt"] == paused.json()["endsAt"]  # the 30 days did not move
        await eventually(lambda: _status_is(api, "RUNNING"))


async def _status_is(api: ApiStack, status: str, path: str = CAMPAIGN) -> bool:
    return await _status(api, path) == status


async def test_a_pause_in_the_past_is_422_naming_until_and_changes_nothing(api: ApiStack) -> None:
    async with api.client() as http:
        (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).raise_for_status()
        past = await http.post(f"{CAMPAIGN}/pause", json={"until": "2020-01-01T00:00:00Z"})
        naive = await http.post(f"{CAMPAIGN}/pause", json={"until": "2030-01-01T00:00:00"})
        everyone = await http.post("/campaigns/pause", json={"until": "2020-01-01T00:00:00Z"})
        status = await _status(api)
    assert past.status_code == 422, past.text
    assert past.json()["error"]["details"] == [
        {"field": "until", "reason": "must be in the future"}
    ]
    assert naive.status_code == 422 and "until" in naive.text
    assert everyone.status_code == 422
    assert status == "RUNNING"


async def test_pausing_no_campaign_is_404_and_an_ended_one_409(api: ApiStack) -> None:
    async with api.client() as http:
        none = await http.post(f"{OTHER}/pause")
        (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).raise_for_status()
        cancelled = await http.delete(CAMPAIGN)
        ended = await http.post(f"{CAMPAIGN}/pause")
        resumed = await http.post(f"{CAMPAIGN}/resume")
    assert none.status_code == 404
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    assert ended.status_code == 409 and ended.json()["error"]["code"] == "CAMPAIGN_ENDED"
    assert resumed.status_code == 409


async def test_pause_all_and_resume_all_cover_every_active_campaign_of_the_caller(
    api: ApiStack,
) -> None:
    until = datetime.now(UTC) + timedelta(days=10)
    async with api.client() as http:
        for path in (CAMPAIGN, OTHER):
            (await http.put(path, json=BRIEF_EXAMPLE)).raise_for_status()
        await eventually(lambda: _status_is(api, "RUNNING", OTHER))
        paused = await http.post("/campaigns/pause", json={"until": until.isoformat()})
        bea = await api.client("tok-bea").__aenter__()
        try:
            bea_paused = await bea.post("/campaigns/pause")
        finally:
            await bea.aclose()
        resumed = await http.post("/campaigns/resume")
    assert paused.status_code == 200, paused.text
    states = paused.json()["changed"]
    assert len(states) == 2 and paused.json()["skipped"] == 0
    assert {s["status"] for s in states} == {"PAUSED"}
    assert {s["pauseReason"] for s in states} == {"ALL_CAMPAIGNS"}
    assert bea_paused.json() == {"changed": [], "skipped": 0}  # only the caller's own
    assert {s["status"] for s in resumed.json()["changed"]} == {"RUNNING"}
