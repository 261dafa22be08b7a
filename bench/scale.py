"""Past one machine: N worker processes and M API processes on one Temporal server and one
PostgreSQL, sharing the task queue; one worker SIGKILLed mid-run; every message counted.

For each N in 1, 2, 3 (a fresh stack each, M API processes behind a client that round-robins
over them): PUT K campaigns that wait until one shared moment and then send two messages (an
email, then a LinkedIn message), so that at that moment the workers, not the PUTs, are the
bottleneck: 2K sends due at once. SIGKILL worker 0 once half the messages are out (with one
worker, start it again 3 s later: nobody else would run its campaigns), wait until every
message is out, and count per candidate and step what the simulator received: lost (expected,
never arrived) and doubled (arrived more than once). Reports the PUT rate, the send throughput
from the moment to the last message, and each worker's CPU.

    make bench-scale                      # or: python -m bench.scale [--quick] [--workers 1,2,3]

Exits 1 if any message was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import load
from bench.load import HTTP_TIMEOUT, parse_time, put_campaigns
from bench.stack import StackOptions, running_stack
from bench.suite import RESULTS, machine
from process_exit import exit_skipping_teardown
from tests.support.campaigns import sent_messages

logger = logging.getLogger("bench.scale")
MESSAGE_NODES = {2, 3}
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
    sends_per_second_before_kill: float
    seconds_from_kill_to_last_message: float
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


def burst_definition(delay_seconds: int) -> dict:
    """Wait `delay_seconds`, then an email (`load.delayed_email`) and a LinkedIn message."""
    definition = load.delayed_email(delay_seconds)
    definition["nodes"].append(
        {
            "id": 3,
            "type": "message",
            "channel": "LINKEDIN_MESSAGE",
            "message": "I'm interested in your background. Would love to connect.",
        }
    )
    return definition


async def one_run(workers: int, apis: int, campaigns: int, database: str) -> ScaleRun:
    options = StackOptions(database=database, workers=workers, apis=apis)
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        async with running_stack(Path(folder), options) as stack:
            slots = stack.pool.take(campaigns)
            candidates = {s.candidate_id for s in slots}
            expected = len(candidates) * len(MESSAGE_NODES)
            cpu_before = [w.cpu() for w in stack.workers]
            # Long enough to start them all before the moment (at 1.5× the PUTs' pace so far).
            lead = max(30, math.ceil(1.5 * campaigns / load.last_put_rate))
            moment = time.time() + lead
            burst = await put_campaigns(
                stack.api_urls,
                slots,
                lambda: burst_definition(max(1, math.ceil(moment - time.time()))),
                20,
            )
            logger.info("%d workers: %d PUTs at %.1f/s", workers, campaigns, burst.rate)
            if time.time() > moment:
                logger.warning("the PUTs outlasted the lead by %.0f s", time.time() - moment)
            killed_at = -1
            killed_time = 0.0
            cpu_of_killed = 0.0
            deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                messages = await _ours(stack.simulator.url, candidates)
                if killed_at < 0 and len(messages) >= expected // 2:
                    killed_at = len(messages)
                    killed_time = time.time()
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
            sent = sorted(parse_time(m["sentAt"]).timestamp() for m in messages)
            span = sent[-1] - moment if sent else 0.0
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
                sends_per_second_before_kill=(
                    round(killed_at / (killed_time - moment), 2) if killed_time > moment else 0.0
                ),
                seconds_from_kill_to_last_message=round(sent[-1] - killed_time, 1) if sent else 0.0,
                messages_per_second=round(len(messages) / span, 2) if span > 0 else 0.0,
                seconds_to_last_message=round(span, 1),
                worker_cpu_seconds=[round(c, 1) for c in cpu],
            )


async def _ours(simulator: str, candidates: set[int]) -> list[dict]:
    messages = await sent_messages(simulator, timeout=HTTP_TIMEOUT)
    return [m for m in messages if m["candidateId"] in candidates]


def _distinct(messages: list[dict]) -> set[tuple[int, str]]:
    return {(m["candidateId"], m["idempotencyKey"]) for m in messages}


def markdown(runs: list[ScaleRun]) -> str:
    lines = [
        "| workers | API processes | campaigns | PUT/s | messages expected | received | lost "
        "| doubled | sends/s until the kill | kill → last message | sends/s overall "
        "| worker CPU-s (each) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.workers} | {r.apis} | {r.campaigns} | {r.puts_per_second} "
            f"| {r.messages_expected} | {r.messages_received} | {r.lost} | {r.doubled} "
            f"| {r.sends_per_second_before_kill} (killed at message {r.killed_worker_at_message}) "
            f"| {r.seconds_from_kill_to_last_message} s | {r.messages_per_second} "
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
    campaigns = args.campaigns or (60 if args.quick else 300)
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
    exit_skipping_teardown(1 if any(r.lost or r.doubled for r in runs) else 0)


if __name__ == "__main__":
    main()
