"""Real servers for the suite (Temporal, the platform simulator, databases), and how each
test gets a world of its own on them.

No test depends on what an earlier test left behind, so a failure stays one failure:

- `temporal_env`: a Temporal time-skipping test server of this test's own (30 days pass in a
  second; it starts in about 0.1 s). Workflow ids such as `campaign-candidate-1001`, the clock
  and the time-skipping state are the test's alone, so any seeded candidate can be used, and
  the server stops with the test, ending whatever still ran on it. (A shared server kept all
  of that: a campaign left open made the next test's start fail, its clock ran ahead by every
  month earlier tests skipped, and a workflow ended while a task of it was pending kept time
  skipping locked for the rest of the session, even once terminated.) `own_temporal_env` is
  the same server, under the name some tests use.
- `dev_temporal_env`: a real Temporal dev server of this test's own, for the end-to-end paths
  (worker processes); likewise stopped with the test.
- `task_queue`: a task queue no other test uses.
- `simulator`: the platform simulator as a uvicorn subprocess (one per session), reset to its
  seed before each test: messages, channel statuses, faults.
- `database_url` (with `engine`, `sessions`): a fresh, migrated database for this test, once
  on SQLite and once on PostgreSQL. PostgreSQL comes from `TEST_POSTGRES_URL` (set by
  `make test` and `.ci/run`); without it those cases are skipped with the reason shown, never
  passed silently. `sqlite_sessions`: a fresh SQLite read model, for tests about workflows.

A new test needs nothing more to be isolated: take `temporal_env` (or `dev_temporal_env`),
`task_queue`, `simulator` and a database fixture, run a worker on `temporal_env.client` and
`task_queue` (`worker.build_worker`), and leave the clean-up to the fixtures. Wait for what
should happen with `tests/support/campaigns.py::eventually`, which has a generous deadline,
never with a sleep or a wall-clock threshold.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from config import DEV_PAYLOAD_KEYS, Settings
from db.engine import SessionFactory, create_engine, create_session_factory
from db.migrate import upgrade_engine
from devstack.commands import venv_binary
from recruiting_platform import PlatformClient
from temporal_client import data_converter, register_search_attributes
from tests.support.recording_server import Answer, RecordingServer, start_recording_server
from tests.support.simulator_process import SimulatorProcess, start_simulator
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

SERVICE_TOKEN = "test-service-token"
WEBHOOK_SECRET = "test-webhook-secret"
# The tests' codec keys: a test key encrypts; the development key (which `make histories`
# records with) still decrypts. Every client, worker and replayer of the suite uses them.
PAYLOAD_KEYS = f"test-1:dGVzdCBwYXlsb2FkIGtleTogbm90IGEgc2VjcmV0ISE=,{DEV_PAYLOAD_KEYS}"
DATA_CONVERTER = data_converter(
    Settings(_env_file=None, environment="test", payload_keys=PAYLOAD_KEYS, payload_keys_file=None)
)
# Generous, for a busy machine (a passing run never waits for them): platform calls of the
# tests' clients, and the start of a Temporal server.
PLATFORM_TIMEOUT_SECONDS = 30.0
SERVER_STARTUP_TIMEOUT = timedelta(minutes=2)


# --- Temporal ------------------------------------------------------------------------------


async def _start_time_skipping() -> WorkflowEnvironment:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=DATA_CONVERTER,
        test_server_startup_timeout=SERVER_STARTUP_TIMEOUT,
    )
    await register_search_attributes(env.client, env.client.namespace)
    return env


@pytest.fixture
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server of this test's own (it starts in about 0.1 s)."""
    env = await _start_time_skipping()
    yield env
    await env.shutdown()


@pytest.fixture
def own_temporal_env(temporal_env: WorkflowEnvironment) -> WorkflowEnvironment:
    """The same server as `temporal_env` (every test has its own). The name stays for the tests
    whose point needs one: a clock that matches the wall clock, or an abandoned activity that
    must not stall another test."""
    return temporal_env


@pytest.fixture
async def dev_temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server of this test's own (in memory; it starts in well under 1 s)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=SEARCH_ATTRIBUTES,
        ui=False,
        dev_server_log_level="error",
        dev_server_startup_timeout=SERVER_STARTUP_TIMEOUT,
    )
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4()}"


# --- the platform simulator ----------------------------------------------------------------


@pytest.fixture(scope="session")
def simulator_process() -> Iterator[SimulatorProcess]:
    with start_simulator(service_token=SERVICE_TOKEN, webhook_secret=WEBHOOK_SECRET) as process:
        yield process


@pytest.fixture
async def simulator(simulator_process: SimulatorProcess) -> AsyncIterator[str]:
    """The simulator's URL, reset to its seed state for this test."""
    async with httpx.AsyncClient(base_url=simulator_process.url, timeout=30) as http:
        (await http.post("/_sim/reset")).raise_for_status()
    yield simulator_process.url


@pytest.fixture
async def platform(simulator: str) -> AsyncIterator[PlatformClient]:
    client = PlatformClient(simulator, SERVICE_TOKEN, timeout_seconds=PLATFORM_TIMEOUT_SECONDS)
    yield client
    await client.aclose()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Answer], Awaitable[RecordingServer]]]:
    """`await serve(answer)`: a raw HTTP server recording what reaches it (tests of our own
    HTTP clients); every one is closed after the test."""
    servers = []

    async def start(answer: Answer) -> RecordingServer:
        recording, server = await start_recording_server(answer)
        servers.append(server)
        return recording

    yield start
    for server in servers:
        server.close()


# --- databases -----------------------------------------------------------------------------


def postgres_admin_url() -> str | None:
    return os.environ.get("TEST_POSTGRES_URL")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not postgres_admin_url():
        pytest.skip("PostgreSQL case skipped: TEST_POSTGRES_URL is not set (make test sets it)")
    return request.param


@asynccontextmanager
async def fresh_database(kind: str, folder: Path) -> AsyncIterator[str]:
    """A new, migrated database of `kind`; PostgreSQL ones are dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / f'read-model-{uuid.uuid4().hex[:8]}.db'}"
        engine = create_engine(url)
        await upgrade_engine(engine)
        await engine.dispose()
        yield url
        return
    admin_url = postgres_admin_url()
    assert admin_url is not None
    name = f"ce_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = admin_url.rpartition("/")[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        url = f"{base}/{name}"
        engine = create_engine(url)
        await upgrade_engine(engine)
        await engine.dispose()
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def end_connections(database: str) -> None:
    """What a PostgreSQL restart does to `database`'s clients: every backend serving it ends
    and closes its socket. Returns once none is left, then lets the event loop read the
    closes (a pooled idle connection learns of it then)."""
    admin = await asyncpg.connect(postgres_admin_url())
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
        while await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
        ):
            await asyncio.sleep(0.01)
    finally:
        await admin.close()
    await asyncio.sleep(0.05)


@pytest.fixture
async def database_url(database_kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated database of each kind for this test (about 0.1 s to make)."""
    async with fresh_database(database_kind, tmp_path) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionFactory:
    return create_session_factory(engine)


@pytest.fixture
async def sqlite_sessions(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    """A fresh embedded read model, for tests about workflows rather than about databases."""
    async with fresh_database("sqlite", tmp_path) as url:
        engine = create_engine(url)
        yield create_session_factory(engine)
        await engine.dispose()
