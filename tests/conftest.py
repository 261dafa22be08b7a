"""Session-wide real servers for the suite: Temporal, the platform simulator and databases.

- `temporal_env`: the time-skipping test server (workflow rules; 30 days pass in a second).
- `dev_temporal_env`: the real dev server, for the few end-to-end paths.
- `simulator`: the platform simulator as a uvicorn subprocess, reset before each test using it.
- `database_url`: every read-model test runs on SQLite and on PostgreSQL. PostgreSQL comes from
  `TEST_POSTGRES_URL` (set by `make test` and `.ci/run`); without it those cases are skipped
  with the reason shown, never passed silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory, create_engine, create_session_factory
from db.migrate import upgrade_engine
from devstack.commands import venv_binary
from recruiting_platform import PlatformClient
from temporal_client import register_search_attributes
from tests.support.simulator_process import SimulatorProcess, start_simulator
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

SERVICE_TOKEN = "test-service-token"
WEBHOOK_SECRET = "test-webhook-secret"


# --- Temporal ------------------------------------------------------------------------------


async def _start_time_skipping() -> WorkflowEnvironment:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client, env.client.namespace)
    return env


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await _start_time_skipping()
    yield env
    await env.shutdown()


@pytest.fixture
async def own_temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server for one test. The test server keeps time skipping locked for
    an activity that a completed workflow abandoned, which would stall later tests."""
    env = await _start_time_skipping()
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_temporal_env(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=SEARCH_ATTRIBUTES,
        ui=False,
        dev_server_log_level="error",
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
    async with httpx.AsyncClient(base_url=simulator_process.url) as http:
        (await http.post("/_sim/reset")).raise_for_status()
    yield simulator_process.url


@pytest.fixture
async def platform(simulator: str) -> AsyncIterator[PlatformClient]:
    client = PlatformClient(simulator, SERVICE_TOKEN, timeout_seconds=5.0)
    yield client
    await client.aclose()


# --- databases -----------------------------------------------------------------------------


def _postgres_admin_url() -> str | None:
    return os.environ.get("TEST_POSTGRES_URL")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not _postgres_admin_url():
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
    admin_url = _postgres_admin_url()
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


@pytest.fixture(scope="session")
async def database_url(
    database_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A fresh, migrated database of each kind for this test session."""
    async with fresh_database(database_kind, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine: AsyncEngine) -> SessionFactory:
    return create_session_factory(engine)


@pytest.fixture(scope="session")
async def sqlite_sessions(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[SessionFactory]:
    """The embedded default, for tests about workflows rather than about databases."""
    async with fresh_database("sqlite", tmp_path_factory.mktemp("wf-db")) as url:
        engine = create_engine(url)
        yield create_session_factory(engine)
        await engine.dispose()
