"""The send ledger under Temporal, as the campaign workflow uses it: 300 campaigns of one
account due at once, on two workers, on the time-skipping server. Each is the real
CampaignWorkflow with one email: its send activity books the slot, the workflow waits durably
for it, and the message is posted when it comes (docs/sending-limits.md).

The simulator enforces the same email limit and stamps each post with the campaign's clock,
so its record shows what the platform would have seen."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import delete, select
from temporalio import workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from campaigns.contracts import CampaignInput, CampaignProgress, workflow_id_for
from campaigns.send_window import SendSchedule
from campaigns.sending_limits import SendingLimits, SendingSettings
from campaigns.status import StepStatus
from db.engine import SessionFactory, create_engine, create_session_factory
from db.ledger_models import ReservationState, SendingSettingsRow, SendReservation
from db.send_ledger import ledger_now
from db.sending_settings import save_settings
from recruiting_platform import PlatformClient
from tests.conftest import SERVICE_TOKEN
from tests.support.campaigns import campaign_input
from tests.support.sim_time import SimTimeTransport
from worker import build_worker
from workflows.campaign import CampaignWorkflow, execution_timeout_for, search_attributes_for

ANDREAS, EMAIL_CHANNEL = 1, 100
BULK_ROLE = 12
BULK_ROLE_CANDIDATES = range(5000, 5300)  # every 10th has no email address
BRUSSELS = SendSchedule(time_zone="Europe/Brussels")  # Mon–Fri 09:00–17:00
ONE_EMAIL = {
    "nodes": [
        {"id": 1, "type": "message", "channel": "EMAIL", "subject_line": "A role for you",
         "message": "Hello"}
    ]
}  # fmt: skip


@workflow.defn(sandboxed=False)
class AllDueAtOnceWorkflow:
    """Starts every campaign at the same instant as a child and waits for all: the test then
    waits on one result, which is how the time-skipping server wants to be waited on."""

    @workflow.run
    async def run(self, campaigns: list[CampaignInput]) -> list[CampaignProgress]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_child_workflow(
                        CampaignWorkflow.run,
                        campaign,
                        id=workflow_id_for(campaign.candidate_id),
                        task_queue=workflow.info().task_queue.removesuffix("-parent"),
                        execution_timeout=execution_timeout_for(campaign),
                        search_attributes=search_attributes_for(campaign),
                    )
                    for campaign in campaigns
                )
            )
        )


@dataclass
class Run:
    campaigns: list[CampaignInput]
    results: list[CampaignProgress]
    messages: list[dict]
    email: dict  # the simulator's view of the email channel against its limit
    left_reserved: int  # slots still booked once every campaign ended


async def run_due_at_once(
    env: WorkflowEnvironment,
    sessions: SessionFactory,
    database_url: str,
    simulator: str,
    task_queue: str,
    *,
    candidates: list[int],
    settings: SendingSettings,
    sent_elsewhere: int = 0,
) -> Run:
    """Every candidate's campaign due at once for Andreas's mailbox, on two workers, until all
    have ended; the simulator enforces the same daily limit as the ledger."""
    async with httpx.AsyncClient(base_url=simulator) as control:
        (await control.put("/_sim/clock", json={"acceptTimeHeader": True})).raise_for_status()
        limits = {"emailPerDay": settings.limits.emails_per_day}
        (await control.put("/_sim/limits", json=limits)).raise_for_status()
        if sent_elsewhere:
            at = {"count": sent_elsewhere, "sentAt": ledger_now(await env.get_current_time())}
            external = await control.post(
                f"/_sim/channels/{EMAIL_CHANNEL}/external-sends",
                json={**at, "sentAt": at["sentAt"].isoformat()},
            )
            external.raise_for_status()
    async with sessions() as session, session.begin():
        await save_settings(session, ANDREAS, settings, now=ledger_now())
    campaigns = [
        campaign_input(ONE_EMAIL, candidate_id=candidate, role_id=BULK_ROLE)
        for candidate in candidates
    ]
    second_engine = create_engine(database_url)
    platforms = [
        PlatformClient(simulator, SERVICE_TOKEN, transport=SimTimeTransport()) for _ in range(2)
    ]
    # Two workers, as two processes would be: each its own client, database engine and
    # platform client (one client may not hold two workers of one task queue).
    first_client = env.client
    second_client = await Client.connect(
        first_client.service_client.config.target_host,
        namespace=first_client.namespace,
        data_converter=first_client.data_converter,
    )
    workers = [
        build_worker(client, task_queue=task_queue, platform=platform, sessions=worker_sessions)
        for client, worker_sessions, platform in zip(
            [first_client, second_client],
            [sessions, create_session_factory(second_engine)],
            platforms,
            strict=True,
        )
    ]
    parent_queue = f"{task_queue}-parent"
    starter = Worker(first_client, task_queue=parent_queue, workflows=[AllDueAtOnceWorkflow])
    try:
        async with workers[0], workers[1], starter:
            results = await env.client.execute_workflow(
                AllDueAtOnceWorkflow.run,
                campaigns,
                id=f"ledger-temporal-{uuid.uuid4().hex[:8]}",
                task_queue=parent_queue,
                execution_timeout=timedelta(days=60),
            )
        async with httpx.AsyncClient(base_url=simulator) as control:
            messages = (
                await control.get("/_sim/messages", params={"channelId": EMAIL_CHANNEL})
            ).json()
            [email] = [
                c
                for c in (await control.get("/_sim/limits")).json()["channels"]
                if c["channelId"] == EMAIL_CHANNEL
            ]
        ids = [campaign.campaign_id for campaign in campaigns]
        async with sessions() as session:
            left = await session.execute(
                select(SendReservation.id).where(
                    SendReservation.campaign_id.in_(ids),
                    SendReservation.state == ReservationState.RESERVED.value,
                    SendReservation.send_at > ledger_now(await env.get_current_time()),
                )
            )
            left_reserved = len(left.all())
    finally:
        for platform in platforms:
            await platform.aclose()
        await second_engine.dispose()
        async with sessions() as session, session.begin():
            await session.execute(
                delete(SendingSettingsRow).where(SendingSettingsRow.user_id == ANDREAS)
            )
    outbound = [m for m in messages if m["direction"] == "outbound"]
    return Run(campaigns, results, outbound, email, left_reserved)


def sent_steps(run: Run) -> int:
    return sum(1 for result in run.results if result.steps[0].status is StepStatus.SENT)


# PostgreSQL, production's ledger, only: 300 real campaigns take most of a minute each run, and
# SQLite's single writer is proved with 300 concurrent reservers and across two processes in
# tests/db/test_send_ledger.py.
@pytest.mark.parametrize("database_kind", ["postgresql"], indirect=True)
async def test_300_campaigns_of_one_account_on_two_workers_stay_under_the_limit_and_send_once(
    own_temporal_env: WorkflowEnvironment,
    sessions: SessionFactory,
    database_url: str,
    simulator: str,
    task_queue: str,
) -> None:
    run = await run_due_at_once(
        own_temporal_env, sessions, database_url, simulator, task_queue,
        candidates=list(BULK_ROLE_CANDIDATES), settings=SendingSettings(schedule=BRUSSELS),
    )  # fmt: skip

    limit = SendingLimits().emails_per_day
    reachable = [c for c in BULK_ROLE_CANDIDATES if (c - 5000) % 10 != 9]
    assert sent_steps(run) == len(reachable)
    unreachable = [r for r in run.results if r.steps[0].status is StepStatus.SKIPPED]
    assert {r.candidate_id for r in unreachable} == set(BULK_ROLE_CANDIDATES) - set(reachable)
    # Every message out exactly once, and none over the platform's limit in any 24 hours.
    keys = Counter(m["idempotencyKey"] for m in run.messages)
    by_candidate = {c.candidate_id: c.campaign_id for c in run.campaigns}
    assert keys == Counter({f"{by_candidate[c]}:1": 1 for c in reachable})
    assert run.email["peak"] <= limit and run.email["refused"] == 0
    # Inside the window, in Brussels, and spaced at least the minimum gap.
    zone = ZoneInfo("Europe/Brussels")
    sent = sorted(datetime.fromisoformat(m["sentAt"]) for m in run.messages)
    for moment in sent:
        local = moment.astimezone(zone)
        assert local.weekday() < 5 and time(9) <= local.time() <= time(17, 0, 30), local
    gaps = [later - earlier for earlier, later in zip(sent, sent[1:], strict=False)]
    assert min(gaps) >= timedelta(seconds=55)
    assert (sent[-1] - sent[0]) > timedelta(days=2)  # 270 at 100 a day
    # What each campaign shows is what the platform saw for its message, late at most by the
    # time the workflow takes to hear of the send. (The platform stamps the attempt's
    # scheduled time; on a loaded machine the burst's first results wait their turn behind the
    # other 299 campaigns' workflow tasks while that clock stands still.)
    shown = {
        r.campaign_id: r.steps[0].finished_at
        for r in run.results
        if r.steps[0].status is StepStatus.SENT and r.steps[0].finished_at
    }
    posted = {
        m["idempotencyKey"].removesuffix(":1"): datetime.fromisoformat(m["sentAt"])
        for m in run.messages
    }
    assert shown.keys() == posted.keys()
    late = {c: shown[c] - posted[c] for c in shown}
    assert all(timedelta(seconds=-30) < d < timedelta(minutes=2) for d in late.values()), max(
        late.values()
    )
    assert run.left_reserved == 0


async def test_sends_the_user_made_elsewhere_are_refused_by_the_platform_and_retried_once_free(
    own_temporal_env: WorkflowEnvironment,
    sessions: SessionFactory,
    database_url: str,
    simulator: str,
    task_queue: str,
) -> None:
    # The ledger knows nothing of the 4 emails the user sent from their mail app: the platform
    # refuses our 7th to 10th of the day, and they go out once the day has rolled on.
    settings = SendingSettings(
        schedule=SendSchedule(weekdays=("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"),
                              end="24:00"),
        limits=SendingLimits(emails_per_day=10),
    )  # fmt: skip
    candidates = [c for c in BULK_ROLE_CANDIDATES if (c - 5000) % 10 != 9][:20]
    run = await run_due_at_once(
        own_temporal_env, sessions, database_url, simulator, task_queue,
        candidates=candidates, settings=settings, sent_elsewhere=4,
    )  # fmt: skip

    assert sent_steps(run) == len(candidates)
    keys = Counter(m["idempotencyKey"] for m in run.messages)
    assert keys == Counter({f"{c.campaign_id}:1": 1 for c in run.campaigns})
    assert run.email["refused"] > 0  # the platform said no, and nothing was lost
    assert run.email["peak"] <= 10  # ours and the user's own together
