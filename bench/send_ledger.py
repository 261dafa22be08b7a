"""Benchmark: the send ledger (`db/send_ledger.py::reserve`) per send, per account and in total.

On SQLite and, when `BENCH_POSTGRES_URL` or `TEST_POSTGRES_URL` is set, PostgreSQL, each in a
fresh migrated database:

- free slot: one account reserving one send at a time, each finding a free slot (the common
  case in the send activity), 300 times: p50/p95 per reservation, and this process's CPU per
  reservation;
- 300 due at once: 300 campaigns of one account reserving at the same instant, one after the
  other, with the default limits and pacing, so each plans past the ones before it;
- one account, concurrent: the same 300 from 300 tasks at once (they serialise on the lock);
- 1,000 accounts: 5 reservations each from 25 concurrent tasks, 5,000 in all; then the same
  from several processes at once (as several workers would), each with its own accounts.

Run: `make bench-ledger` (or `python -m bench.send_ledger`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.databases import database_kinds
from campaigns.definition import MessageChannel
from campaigns.send_window import SendSchedule
from campaigns.sending_limits import (
    Pacing,
    ReservationStatus,
    ReserveRequest,
    SendingLimits,
    SendingSettings,
)
from db.engine import SessionFactory, create_engine, create_session_factory
from db.send_ledger import reserve
from db.sending_settings import save_settings
from tests.conftest import fresh_database

MONDAY_MORNING = datetime(2030, 1, 7, 9, tzinfo=UTC)
ALWAYS = SendSchedule(weekdays=("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"), end="24:00")
ACCOUNTS = 1_000
PER_ACCOUNT = 5
CONCURRENCY = 25
# As many as this machine has cores is enough to see whether the ledger scales across workers;
# each process keeps at most CHILD_CONCURRENCY connections (a shared server's limit).
PROCESSES = max(2, min(4, os.cpu_count() or 2))
CHILD_CONCURRENCY = 10
BURST = 300


def request(user_id: int) -> ReserveRequest:
    return ReserveRequest(
        campaign_id=str(uuid.uuid4()), node_id=1, user_id=user_id, channel=MessageChannel.EMAIL
    )


async def configure(sessions: SessionFactory, user_id: int, settings: SendingSettings) -> None:
    async with sessions() as session, session.begin():
        await save_settings(session, user_id, settings, now=MONDAY_MORNING)


async def timed(call) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    await call
    return (time.perf_counter() - began) * 1000


def summary(name: str, timings: list[float]) -> str:
    p50 = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20)[-1]
    return f"{name:28} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({len(timings)} reservations)"


async def free_slots(sessions: SessionFactory) -> str:
    user = 1
    unlimited = SendingSettings(
        schedule=ALWAYS,
        limits=SendingLimits(emails_per_day=2_000),
        pacing=Pacing(email_min_gap_seconds=0, email_jitter_seconds=0),
    )
    await configure(sessions, user, unlimited)
    timings = []
    # This process's CPU: the booking's own (the database server's is not in it).
    cpu_began = time.process_time()
    for n in range(BURST):
        at = MONDAY_MORNING + timedelta(minutes=n)
        timings.append(await timed(reserve(sessions, request(user), now=at)))
    cpu_ms = (time.process_time() - cpu_began) * 1000 / BURST
    return f"{summary('free slot', timings)}  CPU {cpu_ms:.2f} ms a reservation"


async def due_at_once(sessions: SessionFactory) -> list[str]:
    user = 2
    await configure(sessions, user, SendingSettings(schedule=ALWAYS))
    timings, last = [], None
    for _ in range(BURST):
        began = time.perf_counter()
        last = await reserve(sessions, request(user), now=MONDAY_MORNING)
        timings.append((time.perf_counter() - began) * 1000)
    assert last is not None and last.send_at is not None
    days = (last.send_at - MONDAY_MORNING) / timedelta(days=1)
    return [
        summary(f"{BURST} due at once", timings),
        f"{'':28} the {BURST}th email of the account is booked {days:.1f} days ahead "
        f"(default: {SendingLimits().emails_per_day} a day, "
        f"{Pacing().email_min_gap_seconds}+0..{Pacing().email_jitter_seconds} s apart)",
    ]


async def one_account_concurrent(sessions: SessionFactory) -> str:
    user = 3
    await configure(sessions, user, SendingSettings(schedule=ALWAYS))
    began = time.perf_counter()
    answers = await asyncio.gather(
        *(reserve(sessions, request(user), now=MONDAY_MORNING) for _ in range(BURST))
    )
    elapsed = time.perf_counter() - began
    ready = sum(1 for a in answers if a.status is ReservationStatus.READY)
    return (
        f"{'one account, concurrent':28} {BURST / elapsed:6.0f} reservations/s "
        f"({BURST} tasks, {ready} ready now, {elapsed:.2f} s)"
    )


async def reserve_for_accounts(
    sessions: SessionFactory, first_user: int, concurrency: int = CONCURRENCY
) -> list[float]:
    """PER_ACCOUNT reservations for each of ACCOUNTS accounts, `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(user: int) -> float:
        async with gate:
            return await timed(reserve(sessions, request(user), now=MONDAY_MORNING))

    users = [first_user + n for n in range(ACCOUNTS)] * PER_ACCOUNT
    return await asyncio.gather(*(one(user) for user in users))


async def many_accounts(sessions: SessionFactory) -> str:
    began = time.perf_counter()
    timings = await reserve_for_accounts(sessions, 10_000)
    elapsed = time.perf_counter() - began
    return (
        f"{f'{ACCOUNTS:,} accounts':28} {len(timings) / elapsed:6.0f} reservations/s in total "
        f"({len(timings):,} from {CONCURRENCY} tasks, {elapsed:.1f} s; "
        f"p50 {statistics.median(timings):.1f} ms)"
    )


async def many_accounts_from_processes(database_url: str) -> str:
    began = time.perf_counter()
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.send_ledger", "child", database_url, str(first_user)
        )
        for first_user in (100_000 * (n + 1) for n in range(PROCESSES))
    ]
    codes = [await child.wait() for child in children]
    elapsed = time.perf_counter() - began
    assert codes == [0] * PROCESSES, codes
    total = ACCOUNTS * PER_ACCOUNT * PROCESSES
    return (
        f"{f'{ACCOUNTS:,} accounts x {PROCESSES} processes':28} {total / elapsed:6.0f} "
        f"reservations/s in total ({total:,}, {elapsed:.1f} s with process start-up)"
    )


async def child(database_url: str, first_user: int) -> None:
    engine = create_engine(database_url)
    try:
        await reserve_for_accounts(create_session_factory(engine), first_user, CHILD_CONCURRENCY)
    finally:
        await engine.dispose()


async def bench_database(kind: str, folder: Path) -> list[str]:
    async with fresh_database(kind, folder) as database_url:
        engine = create_engine(database_url)
        sessions = create_session_factory(engine)
        try:
            lines = [f"{kind}:", await free_slots(sessions)]
            lines += await due_at_once(sessions)
            lines.append(await one_account_concurrent(sessions))
            lines.append(await many_accounts(sessions))
        finally:
            await engine.dispose()
        lines.append(await many_accounts_from_processes(database_url))
    return lines


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    kinds = database_kinds()
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            for line in await bench_database(kind, Path(folder)):
                sys.stdout.write(line + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        asyncio.run(child(sys.argv[2], int(sys.argv[3])))
    else:
        asyncio.run(main())
