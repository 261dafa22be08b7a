"""Brings a database to the newest schema with Alembic; used by `make migrate`, `make dev`, the
compose file's migration job and tests (never by the worker, whose replicas would race)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def _run_alembic(engine: AsyncEngine, step: Callable[..., None], revision: str) -> None:
    def _step(connection) -> None:  # type: ignore[no-untyped-def]
        config = alembic_config()
        config.attributes["connection"] = connection
        step(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_step)


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    await _run_alembic(engine, command.upgrade, revision)


async def downgrade_engine(engine: AsyncEngine, revision: str) -> None:
    await _run_alembic(engine, command.downgrade, revision)


async def upgrade(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_engine(engine)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    from config import get_settings

    asyncio.run(upgrade(get_settings().database_url))
