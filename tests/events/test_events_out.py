"""Events out to the platform: the simulator's receiver gets every campaign event, signed, in
order per campaign, with contiguous sequence numbers and unique ids, even when it was down for
a while; the campaigns never wait for it (docs/events.md).

On the Temporal dev server (real time): the deliverer is one long activity that waits in real
time between polls and retries, which the time-skipping server would not skip past. Campaigns
run in real time and are ended by the `cancel` Update once their first messages are out: no
scaled deadline a busy machine could reach before the sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from campaigns.contracts import CampaignProgress, PauseRequest
from campaigns.outbound_events import EVENT_TYPES, EventFeedInput, event_id
from campaigns.status import EndReason, StepStatus
from db.engine import SessionFactory
from recruiting_platform import PlatformClient
from tests.support.campaigns import (
    ANDREAS,
    DAY,
    MILAN,
    SIMULATOR_TIMEOUT,
    campaign_input,
    eventually,
    sent_messages,
    sim_post,
    start_campaign,
)
from tests.support.sending import send_without_pacing
from worker import build_worker, ensure_event_deliverer
from workflows.campaign import CampaignWorkflow

EVENTS_SECRET = "test-events-secret"
BULK_ROLE = 12  # candidates 5000-5299 of user 1; every 10th has no email
EMAIL_DRIP: dict[str, Any] = {
    "nodes": [
        {"id": 1, "type": "message", "channel": "GMAIL", "subject_line": "Hi", "message": "Hi"},
        {"id": 2, "type": "delay-step", "delaySeconds": 2 * DAY},
        {"id": 3, "type": "message", "channel": "GMAIL", "subject_line": "Re: Hi", "message": "?"},
    ]
}


@asynccontextmanager
async def delivering(
    env: WorkflowEnvironment,
    task_queue: str,
    platform: PlatformClient,
    sessions: SessionFactory,
    simulator: str,
) -> AsyncIterator[None]:
    """A worker with the event deliverer posting to the simulator's receiver."""
    await sim_post(simulator, "/_sim/events/receiver", {"secret": EVENTS_SECRET}, method="PUT")
    feed = EventFeedInput(
        webhook_url=f"{simulator}/_sim/events/inbox",
        poll_seconds=0.1,
        retry_initial_seconds=0.1,
        retry_max_seconds=0.5,
        run_seconds=30,
    )
    async with build_worker(
        env.client,
        task_queue=task_queue,
        platform=platform,
        sessions=sessions,
        events_secret=EVENTS_SECRET,
    ):
        await ensure_event_deliverer(env.client, task_queue=task_queue, feed=feed)
        yield


async def received(simulator: str, campaign_id: str | None = None) -> dict[str, Any]:
    params = {"campaignId": campaign_id} if campaign_id else {}
    async with httpx.AsyncClient(base_url=simulator, timeout=SIMULATOR_TIMEOUT) as http:
        response = await http.get("/_sim/events", params=params)
        response.raise_for_status()
        return response.json()


async def receiver_down(simulator: str, down: bool) -> None:
    await sim_post(simulator, "/_sim/events/receiver", {"down": down}, method="PUT")


async def until_ended_event(simulator: str, campaign_id: str) -> list[dict[str, Any]]:
    """The campaign's events as received, once its `campaign.ended` arrived."""

    async def check() -> list[dict[str, Any]] | None:
        events = [e["payload"] for e in (await received(simulator, campaign_id))["events"]]
        return events if any(e["type"] == "campaign.ended" for e in events) else None

    return await eventually(check)


def assert_in_order_and_unique(events: list[dict[str, Any]], campaign_id: str) -> None:
    sequences = [event["sequence"] for event in events]
    assert sequences == list(range(1, len(events) + 1)), sequences
    assert [event["id"] for event in events] == [event_id(campaign_id, s) for s in sequences]
    assert len({event["id"] for event in events}) == len(events)
    assert {event["type"] for event in events} <= set(EVENT_TYPES.values())
    assert events[0]["type"] == "campaign.started"
    assert events[-1]["type"] == "campaign.ended"


async def in_first_delay(handle: WorkflowHandle) -> bool:
    """Every message before the definition's first delay is done (sent or skipped)."""
    progress: CampaignProgress = await handle.query(CampaignWorkflow.progress)
    first_delay = next(s for s in progress.steps if s.type == "delay-step")
    return first_delay.status is StepStatus.IN_PROGRESS


async def end_in_first_delay(handle: WorkflowHandle) -> CampaignProgress:
    await eventually(lambda: in_first_delay(handle))
    return await handle.execute_update(CampaignWorkflow.cancel)


async def test_a_campaigns_events_arrive_signed_in_order_with_contiguous_sequence_numbers(
    dev_temporal_env: WorkflowEnvironment,
    task_queue: str,
    platform: PlatformClient,
    sessions: SessionFactory,
    simulator: str,
) -> None:
    async with delivering(dev_temporal_env, task_queue, platform, sessions, simulator):
        campaign = campaign_input()
        handle = await start_campaign(dev_temporal_env.client, campaign, task_queue)
        progress = await end_in_first_delay(handle)
        events = await until_ended_event(simulator, campaign.campaign_id)

    assert progress.end_reason is EndReason.CANCELLED
    assert_in_order_and_unique(events, campaign.campaign_id)
    sent = [e for e in events if e["type"] == "campaign.message_sent"]
    assert [e["data"]["nodeId"] for e in sent] == [1, 2]
    assert {e["data"]["messageId"] for e in sent} == {
        m["id"] for m in await sent_messages(simulator, MILAN)
    }
    assert events[-1]["data"] == {"reason": "CANCELLED"}
    assert all(
        (e["campaignId"], e["ownerUserId"], e["candidateId"])
        == (campaign.campaign_id, ANDREAS["id"], MILAN)
        for e in events
    )
    inbox = await received(simulator)
    # Every delivery carried a valid signature: the receiver rejects any other.
    assert (inbox["rejected"], inbox["duplicates"]) == (0, 0)


async def test_receiver_down_campaigns_run_on_time_and_every_event_arrives_once_it_is_back(
    dev_temporal_env: WorkflowEnvironment,
    task_queue: str,
    platform: PlatformClient,
    sessions: SessionFactory,
    simulator: str,
) -> None:
    async with delivering(dev_temporal_env, task_queue, platform, sessions, simulator):
        await receiver_down(simulator, True)
        campaign = campaign_input()
        handle = await start_campaign(dev_temporal_env.client, campaign, task_queue)
        await eventually(lambda: _refused_at_least(simulator, 3))
        progress = await end_in_first_delay(handle)
        # The campaign sent on time while every delivery was refused: it never waited for them.
        assert [s.status for s in progress.steps[:2]] == [StepStatus.SENT, StepStatus.SENT]
        assert progress.end_reason is EndReason.CANCELLED
        assert (await received(simulator))["events"] == []

        await receiver_down(simulator, False)
        events = await until_ended_event(simulator, campaign.campaign_id)

    assert_in_order_and_unique(events, campaign.campaign_id)
    assert [e["type"] for e in events] == [
        "campaign.started",
        *["campaign.message_sent"] * 2,
        "campaign.ended",
    ]
    assert (await received(simulator))["duplicates"] == 0


async def _refused_at_least(simulator: str, count: int) -> bool:
    return (await received(simulator))["refused"] >= count


async def test_many_campaigns_at_once_each_keeps_its_own_order(
    dev_temporal_env: WorkflowEnvironment,
    task_queue: str,
    platform: PlatformClient,
    sessions: SessionFactory,
    simulator: str,
) -> None:
    await send_without_pacing(sessions, ANDREAS["id"])
    candidates = range(5000, 5020)  # 5009 and 5019 have no email: their messages are skipped
    async with delivering(dev_temporal_env, task_queue, platform, sessions, simulator):
        campaigns = [
            campaign_input(EMAIL_DRIP, candidate_id=candidate, role_id=BULK_ROLE)
            for candidate in candidates
        ]
        handles = [
            await start_campaign(dev_temporal_env.client, campaign, task_queue)
            for campaign in campaigns
        ]
        # Down for a while in the middle of it all.
        await receiver_down(simulator, True)
        await eventually(lambda: _refused_at_least(simulator, 5))
        await receiver_down(simulator, False)
        for handle in handles:
            await end_in_first_delay(handle)
        timelines = [await until_ended_event(simulator, c.campaign_id) for c in campaigns]

    for campaign, events in zip(campaigns, timelines, strict=True):
        assert_in_order_and_unique(events, campaign.campaign_id)
        middle = {e["type"] for e in events[1:-1]}
        if campaign.candidate_id in (5009, 5019):
            assert middle == {"campaign.step_skipped"}, events
        else:
            assert middle == {"campaign.message_sent"}, events


async def test_the_openapi_document_lists_every_event_webhook_with_its_payload() -> None:
    document = create_app().openapi()

    webhooks = document["webhooks"]
    assert set(webhooks) == set(EVENT_TYPES.values())
    for event_type, operation in webhooks.items():
        body = operation["post"]["requestBody"]["content"]["application/json"]
        assert body["examples"]["example"]["value"]["type"] == event_type
        schema_name = body["schema"]["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][schema_name]
        assert {"id", "sequence", "campaignId", "type", "data"} <= set(schema["required"])


async def test_a_pause_and_a_resume_go_out_as_events_in_their_place(
    dev_temporal_env: WorkflowEnvironment,
    task_queue: str,
    platform: PlatformClient,
    sessions: SessionFactory,
    simulator: str,
) -> None:
    async with delivering(dev_temporal_env, task_queue, platform, sessions, simulator):
        # The pause lands in the campaign's first 2-day delay.
        campaign = campaign_input()
        handle = await start_campaign(dev_temporal_env.client, campaign, task_queue)
        await eventually(lambda: in_first_delay(handle))
        await handle.execute_update(CampaignWorkflow.pause, PauseRequest())
        await handle.execute_update(CampaignWorkflow.resume)
        await handle.execute_update(CampaignWorkflow.cancel)
        events = await until_ended_event(simulator, campaign.campaign_id)

    assert_in_order_and_unique(events, campaign.campaign_id)
    assert [e["type"] for e in events] == [
        "campaign.started",
        "campaign.message_sent",
        "campaign.message_sent",
        "campaign.paused",
        "campaign.resumed",
        "campaign.ended",
    ]
    assert events[-1]["data"] == {"reason": "CANCELLED"}
