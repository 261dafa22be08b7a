"""Past one machine: N worker processes and M API processes on one Temporal server and one
PostgreSQL, sharing the task queue; one worker SIGKILLed mid-run; every message counted.

For each N in 1, 2, 3 (a fresh stack each, M API processes behind a round-robin client): PUT K
campaigns of the brief's example (a campaign day lasts 10 s, so its four messages go out within
about 70 s), SIGKILL worker 0 once half the messages are out (with one worker, start it again
3 s later: nobody else would run its campaigns), wait until every message is out, and count
per candidate and step what the simulator received: lost (expected, never arrived) and doubled
(arrived more than once). Reports the PUT rate, the message throughput and the workers' CPU.

    make bench-scale                      # or: python -m bench.scale [--quick] [--workers 1,2,3]

Exits 1 if any message was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.load import outbound_messages, parse_time, put_campaigns
from bench.stack import StackOptions, running_stack
from bench.suite import RESULTS, machine
from tests.support.campaigns import BRIEF_EXAMPLE

logger = logging.getLogger("bench.scale")
TIME_SCALE = 8_640  # a campaign day lasts 10 s
MESSAGE_NODES = {n["id"] for n in BRIEF_EXAMPLE["nodes"] if n["type"] == "message"}
SETTLE_TIMEOUT_SECONDS = 600
RESTART_AFTER_SECONDS = 3


@dataclass
class ScaleRun:
    workers: int
    apis: int
    campaigns: int
    put_seconds: float
    puts_per_second: float
    messages_expected: int
    messages_received: int
    lost: int
    doubled: int
    killed_worker_at_message: int
    messages_per_second: float
    seconds_to_last_message: float
    worker_cpu_seconds: list[float]


def count_delivery(
    messages: list[dict], candidates: set[int], nodes: set[int]
) -> tuple[int, int, int]:
    """(expected, lost, doubled) for `nodes` of every candidate, from the platform's messages
    (a message's step is the last part of its idempotency key)."""
    arrivals: Counter[tuple[int, int]] = Counter()
    for message in messages:
        if message["candidateId"] in candidates:
            node = int(message["idempotencyKey"].rsplit(":", 1)[1])
            arrivals[(message["candidateId"], node)] += 1
    expected = {(c, n) for c in candidates for n in nodes}
    lost = sum(1 for key in expected if arrivals[key] == 0)
    doubled = sum(count - 1 for count in arrivals.values() if count > 1)
    return len(expected), lost, doubled


async def one_run(workers: int, apis: int, campaigns: int, database: str) -> ScaleRun:
    options = StackOptions(database=database, workers=workers, apis=apis, time_scale=TIME_SCALE)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        async with running_stack(Path(folder), options) as stack:
            slots = stack.pool.take(campaigns)
            candidates = {s.candidate_id for s in slots}
            expected = len(candidates) * len(MESSAGE_NODES)
            cpu_before = [w.cpu() for w in stack.workers]
            began = datetime.now(UTC)
            burst = await put_campaigns(stack.api_urls, slots, BRIEF_EXAMPLE, 20)
            logger.info("%d workers: %d PUTs at %.1f/s", workers, campaigns, burst.rate)
            killed_at = -1
            cpu_of_killed = 0.0
            deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                messages = await _ours(stack.simulator.url, candidates)
                if killed_at < 0 and len(messages) >= expected // 2:
                    killed_at = len(messages)
                    cpu_of_killed = stack.workers[0].cpu() - cpu_before[0]
                    stack.workers[0].kill()
                    logger.info("%d workers: worker 0 SIGKILLed at %d messages", workers, killed_at)
                    if workers == 1:
                        await asyncio.sleep(RESTART_AFTER_SECONDS)
                        await stack.start_worker(stack.workers[0])
                        cpu_before[0] = -cpu_of_killed  # the new process starts from zero
                if len(_distinct(messages)) >= expected:
                    break
                await asyncio.sleep(0.5)
            # Anything doubled arrives late (a retried send): give it time to show.
            await asyncio.sleep(5)
            messages = await _ours(stack.simulator.url, candidates)
            total, lost, doubled = count_delivery(messages, candidates, MESSAGE_NODES)
            last = max((parse_time(m["sentAt"]) for m in messages), default=began)
            span = (last - began).total_seconds()
            cpu = []
            for index, worker in enumerate(stack.workers):
                if worker.alive():
                    cpu.append(worker.cpu() - cpu_before[index])
                else:
                    cpu.append(cpu_of_killed if index == 0 else 0.0)
            return ScaleRun(
                workers=workers,
                apis=apis,
                campaigns=campaigns,
                put_seconds=round(burst.seconds, 2),
                puts_per_second=round(burst.rate, 2),
                messages_expected=total,
                messages_received=len(messages),
                lost=lost,
                doubled=doubled,
                killed_worker_at_message=killed_at,
                messages_per_second=round(len(messages) / span, 2) if span else 0.0,
                seconds_to_last_message=round(span, 1),
                worker_cpu_seconds=[round(c, 1) for c in cpu],
            )


async def _ours(simulator: str, candidates: set[int]) -> list[dict]:
    return [m for m in await outbound_messages(simulator) if m["candidateId"] in candidates]


def _distinct(messages: list[dict]) -> set[tuple[int, str]]:
    return {(m["candidateId"], m["idempotencyKey"]) for m in messages}


def markdown(runs: list[ScaleRun]) -> str:
    lines = [
        "| workers | API processes | campaigns | PUT/s | messages expected | received | lost "
        "| doubled | killed worker 0 at | messages/s | worker CPU-s (each) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.workers} | {r.apis} | {r.campaigns} | {r.puts_per_second} "
            f"| {r.messages_expected} | {r.messages_received} | {r.lost} | {r.doubled} "
            f"| message {r.killed_worker_at_message} | {r.messages_per_second} "
            f"| {', '.join(str(c) for c in r.worker_cpu_seconds)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--apis", type=int, default=2)
    parser.add_argument("--campaigns", type=int, default=None)
    parser.add_argument("--output", type=Path, default=RESULTS / "scale-latest.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    database = "postgresql" if os.environ.get("TEST_POSTGRES_URL") else "sqlite"
    if database == "sqlite":
        logger.warning("TEST_POSTGRES_URL is not set: running on SQLite, not PostgreSQL")
    campaigns = args.campaigns or (30 if args.quick else 150)
    info = machine()
    started = datetime.now(UTC)
    runs = [
        asyncio.run(one_run(int(n), args.apis, campaigns, database))
        for n in args.workers.split(",")
    ]
    result = {
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.scale", *sys.argv[1:]]),
        "database": database,
        "machine": info,
        "runs": [asdict(r) for r in runs],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    sys.stdout.write(
        f"{result['date']} · {info['nproc']} × {info['cpu_model']} · {database}\n\n"
        f"{markdown(runs)}\n\nJSON: {args.output}\n"
    )
    sys.exit(1 if any(r.lost or r.doubled for r in runs) else 0)


if __name__ == "__main__":
    main()
