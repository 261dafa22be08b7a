"""A post made inside an activity carries the campaign's clock to the simulator."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.testing import ActivityEnvironment

from db.send_ledger import ledger_now
from recruiting_platform import OnBehalfOf, PlatformClient, PostMessageBody
from tests.conftest import SERVICE_TOKEN
from tests.support.sim_time import SimTimeTransport

EMAIL_CHANNEL, MILAN = 100, 1001
SKIPPED_AHEAD = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture
async def platform_with_sim_time(simulator: str) -> AsyncIterator[PlatformClient]:
    async with httpx.AsyncClient(base_url=simulator) as control:
        await control.put("/_sim/clock", json={"acceptTimeHeader": True})
    client = PlatformClient(simulator, SERVICE_TOKEN, transport=SimTimeTransport())
    yield client
    await client.aclose()


async def _post(platform: PlatformClient, key: str) -> int:
    posted = await platform.post_message(
        OnBehalfOf(1),
        channel_id=EMAIL_CHANNEL,
        candidate_id=MILAN,
        body=PostMessageBody(body="Hello", subject="Hi"),
        idempotency_key=key,
    )
    return posted.messageId


async def _sent_at(simulator: str, message_id: int) -> datetime:
    async with httpx.AsyncClient(base_url=simulator) as control:
        messages = (await control.get("/_sim/messages", params={"channelId": EMAIL_CHANNEL})).json()
    [message] = [m for m in messages if m["id"] == message_id]
    return datetime.fromisoformat(message["sentAt"])


async def test_a_post_inside_an_activity_is_stamped_with_the_attempts_scheduled_time(
    platform_with_sim_time: PlatformClient, simulator: str
) -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, current_attempt_scheduled_time=SKIPPED_AHEAD)
    message_id = await env.run(_post, platform_with_sim_time, "sim-time-1")
    sent_at = await _sent_at(simulator, message_id)
    assert SKIPPED_AHEAD <= sent_at < SKIPPED_AHEAD + timedelta(seconds=5)


async def test_outside_an_activity_the_simulator_keeps_its_own_clock(
    platform_with_sim_time: PlatformClient, simulator: str
) -> None:
    message_id = await _post(platform_with_sim_time, "sim-time-2")
    assert abs(await _sent_at(simulator, message_id) - datetime.now(UTC)) < timedelta(minutes=1)


def test_the_ledgers_clock_is_the_later_of_the_wall_and_the_scheduled_time() -> None:
    assert ledger_now(SKIPPED_AHEAD) == SKIPPED_AHEAD
    past = datetime(2020, 1, 1, tzinfo=UTC)
    assert abs(ledger_now(past) - datetime.now(UTC)) < timedelta(seconds=5)
    assert abs(ledger_now() - datetime.now(UTC)) < timedelta(seconds=5)
