"""The benchmarks' PUT burst: a PUT whose connection broke is tried again, never dropped silently
(a part would then wait for the messages of a campaign that was never started). And their wait
for a burst's messages, which asks the simulator only for those sent since the burst began."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from bench.load import PUT_ATTEMPTS, put_campaigns, wait_for_messages
from bench.stack import BenchUser, Slot
from tests.simulator.helpers import EMAIL, MILAN, SARA
from tests.support.recording_server import Answer, Received, answer_with

USER = BenchUser(
    user_id=1000,
    token="tok-bench-0",
    role_id=1000,
    email_channel=100_000,
    linkedin_channel=100_001,
    first_candidate=1_000_000,
)
PUT_LINE = "PUT /role/1000/candidate/1000000/campaign HTTP/1.1"


def dropping_the_first(drops: int) -> Answer:
    """Closes the connection unanswered for the first `drops` requests, then answers 201."""
    seen = 0
    created = answer_with("201 Created", b"{}")

    async def answer(got: Received, writer: asyncio.StreamWriter) -> None:
        nonlocal seen
        seen += 1
        if seen <= drops:
            writer.close()
            return
        await created(got, writer)

    return answer


async def test_a_put_whose_connection_broke_is_tried_again(serve) -> None:
    api = await serve(dropping_the_first(1))

    burst = await put_campaigns([api.url], [Slot(USER, 1_000_000)], {"nodes": []}, 1)

    assert burst.failures == 0 and burst.retries == 1
    assert [got.request_line for got in api.received] == [PUT_LINE] * 2


async def test_a_put_that_never_got_through_fails_the_burst(serve) -> None:
    api = await serve(dropping_the_first(PUT_ATTEMPTS))

    with pytest.raises(RuntimeError, match="1 PUTs failed"):
        await put_campaigns([api.url], [Slot(USER, 1_000_000)], {"nodes": []}, 1)
    assert [got.request_line for got in api.received] == [PUT_LINE] * PUT_ATTEMPTS


async def test_the_wait_for_a_burst_s_messages_sees_only_those_sent_since_it_began(
    simulator: str,
) -> None:
    async def send(client: httpx.AsyncClient, candidate_id: int, body: str) -> None:
        response = await client.post(
            f"/channel/{EMAIL}/chat/{candidate_id}/message", json={"body": body}
        )
        response.raise_for_status()

    async with httpx.AsyncClient(
        base_url=simulator, headers={"Authorization": "Bearer tok-andreas"}
    ) as andreas:
        await send(andreas, MILAN, "before the burst")
        since = datetime.now(UTC)
        await send(andreas, MILAN, "the burst's")
        await send(andreas, SARA, "another candidate's")
        (
            await andreas.post(f"/_sim/candidates/{MILAN}/reply", json={"channelId": EMAIL})
        ).raise_for_status()

    messages = await wait_for_messages(simulator, {MILAN}, 1, since=since, timeout=10)
    assert [(m["candidateId"], m["body"]) for m in messages] == [(MILAN, "the burst's")]
