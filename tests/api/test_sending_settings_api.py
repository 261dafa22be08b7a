"""GET/PUT /sending-settings and GET /sending-settings/usage over real HTTP, on both
databases: defaults until saved, validation that names field and reason and changes nothing,
and each account's use against its limits."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from campaigns.definition import MessageChannel
from campaigns.sending_limits import ReserveRequest, SendingLimits, SendingSettings
from db.ledger_models import SendingSettingsRow, SendReservation
from db.send_ledger import reserve
from tests.api.conftest import ApiStack
from tests.support.campaigns import BRIEF_EXAMPLE, MILAN, ROLE_SWE

CHRIS = {"id": 3, "token": "tok-chris"}  # an EMAIL channel only
BEA = {"id": 2, "token": "tok-bea"}  # EMAIL and LINKEDIN


CAMPAIGN_PREFIX = "sending-settings-test-"


@pytest.fixture
async def stack(api: ApiStack) -> AsyncIterator[ApiStack]:
    """The API; the seed users' saved settings and these tests' reservations are removed
    after, so every other test meets the defaults and an empty ledger."""
    yield api
    async with api.sessions() as session, session.begin():
        await session.execute(
            delete(SendingSettingsRow).where(SendingSettingsRow.user_id.in_([1, 2, 3]))
        )
        await session.execute(
            delete(SendReservation).where(SendReservation.campaign_id.like(f"{CAMPAIGN_PREFIX}%"))
        )


def a_schedule() -> dict[str, object]:
    return {
        "timeZone": "Europe/Brussels",
        "weekdays": ["MON", "TUE", "WED", "THU"],
        "start": "08:30",
        "end": "18:00",
        "skipDates": ["2030-12-25"],
    }


async def test_a_user_who_never_saved_gets_the_defaults(stack: ApiStack) -> None:
    async with stack.client(CHRIS["token"]) as http:
        response = await http.get("/sending-settings")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["saved"] is False and body["updatedAt"] is None
    defaults = SendingSettings().model_dump(mode="json", by_alias=True)
    assert {key: body[key] for key in defaults} == defaults
    assert body["autoReplyAction"] == "STOP"  # an out-of-office reply ends it, like any reply
    # Always open until the user says where they are; limits and pacing from the first send.
    assert body["schedule"]["weekdays"] == ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
    assert (body["schedule"]["start"], body["schedule"]["end"]) == ("00:00", "24:00")
    assert body["limits"]["linkedinConnectionRequestsPerWeek"] == 80
    assert body["pacing"]["linkedinMinGapSeconds"] == 120


async def test_put_saves_the_callers_settings_and_only_theirs(stack: ApiStack) -> None:
    settings = {"schedule": a_schedule(), "limits": {"emailsPerDay": 40}}
    async with stack.client(CHRIS["token"]) as http:
        saved = await http.put("/sending-settings", json=settings)
        read = await http.get("/sending-settings")
    assert saved.status_code == 200, saved.text
    assert read.json() == saved.json()
    body = read.json()
    assert body["saved"] is True and body["updatedAt"] is not None
    assert body["schedule"] == a_schedule()
    # Left out: the default.
    assert body["limits"]["emailsPerDay"] == 40
    assert body["limits"]["linkedinMessagesPerDay"] == SendingLimits().linkedin_messages_per_day
    async with stack.client(BEA["token"]) as http:
        assert (await http.get("/sending-settings")).json()["saved"] is False


@pytest.mark.parametrize(("body", "field", "reason"), [
    ({"schedule": {"timeZone": "Europe/Bruxelles"}}, "schedule.timeZone",
     "unknown time zone 'Europe/Bruxelles'; use an IANA name such as Europe/Brussels"),
    ({"schedule": {"start": "18:00", "end": "09:00"}}, "schedule.end",
     "must be after start (24:00 is midnight)"),
    ({"schedule": {"weekdays": ["MONDAY"]}}, "schedule.weekdays.0", "Input should be 'MON'"),
    ({"limits": {"emailsPerDay": 5000}}, "limits.emailsPerDay",
     "Input should be less than or equal to 2000"),
    ({"pacing": {"emailMinGapSeconds": -1}}, "pacing.emailMinGapSeconds",
     "Input should be greater than or equal to 0"),
    ({"limits": {"emails": 10}}, "limits.emails", "Extra inputs are not permitted"),
])  # fmt: skip
async def test_invalid_settings_are_422_naming_field_and_reason_and_change_nothing(
    stack: ApiStack, body: dict[str, object], field: str, reason: str
) -> None:
    async with stack.client(CHRIS["token"]) as http:
        await http.put("/sending-settings", json={"limits": {"emailsPerDay": 40}})
        response = await http.put("/sending-settings", json=body)
        after = await http.get("/sending-settings")
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_SENDING_SETTINGS"
    assert any(d["field"] == field and d["reason"].startswith(reason) for d in error["details"]), (
        error
    )
    assert field in error["message"]
    assert after.json()["limits"]["emailsPerDay"] == 40


async def test_settings_need_a_platform_token(stack: ApiStack) -> None:
    async with stack.client(None) as http:
        assert (await http.get("/sending-settings")).status_code == 401
        assert (await http.put("/sending-settings", json={})).status_code == 401
    async with stack.client("not-a-token") as http:
        assert (await http.get("/sending-settings/usage")).status_code == 401


async def test_usage_shows_each_connected_accounts_limits_and_the_waiting_sends(
    stack: ApiStack,
) -> None:
    async with stack.client(BEA["token"]) as http:
        saved = await http.put(
            "/sending-settings",
            json={
                "schedule": {"weekdays": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
                             "start": "00:00", "end": "24:00"},
                "limits": {"emailsPerDay": 2},
                "pacing": {"emailMinGapSeconds": 0, "emailJitterSeconds": 0},
            },
        )  # fmt: skip
        assert saved.status_code == 200, saved.text
    campaigns = [f"{CAMPAIGN_PREFIX}{uuid.uuid4().hex[:12]}" for _ in range(3)]
    now = datetime.now(UTC)
    for campaign in campaigns:
        request = ReserveRequest(
            campaign_id=campaign, node_id=1, user_id=BEA["id"], channel=MessageChannel.EMAIL
        )
        await reserve(stack.sessions, request, now=now)

    async with stack.client(BEA["token"]) as http:
        response = await http.get("/sending-settings/usage")
    assert response.status_code == 200, response.text
    body = response.json()
    limits = {(u["kind"], u["window"]): u for u in body["limits"]}
    assert set(limits) == {
        ("LINKEDIN_CONNECTION_REQUEST", "WEEK"),
        ("LINKEDIN_CONNECTION_REQUEST", "DAY"),
        ("LINKEDIN_MESSAGE", "DAY"),
        ("EMAIL", "DAY"),
    }
    email = limits[("EMAIL", "DAY")]
    assert (email["account"], email["used"], email["limit"], email["queued"]) == (
        "EMAIL", 2, 2, 1,
    )  # fmt: skip
    next_free = datetime.fromisoformat(email["nextFreeAt"])
    assert next_free > now + timedelta(days=1)
    assert [w["campaignId"] for w in body["waits"]] == [campaigns[2]]
    wait = body["waits"][0]
    assert wait["reason"] == "DAILY_LIMIT" and wait["nodeId"] == 1
    assert wait["description"].startswith("Email daily limit reached — next slot ")
    assert body["timeZone"] == "UTC"

    async with stack.client(CHRIS["token"]) as http:
        chris = (await http.get("/sending-settings/usage")).json()
    assert {u["account"] for u in chris["limits"]} == {"EMAIL"}  # no LinkedIn connected
    assert chris["waits"] == []


async def test_a_campaign_with_an_invalid_send_window_is_422_and_starts_nothing(
    stack: ApiStack,
) -> None:
    path = f"/role/{ROLE_SWE}/candidate/{MILAN}/campaign"
    body = {**BRIEF_EXAMPLE, "send_window": {"timeZone": "Europe/Brussels", "weekdays": []}}
    async with stack.client() as http:
        before = await http.get(path)
        response = await http.put(path, json=body)
        after = await http.get(path)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "INVALID_DEFINITION"
    assert error["details"] == [
        {
            "nodeId": None,
            "field": "send_window.weekdays",
            "reason": "the send window never opens: name a weekday",
        }
    ]
    assert after.status_code == before.status_code and after.json() == before.json()
