"""The Alembic migrations build exactly the schema of `db.models`, and can be undone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import db.event_outbox_models  # noqa: F401 - registers the outbox table on SQLModel.metadata
import db.ledger_models  # noqa: F401 - registers the ledger's tables on SQLModel.metadata
import db.models  # noqa: F401 - registers the tables on SQLModel.metadata
from db.engine import create_engine
from db.migrate import alembic_config, downgrade_engine, upgrade_engine
from tests.conftest import fresh_database

MODEL_TABLES = set(SQLModel.metadata.tables)


def _columns(connection: sa.Connection) -> dict[str, dict[str, tuple[bool, bool]]]:
    """Per table: column name -> (nullable, part of the primary key)."""
    inspector = sa.inspect(connection)
    tables: dict[str, dict[str, tuple[bool, bool]]] = {}
    for table in inspector.get_table_names():
        primary_key = set(inspector.get_pk_constraint(table)["constrained_columns"])
        tables[table] = {
            column["name"]: (bool(column["nullable"]), column["name"] in primary_key)
            for column in inspector.get_columns(table)
        }
    return tables


def _model_columns() -> dict[str, dict[str, tuple[bool, bool]]]:
    return {
        name: {column.name: (bool(column.nullable), column.primary_key) for column in table.columns}
        for name, table in SQLModel.metadata.tables.items()
    }


def _differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, SQLModel.metadata)


def _revision(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_migrations_create_every_model_table_with_its_columns(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        tables = await connection.run_sync(_columns)
    assert set(tables) == MODEL_TABLES | {"alembic_version"}
    for name, columns in _model_columns().items():
        assert tables[name] == columns, f"table {name} differs from db/models.py"


async def test_migrated_schema_leaves_autogenerate_nothing_to_add(engine: AsyncEngine) -> None:
    """Types, indexes and constraints too: a model change without a migration fails here."""
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_downgrade_to_base_and_upgrade_again(database_kind: str, tmp_path: Path) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    async with fresh_database(database_kind, tmp_path) as url:
        engine = create_engine(url)
        try:
            await downgrade_engine(engine, "base")
            async with engine.connect() as connection:
                assert set(await connection.run_sync(_columns)) <= {"alembic_version"}
                assert await connection.run_sync(_revision) is None

            await upgrade_engine(engine)
            async with engine.connect() as connection:
                assert set(await connection.run_sync(_columns)) == MODEL_TABLES | {
                    "alembic_version"
                }
                assert await connection.run_sync(_revision) == head
                assert await connection.run_sync(_differences) == []
        finally:
            await engine.dispose()
