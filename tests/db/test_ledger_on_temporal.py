"""The send ledger under Temporal, as the send activity will use it (docs/sending-limits.md):
300 campaigns of one account due at once, on two workers, on the time-skipping server. A
minimal workflow stands in for the campaign: reserve, sleep durably while the ledger says
WAIT, post when READY, free the slot when nothing could be sent.

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
from sqlalchemy import delete
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from campaigns.definition import MessageChannel
from campaigns.send_window import SendSchedule
from campaigns.sending_limits import (
    ReservationStatus,
    ReserveRequest,
    SendingLimits,
    SendingSettings,
)
from db.engine import SessionFactory, create_engine, create_session_factory
from db.ledger_models import SendingSettingsRow, SendReservation
from db.send_ledger import ledger_now, release, reserve
from db.sending_settings import save_settings
from recruiting_platform import (
    CandidateUnreachable,
    OnBehalfOf,
    PlatformClient,
    PostMessageBody,
    RateLimited,
)
from tests.conftest import SERVICE_TOKEN
from tests.support.sim_time import SimTimeTransport

ANDREAS, EMAIL_CHANNEL = 1, 100
BULK_ROLE_CANDIDATES = range(5000, 5300)  # every 10th has no email address
BRUSSELS = SendSchedule(time_zone="Europe/Brussels")  # Mon–Fri 09:00–17:00


@dataclass
class PacedSend:
    campaign_id: str
    candidate_id: int


@dataclass
class Attempt:
    wait_seconds: float = 0.0
    sent: bool = False


class LedgerSendActivities:
    def __init__(self, sessions: SessionFactory, platform: PlatformClient) -> None:
        self._sessions = sessions
        self._platform = platform

    @activity.defn(name="reserve_and_post")
    async def reserve_and_post(self, send: PacedSend) -> Attempt:
        info = activity.info()
        now = ledger_now(info.current_attempt_scheduled_time)
        request = ReserveRequest(
            campaign_id=send.campaign_id,
            node_id=1,
            user_id=ANDREAS,
            channel=MessageChannel.EMAIL,
            earlier_attempt_may_have_sent=info.attempt > 1,
        )
        answer = await reserve(self._sessions, request, now=now)
        if answer.status is ReservationStatus.WAIT:
            return Attempt(wait_seconds=answer.wait.total_seconds())
        assert answer.status is ReservationStatus.READY, answer
        await asyncio.sleep(answer.wait.total_seconds())
        try:
            await self._platform.post_message(
                OnBehalfOf(ANDREAS),
                channel_id=EMAIL_CHANNEL,
                candidate_id=send.candidate_id,
                body=PostMessageBody(body="Hello", subject="A role for you"),
                idempotency_key=request.key,
            )
        except CandidateUnreachable:
            await release(self._sessions, send.campaign_id, node_id=1, now=now, sent_nothing=True)
            return Attempt()
        except RateLimited as error:
            raise ApplicationError(
                "platform rate limit",
                type="RateLimited",
                next_retry_delay=timedelta(seconds=error.retry_after_seconds or 1),
            ) from error
        return Attempt(sent=True)


@workflow.defn(sandboxed=False)
class AllDueAtOnceWorkflow:
    """Starts every campaign at the same instant and waits for all: the test then waits on one
    result, which is how the time-skipping server wants to be waited on."""

    @workflow.run
    async def run(self, sends: list[PacedSend]) -> list[Attempt]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_child_workflow(
                        PacedSendWorkflow.run, send, id=f"{workflow.info().workflow_id}-{n}"
                    )
                    for n, send in enumerate(sends)
                )
            )
        )


@workflow.defn(sandboxed=False)
class PacedSendWorkflow:
    @workflow.run
    async def run(self, send: PacedSend) -> Attempt:
        while True:
            attempt = await workflow.execute_activity_method(
                LedgerSendActivities.reserve_and_post,
                send,
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1)),
            )
            if attempt.wait_seconds == 0:
                return attempt
            await workflow.sleep(timedelta(seconds=attempt.wait_seconds))


@dataclass
class Run:
    prefix: str
    results: list[Attempt]
    messages: list[dict]
    email: dict  # the simulator's view of the email channel against its limit


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
    are done; the simulator enforces the same daily limit as the ledger."""
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
    prefix = f"ledger-temporal-{uuid.uuid4().hex[:8]}-"
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
        Worker(
            client,
            task_queue=task_queue,
            workflows=[AllDueAtOnceWorkflow, PacedSendWorkflow],
            activities=[LedgerSendActivities(worker_sessions, platform).reserve_and_post],
        )
        for client, worker_sessions, platform in zip(
            [first_client, second_client],
            [sessions, create_session_factory(second_engine)],
            platforms,
            strict=True,
        )
    ]
    try:
        async with workers[0], workers[1]:
            sends = [
                PacedSend(campaign_id=f"{prefix}{candidate}", candidate_id=candidate)
                for candidate in candidates
            ]
            results = await env.client.execute_workflow(
                AllDueAtOnceWorkflow.run,
                sends,
                id=f"{prefix}all",
                task_queue=task_queue,
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
    finally:
        for platform in platforms:
            await platform.aclose()
        await second_engine.dispose()
        async with sessions() as session, session.begin():
            await session.execute(
                delete(SendReservation).where(SendReservation.campaign_id.like(f"{prefix}%"))
            )
            await session.execute(
                delete(SendingSettingsRow).where(SendingSettingsRow.user_id == ANDREAS)
            )
    return Run(prefix, results, messages, email)


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
    assert sum(result.sent for result in run.results) == len(reachable)
    # Every message out exactly once, and none over the platform's limit in any 24 hours.
    keys = Counter(m["idempotencyKey"] for m in run.messages)
    assert keys == Counter({f"{run.prefix}{c}:1": 1 for c in reachable})
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

    assert all(result.sent for result in run.results)
    keys = Counter(m["idempotencyKey"] for m in run.messages)
    assert keys == Counter({f"{run.prefix}{c}:1": 1 for c in candidates})
    assert run.email["refused"] > 0  # the platform said no, and nothing was lost
    assert run.email["peak"] <= 10  # ours and the user's own together
