"""The real API app over HTTP, with a worker, the simulator and a database of each kind.

The API tests run on the Temporal dev server: its clock is the wall clock, like the
simulator's (the reply webhooks' `sentAt` is compared with the campaign's start), and it is a
real server (the time-skipping one refuses a cancel that races an activity's completion)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.services import AppServices
from config import Settings
from db.engine import SessionFactory, create_engine, create_session_factory
from observability.worker_metrics import WorkerMetrics
from recruiting_platform import PlatformClient
from tests.conftest import PAYLOAD_KEYS, PLATFORM_TIMEOUT_SECONDS, SERVICE_TOKEN, WEBHOOK_SECRET
from tests.support.api_server import serve
from worker import build_worker


@dataclass
class ApiStack:
    url: str
    simulator: str
    settings: Settings
    sessions: SessionFactory
    services: AppServices

    def client(self, token: str | None = "tok-andreas") -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)


def make_settings(database_url: str, simulator: str, task_queue: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        platform_base_url=simulator,
        platform_service_token=SERVICE_TOKEN,
        webhook_secret=WEBHOOK_SECRET,
        temporal_task_queue=task_queue,
        temporal_ui_url="http://127.0.0.1:8233",
        payload_keys=PAYLOAD_KEYS,
        payload_keys_file=None,
    )


@asynccontextmanager
async def api_stack_on(
    temporal: Client,
    database_url: str,
    simulator: str,
    task_queue: str,
    sessions: SessionFactory,
    *,
    api_temporal: Client | None = None,
    api_database_url: str | None = None,
    port: int | None = None,
    worker_metrics: WorkerMetrics | None = None,
    settings_changes: dict[str, Any] | None = None,
    **setting_overrides: Any,
) -> AsyncIterator[ApiStack]:
    """The API app served over HTTP plus a worker on `task_queue`, wired to the simulator.

    `api_temporal` / `api_database_url` give the API (not the worker) another Temporal or
    database, e.g. an unreachable one for fault tests; `settings_changes` (validated, e.g.
    low rate limits) and `setting_overrides` change other settings."""
    settings = make_settings(database_url, simulator, task_queue).model_copy(
        update=setting_overrides
    )
    if settings_changes:
        settings = Settings.model_validate(settings.model_dump() | settings_changes)
    engine = create_engine(api_database_url or database_url)
    services = AppServices(
        settings=settings,
        temporal=api_temporal or temporal,
        engine=engine,
        sessions=create_session_factory(engine),
        platform=PlatformClient(simulator, SERVICE_TOKEN, timeout_seconds=PLATFORM_TIMEOUT_SECONDS),
    )
    worker_platform = PlatformClient(
        simulator, SERVICE_TOKEN, timeout_seconds=PLATFORM_TIMEOUT_SECONDS
    )
    try:
        async with (
            build_worker(
                temporal,
                task_queue=task_queue,
                platform=worker_platform,
                sessions=sessions,
                metrics=worker_metrics,
            ),
            serve(create_app(settings, services), port) as url,
        ):
            async with httpx.AsyncClient(base_url=simulator, timeout=30) as http:
                config = {"webhookUrl": url, "webhookSecret": WEBHOOK_SECRET}
                (await http.put("/_sim/config", json=config)).raise_for_status()
            yield ApiStack(url, simulator, settings, services.sessions, services)
    finally:
        await services.platform.aclose()
        await worker_platform.aclose()
        await engine.dispose()


@pytest.fixture
async def api(
    dev_temporal_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    simulator: str,
    task_queue: str,
) -> AsyncIterator[ApiStack]:
    async with api_stack_on(
        dev_temporal_env.client, database_url, simulator, task_queue, sessions
    ) as stack:
        yield stack


def signed(payload: dict[str, Any], secret: str = WEBHOOK_SECRET, age: int = 0) -> dict[str, Any]:
    """Request kwargs for a webhook signed like the platform signs it."""
    raw = json.dumps(payload).encode()
    timestamp = str(int(time.time()) - age)
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
    return {
        "content": raw,
        "headers": {
            "Content-Type": "application/json",
            "X-Signature-Timestamp": timestamp,
            "X-Signature": f"sha256={digest.hexdigest()}",
        },
    }
