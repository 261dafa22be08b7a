"""The FastAPI application: API, webhooks, health, and the dashboard.

`uvicorn --factory api.app:create_app` serves it, configured by environment variables
(config.py), read when the app is built (importing this module reads none). `/docs` is Swagger
UI and `/redoc` ReDoc, their assets served by us from the `fastapi-offline` package (no CDN).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi_offline import FastAPIOffline

from api import dashboard
from api.body_limit import BodySizeLimit
from api.errors import install_error_handlers
from api.event_webhooks import declare_event_webhooks
from api.routes import campaigns, codec, health, metrics, sending_settings, webhooks
from api.services import AppServices, user_cache
from api.telemetry import install_telemetry
from config import Settings, get_settings
from db.engine import create_engine, create_session_factory
from process_memory import freeze_startup_objects
from recruiting_platform import PlatformClient
from temporal_client import connect_temporal

logger = logging.getLogger(__name__)


async def build_services(settings: Settings) -> AppServices:
    engine = create_engine(settings.database_url)
    return AppServices(
        settings=settings,
        temporal=await connect_temporal(settings, lazy=True),
        engine=engine,
        sessions=create_session_factory(engine),
        platform=PlatformClient(
            settings.platform_base_url,
            settings.platform_service_token,
            timeout_seconds=settings.platform_timeout_seconds,
            max_connections=settings.platform_max_connections,
        ),
        users=user_cache(settings.user_cache_seconds),
    )


def create_app(settings: Settings | None = None, services: AppServices | None = None) -> FastAPI:
    """Build the app; tests pass `services` they built, production builds them at start."""
    settings = settings or (services.settings if services else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or await build_services(settings)
        if owned:  # the service's own process (a test's app is given its services)
            freeze_startup_objects()
        try:
            yield
        finally:
            if owned:
                await app.state.services.platform.aclose()
                await app.state.services.engine.dispose()

    app = FastAPIOffline(
        title="Campaign Executor",
        version="1.0.0",
        summary="Runs recruiting outreach drip campaigns: start, inspect, cancel, hear replies.",
        lifespan=lifespan,
    )
    # The role overview of a large role is hundreds of kB of HTML or JSON; it compresses ~10x.
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.add_middleware(codec.CodecCors)  # the Temporal Web UI's calls to /codec only
    # Added last, so it runs first: an oversized body is refused before anything reads it.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_body_bytes)
    install_error_handlers(app)
    install_telemetry(app)  # outermost: it times and counts what the rest answers
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(campaigns.router)
    app.include_router(sending_settings.router)
    app.include_router(webhooks.router)
    app.include_router(codec.router)
    app.include_router(dashboard.router)
    declare_event_webhooks(app)
    return app
