"""A reply belongs to one campaign, once, and is shown as it happened: over real HTTP, with the
simulator's signed webhooks, the dev server, a worker and both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from db.models import WebhookReceipt
from tests.api.conftest import ApiStack, api_stack_on, signed
from tests.conftest import DATA_CONVERTER
from tests.support.campaigns import (
    ANDREAS,
    MILAN,
    ROLE_SWE,
    eventually,
    sent_messages,
    sim_post,
)
from tests.support.simulator_process import free_port

CAMPAIGN = f"/role/{ROLE_SWE}/candidate/{MILAN}/campaign"
EMAIL = ANDREAS["email_channel"]
ONE_EMAIL = {
    "nodes": [
        {"id": 1, "type": "message", "channel": "EMAIL", "subject_line": "Hi", "message": "Hello"}
    ]
}
OTHER_EMAIL = {
    "nodes": [
        {"id": 1, "type": "message", "channel": "EMAIL", "subject_line": "Hi", "message": "Again"}
    ]
}


async def _view(api: ApiStack) -> dict[str, Any]:
    async with api.client() as http:
        response = await http.get(CAMPAIGN)
        response.raise_for_status()
        return response.json()


async def _status_is(api: ApiStack, status: str) -> dict[str, Any] | None:
    view = await _view(api)
    return view if view["status"] == status else None


async def _sent_one(api: ApiStack) -> bool:
    return len(await sent_messages(api.simulator, MILAN)) == 1


async def _receipts(api: ApiStack) -> int:
    async with api.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookReceipt)) or 0)


async def _post_webhook(api: ApiStack, payload: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=api.url) as hook:
        return await hook.post("/webhooks/reply", **signed(payload))


async def _delivered_reply_payload(api: ApiStack) -> dict[str, Any]:
    log = await sim_post(api.simulator, "/_sim/webhooks", method="GET")
    return next(entry["payload"] for entry in reversed(log) if entry["kind"] == "reply")


async def test_a_replayed_reply_webhook_changes_nothing_and_never_stops_a_newer_campaign(
    api: ApiStack,
) -> None:
    async with api.client() as http:
        first = (await http.put(CAMPAIGN, json=ONE_EMAIL)).json()
        await eventually(lambda: _sent_one(api))
        await sim_post(
            api.simulator, f"/_sim/candidates/{MILAN}/reply", {"channelId": EMAIL, "body": "Yes"}
        )
        await eventually(lambda: _status_is(api, "REPLIED"))
        delivered = await _delivered_reply_payload(api)

        again = await _post_webhook(api, delivered)  # the platform retried a delivery that worked
        assert again.status_code == 200
        assert again.json() == {"outcome": "DUPLICATE", "campaignId": first["campaignId"]}

        second = await http.put(CAMPAIGN, json=OTHER_EMAIL)
        assert second.status_code == 201
        replayed = await _post_webhook(api, delivered)  # replayed within the signature's window

        assert replayed.status_code == 200
        assert replayed.json()["outcome"] == "DUPLICATE"
        view = await _view(api)
        assert view["campaignId"] == second.json()["campaignId"]
        assert view["status"] == "RUNNING"
        assert view["reply"] is None
        await http.delete(CAMPAIGN)


async def test_a_late_webhook_for_a_message_older_than_the_campaign_is_ignored(
    api: ApiStack,
) -> None:
    # The candidate wrote, but the platform's webhook arrives only after a new campaign began.
    old = await sim_post(
        api.simulator,
        f"/_sim/candidates/{MILAN}/reply",
        {"channelId": EMAIL, "deliverWebhook": False},
    )
    async with api.client() as http:
        started = await http.put(CAMPAIGN, json=ONE_EMAIL)
        assert started.status_code == 201
        late = await _post_webhook(
            api,
            {
                "candidateId": MILAN,
                "channelId": EMAIL,
                "userId": ANDREAS["id"],
                "messageId": old["message"]["id"],
                "sentAt": old["message"]["sentAt"],
            },
        )
        assert late.status_code == 200
        assert late.json() == {
            "outcome": "IGNORED_BEFORE_CAMPAIGN_START",
            "campaignId": started.json()["campaignId"],
        }
        assert (await _view(api))["status"] == "RUNNING"
        await http.delete(CAMPAIGN)


async def test_a_reply_webhook_that_met_temporal_down_stops_the_campaign_when_delivered_again(
    api: ApiStack,
    dev_temporal_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    task_queue: str,
) -> None:
    """A delivery that finds Temporal unreachable answers 503 and stops nothing; its receipt
    is claimed but never finished, so the platform's next delivery of the same message stops
    the campaign (it is no DUPLICATE of a delivery that never acted)."""
    temporal_down = await Client.connect(
        f"127.0.0.1:{free_port()}", data_converter=DATA_CONVERTER, lazy=True
    )
    async with api.client() as http:
        started = await http.put(CAMPAIGN, json=ONE_EMAIL)
        assert started.status_code == 201
    await eventually(lambda: _sent_one(api))
    reply = await sim_post(
        api.simulator,
        f"/_sim/candidates/{MILAN}/reply",
        {"channelId": EMAIL, "deliverWebhook": False},
    )
    payload = {
        "candidateId": MILAN,
        "channelId": EMAIL,
        "userId": ANDREAS["id"],
        "messageId": reply["message"]["id"],
        "sentAt": reply["message"]["sentAt"],
    }
    async with api_stack_on(
        dev_temporal_env.client,
        database_url,
        api.simulator,
        f"{task_queue}-cut-off",  # its worker idles: one worker per queue in a process
        sessions,
        api_temporal=temporal_down,
    ) as cut_off:
        first = await _post_webhook(cut_off, payload)
    assert first.status_code == 503
    assert first.json()["error"]["code"] == "TEMPORAL_UNAVAILABLE"
    assert (await _view(api))["status"] == "RUNNING"

    again = await _post_webhook(api, payload)

    assert again.status_code == 200
    assert again.json() == {"outcome": "SIGNALLED", "campaignId": started.json()["campaignId"]}
    replied = await eventually(lambda: _status_is(api, "REPLIED"))
    assert replied["reply"]["messageId"] == reply["message"]["id"]
    assert await _receipts(api) == 1


async def test_bad_ids_in_a_signed_webhook_are_422_before_anything_happens(
    api: ApiStack,
) -> None:
    async with api.client() as http:
        (await http.put(CAMPAIGN, json=ONE_EMAIL)).raise_for_status()
        before = await _receipts(api)
        good = {"candidateId": MILAN, "channelId": EMAIL, "userId": 1, "messageId": 10**6}
        for field, value in (
            ("candidateId", 2**63),
            ("messageId", 2**63),
            ("channelId", 0),
            ("userId", -1),
        ):
            response = await _post_webhook(api, {**good, field: value})
            assert response.status_code == 422, (field, response.text)
            details = response.json()["error"]["details"]
            assert [d["field"] for d in details] == [field]
        naive = await _post_webhook(api, {**good, "sentAt": "2026-01-01T10:00:00"})
        assert naive.status_code == 422
        assert naive.json()["error"]["details"][0]["field"] == "sentAt"
        assert await _receipts(api) == before
        assert (await _view(api))["status"] == "RUNNING"
        await http.delete(CAMPAIGN)


async def test_the_reply_is_shown_with_its_own_time_channel_and_text(api: ApiStack) -> None:
    async with api.client() as http:
        (await http.put(CAMPAIGN, json=ONE_EMAIL)).raise_for_status()
        await eventually(lambda: _sent_one(api))  # so that the webhook, not a check, sees it
        replied = await sim_post(
            api.simulator,
            f"/_sim/candidates/{MILAN}/reply",
            {"channelId": EMAIL, "subject": "Re: Hi", "body": "Happy to talk on Tuesday."},
        )
        view = await eventually(lambda: _status_is(api, "REPLIED"))

    reply = view["reply"]
    message = replied["message"]
    assert reply["messageId"] == message["id"]
    assert reply["channelId"] == EMAIL
    assert reply["channelType"] == "EMAIL"
    assert reply["body"] == "Happy to talk on Tuesday."
    assert reply["subject"] == "Re: Hi"
    assert reply["source"] == "webhook"
    assert reply["sentAt"][:23] == message["sentAt"][:23]
    assert reply["noticedAt"] >= reply["sentAt"]
    # The timeline puts the reply where it happened and nothing of it is stored in events.
    kinds = [entry["kind"] for entry in view["timeline"]]
    assert kinds[-2:] == ["REPLY_RECEIVED", "ENDED"]
    assert all("Tuesday" not in str(event["data"]) for event in view["events"])
    assert reply["autoReply"] is None


async def test_an_out_of_office_webhook_pauses_the_campaign_when_the_user_chose_so(
    api: ApiStack,
) -> None:
    back = datetime.now(UTC).date() + timedelta(days=9)
    notice = {
        "channelId": EMAIL,
        "subject": "Automatic reply: Hi",
        "body": f"I am out of the office until {back.isoformat()} with limited access to email.",
    }
    async with api.client() as http:
        chosen = await http.put("/sending-settings", json={"autoReplyAction": "PAUSE"})
        assert chosen.status_code == 200, chosen.text
        (await http.put(CAMPAIGN, json=ONE_EMAIL)).raise_for_status()
        await eventually(lambda: _sent_one(api))
        await sim_post(api.simulator, f"/_sim/candidates/{MILAN}/reply", notice)
        view = await eventually(lambda: _status_is(api, "PAUSED"))
        assert view["nextAction"] == "Resumes"
        assert view["nextActionAt"].startswith(back.isoformat())  # the day's start, in UTC
        assert [e["kind"] for e in view["events"]][-2:] == ["AUTO_REPLY_RECEIVED", "PAUSED"]

        # Then the candidate answers for real: that ends it.
        await sim_post(
            api.simulator,
            f"/_sim/candidates/{MILAN}/reply",
            {"channelId": EMAIL, "subject": "Re: Hi", "body": "Back early, happy to talk."},
        )
        replied = await eventually(lambda: _status_is(api, "REPLIED"))
    assert replied["reply"]["autoReply"] is None
    assert replied["reply"]["body"] == "Back early, happy to talk."


async def test_by_default_an_out_of_office_webhook_ends_the_campaign_shown_as_automatic(
    api: ApiStack,
) -> None:
    async with api.client() as http:
        (await http.put(CAMPAIGN, json=ONE_EMAIL)).raise_for_status()
        await eventually(lambda: _sent_one(api))
        await sim_post(
            api.simulator,
            f"/_sim/candidates/{MILAN}/reply",
            {"channelId": EMAIL, "subject": "Out of Office: Hi", "body": "I am on leave."},
        )
        view = await eventually(lambda: _status_is(api, "REPLIED"))
    assert view["reply"]["autoReply"] == "OUT_OF_OFFICE"
