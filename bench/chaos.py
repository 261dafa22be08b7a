"""Chaos run: many campaigns through faults, with the worker SIGKILLed over and over.

Starts the real stack (Temporal dev server, the simulator, the API in-process, `python
worker.py` as a separate process), PUTs one campaign per candidate of the simulator's bulk role,
turns on the simulator's faults (random 503s, 429 with Retry-After, "accept then time out",
latency), kills the worker every few seconds and starts it again, makes a quarter of the
candidates reply mid-campaign, and then checks the standards of the service:

- no message lost: every message step a candidate can receive arrives exactly once;
- none sent twice: no two outbound messages of a campaign carry the same node or text;
- never a follow-up after a reply: at most the one send already in flight lands afterwards.

Run: `make chaos` (about 4 minutes; not part of `make test`). Prints the fault table in markdown
(docs/reliability.md publishes it); exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import AppServices
from config import Settings
from db.engine import create_engine, create_session_factory
from devstack.commands import venv_binary
from process_exit import exit_skipping_teardown
from recruiting_platform import PlatformClient
from tests.conftest import (
    DATA_CONVERTER,
    PAYLOAD_KEYS,
    SERVICE_TOKEN,
    WEBHOOK_SECRET,
    fresh_database,
)
from tests.support.api_server import serve
from tests.support.campaigns import BRIEF_EXAMPLE, sent_messages
from tests.support.simulator_process import start_simulator
from tests.support.worker_process import WorkerProcess
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

BULK_ROLE = 12
FIRST_CANDIDATE = 5000
CAMPAIGNS = int(os.environ.get("CHAOS_CAMPAIGNS", "40"))
# A campaign day lasts 10 s: delays of 20 s and 50 s, and 300 s to the 30-day end, longer than
# a send attempt's 60-second timeout after a kill, so a killed send is retried in time.
TIME_SCALE = 8_640
KILL_EVERY_SECONDS = 12
KILLING_FOR_SECONDS = 100
REPLY_EVERY = 4  # every 4th candidate replies after its first two messages
FAULTS = {
    "errorRate": 0.15,
    "latencyMs": 40,
    "acceptThenTimeoutCount": 6,
    "hangSeconds": 12,
    "rateLimitCount": 6,
    "retryAfterSeconds": 2,
}
MESSAGE_NODES = [n for n in BRIEF_EXAMPLE["nodes"] if n["type"] == "message"]
DEADLINE_SECONDS = 240

logger = logging.getLogger("chaos")


@dataclass
class Outcome:
    kills: int = 0
    replies: dict[int, datetime] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)


async def put_campaigns(http: httpx.AsyncClient) -> dict[int, str]:
    ids: dict[int, str] = {}
    for candidate in range(FIRST_CANDIDATE, FIRST_CANDIDATE + CAMPAIGNS):
        response = await http.put(
            f"/role/{BULK_ROLE}/candidate/{candidate}/campaign", json=BRIEF_EXAMPLE
        )
        response.raise_for_status()
        ids[candidate] = response.json()["campaignId"]
    return ids


async def keep_killing(worker: WorkerProcess, outcome: Outcome) -> None:
    began = time.monotonic()
    while time.monotonic() - began < KILLING_FOR_SECONDS:
        await asyncio.sleep(KILL_EVERY_SECONDS)
        worker.kill()
        outcome.kills += 1
        await asyncio.sleep(2)
        worker.start()


async def reply_when_two_sent(simulator: httpx.AsyncClient, outcome: Outcome) -> None:
    waiting = set(range(FIRST_CANDIDATE, FIRST_CANDIDATE + CAMPAIGNS, REPLY_EVERY))
    while waiting:
        sent = await outbound(simulator)
        for candidate in sorted(waiting):
            if len(sent[candidate]) >= 2:
                channel = sent[candidate][0]["channelId"]
                reply = await simulator.post(
                    f"/_sim/candidates/{candidate}/reply", json={"channelId": channel}
                )
                reply.raise_for_status()
                outcome.replies[candidate] = _time(reply.json()["message"]["sentAt"])
                waiting.discard(candidate)
        await asyncio.sleep(0.5)


async def outbound(simulator: httpx.AsyncClient) -> dict[int, list[dict[str, Any]]]:
    """The messages sent so far, by candidate."""
    by_candidate: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for message in await sent_messages(str(simulator.base_url), timeout=60):
        by_candidate[message["candidateId"]].append(message)
    return by_candidate


async def reachable_nodes(http: httpx.AsyncClient, candidate: int) -> set[int]:
    """The message nodes this candidate can receive (not SKIPPED for a missing address)."""
    view = (await http.get(f"/role/{BULK_ROLE}/candidate/{candidate}/campaign")).json()
    return {
        step["nodeId"]
        for step in view["steps"]
        if step["type"] == "message" and step["status"] != "SKIPPED"
    }


async def wait_until_settled(
    http: httpx.AsyncClient, simulator: httpx.AsyncClient, outcome: Outcome
) -> None:
    """Until every campaign that did not reply has all its reachable messages and every one
    that did says REPLIED (a worker just killed takes a moment to act on the reply), or time
    runs out."""
    began = time.monotonic()
    while time.monotonic() - began < DEADLINE_SECONDS:
        sent = await outbound(simulator)
        pending = 0
        for candidate in range(FIRST_CANDIDATE, FIRST_CANDIDATE + CAMPAIGNS):
            view = (await http.get(f"/role/{BULK_ROLE}/candidate/{candidate}/campaign")).json()
            if candidate in outcome.replies:
                pending += view["status"] != "REPLIED"
                continue
            done = all(
                s["status"] in {"SENT", "SKIPPED"} for s in view["steps"] if s["type"] == "message"
            )
            if not done or len(sent[candidate]) < len(await reachable_nodes(http, candidate)):
                pending += 1
        if not pending:
            return
        logger.info("%d campaigns still sending…", pending)
        await asyncio.sleep(5)


async def verify(http: httpx.AsyncClient, simulator: httpx.AsyncClient, outcome: Outcome) -> dict:
    """Counts what reached the platform against what should have, and records violations.

    Expected: every reachable message step of a campaign without a reply, and the steps a
    replying campaign sent up to its reply. Delivered: those that arrived (once or more);
    duplicated: arrivals beyond the first of a step; lost: expected and never arrived; after a
    reply: sends the platform stamped after the candidate's reply (the one send already in
    flight is allowed)."""
    sent = await outbound(simulator)
    totals = Counter()
    for candidate in range(FIRST_CANDIDATE, FIRST_CANDIDATE + CAMPAIGNS):
        messages = sent[candidate]
        nodes = [int(m["idempotencyKey"].rsplit(":", 1)[1]) for m in messages]
        texts = [(m["subject"], m["body"]) for m in messages]
        totals["sent"] += len(messages)
        totals["duplicated"] += len(nodes) - len(set(nodes))
        if len(set(nodes)) != len(nodes) or len(set(texts)) != len(texts):
            outcome.violations.append(f"candidate {candidate}: a message was sent twice {nodes}")
        view = (await http.get(f"/role/{BULK_ROLE}/candidate/{candidate}/campaign")).json()
        if candidate in outcome.replies:
            replied_at = outcome.replies[candidate]
            after = [m for m in messages if _time(m["sentAt"]) > replied_at]
            before = {int(m["idempotencyKey"].rsplit(":", 1)[1]) for m in messages} - {
                int(m["idempotencyKey"].rsplit(":", 1)[1]) for m in after
            }
            totals["replied"] += 1
            totals["expected"] += len(before)
            totals["delivered"] += len(before)
            totals["after_reply"] += len(after)
            totals["after_reply_beyond_in_flight"] += max(0, len(after) - 1)
            if len(after) > 1:
                outcome.violations.append(
                    f"candidate {candidate}: {len(after)} messages after the reply"
                )
            if view["status"] != "REPLIED":
                outcome.violations.append(f"candidate {candidate}: status {view['status']}")
            continue
        expected = await reachable_nodes(http, candidate)
        totals["expected"] += len(expected)
        totals["delivered"] += len(expected & set(nodes))
        totals["lost"] += len(expected - set(nodes))
        if set(nodes) != expected:
            outcome.violations.append(
                f"candidate {candidate}: sent nodes {sorted(nodes)}, expected {sorted(expected)}"
            )
    return dict(totals)


async def run(folder: Path) -> Outcome:
    outcome = Outcome()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=SEARCH_ATTRIBUTES,
        ui=False,
        dev_server_log_level="error",
    )
    task_queue = "chaos"
    try:
        with start_simulator(service_token=SERVICE_TOKEN, webhook_secret=WEBHOOK_SECRET) as sim:
            async with fresh_database("sqlite", folder) as database_url:
                settings = Settings(
                    environment="test",
                    database_url=database_url,
                    platform_base_url=sim.url,
                    platform_service_token=SERVICE_TOKEN,
                    webhook_secret=WEBHOOK_SECRET,
                    temporal_task_queue=task_queue,
                    campaign_time_scale=TIME_SCALE,
                )
                worker = WorkerProcess(
                    {
                        **os.environ,
                        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
                        "TEMPORAL_TASK_QUEUE": task_queue,
                        "DATABASE_URL": database_url,
                        "PLATFORM_BASE_URL": sim.url,
                        "PLATFORM_SERVICE_TOKEN": SERVICE_TOKEN,
                        "PAYLOAD_KEYS": PAYLOAD_KEYS,
                    },
                    folder / "worker.log",
                )
                engine = create_engine(database_url)
                services = AppServices(
                    settings=settings,
                    temporal=env.client,
                    engine=engine,
                    sessions=create_session_factory(engine),
                    platform=PlatformClient(sim.url, SERVICE_TOKEN),
                )
                worker.start()
                try:
                    async with (
                        serve(create_app(settings, services)) as url,
                        httpx.AsyncClient(
                            base_url=url,
                            headers={"Authorization": "Bearer tok-andreas"},
                            timeout=60,
                        ) as http,
                        httpx.AsyncClient(base_url=sim.url, timeout=60) as simulator,
                    ):
                        await simulator.put("/_sim/config", json={"webhookUrl": url})
                        (await simulator.put("/_sim/faults", json=FAULTS)).raise_for_status()
                        began = time.monotonic()
                        await put_campaigns(http)
                        logger.info("%d campaigns started", CAMPAIGNS)
                        await asyncio.gather(
                            keep_killing(worker, outcome), reply_when_two_sent(simulator, outcome)
                        )
                        await wait_until_settled(http, simulator, outcome)
                        totals = await verify(http, simulator, outcome)
                        for candidate in range(FIRST_CANDIDATE, FIRST_CANDIDATE + CAMPAIGNS):
                            await http.delete(f"/role/{BULK_ROLE}/candidate/{candidate}/campaign")
                        report(totals, outcome, time.monotonic() - began)
                finally:
                    worker.stop()
                    await services.platform.aclose()
                    await engine.dispose()
    finally:
        await env.shutdown()
    return outcome


def report(totals: dict, outcome: Outcome, seconds: float) -> None:
    """The fault table (markdown, as docs/reliability.md publishes it) and any violation."""
    faults = ", ".join(f"{k} {v}" for k, v in FAULTS.items())
    rows = [
        ("campaigns", f"{CAMPAIGNS} ({totals.get('replied', 0)} reply mid-campaign)"),
        ("faults", f"worker SIGKILLed {outcome.kills}× (every {KILL_EVERY_SECONDS} s); {faults}"),
        ("messages expected", totals.get("expected", 0)),
        ("delivered", totals.get("delivered", 0)),
        ("duplicated", totals.get("duplicated", 0)),
        ("lost", totals.get("lost", 0)),
        (
            "sent after a reply",
            f"{totals.get('after_reply', 0)} (beyond the one send already in flight: "
            f"{totals.get('after_reply_beyond_in_flight', 0)})",
        ),
        ("messages sent in all", totals.get("sent", 0)),
        ("violations", len(outcome.violations)),
        ("wall time", f"{seconds:.0f} s"),
    ]
    lines = ["| chaos run | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]
    lines += [f"  - {v}" for v in outcome.violations]
    sys.stdout.write("\n".join(lines) + "\n")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def main() -> None:
    # No options; parsed so that `--help` explains the run instead of starting it.
    argparse.ArgumentParser(
        description="Chaos run: campaigns through platform faults, the worker SIGKILLed every "
        "12 s; exits 1 on any lost, duplicated or after-reply message (about 4 minutes)."
    ).parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        outcome = asyncio.run(run(Path(folder)))
    exit_skipping_teardown(1 if outcome.violations else 0)


if __name__ == "__main__":
    main()
