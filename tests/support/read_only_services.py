"""The app's services for pages and endpoints that only read the read model: a real database
and the simulator as the platform, and a Temporal client that never connects (lazy, to a port
nothing listens on), so a test or benchmark of reads needs no Temporal server."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.services import AppServices
from config import Settings
from db.engine import create_session_factory
from recruiting_platform import PlatformClient
from tests.conftest import DATA_CONVERTER, SERVICE_TOKEN
from tests.support.simulator_process import free_port


async def read_only_services(
    settings: Settings, engine: AsyncEngine, simulator: str, *, platform_timeout: float
) -> AppServices:
    """Services over `engine` and the simulator; the caller closes `services.platform`."""
    temporal = await Client.connect(
        f"127.0.0.1:{free_port()}", lazy=True, data_converter=DATA_CONVERTER
    )
    return AppServices(
        settings=settings,
        temporal=temporal,
        engine=engine,
        sessions=create_session_factory(engine),
        platform=PlatformClient(simulator, SERVICE_TOKEN, timeout_seconds=platform_timeout),
    )
