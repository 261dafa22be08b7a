"""What the benchmarks do to the stack: PUT campaigns over HTTP, start bare workflows, wait for
sends and for a worker to go idle. Shared by `bench.suite` and `bench.scale`."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle

from bench.stack import ChildProcess, Slot
from db.models import Campaign
from tests.support.campaigns import sent_messages

HTTP_TIMEOUT = 120.0
PUT_ATTEMPTS = 3
# PUTs per second of the last burst of this run: the send-lag part sizes its lead time by it.
last_put_rate = 8.0
logger = logging.getLogger(__name__)
DAY = 86_400


@dataclass
class Burst:
    """Latencies (seconds) of one burst of requests and its wall time."""

    latencies: list[float]
    seconds: float
    failures: int = 0
    retries: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else float("nan")


async def run_concurrently(
    count: int, concurrency: int, call: Callable[[int], Awaitable[Any]]
) -> Burst:
    """`call(i)` for i in range(count), `concurrency` at a time; times each call."""
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)

    async def lane() -> None:
        nonlocal failures
        while not queue.empty():
            index = queue.get_nowait()
            began = time.perf_counter()
            try:
                await call(index)
            except Exception:  # noqa: BLE001 - counted; a benchmark reports, it does not stop
                failures += 1
                continue
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return Burst(latencies, time.perf_counter() - began, failures)


async def put_campaigns(
    api_urls: Sequence[str],
    slots: Sequence[Slot],
    definition: dict | Callable[[], dict],
    concurrency: int,
) -> Burst:
    """PUT one campaign per slot, round-robin over the API processes; `definition` may be a
    function that makes each one just before its PUT."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = [
        httpx.AsyncClient(base_url=url, timeout=HTTP_TIMEOUT, limits=limits) for url in api_urls
    ]
    errors: list[str] = []
    retried: list[str] = []

    async def put(index: int) -> None:
        slot = slots[index]
        http = clients[index % len(clients)]
        body = definition() if callable(definition) else definition
        for attempt in range(1, PUT_ATTEMPTS + 1):
            try:
                response = await http.put(slot.path, json=body, headers=slot.headers)
            except httpx.TransportError as error:
                # The connection to the API broke before an answer: a client tries again (the
                # PUT is idempotent). Counted as a failure only when every try broke, so that a
                # part waiting for this campaign's messages never waits for one never started.
                retried.append(f"{type(error).__name__}: {error}"[:200])
                if attempt == PUT_ATTEMPTS:
                    errors.append(retried[-1])
                    raise
                continue
            if response.status_code != 503:
                break
            # The simulator, overloaded, dropped a connection: the API says 503 and a client
            # tries again (the PUT is idempotent); the latency counts every try.
            retried.append(response.text[:200])
        if response.status_code >= 300:
            errors.append(f"{response.status_code} {response.text[:200]}")
            response.raise_for_status()

    try:
        burst = await run_concurrently(len(slots), concurrency, put)
    finally:
        for http in clients:
            await http.aclose()
    if retried:
        logger.warning(
            "%d PUTs answered 503 or lost their connection and were tried again; first: %s",
            len(retried),
            retried[0],
        )
    if errors:
        raise RuntimeError(f"{len(errors)} PUTs failed, first: {errors[0]}")
    burst.retries = len(retried)
    global last_put_rate
    last_put_rate = burst.rate
    return burst


async def start_bare(
    client: Client, run: Any, args: Sequence[Any], task_queue: str, count: int, concurrency: int
) -> tuple[Burst, list[WorkflowHandle]]:
    handles: list[WorkflowHandle] = []

    async def start(_: int) -> None:
        handles.append(
            await client.start_workflow(
                run, args=list(args), id=f"bare-{uuid.uuid4()}", task_queue=task_queue
            )
        )

    burst = await run_concurrently(count, concurrency, start)
    return burst, handles


async def wait_idle(
    process: ChildProcess, *, quiet_seconds: float = 2.0, busy_share: float = 0.03, cap: float = 300
) -> float:
    """Wait until `process` used under `busy_share` of a core over `quiet_seconds`; returns
    the seconds waited (the drain time), or `cap` if it never went quiet."""
    began = time.monotonic()
    samples: list[tuple[float, float]] = [(began, process.cpu())]
    while time.monotonic() - began < cap:
        await asyncio.sleep(0.25)
        now = time.monotonic()
        samples.append((now, process.cpu()))
        window = [s for s in samples if s[0] >= now - quiet_seconds]
        if now - began >= quiet_seconds and len(window) >= 2:
            used = window[-1][1] - window[0][1]
            if used <= busy_share * (window[-1][0] - window[0][0]):
                return now - began - quiet_seconds
    return cap


async def idle_cpu_rate(process: ChildProcess, seconds: float = 3.0) -> float:
    """CPU seconds per second the process uses doing nothing in particular."""
    before, began = process.cpu(), time.monotonic()
    await asyncio.sleep(seconds)
    return (process.cpu() - before) / (time.monotonic() - began)


async def wait_for_messages(
    simulator_url: str,
    candidates: set[int],
    per_candidate: int,
    *,
    since: datetime,
    timeout: float = 600,
) -> list[dict[str, Any]]:
    """Until each candidate has received `per_candidate` messages sent since `since` (a moment
    before the campaigns started); returns theirs. Polled every half second: asking for the
    simulator's whole log instead cost ~35 ms of CPU a poll once it held 1,700 messages, on the
    cores the measured sends share."""
    deadline = time.monotonic() + timeout
    while True:
        messages = [
            m
            for m in await sent_messages(simulator_url, since=since, timeout=HTTP_TIMEOUT)
            if m["candidateId"] in candidates
        ]
        if len(messages) >= per_candidate * len(candidates) or time.monotonic() > deadline:
            return messages
        await asyncio.sleep(0.5)


async def due_times(engine: Any, candidates: set[int], timeout: float = 600) -> dict[int, datetime]:
    """Each campaign's `next_action_at` once all have recorded one (their delay's due time)."""
    deadline = time.monotonic() + timeout
    while True:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(Campaign.candidate_id, Campaign.next_action_at).where(
                        Campaign.candidate_id.in_(candidates),
                        Campaign.next_action_at.is_not(None),
                    )
                )
            ).all()
        # SQLite hands back naive datetimes; the read model stores UTC.
        found = {c: at if at.tzinfo else at.replace(tzinfo=UTC) for c, at in rows}
        if len(found) >= len(candidates) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def delayed_email(delay_seconds: int) -> dict[str, Any]:
    """A campaign that waits `delay_seconds`, then sends one email."""
    return {
        "nodes": [
            {"id": 1, "type": "delay-step", "delaySeconds": delay_seconds},
            {
                "id": 2,
                "type": "message",
                "channel": "GMAIL",
                "subject_line": "Open to new opportunities?",
                "message": "Would you be open to discussing this role?",
            },
        ]
    }
