"""The simulator's FastAPI app: `uvicorn simulator.app:app`, or `create_app(settings)`."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from simulator import routes_control, routes_events, routes_platform
from simulator.errors import install_error_handlers
from simulator.events_inbox import EventsInbox
from simulator.faults import FaultInjector
from simulator.settings import SimulatorSettings
from simulator.state import SimulatorState, WebhookTarget, load_seed
from simulator.webhooks import WebhookSender

logger = logging.getLogger(__name__)


def create_app(settings: SimulatorSettings | None = None) -> FastAPI:
    settings = settings or SimulatorSettings()
    seed = load_seed(settings.seed_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as client:
            app.state.webhook_sender = WebhookSender(client)
            logger.info(
                "simulator ready: %d users, %d candidates, webhooks %s",
                len(seed.users),
                len(seed.candidates),
                "on" if settings.webhook_url else "off",
            )
            yield

    app = FastAPI(
        title="Recruiting platform simulator",
        description="Stand-in for the recruiting platform's API, plus a `/_sim` control API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.simulator = SimulatorState(
        seed=seed,
        webhook_target=WebhookTarget(url=settings.webhook_url, secret=settings.webhook_secret),
        faults=FaultInjector(settings.random_seed),
        events_inbox=EventsInbox(secret=settings.events_secret),
    )
    install_error_handlers(app)
    app.include_router(routes_platform.router)
    app.include_router(routes_control.router)
    app.include_router(routes_events.router)
    return app


app = create_app()
