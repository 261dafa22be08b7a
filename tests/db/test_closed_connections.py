"""A pooled PostgreSQL connection the server closed is never handed to a request: after a
database restart (here: every backend of its database ended, as a restart ends them) the next
request gets a new connection and succeeds, without a ping to the server on every checkout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from db.engine import create_engine
from tests.conftest import end_connections, fresh_database, postgres_admin_url


@pytest.fixture
async def postgres_url(tmp_path: Path) -> AsyncIterator[str]:
    if not postgres_admin_url():
        pytest.skip("PostgreSQL only: TEST_POSTGRES_URL is not set (make test sets it)")
    async with fresh_database("postgresql", tmp_path) as url:
        yield url


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()


async def test_a_connection_the_server_closed_is_replaced_before_use(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        first = await backend_pid(engine)
        await end_connections(engine.url.database)
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
        await backend_pid(engine)  # a connection now sits in the pool
        await end_connections(engine.url.database)
        with pytest.raises(DBAPIError):
            await backend_pid(engine)
    finally:
        await engine.dispose()
