"""The stack a benchmark runs on, as in production: a real `temporal server start-dev`, the
simulator, a fresh read model (SQLite or PostgreSQL), N `python worker.py` processes, M API
processes (uvicorn, as `make api`), and a worker process for the bare floor (`bench.bare`).

Every process is a child of the benchmark, so its CPU and memory are read from /proc and a
worker can be SIGKILLed or restarted (a cold cache) like in production.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from campaigns.sending_limits import Pacing, SendingLimits, SendingSettings
from db.engine import create_engine, create_session_factory
from db.sending_settings import save_settings
from devstack.commands import venv_binary
from devstack.readiness import NotReady, worker_polling
from tests.conftest import (
    DATA_CONVERTER,
    PAYLOAD_KEYS,
    SERVICE_TOKEN,
    WEBHOOK_SECRET,
    fresh_database,
)
from tests.support.simulator_process import SimulatorProcess, free_port, start_simulator
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

logger = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
READY_TIMEOUT_SECONDS = 120.0
# Bench users: each has its own account (an email and a LinkedIn channel) and a role of
# candidates, so the per-account limits (LinkedIn: at most 150 messages a day) never hold a
# benchmark's sends back; every candidate has both an email and a LinkedIn profile.
FIRST_USER = 1000
CANDIDATES_PER_USER = 500


# --- one process -------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (/proc/<pid>/stat, fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds(stat: Path = Path("/proc/stat")) -> float:
    """CPU time every core of the machine has spent busy since boot, all processes together
    (/proc/stat's first line: everything but idle and iowait)."""
    fields = stat.read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident memory of a live process (/proc/<pid>/status, VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class ChildProcess:
    """A child process with its output in a log file; can be stopped, killed and restarted."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command, cwd=REPO, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )
        self.started_at = time.time()

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} not started"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def kill(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 40) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


# --- the simulator's bench users ----------------------------------------------------------


@dataclass(frozen=True)
class BenchUser:
    user_id: int
    token: str
    role_id: int
    email_channel: int
    linkedin_channel: int
    first_candidate: int


def bench_users(count: int) -> list[BenchUser]:
    return [
        BenchUser(
            user_id=FIRST_USER + i,
            token=f"tok-bench-{i}",
            role_id=FIRST_USER + i,
            email_channel=100_000 + 2 * i,
            linkedin_channel=100_001 + 2 * i,
            first_candidate=1_000_000 + i * CANDIDATES_PER_USER,
        )
        for i in range(count)
    ]


def write_seed(folder: Path, users: list[BenchUser]) -> Path:
    """The simulator's seed plus the bench users, their channels and generated candidates."""
    seed = json.loads((REPO / "simulator" / "seed.json").read_text())
    template = seed["generated"][0]
    for user in users:
        seed["users"].append(
            {
                "id": user.user_id,
                "firstName": "Bench",
                "lastName": f"User{user.user_id}",
                "email": f"bench{user.user_id}@example.com",
                "token": user.token,
            }
        )
        seed["roles"].append(
            {"id": user.role_id, "userId": user.user_id, "title": "Bench", "description": "bench"}
        )
        seed["channels"] += [
            {"id": user.email_channel, "userId": user.user_id, "type": "EMAIL", "status": "OK"},
            {
                "id": user.linkedin_channel,
                "userId": user.user_id,
                "type": "LINKEDIN",
                "status": "OK",
            },
        ]
        seed["generated"].append(
            template
            | {
                "roleId": user.role_id,
                "firstId": user.first_candidate,
                "count": CANDIDATES_PER_USER,
                "withoutEmailEvery": 0,
                "withoutLinkedinEvery": 0,
            }
        )
    path = folder / "bench-seed.json"
    path.write_text(json.dumps(seed))
    return path


@dataclass(frozen=True)
class Slot:
    """One candidate a campaign can be started for (never used twice in a run)."""

    user: BenchUser
    candidate_id: int

    @property
    def path(self) -> str:
        return f"/role/{self.user.role_id}/candidate/{self.candidate_id}/campaign"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.user.token}"}


@dataclass
class CandidatePool:
    """Hands out fresh candidates round-robin over the users, so each account's sends and
    ledger rows spread evenly."""

    users: list[BenchUser]
    _next: int = 0

    def take(self, count: int) -> list[Slot]:
        slots = []
        for _ in range(count):
            user = self.users[self._next % len(self.users)]
            offset = self._next // len(self.users)
            if offset >= CANDIDATES_PER_USER:
                raise RuntimeError("the bench seed has no fresh candidate left; add users")
            slots.append(Slot(user, user.first_candidate + offset))
            self._next += 1
        return slots


def no_limits() -> SendingSettings:
    """Pacing off and every limit at its ceiling: the benchmarks measure the engine, and every
    send of a burst is due at once (limits and pacing have their own tests)."""
    return SendingSettings(
        limits=SendingLimits(
            linkedin_connection_requests_per_week=200,
            linkedin_connection_requests_per_day=100,
            linkedin_messages_per_day=150,
            emails_per_day=2000,
        ),
        pacing=Pacing(
            linkedin_min_gap_seconds=0,
            linkedin_jitter_seconds=0,
            email_min_gap_seconds=0,
            email_jitter_seconds=0,
        ),
    )


# --- the stack ---------------------------------------------------------------------------


@dataclass
class StackOptions:
    database: str = "sqlite"  # or "postgresql" (TEST_POSTGRES_URL / BENCH_POSTGRES_URL)
    workers: int = 1
    apis: int = 1
    users: int = 60
    time_scale: float = 1.0


@dataclass
class Stack:
    folder: Path
    env: WorkflowEnvironment
    simulator: SimulatorProcess
    database_url: str
    task_queue: str
    bare_task_queue: str
    users: list[BenchUser]
    pool: CandidatePool
    workers: list[ChildProcess] = field(default_factory=list)
    apis: list[ChildProcess] = field(default_factory=list)
    api_urls: list[str] = field(default_factory=list)
    bare_worker: ChildProcess | None = None
    bare_client: Client | None = None

    @property
    def client(self) -> Client:
        """A client with our converter (codec, pydantic), for our campaigns."""
        return self.env.client

    @property
    def address(self) -> str:
        return self.env.client.service_client.config.target_host

    @property
    def worker(self) -> ChildProcess:
        return self.workers[0]

    def simulator_cpu(self) -> float:
        return cpu_seconds(self.simulator.process.pid)

    def engine(self):
        return create_engine(self.database_url)

    async def restart_worker(self, index: int = 0) -> float:
        """Stop worker `index` (SIGTERM) and start it again; returns seconds until it polls."""
        worker = self.workers[index]
        worker.stop()
        return await self.start_worker(worker)

    async def start_worker(self, worker: ChildProcess) -> float:
        since = datetime.now(UTC)
        began = time.monotonic()
        worker.start()
        await wait_polling(self.client, self.task_queue, since, worker)
        return time.monotonic() - began

    async def restart_bare_worker(self) -> float:
        assert self.bare_worker is not None and self.bare_client is not None
        self.bare_worker.stop()
        since = datetime.now(UTC)
        began = time.monotonic()
        self.bare_worker.start()
        await wait_polling(self.bare_client, self.bare_task_queue, since, self.bare_worker)
        return time.monotonic() - began


async def wait_polling(
    client: Client, task_queue: str, since: datetime, process: ChildProcess
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            await worker_polling(client, task_queue, since)
            return
        except NotReady:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{process.name} never polled:\n{process.tail()}") from None
            await asyncio.sleep(0.05)


def service_env(stack_env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "LOG_FORMAT": "text", "ENVIRONMENT": "test", **stack_env}


async def wait_http_ready(url: str, process: ChildProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    async with httpx.AsyncClient(timeout=5) as http:
        while True:
            if not process.alive():
                raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{process.name} not ready:\n{process.tail()}")
            await asyncio.sleep(0.1)


@asynccontextmanager
async def running_stack(folder: Path, options: StackOptions) -> AsyncIterator[Stack]:
    """Bring the whole stack up in `folder` (logs there) and tear it down afterwards."""
    users = bench_users(options.users)
    os.environ["SIMULATOR_SEED_FILE"] = str(write_seed(folder, users))
    async with AsyncExitStack() as exits:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=venv_binary("temporal"),
            data_converter=DATA_CONVERTER,
            search_attributes=SEARCH_ATTRIBUTES,
            ui=False,
            dev_server_log_level="error",
        )
        exits.push_async_callback(env.shutdown)
        simulator = exits.enter_context(
            start_simulator(service_token=SERVICE_TOKEN, webhook_secret=WEBHOOK_SECRET)
        )
        database_url = await exits.enter_async_context(fresh_database(options.database, folder))
        engine = create_engine(database_url)
        sessions = create_session_factory(engine)
        for user in users:
            async with sessions() as session, session.begin():
                await save_settings(session, user.user_id, no_limits(), now=datetime.now(UTC))
        await engine.dispose()

        task_queue = f"bench-{uuid.uuid4().hex[:8]}"
        stack = Stack(
            folder=folder,
            env=env,
            simulator=simulator,
            database_url=database_url,
            task_queue=task_queue,
            bare_task_queue=f"{task_queue}-bare",
            users=users,
            pool=CandidatePool(users),
        )
        common = {
            "TEMPORAL_ADDRESS": stack.address,
            "TEMPORAL_TASK_QUEUE": task_queue,
            "DATABASE_URL": database_url,
            "PLATFORM_BASE_URL": simulator.url,
            "PLATFORM_SERVICE_TOKEN": SERVICE_TOKEN,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PAYLOAD_KEYS": PAYLOAD_KEYS,
            "CAMPAIGN_TIME_SCALE": str(options.time_scale),
            # The benchmark is one client sending thousands of requests a minute.
            "RATE_LIMIT_PER_USER": "1000000/minute",
            "RATE_LIMIT_PER_IP": "1000000/minute",
        }
        for index in range(options.apis):
            port = free_port()
            api = ChildProcess(
                f"api-{index}",
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "api.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                service_env(common),
                folder / f"api-{index}.log",
            )
            api.start()
            exits.callback(api.stop)
            stack.apis.append(api)
            stack.api_urls.append(f"http://127.0.0.1:{port}")
        for index in range(options.workers):
            worker = ChildProcess(
                f"worker-{index}",
                [sys.executable, "worker.py"],
                service_env(common),
                folder / f"worker-{index}.log",
            )
            exits.callback(worker.stop)
            stack.workers.append(worker)
            await stack.start_worker(worker)
        stack.bare_client = await Client.connect(stack.address)
        stack.bare_worker = ChildProcess(
            "bare-worker",
            [sys.executable, "-m", "bench.bare"],
            service_env({**common, "TEMPORAL_TASK_QUEUE": stack.bare_task_queue}),
            folder / "bare-worker.log",
        )
        exits.callback(stack.bare_worker.stop)
        await stack.restart_bare_worker()
        for api, url in zip(stack.apis, stack.api_urls, strict=True):
            await wait_http_ready(url, api)
        async with httpx.AsyncClient(base_url=simulator.url, timeout=30) as http:
            (
                await http.put("/_sim/config", json={"webhookUrl": stack.api_urls[0]})
            ).raise_for_status()
        yield stack
