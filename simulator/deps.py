"""FastAPI dependencies: the state, the webhook sender and the authenticated caller."""

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request

from simulator.errors import unauthorized
from simulator.settings import SimulatorSettings
from simulator.state import SimulatorState, UserRecord
from simulator.webhooks import WebhookSender


# Every dependency is `async def` though none does I/O: FastAPI runs a plain `def` one in its
# thread pool, a thread hop per request for each. The hops were 45 % of the simulator's CPU per
# platform request (about 530 against 300 µs), CPU the benchmarks charged to Campaign
# Executor's side of one machine (the platform runs on machines of its own). On the event loop,
# `current_user`'s request count is also never incremented from two threads at once.
async def get_state(request: Request) -> SimulatorState:
    return request.app.state.simulator


async def get_settings(request: Request) -> SimulatorSettings:
    return request.app.state.settings


async def get_webhook_sender(request: Request) -> WebhookSender:
    return request.app.state.webhook_sender


StateDep = Annotated[SimulatorState, Depends(get_state)]
SettingsDep = Annotated[SimulatorSettings, Depends(get_settings)]
WebhookSenderDep = Annotated[WebhookSender, Depends(get_webhook_sender)]


async def current_user(
    request: Request,
    state: StateDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
    x_on_behalf_of: Annotated[str | None, Header()] = None,
) -> UserRecord:
    """A user token acts as its user; the service token acts as the user in `X-On-Behalf-Of`."""
    if authorization is None:
        raise unauthorized("Missing Authorization header.")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    state.requests_by_token[token][f"{request.method} {request.url.path}"] += 1
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("Authorization must be 'Bearer <token>'.")
    if secrets.compare_digest(token.encode(), settings.service_token.encode()):
        return _on_behalf_of(state, x_on_behalf_of)
    user = state.user_by_token(token)
    if user is None:
        raise unauthorized("Unknown token.")
    if x_on_behalf_of is not None:
        raise unauthorized("X-On-Behalf-Of is only accepted with the service token.")
    return user


def _on_behalf_of(state: SimulatorState, x_on_behalf_of: str | None) -> UserRecord:
    if x_on_behalf_of is None:
        raise unauthorized("The service token needs an X-On-Behalf-Of header.")
    try:
        user_id = int(x_on_behalf_of)
    except ValueError:
        raise unauthorized("X-On-Behalf-Of must be a user id.") from None
    user = state.user(user_id)
    if user is None:
        raise unauthorized("X-On-Behalf-Of names an unknown user.")
    return user


CallerDep = Annotated[UserRecord, Depends(current_user)]
