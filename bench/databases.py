"""Which databases a benchmark runs on: SQLite always, PostgreSQL when a server is given."""

from __future__ import annotations

import os


def database_kinds() -> list[str]:
    """["sqlite"], plus "postgresql" when `BENCH_POSTGRES_URL` or `TEST_POSTGRES_URL` is set
    (`tests.conftest.fresh_database` then creates its databases there)."""
    kinds = ["sqlite"]
    postgres = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    if postgres:
        os.environ["TEST_POSTGRES_URL"] = postgres
        kinds.append("postgresql")
    return kinds
