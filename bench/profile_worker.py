"""Profiling harness: what a campaign costs the worker and the API, beside bare Temporal.

One run starts a Temporal dev server, the simulator, the API (`uvicorn api.app:create_app`) and
`python worker.py` as in production, plus a bare worker process (this module, `bare-worker`)
whose workflow runs two trivial activities and waits for a signal. Then, for each repetition,
interleaved on the same server:

- bare: N `start_workflow` calls at concurrency C, wait until its worker is idle again,
  then signal every workflow and wait for their results;
- ours: N PUTs of the brief's example at concurrency C, wait until the worker is idle (both
  immediate sends done), then a reply from every candidate through the simulator (its webhook
  reaches the API, which signals the workflow) and wait for REPLIED in the read model.

With `--cold` the workers are restarted before the replies, so every reply replays its
workflow from history. It prints starts/s, PUT/start latency, worker CPU-seconds per campaign
(from /proc, less the worker's idle rate), reply → REPLIED (bare: signal → result) latency and
the API's CPU per PUT. `--py-spy DIR` records the worker and the API with py-spy (raw collapsed
stacks plus a summary of the hottest frames) during the ours phases.

Run: `.venv/bin/python -m bench.profile_worker --campaigns 100 --concurrency 20 --reps 2`.
Only temporalio and the standard library are imported at the top: the bare workflow is defined
here and the workflow sandbox re-imports this module.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow

REPO = Path(__file__).parents[1]  # no resolve(): the sandbox refuses it at import
# Bench users, each with a role, an email and a LinkedIn account: campaigns are spread over
# them so that no account's daily limit (LinkedIn: 150 messages) caps a run. `--users` changes
# it: with many users nearly every PUT lists its role afresh, as in `make bench` (60 users).
BENCH_USERS = 8
FIRST_USER = 900
ROLE_SIZE = 1_000  # a realistic role: the PUT's ownership check lists all of it
MAX_VARIANTS = 2  # this tree, and a baseline tree to compare with in the same run
WARM_UP = 4  # campaigns started (and ended) before measuring: the API's first requests
IDLE_WINDOW_SECONDS = 1.5
BARE_QUEUE = "bare"
OURS_QUEUE = "campaigns"
CLK_TCK = 100  # USER_HZ: /proc reports CPU time in these ticks on Linux


# --- the bare baseline ---------------------------------------------------------------------


@activity.defn(name="trivial")
async def trivial(node: int) -> int:
    return node


@workflow.defn(name="BareCampaign")
class BareCampaign:
    """Two trivial activities (the brief's two immediate sends), then wait for a reply."""

    def __init__(self) -> None:
        self._replied = False

    @workflow.run
    async def run(self) -> str:
        for node in (1, 2):
            await workflow.execute_activity(
                trivial, node, start_to_close_timeout=timedelta(seconds=30)
            )
        await workflow.wait_condition(lambda: self._replied)
        return "replied"

    @workflow.signal
    def reply(self) -> None:
        self._replied = True


async def run_bare_worker(address: str) -> None:
    import signal

    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(address)
    worker = Worker(client, task_queue=BARE_QUEUE, workflows=[BareCampaign], activities=[trivial])
    # Stopped like worker.py (SIGTERM, graceful shutdown): a worker that just dies leaves its
    # sticky queue to the server, which then waits 10 s before the next task goes elsewhere.
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with worker:
        await stop.wait()


# --- measuring -----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def wait_idle(pid: int, idle_rate: float, timeout: float = 300) -> float:
    """Until the process spends no more than its idle rate for a window; returns when."""
    began = time.monotonic()
    last = cpu_seconds(pid)
    while time.monotonic() - began < timeout:
        await asyncio.sleep(IDLE_WINDOW_SECONDS)
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            raise RuntimeError(f"process {pid} died (see its log)")
        now = cpu_seconds(pid)
        if now - last <= (idle_rate + 0.02) * IDLE_WINDOW_SECONDS:
            return time.monotonic() - IDLE_WINDOW_SECONDS
        last = now
    raise TimeoutError("the worker never went idle")


async def idle_rate_of(pid: int, seconds: float = 3.0) -> float:
    before = cpu_seconds(pid)
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


@dataclass
class Phase:
    """One side's figures of one repetition."""

    starts_per_second: float = 0.0
    start_latencies: list[float] = field(default_factory=list)
    cpu_per_campaign: float = 0.0
    drain_seconds: float = 0.0
    reply_latencies: list[float] = field(default_factory=list)
    cpu_per_reply: float = 0.0
    api_cpu_per_put: float = 0.0
    errors: Counter = field(default_factory=Counter)


async def timed_starts(count: int, concurrency: int, start) -> tuple[float, list[float]]:
    limit = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(index: int) -> None:
        async with limit:
            began = time.monotonic()
            await start(index)
            latencies.append(time.monotonic() - began)

    began = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(count)))
    return count / (time.monotonic() - began), latencies


# --- the stack -----------------------------------------------------------------------------


class Stack:
    """The dev server, simulator, API and the two workers, as processes."""

    def __init__(self, folder: Path, database: str, py_spy: Path | None) -> None:
        self.folder = folder
        self.database = database
        self.py_spy = py_spy
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.spies: list[subprocess.Popen[bytes]] = []

    def spawn(self, name: str, command: list[str], env: dict[str, str], cwd: Path = REPO) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def start_spies(self, tag: str, names: tuple[str, ...]) -> None:
        if self.py_spy is None:
            return
        from devstack.commands import venv_binary

        for name in names:
            output = self.py_spy / f"{name}-{tag}.txt"
            self.spies.append(
                subprocess.Popen(
                    [
                        venv_binary("py-spy"),
                        "record",
                        "--pid",
                        str(self.pid(name)),
                        "--format",
                        "raw",
                        "--gil",  # only the thread that holds the GIL: Python's CPU
                        "--rate",
                        "200",
                        "--nonblocking",
                        "--output",
                        str(output),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    def stop_spies(self) -> None:
        import signal

        for spy in self.spies:
            spy.send_signal(signal.SIGINT)
        for spy in self.spies:
            spy.wait(30)
        self.spies.clear()


@dataclass(frozen=True)
class BenchCandidate:
    user: int
    role: int
    candidate: int

    @property
    def token(self) -> str:
        return f"tok-bench-{self.user}"

    @property
    def email_channel(self) -> int:
        return 90_000 + self.user

    @property
    def path(self) -> str:
        return f"/role/{self.role}/candidate/{self.candidate}/campaign"


def bench_candidate(index: int, slot: int = 0) -> BenchCandidate:
    """The index-th campaign's candidate of a variant: round robin over its bench users."""
    user = FIRST_USER + slot * BENCH_USERS + index % BENCH_USERS
    return BenchCandidate(user, role=user, candidate=user * 10_000 + index // BENCH_USERS)


def write_seed(folder: Path) -> Path:
    seed = json.loads((REPO / "simulator" / "seed.json").read_text())
    template = seed["generated"][0]
    for user in range(FIRST_USER, FIRST_USER + MAX_VARIANTS * BENCH_USERS):
        seed["users"].append(
            {
                "id": user,
                "firstName": "Bench",
                "lastName": str(user),
                "email": f"bench{user}@example.com",
                "token": f"tok-bench-{user}",
            }
        )
        seed["channels"] += [
            {"id": 90_000 + user, "userId": user, "type": "EMAIL", "status": "OK"},
            {"id": 91_000 + user, "userId": user, "type": "LINKEDIN", "status": "OK"},
        ]
        seed["roles"].append({"id": user, "userId": user, "title": "Bench", "description": "b"})
        seed["generated"].append(
            template
            | {
                "roleId": user,
                "firstId": user * 10_000,
                "count": ROLE_SIZE,
                # Every candidate has both channels: two immediate sends each.
                "withoutEmailEvery": 10**9,
                "withoutLinkedinEvery": 10**9,
            }
        )
    path = folder / "seed.json"
    path.write_text(json.dumps(seed))
    return path


# No pacing and the platforms' ceilings: the bench measures our cost, not the ledger's waits.
UNPACED = {
    "limits": {
        "linkedinConnectionRequestsPerWeek": 200,
        "linkedinConnectionRequestsPerDay": 100,
        "linkedinMessagesPerDay": 150,
        "emailsPerDay": 2000,
    },
    "pacing": {
        "linkedinMinGapSeconds": 0,
        "linkedinJitterSeconds": 0,
        "emailMinGapSeconds": 0,
        "emailJitterSeconds": 0,
    },
}


# --- the phases ----------------------------------------------------------------------------


async def bare_phase(client, stack: Stack, args, rep: int, idle: float) -> Phase:
    phase = Phase()
    pid = stack.pid("bare")
    ids = [f"bare-{rep}-{i}" for i in range(args.campaigns)]

    async def start(index: int) -> None:
        await client.start_workflow(BareCampaign.run, id=ids[index], task_queue=BARE_QUEUE)

    cpu_before, began = cpu_seconds(pid), time.monotonic()
    phase.starts_per_second, phase.start_latencies = await timed_starts(
        args.campaigns, args.concurrency, start
    )
    idle_at = await wait_idle(pid, idle)
    phase.drain_seconds = idle_at - began
    phase.cpu_per_campaign = (
        cpu_seconds(pid) - cpu_before - idle * (time.monotonic() - began)
    ) / args.campaigns
    if args.cold:
        stack.stop("bare")
        stack.spawn("bare", bare_command(client), os.environ.copy())
        pid = stack.pid("bare")
        # Ready when a throwaway workflow has run through: its start-up is not a reply's time.
        ready = await client.start_workflow(
            BareCampaign.run, id=f"bare-{rep}-ready", task_queue=BARE_QUEUE
        )
        await ready.signal(BareCampaign.reply)
        await ready.result()
        await wait_idle(pid, idle)
    limit = asyncio.Semaphore(args.reply_concurrency)

    async def reply(workflow_id: str) -> None:
        async with limit:
            handle = client.get_workflow_handle(workflow_id)
            began = time.monotonic()
            await handle.signal(BareCampaign.reply)
            await handle.result()
            phase.reply_latencies.append(time.monotonic() - began)

    cpu_before, began = cpu_seconds(pid), time.monotonic()
    await asyncio.gather(*(reply(i) for i in ids))
    await wait_idle(pid, idle)
    phase.cpu_per_reply = (
        cpu_seconds(pid) - cpu_before - idle * (time.monotonic() - began)
    ) / args.campaigns
    return phase


def bare_command(client) -> list[str]:
    address = client.service_client.config.target_host
    return [sys.executable, "-m", "bench.profile_worker", "bare-worker", "--address", address]


@dataclass
class Variant:
    """One version of our code: its tree, task queue, database, worker and API."""

    name: str
    tree: Path
    slot: int
    api_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    http: object = None
    sessions: object = None
    idle: float = 0.0

    @property
    def worker(self) -> str:
        return f"worker-{self.name}"

    @property
    def api(self) -> str:
        return f"api-{self.name}"

    def spawn_worker(self, stack: Stack) -> None:
        stack.spawn(self.worker, [sys.executable, "worker.py"], self.env, cwd=self.tree)


async def ours_phase(
    variant: Variant, simulator, stack: Stack, args, rep: int, first: int = WARM_UP
) -> Phase:
    from sqlalchemy import text

    from tests.support.campaigns import sent_messages

    http, sessions, idle = variant.http, variant.sessions, variant.idle
    phase = Phase()
    pid, api_pid = stack.pid(variant.worker), stack.pid(variant.api)
    spied = (variant.worker, variant.api)
    campaign_ids: dict[BenchCandidate, str] = {}

    async def start(index: int) -> None:
        candidate = bench_candidate(first + index, variant.slot)
        response = await http.put(candidate.path, json=BRIEF, headers=auth(candidate))
        if response.status_code not in (200, 201):
            phase.errors[f"PUT {response.status_code}"] += 1
            return
        campaign_ids[candidate] = response.json()["campaignId"]

    stack.start_spies(f"start-{rep}", spied)
    cpu_before, api_before, began = cpu_seconds(pid), cpu_seconds(api_pid), time.monotonic()
    phase.starts_per_second, phase.start_latencies = await timed_starts(
        args.campaigns, args.concurrency, start
    )
    phase.api_cpu_per_put = (cpu_seconds(api_pid) - api_before) / args.campaigns
    idle_at = await wait_idle(pid, idle)
    phase.drain_seconds = idle_at - began
    phase.cpu_per_campaign = (
        cpu_seconds(pid) - cpu_before - idle * (time.monotonic() - began)
    ) / args.campaigns
    stack.stop_spies()
    sent = Counter(
        m["candidateId"] for m in await sent_messages(str(simulator.base_url), timeout=60)
    )
    short = sum(1 for c in campaign_ids if sent[c.candidate] < (2 * (rep + 1) if first else 2))
    if short:
        phase.errors["campaigns without both sends"] += short
    if args.cold:
        stack.stop(variant.worker)
        variant.spawn_worker(stack)
        await asyncio.sleep(5)
        await wait_idle(stack.pid(variant.worker), idle)
        pid = stack.pid(variant.worker)
    limit = asyncio.Semaphore(args.reply_concurrency)

    async def reply(candidate: BenchCandidate) -> None:
        async with limit:
            began = time.monotonic()
            answer = await simulator.post(
                f"/_sim/candidates/{candidate.candidate}/reply",
                json={"channelId": candidate.email_channel},
            )
            if answer.status_code != 200:
                phase.errors[f"reply {answer.status_code}"] += 1
                return
            while time.monotonic() - began < 120:
                async with sessions() as session:
                    status = await session.scalar(
                        text("SELECT status FROM campaigns WHERE id = :id"),
                        {"id": campaign_ids[candidate]},
                    )
                if status == "REPLIED":
                    phase.reply_latencies.append(time.monotonic() - began)
                    return
                await asyncio.sleep(0.01)
            phase.errors["reply never recorded"] += 1

    stack.start_spies(f"reply-{rep}", spied)
    cpu_before, began = cpu_seconds(pid), time.monotonic()
    await asyncio.gather(*(reply(c) for c in campaign_ids))
    await wait_idle(pid, idle)
    phase.cpu_per_reply = (
        cpu_seconds(pid) - cpu_before - idle * (time.monotonic() - began)
    ) / args.campaigns
    stack.stop_spies()
    return phase


BRIEF: dict = {}


def auth(candidate: BenchCandidate) -> dict[str, str]:
    return {"Authorization": f"Bearer {candidate.token}"}


async def prepare(variant: Variant, simulator, stack: Stack, args) -> None:
    """Unpaced sending settings for every bench user, and a few campaigns started and
    replied to, so the API's and the worker's first requests are not measured."""
    await wait_ready(variant.http)
    for user in range(BENCH_USERS):
        candidate = bench_candidate(user, variant.slot)
        answer = await variant.http.put("/sending-settings", json=UNPACED, headers=auth(candidate))
        answer.raise_for_status()
    variant.idle = await idle_rate_of(stack.pid(variant.worker))
    warm = argparse.Namespace(**{**vars(args), "campaigns": WARM_UP, "cold": False})
    saved, stack.py_spy = stack.py_spy, None
    await ours_phase(variant, simulator, stack, warm, -1, first=0)
    stack.py_spy = saved


async def run(args) -> dict:
    import httpx
    from temporalio.client import Client
    from temporalio.testing import WorkflowEnvironment

    from config import DEV_SERVICE_TOKEN, DEV_WEBHOOK_SECRET, Settings
    from db.engine import create_engine, create_session_factory
    from devstack.commands import venv_binary
    from temporal_client import data_converter
    from tests.conftest import fresh_database
    from tests.support.campaigns import BRIEF_EXAMPLE
    from tests.support.simulator_process import free_port, start_simulator
    from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

    BRIEF.update(BRIEF_EXAMPLE)
    folder = Path(args.folder or tempfile.mkdtemp(prefix="profile-worker-"))
    folder.mkdir(parents=True, exist_ok=True)
    py_spy = Path(args.py_spy) if args.py_spy else None
    if py_spy:
        py_spy.mkdir(parents=True, exist_ok=True)
    os.environ["SIMULATOR_SEED_FILE"] = str(write_seed(folder))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=data_converter(Settings(_env_file=None)),
        search_attributes=SEARCH_ATTRIBUTES,
        ui=False,
        dev_server_log_level="error",
    )
    stack = Stack(folder, args.database, py_spy)
    variants = [Variant("ours", Path(args.tree).resolve() if args.tree else REPO, slot=0)]
    if args.baseline_tree:
        variants.insert(0, Variant("before", Path(args.baseline_tree).resolve(), slot=1))
    for variant in variants:
        variant.api_url = f"http://127.0.0.1:{free_port()}"
    address = env.client.service_client.config.target_host
    results: dict[str, list[Phase]] = {"bare": [], **{v.name: [] for v in variants}}
    rss: dict[str, float] = {}
    try:
        # Reply webhooks go to this tree's API; it signals any variant's workflow (by id).
        with start_simulator(
            webhook_url=variants[-1].api_url,
            webhook_secret=DEV_WEBHOOK_SECRET,
            service_token=DEV_SERVICE_TOKEN,
        ) as sim:
            async with AsyncExitStack() as contexts:
                for variant in variants:
                    database_url = await contexts.enter_async_context(
                        fresh_database(args.database, folder)
                    )
                    variant.env = {
                        **os.environ,
                        "ENVIRONMENT": "development",
                        "TEMPORAL_ADDRESS": address,
                        "TEMPORAL_TASK_QUEUE": f"campaigns-{variant.name}",
                        "DATABASE_URL": database_url,
                        "PLATFORM_BASE_URL": sim.url,
                        "PLATFORM_SERVICE_TOKEN": DEV_SERVICE_TOKEN,
                        "WEBHOOK_SECRET": DEV_WEBHOOK_SECRET,
                        "LOG_LEVEL": "WARNING",
                    }
                    variant.spawn_worker(stack)
                    stack.spawn(
                        variant.api,
                        [
                            sys.executable,
                            "-m",
                            "uvicorn",
                            "api.app:create_app",
                            "--factory",
                            "--host",
                            "127.0.0.1",
                            "--port",
                            variant.api_url.rsplit(":", 1)[1],
                            "--log-level",
                            "warning",
                            "--no-access-log",
                        ],
                        variant.env,
                        cwd=variant.tree,
                    )
                    engine = create_engine(database_url)
                    contexts.push_async_callback(engine.dispose)
                    variant.sessions = create_session_factory(engine)
                    variant.http = await contexts.enter_async_context(
                        httpx.AsyncClient(
                            base_url=variant.api_url,
                            timeout=60,
                            limits=httpx.Limits(max_connections=200),
                        )
                    )
                stack.spawn("bare", bare_command(env.client), os.environ.copy())
                bare_client = await Client.connect(address)
                simulator = await contexts.enter_async_context(
                    httpx.AsyncClient(base_url=sim.url, timeout=60)
                )
                for variant in variants:
                    await prepare(variant, simulator, stack, args)
                bare_idle = await idle_rate_of(stack.pid("bare"))
                for rep in range(args.reps):
                    results["bare"].append(
                        await bare_phase(bare_client, stack, args, rep, bare_idle)
                    )
                    # Alternate which variant goes first, so neither always follows the bare.
                    for variant in variants if rep % 2 == 0 else variants[::-1]:
                        results[variant.name].append(
                            await ours_phase(variant, simulator, stack, args, rep)
                        )
                rss = {v.name: rss_mb(stack.pid(v.worker)) for v in variants}
    finally:
        for name in list(stack.processes):
            stack.stop(name)
        await env.shutdown()
    summary = summarize(results, args, rss)
    if py_spy:
        summary["py_spy"] = {p.name: hottest(p) for p in sorted(py_spy.glob("*.txt"))}
    return summary


async def wait_ready(http) -> None:
    import httpx

    for _ in range(600):
        try:
            if (await http.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the API never became ready")


def summarize(results: dict[str, list[Phase]], args, worker_rss: dict[str, float]) -> dict:
    def side(phases: list[Phase]) -> dict:
        starts = [x for p in phases for x in p.start_latencies]
        replies = [x for p in phases for x in p.reply_latencies]
        errors: Counter = Counter()
        for p in phases:
            errors.update(p.errors)
        return {
            "starts_per_second": [round(p.starts_per_second, 1) for p in phases],
            "start_p50_ms": round(1000 * quantile(starts, 0.5)),
            "start_p99_ms": round(1000 * quantile(starts, 0.99)),
            "cpu_s_per_campaign": [round(p.cpu_per_campaign, 4) for p in phases],
            "drain_s": [round(p.drain_seconds, 1) for p in phases],
            "reply_p50_ms": round(1000 * quantile(replies, 0.5)),
            "reply_p99_ms": round(1000 * quantile(replies, 0.99)),
            "cpu_s_per_reply": [round(p.cpu_per_reply, 4) for p in phases],
            "api_cpu_s_per_put": [round(p.api_cpu_per_put, 4) for p in phases],
            "errors": dict(errors),
        }

    return {
        "campaigns": args.campaigns,
        "concurrency": args.concurrency,
        "reps": args.reps,
        "cold_replies": args.cold,
        "database": args.database,
        "sides": {name: side(phases) for name, phases in results.items()},
        "worker_rss_mb": {name: round(mb) for name, mb in worker_rss.items()},
    }


def hottest(path: Path, top: int = 25) -> list[str]:
    """The frames most samples were in (inclusive), from py-spy's raw collapsed stacks."""
    inclusive: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] += int(count)
    return [f"{100 * n / max(total, 1):5.1f}% {frame}" for frame, n in inclusive.most_common(top)]


FIGURES = [
    # (label, key, a list of repetitions to average?)
    ("starts/s", "starts_per_second", True),
    ("PUT|start p50 ms", "start_p50_ms", False),
    ("PUT|start p99 ms", "start_p99_ms", False),
    ("worker cpu s/campaign", "cpu_s_per_campaign", True),
    ("drain s", "drain_s", True),
    ("reply p50 ms", "reply_p50_ms", False),
    ("reply p99 ms", "reply_p99_ms", False),
    ("worker cpu s/reply", "cpu_s_per_reply", True),
    ("api cpu s/PUT", "api_cpu_s_per_put", True),
]


def print_table(summary: dict) -> None:
    """figure, the bare floor, each variant, and each variant's ratio to the floor."""
    sides = summary["sides"]
    names = [n for n in sides if n != "bare"]
    header = f"{'figure':<24}{'bare':>10}" + "".join(f"{n:>10}" for n in names)
    header += "".join(f"{n + '/bare':>13}" for n in names)
    lines = [header]
    for label, key, averaged in FIGURES:
        values = {
            n: statistics.mean(side[key]) if averaged else side[key] for n, side in sides.items()
        }
        floor = values["bare"]
        row = f"{label:<24}{floor:>10.3f}" + "".join(f"{values[n]:>10.3f}" for n in names)
        row += "".join(f"{values[n] / floor if floor else float('nan'):>13.2f}" for n in names)
        lines.append(row)
    sys.stdout.write("\n".join(lines) + "\n")


def main() -> None:
    global BENCH_USERS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "bare-worker"])
    parser.add_argument("--address", help="bare-worker: the Temporal server")
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--reply-concurrency", type=int, default=4)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="restart workers before replies")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--py-spy", help="folder for py-spy recordings of the worker and API")
    parser.add_argument("--folder", help="where logs go (default: a temporary folder)")
    parser.add_argument("--tree", help="the checkout measured as 'ours' (default: this one)")
    parser.add_argument(
        "--baseline-tree",
        help="another checkout (e.g. `git archive <commit>` unpacked) run side by side as "
        "'before': its own worker, API, task queue and database on the same server",
    )
    parser.add_argument("--json", help="also write the summary here")
    parser.add_argument(
        "--users", type=int, default=BENCH_USERS, help="bench users the campaigns go round"
    )
    args = parser.parse_args()
    BENCH_USERS = args.users
    if args.mode == "bare-worker":
        asyncio.run(run_bare_worker(args.address))
        return
    summary = asyncio.run(run(args))
    print_table(summary)
    sys.stdout.write(json.dumps(summary, indent=1) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
