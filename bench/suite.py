"""The benchmark suite of issue 13: our figures side by side with a bare-Temporal floor, measured
in the same run on the same servers, interleaved (bare and ours alternate which goes first)
and repeated; the median of the repetitions is reported, every repetition kept in the JSON.

    make bench                                  # everything, 3 repetitions (see below)
    make bench BENCH_QUICK=1                    # a smoke run (~6 minutes on a busy 2-core VM)
    python -m bench.suite --only starts,reply   # some parts; --quick, --reps N, --markdown
    python -m bench.suite --idle-steps 1000,10000 --sendlag-sizes 500,1000

The full run's length is mostly the worker's CPU: 10,000 idle campaigns to start and 2,500
sends due in bursts. At today's 0.2 CPU-s per campaign that is 30–40 minutes on 2 cores; at
issue 13's targets (within 3× bare) about 20. `--idle-steps` and `--sendlag-sizes` shorten it.

Parts (see docs/performance.md for what each measures and why):

- starts:  PUT /role/{r}/candidate/{c}/campaign (the brief's example) at concurrency 1, 20, 50
           against `start_workflow` of a workflow that waits for a signal;
- cpu:     the worker process's CPU-seconds per campaign up to its first two sends, against a
           bare workflow running two trivial activities (each worker its own process);
- reply:   candidate replies (simulator → webhook → API → workflow) until the read model says
           REPLIED, 4 at a time warm and after a worker restart (cold cache), and one at a
           time (the path's own latency, no target), against signal → result;
- sendlag: N campaigns whose delay ends within the same minute: timer due → POST received by
           the simulator, against a timer → trivial activity;
- idle:    worker RSS and CPU with 1k → 10k waiting campaigns, and a restarted worker's time
           until it answers for a waiting campaign, against bare waiting workflows.

Writes bench/results/latest.json (machine, date, command, every repetition) and prints the
table (`--markdown` prints it ready for docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text
from temporalio.client import WorkflowHandle

from bench import load
from bench.bare import BareTimerActivityWorkflow, BareTwoActivitiesWorkflow, BareWaitWorkflow
from bench.load import (
    HTTP_TIMEOUT,
    delayed_email,
    due_times,
    idle_cpu_rate,
    parse_time,
    put_campaigns,
    run_concurrently,
    start_bare,
    wait_for_messages,
    wait_idle,
)
from bench.replied_watch import RepliedWatch
from bench.stack import Slot, Stack, StackOptions, machine_busy_seconds, running_stack
from bench.stats import NO_TARGET, Figure, Spread, Target, markdown_table, text_table
from campaigns.contracts import workflow_id_for
from tests.support.campaigns import BRIEF_EXAMPLE, campaign_input, start_campaign
from workflows.campaign import CampaignWorkflow

logger = logging.getLogger("bench")
RESULTS = Path(__file__).resolve().parent / "results"
PARTS = ("starts", "cpu", "reply", "sendlag", "idle")


@dataclass(frozen=True)
class Plan:
    """How much each part does: the full run, or a quick smoke."""

    reps: int
    starts: dict[int, int]  # concurrency -> campaigns per repetition
    cpu_campaigns: int
    reply_campaigns: int  # per repetition, each warm, cold and warm one at a time
    sendlag_sizes: dict[int, int]  # campaigns due together -> repetitions
    idle_steps: tuple[int, ...]

    @classmethod
    def full(cls, reps: int) -> Plan:
        return cls(
            reps=reps,
            starts={1: 30, 20: 100, 50: 100},
            cpu_campaigns=50,
            reply_campaigns=8,
            sendlag_sizes={500: reps, 1000: 1},
            idle_steps=(1_000, 5_000, 10_000),
        )

    @classmethod
    def quick(cls, reps: int) -> Plan:
        return cls(
            reps=reps,
            starts={1: 5, 20: 20, 50: 30},
            cpu_campaigns=10,
            reply_campaigns=4,
            sendlag_sizes={50: 1},
            idle_steps=(100, 300),
        )


def ordered(rep: int, bare: Callable[[], Awaitable[None]], ours: Callable[[], Awaitable[None]]):
    """Bare first on even repetitions, ours first on odd ones: neither always gets the fresher
    server."""
    return (bare, ours) if rep % 2 == 0 else (ours, bare)


async def settle(stack: Stack) -> float:
    """Let every worker finish what earlier steps left (sends, records); returns the seconds."""
    waited = 0.0
    for worker in [*stack.workers, stack.bare_worker]:
        assert worker is not None
        waited = max(waited, await wait_idle(worker))
    return waited


# --- starts ------------------------------------------------------------------------------


def platform_cpu_figure(part: str, per: str) -> Figure:
    """The simulator's CPU per unit of work: what a real deployment spends on the platform's
    machines, not its own."""
    return Figure(
        part,
        f"simulated platform's CPU per {per}",
        "CPU-s",
        note="no floor: bare calls no platform",
    )


@dataclass
class StartFigures:
    """The starts part's rows for one kind of burst."""

    rate: Figure
    p50: Figure
    p99: Figure
    drain: Figure
    # Every process on the machine while the burst runs, per start: the PUTs share its cores
    # with Temporal, the database, the worker's sends and the simulator.
    machine_cpu: Figure
    # The simulator's part of it: the role listing each PUT checks against, the sends.
    platform_cpu: Figure

    @classmethod
    def named(cls, what: str, drain: str, rate_target: Target = NO_TARGET) -> StartFigures:
        return cls(
            rate=Figure("starts", f"starts/s {what}", "1/s", target=rate_target),
            p50=Figure("starts", f"PUT p50 {what}", "ms"),
            p99=Figure("starts", f"PUT p99 {what}", "ms"),
            drain=Figure("starts", f"worker drain after the burst, {drain}", "s"),
            machine_cpu=Figure("starts", f"machine CPU per start {what}", "CPU-s"),
            platform_cpu=platform_cpu_figure("starts", f"start {what}"),
        )

    def all(self) -> list[Figure]:
        return [self.rate, self.p50, self.p99, self.drain, self.machine_cpu, self.platform_cpu]


async def bench_starts(stack: Stack, plan: Plan, figures: list[Figure]) -> None:
    for concurrency, count in plan.starts.items():
        rows = StartFigures.named(
            f"at concurrency {concurrency}",
            f"c={concurrency}",
            Target("≥ 0.8× bare", min_ratio=0.8),
        )
        for rep in range(plan.reps):
            await starts_rep(stack, rep, concurrency, count, rows)
            logger.info("starts c=%d rep %d: %s", concurrency, rep + 1, short(rows.rate, rows.p99))
        figures += rows.all()
    if DELAYED_STARTS_CONCURRENCY in plan.starts:
        figures += await bench_delayed_starts(stack, plan)


# The brief's example sends twice at once, so its starts share the cores with the worker's
# sends, where the bare floor's workflow only waits. The same burst of campaigns that open with
# a day's delay measures the PUT's own path (API, Temporal's start, the read model's row).
DELAYED_STARTS_CONCURRENCY = 20
OPENING_DELAY = delayed_email(86_400)


async def bench_delayed_starts(stack: Stack, plan: Plan) -> list[Figure]:
    concurrency = DELAYED_STARTS_CONCURRENCY
    what = f"at concurrency {concurrency}, opening with a delay"
    rows = StartFigures.named(what, what)
    for rep in range(plan.reps):
        count = plan.starts[concurrency]
        await starts_rep(
            stack, rep, concurrency, count, rows, definition=OPENING_DELAY, cancel=True
        )
        logger.info("starts %s, rep %d: %s", what, rep + 1, short(rows.rate, rows.p99))
    # The p50 and the drain are measured as for every burst, not shown: the rate, the p99 and
    # the CPU make the point.
    return [rows.rate, rows.p99, rows.machine_cpu, rows.platform_cpu]


async def cancel_campaigns(api_url: str, slots: Sequence[Slot]) -> None:
    """Cancel the waiting campaigns a part started, so later parts find the worker as before."""
    async with httpx.AsyncClient(base_url=api_url, timeout=HTTP_TIMEOUT) as http:
        for slot in slots:
            response = await http.delete(slot.path, headers=slot.headers)
            response.raise_for_status()


async def starts_rep(
    stack: Stack,
    rep: int,
    concurrency: int,
    count: int,
    rows: StartFigures,
    *,
    definition: dict = BRIEF_EXAMPLE,
    cancel: bool = False,
) -> None:
    """One burst of starts each side; `cancel` ends ours after (campaigns left waiting)."""

    async def bare() -> None:
        await settle(stack)
        machine_before = machine_busy_seconds()
        burst, handles = await start_bare(
            stack.bare_client,
            BareWaitWorkflow.run,
            [],
            stack.bare_task_queue,
            count,
            concurrency,
        )
        rows.machine_cpu.floor_reps.append((machine_busy_seconds() - machine_before) / count)
        record(burst, rows.rate.floor_reps, rows.p50.floor_reps, rows.p99.floor_reps)
        rows.drain.floor_reps.append(await wait_idle(stack.bare_worker))
        await asyncio.gather(*(h.terminate() for h in handles))

    async def ours() -> None:
        await settle(stack)
        slots = stack.pool.take(count)
        machine_before, platform_before = machine_busy_seconds(), stack.simulator_cpu()
        burst = await put_campaigns(stack.api_urls, slots, definition, concurrency)
        rows.machine_cpu.ours_reps.append((machine_busy_seconds() - machine_before) / count)
        rows.platform_cpu.ours_reps.append((stack.simulator_cpu() - platform_before) / count)
        record(burst, rows.rate.ours_reps, rows.p50.ours_reps, rows.p99.ours_reps)
        rows.drain.ours_reps.append(await wait_idle(stack.worker))
        if cancel:
            await cancel_campaigns(stack.api_urls[0], slots)

    for step in ordered(rep, bare, ours):
        await step()


def record(burst, rates: list[float], p50s: list[float], p99s: list[float]) -> None:
    spread = Spread.of(burst.latencies)
    rates.append(burst.rate)
    p50s.append(spread.p50 * 1000)
    p99s.append(spread.p99 * 1000)


def short(*figures: Figure) -> str:
    return "; ".join(
        f"{f.name}: bare {f.floor_reps[-1]:.3g} ours {f.ours_reps[-1]:.3g}"
        for f in figures
        if f.floor_reps and f.ours_reps
    )


# --- worker CPU per campaign -------------------------------------------------------------


async def bench_cpu(stack: Stack, plan: Plan, figures: list[Figure]) -> None:
    count = plan.cpu_campaigns
    cpu = Figure(
        "cpu",
        "worker CPU per campaign (start → 2 sends)",
        "CPU-s",
        target=Target("≤ 3× bare", max_ratio=3.0),
    )
    api_cpu = Figure("cpu", "API CPU per PUT", "CPU-s", note="no floor: bare has no API")
    for rep in range(plan.reps):

        async def bare() -> None:
            await settle(stack)
            worker = stack.bare_worker
            idle = await idle_cpu_rate(worker)
            before, began = worker.cpu(), time.monotonic()
            _, handles = await start_bare(
                stack.bare_client,
                BareTwoActivitiesWorkflow.run,
                [],
                stack.bare_task_queue,
                count,
                20,
            )
            await asyncio.gather(*(h.result() for h in handles))
            await wait_idle(worker)
            used = worker.cpu() - before - idle * (time.monotonic() - began)
            cpu.floor_reps.append(used / count)

        async def ours() -> None:
            await settle(stack)
            worker, api = stack.worker, stack.apis[0]
            idle = await idle_cpu_rate(worker)
            before, api_before, began = worker.cpu(), api.cpu(), time.monotonic()
            slots, since = stack.pool.take(count), datetime.now(UTC)
            await put_campaigns(stack.api_urls[:1], slots, BRIEF_EXAMPLE, 20)
            api_cpu.ours_reps.append((api.cpu() - api_before) / count)
            await wait_for_messages(
                stack.simulator.url, {s.candidate_id for s in slots}, 2, since=since
            )
            await wait_idle(worker)
            used = worker.cpu() - before - idle * (time.monotonic() - began)
            cpu.ours_reps.append(used / count)

        for step in ordered(rep, bare, ours):
            await step()
        logger.info("cpu rep %d: %s", rep + 1, short(cpu))
    figures += [cpu, api_cpu]


# --- reply → REPLIED ---------------------------------------------------------------------


async def bench_reply(stack: Stack, plan: Plan, figures: list[Figure]) -> None:
    count = plan.reply_campaigns
    target = Target("p99 ≤ 1.5× bare", max_ratio=1.5)
    warm50 = Figure("reply", "reply → REPLIED p50, warm", "ms")
    warm99 = Figure("reply", "reply → REPLIED p99, warm", "ms", target=target)
    cold50 = Figure("reply", "reply → REPLIED p50, cold (worker restarted)", "ms")
    cold99 = Figure("reply", "reply → REPLIED p99, cold (worker restarted)", "ms", target=target)
    # No target: the same path with the machine idle between replies, so what it measures is
    # the path's own latency, not CPU time queued behind three other replies on two cores.
    alone50 = Figure("reply", "reply → REPLIED p50, warm, one at a time", "ms")
    alone99 = Figure("reply", "reply → REPLIED p99, warm, one at a time", "ms")
    restart = Figure("reply", "worker restart until polling", "s")
    for rep in range(plan.reps):
        await settle(stack)
        slots, since = stack.pool.take(3 * count), datetime.now(UTC)
        await put_campaigns(stack.api_urls, slots, BRIEF_EXAMPLE, 10)
        await wait_for_messages(
            stack.simulator.url, {s.candidate_id for s in slots}, 2, since=since
        )
        _, handles = await start_bare(
            stack.bare_client, BareWaitWorkflow.run, [], stack.bare_task_queue, 3 * count, 10
        )
        # Every bare workflow has run its first task (is in the worker's cache).
        await asyncio.gather(*(h.query(BareWaitWorkflow.replied) for h in handles))
        warm, alone, cold = (slice(i * count, (i + 1) * count) for i in range(3))
        await settle(stack)
        await reply_phase(stack, rep, handles[alone], slots[alone], alone50, alone99, at_once=1)
        await settle(stack)
        await reply_phase(stack, rep, handles[warm], slots[warm], warm50, warm99)
        restart.ours_reps.append(await stack.restart_worker())
        restart.floor_reps.append(await stack.restart_bare_worker())
        await reply_phase(stack, rep, handles[cold], slots[cold], cold50, cold99)
        logger.info("reply rep %d: %s", rep + 1, short(warm99, cold99, alone99))
    figures += [warm50, warm99, cold50, cold99, alone50, alone99, restart]


async def reply_phase(
    stack: Stack,
    rep: int,
    handles: list[WorkflowHandle],
    slots: list[Slot],
    p50: Figure,
    p99: Figure,
    at_once: int = 4,
) -> None:
    """Replies to `slots` and signals `handles`, `at_once` at a time, in this repetition's
    order."""

    async def bare() -> None:
        burst = await run_concurrently(len(handles), at_once, lambda i: signal_bare(handles[i]))
        spread = Spread.of(burst.latencies)
        p50.floor_reps.append(spread.p50 * 1000)
        p99.floor_reps.append(spread.p99 * 1000)

    async def ours() -> None:
        engine = stack.engine()
        try:
            async with (
                httpx.AsyncClient(base_url=stack.simulator.url, timeout=60) as sim,
                RepliedWatch.watching(engine) as watch,
            ):
                burst = await run_concurrently(
                    len(slots), at_once, lambda i: reply_until_replied(watch, sim, slots[i])
                )
        finally:
            await engine.dispose()
        if burst.failures:
            raise RuntimeError(f"{burst.failures} replies never reached REPLIED")
        spread = Spread.of(burst.latencies)
        p50.ours_reps.append(spread.p50 * 1000)
        p99.ours_reps.append(spread.p99 * 1000)

    for step in ordered(rep, bare, ours):
        await step()


async def signal_bare(handle) -> None:
    await handle.signal(BareWaitWorkflow.reply)
    await handle.result()


async def reply_until_replied(watch: RepliedWatch, sim: httpx.AsyncClient, slot: Slot) -> None:
    """The candidate replies (the simulator sends the signed webhook); returns once the read
    model says REPLIED."""
    reply = await sim.post(
        f"/_sim/candidates/{slot.candidate_id}/reply", json={"channelId": slot.user.email_channel}
    )
    reply.raise_for_status()
    await watch.replied(slot.candidate_id, timeout=120)


# --- send lag ----------------------------------------------------------------------------


def delay_for(count: int) -> int:
    """Seconds from the burst's first start to the moment all fall due: long enough to start
    them all first (at 1.5× the time the last burst of PUTs of this run took per campaign), so
    that at that moment the worker only sends."""
    return max(30, math.ceil(1.5 * count / load.last_put_rate))


@dataclass
class SendLagFigures:
    """The send-lag part's rows for one size of burst."""

    rate: Figure
    p50: Figure
    p99: Figure
    worker_cpu: Figure
    machine_cpu: Figure
    platform_cpu: Figure

    @classmethod
    def for_size(cls, size: int) -> SendLagFigures:
        return cls(
            rate=Figure(
                "sendlag",
                f"sends/s, {size} due together",
                "1/s",
                target=Target("≥ 0.9× bare", min_ratio=0.9),
            ),
            p50=Figure("sendlag", f"lag p50, {size} due together", "s"),
            p99=Figure(
                "sendlag",
                f"lag p99, {size} due together",
                "s",
                target=Target("≤ 1× bare", max_ratio=1.0) if size == 500 else NO_TARGET,
            ),
            worker_cpu=Figure("sendlag", f"worker CPU per send, {size} due together", "CPU-s"),
            # Every process on the machine (Temporal, the database, the simulator, the
            # harness): on one machine the sends share its cores with all of them.
            machine_cpu=Figure("sendlag", f"machine CPU per send, {size} due together", "CPU-s"),
            platform_cpu=platform_cpu_figure("sendlag", f"send, {size} due together"),
        )

    def all(self) -> list[Figure]:
        return [
            self.rate,
            self.p50,
            self.p99,
            self.worker_cpu,
            self.machine_cpu,
            self.platform_cpu,
        ]


async def bench_sendlag(stack: Stack, plan: Plan, figures: list[Figure]) -> None:
    for size, reps in plan.sendlag_sizes.items():
        lead = delay_for(size)
        rows = SendLagFigures.for_size(size)
        for rep in range(reps):
            await sendlag_rep(stack, rep, size, lead, rows)
            logger.info("sendlag %d rep %d: %s", size, rep + 1, short(rows.rate, rows.p99))
        figures += rows.all()


async def sendlag_rep(stack: Stack, rep: int, size: int, lead: int, rows: SendLagFigures) -> None:
    """`size` campaigns (bare: workflows) started over the next seconds, each with the delay
    that ends it at one moment `lead` seconds from now: all fall due together."""

    async def bare() -> None:
        await settle(stack)
        worker = stack.bare_worker
        moment = time.time() + lead
        handles: list[WorkflowHandle] = []

        async def start(_: int) -> None:
            handles.append(
                await stack.bare_client.start_workflow(
                    BareTimerActivityWorkflow.run,
                    max(0.001, moment - time.time()),
                    id=f"bare-{uuid.uuid4()}",
                    task_queue=stack.bare_task_queue,
                )
            )

        await run_concurrently(size, 50, start)
        late_start(moment)
        await asyncio.sleep(max(0.0, moment - time.time() - 2))
        before, machine_before = worker.cpu(), machine_busy_seconds()
        sends = await asyncio.gather(*(h.result() for h in handles))
        rows.worker_cpu.floor_reps.append((worker.cpu() - before) / size)
        rows.machine_cpu.floor_reps.append((machine_busy_seconds() - machine_before) / size)
        spread = Spread.of([s.ran - s.due for s in sends])
        rows.rate.floor_reps.append(size / (max(s.ran for s in sends) - min(s.due for s in sends)))
        rows.p50.floor_reps.append(spread.p50)
        rows.p99.floor_reps.append(spread.p99)

    async def ours() -> None:
        await settle(stack)
        worker = stack.worker
        slots, since = stack.pool.take(size), datetime.now(UTC)
        candidates = {s.candidate_id for s in slots}
        moment = time.time() + lead
        # The delay is whole seconds: each campaign falls due within a second of `moment`.
        await put_campaigns(
            stack.api_urls,
            slots,
            lambda: delayed_email(max(1, math.ceil(moment - time.time()))),
            50,
        )
        late_start(moment)
        engine = stack.engine()
        try:
            due = await due_times(engine, candidates)
        finally:
            await engine.dispose()
        await asyncio.sleep(max(0.0, moment - time.time() - 2))
        before, machine_before = worker.cpu(), machine_busy_seconds()
        platform_before = stack.simulator_cpu()
        messages = await wait_for_messages(stack.simulator.url, candidates, 1, since=since)
        await wait_idle(worker)
        rows.worker_cpu.ours_reps.append((worker.cpu() - before) / size)
        rows.machine_cpu.ours_reps.append((machine_busy_seconds() - machine_before) / size)
        rows.platform_cpu.ours_reps.append((stack.simulator_cpu() - platform_before) / size)
        sent = {m["candidateId"]: parse_time(m["sentAt"]) for m in messages}
        spread = Spread.of([(sent[c] - due[c]).total_seconds() for c in sent if c in due])
        first_due = min(due.values())
        rows.rate.ours_reps.append(len(sent) / (max(sent.values()) - first_due).total_seconds())
        rows.p50.ours_reps.append(spread.p50)
        rows.p99.ours_reps.append(spread.p99)

    for step in ordered(rep, bare, ours):
        await step()


def late_start(moment: float) -> None:
    if time.time() > moment:
        logger.warning(
            "sendlag: the burst took %.0f s longer than the lead; the first ones fell due "
            "while others were still starting (raise the lead in delay_for)",
            time.time() - moment,
        )


# --- idle capacity -----------------------------------------------------------------------


async def bench_idle(stack: Stack, plan: Plan, figures: list[Figure]) -> None:
    waiting = delayed_email(29 * 86_400)
    first_step = plan.idle_steps[0]
    rss_figures: list[Figure] = []
    ours_total = bare_total = 0
    some_slot = None
    some_bare = None
    for step in plan.idle_steps:
        rss = Figure("idle", f"worker RSS, {step:,} waiting", "MB")
        cpu = Figure("idle", f"worker idle CPU, {step:,} waiting", "CPU-s/min")
        await settle(stack)
        _, handles = await start_bare(
            stack.bare_client,
            BareWaitWorkflow.run,
            [],
            stack.bare_task_queue,
            step - bare_total,
            50,
        )
        some_bare = some_bare or handles[0]
        bare_total = step
        slots = stack.pool.take(step - ours_total)
        some_slot = some_slot or slots[0]
        began = time.monotonic()
        # Started the way the API starts them, without its HTTP round: 10,000 PUTs would take
        # longer than the rest of the suite, and the starts part measures that path already.
        await start_directly(stack, slots, waiting)
        logger.info("idle: %d started in %.0f s", len(slots), time.monotonic() - began)
        ours_total = step
        await settle(stack)
        for process, rss_reps, cpu_reps in (
            (stack.bare_worker, rss.floor_reps, cpu.floor_reps),
            (stack.worker, rss.ours_reps, cpu.ours_reps),
        ):
            cpu_reps.append(60 * await idle_cpu_rate(process, 10))
            rss_reps.append(process.rss() / 2**20)
        logger.info("idle %d: %s", step, short(rss, cpu))
        rss_figures.append(rss)
        figures += [rss, cpu]
    if len(rss_figures) > 1:
        growth = Figure(
            "idle",
            f"RSS growth {first_step:,} → {plan.idle_steps[-1]:,} waiting (last/first)",
            "×",
            floor_reps=[rss_figures[-1].floor / rss_figures[0].floor],
            ours_reps=[rss_figures[-1].ours / rss_figures[0].ours],
            # Flat only past the workflow cache (1,000 workflows by default): below it every
            # waiting campaign stays in memory, as it should.
            target=Target("flat: ≤ 1.25", max_value=1.25) if first_step >= 1_000 else NO_TARGET,
        )
        figures.append(growth)
    engine = stack.engine()
    try:
        size, campaigns = await read_model_size(engine)
    finally:
        await engine.dispose()
    figures.append(
        Figure(
            "idle",
            f"read model size per campaign ({campaigns:,} campaigns, {stack_database(stack)})",
            "KiB",
            ours_reps=[size / max(1, campaigns) / 1024],
            note="no floor: bare keeps no read model",
        )
    )
    ready = Figure("idle", "restarted worker: start → first answer for a waiting one", "s")
    for _ in range(plan.reps):
        ready.ours_reps.append(
            await time_to_answer(
                stack.restart_worker,
                lambda: stack.client.get_workflow_handle(
                    workflow_id_for(some_slot.candidate_id)
                ).query(CampaignWorkflow.progress),
            )
        )
        ready.floor_reps.append(
            await time_to_answer(
                stack.restart_bare_worker, lambda: some_bare.query(BareWaitWorkflow.replied)
            )
        )
    figures.append(ready)


def stack_database(stack: Stack) -> str:
    return "PostgreSQL" if stack.database_url.startswith("postgresql") else "SQLite"


async def read_model_size(engine) -> tuple[int, int]:
    """(bytes the read model's database takes, campaigns in it)."""
    async with engine.connect() as connection:
        campaigns = (await connection.execute(text("SELECT count(*) FROM campaigns"))).scalar_one()
        if engine.dialect.name == "postgresql":
            size = (
                await connection.execute(text("SELECT pg_database_size(current_database())"))
            ).scalar_one()
        else:
            pages = (await connection.execute(text("PRAGMA page_count"))).scalar_one()
            page_size = (await connection.execute(text("PRAGMA page_size"))).scalar_one()
            size = pages * page_size
    return int(size), int(campaigns)


async def start_directly(stack: Stack, slots: list[Slot], definition: dict) -> None:
    """Start campaigns with the API's workflow input, id, timeout and search attributes (the
    workflow's first record writes the read-model row, as after any start)."""

    async def start(index: int) -> None:
        slot = slots[index]
        campaign = campaign_input(
            definition,
            candidate_id=slot.candidate_id,
            owner_user_id=slot.user.user_id,
            role_id=slot.user.role_id,
        )
        await start_campaign(stack.client, campaign, stack.task_queue)

    burst = await run_concurrently(len(slots), 100, start)
    if burst.failures:
        raise RuntimeError(f"{burst.failures} starts failed")


async def time_to_answer(restart, query) -> float:
    """Seconds from a worker's restart until it answers a query for a waiting workflow (the
    query needs the workflow replayed: the worker is really ready)."""
    began = time.monotonic()
    await restart()
    await query()
    return time.monotonic() - began


# --- the run -----------------------------------------------------------------------------

BENCHES = {
    "starts": bench_starts,
    "cpu": bench_cpu,
    "reply": bench_reply,
    "sendlag": bench_sendlag,
    "idle": bench_idle,
}


def machine() -> dict[str, object]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(memory_kb / 2**20, 1),
        "cpu_model": model,
        "python": platform.python_version(),
        "commit": commit,
        "load_average_at_start": os.getloadavg(),
    }


async def run(parts: list[str], plan: Plan, database: str) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        async with running_stack(Path(folder), StackOptions(database=database)) as stack:
            for part in parts:
                began = time.monotonic()
                logger.info("part %s…", part)
                await BENCHES[part](stack, plan, figures)
                logger.info("part %s took %.0f s", part, time.monotonic() - began)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description="Issue 13's benchmarks against bare Temporal")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated: {PARTS}")
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3, quick 1)")
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown")
    parser.add_argument("--idle-steps", help="waiting campaigns to measure at, e.g. 1000,10000")
    parser.add_argument(
        "--sendlag-sizes", help="campaigns due together, e.g. 500,1000 (the first repeated)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"--only: unknown part(s) {sorted(unknown)}; choose from {PARTS}")
    reps = args.reps or (1 if args.quick else 3)
    plan = Plan.quick(reps) if args.quick else Plan.full(reps)
    if args.idle_steps:
        plan = replace(plan, idle_steps=tuple(int(n) for n in args.idle_steps.split(",")))
    if args.sendlag_sizes:
        sizes = [int(n) for n in args.sendlag_sizes.split(",")]
        plan = replace(
            plan, sendlag_sizes={n: (reps if i == 0 else 1) for i, n in enumerate(sizes)}
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    info = machine()
    started = datetime.now(UTC)
    began = time.monotonic()
    figures = asyncio.run(run(parts, plan, args.database))
    result = {
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.suite", *sys.argv[1:]]),
        "quick": args.quick,
        "reps": reps,
        "database": args.database,
        "wall_seconds": round(time.monotonic() - began),
        "machine": info,
        "figures": [f.as_json() for f in figures],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    header = (
        f"{result['date']} · {info['nproc']} × {info['cpu_model']}, {info['ram_gb']} GB · "
        f"{args.database} · reps {reps}{' (quick)' if args.quick else ''} · "
        f"{result['wall_seconds']} s · {result['command']}"
    )
    table = markdown_table(figures) if args.markdown else text_table(figures)
    sys.stdout.write(f"{header}\n\n{table}\n\nJSON: {args.output}\n")


if __name__ == "__main__":
    main()
