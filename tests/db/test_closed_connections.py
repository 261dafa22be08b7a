"""A pooled PostgreSQL connection the server closed is never handed to a request: after a
database restart (here: its backend terminated, as a restart does to every connection) the next
request gets a new connection and succeeds, without a ping to the server on every checkout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from db.engine import create_engine
from tests.conftest import fresh_database, postgres_admin_url


@pytest.fixture
async def postgres_url(tmp_path: Path) -> AsyncIterator[str]:
    if not postgres_admin_url():
        pytest.skip("PostgreSQL only: TEST_POSTGRES_URL is not set (make test sets it)")
    async with fresh_database("postgresql", tmp_path) as url:
        yield url


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()


async def terminate(pid: int) -> None:
    """What a server restart does to a connection: the backend ends and closes the socket."""
    admin = await asyncpg.connect(postgres_admin_url())
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        # The server has closed the socket once the backend is gone; the pool's idle
        # connection learns it when the event loop next runs.
        while await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            await asyncio.sleep(0.01)
    finally:
        await admin.close()
    await asyncio.sleep(0.05)


async def test_a_connection_the_server_closed_is_replaced_before_use(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        first = await backend_pid(engine)
        await terminate(first)
        second = await backend_pid(engine)  # would raise if handed the closed connection
        assert second != first
        assert await backend_pid(engine) == second  # the new one is pooled and reused
    finally:
        await engine.dispose()


async def test_a_pool_without_the_check_hands_out_the_closed_connection(
    postgres_url: str,
) -> None:
    """The scenario above is a real fault: a plain pool fails the first request after it."""
    engine = create_async_engine(postgres_url)
    try:
        first = await backend_pid(engine)
        await terminate(first)
        with pytest.raises(DBAPIError):
            await backend_pid(engine)
    finally:
        await engine.dispose()
