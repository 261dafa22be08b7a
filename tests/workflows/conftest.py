"""Fixtures shared by the workflow tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from db.engine import SessionFactory
from recruiting_platform import PlatformClient
from worker import build_worker


@pytest.fixture
async def worker(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    platform: PlatformClient,
    sqlite_sessions: SessionFactory,
) -> AsyncIterator[Worker]:
    """A worker on the test's own time-skipping server and read model."""
    async with build_worker(
        temporal_env.client, task_queue=task_queue, platform=platform, sessions=sqlite_sessions
    ) as running:
        yield running
