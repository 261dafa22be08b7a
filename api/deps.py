"""FastAPI dependencies: the app's services, a database session, the caller, the campaign service.

Each is an `Annotated[…, Depends(…)]` a route names as a parameter type; what they do lives in
the modules they call (`api.platform_access`, `api.campaign_service`). `AuthenticatedRoute`
checks the caller before FastAPI reads and parses the request body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response, Security
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from api.campaign_service import CampaignService
from api.platform_access import Caller, bearer_token, resolve_user
from api.rate_limits import client_ip
from api.services import AppServices

# Declares the scheme in OpenAPI (Swagger's Authorize button sends the header); the header is
# read and checked by `authenticate`, so this never answers on its own.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="PlatformToken",
    description="The recruiting platform's user token, sent as `Authorization: Bearer <token>`",
)


def services_of(request: Request) -> AppServices:
    """The services the app's lifespan built (the one place that reads `app.state`)."""
    return request.app.state.services


# Dependencies that do no I/O are still `async def`: FastAPI runs a plain `def` one in its
# thread pool, a thread hop per request for each (6 % of the API's samples at a PUT burst).
async def get_services(request: Request) -> AppServices:
    return services_of(request)


ServicesDep = Annotated[AppServices, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    async with services.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def authenticate(request: Request, services: AppServices) -> Caller:
    """The caller of an API request, within the rate limits: per client IP before the token is
    checked (so a flood of bad tokens is bounded too), per user after."""
    await services.rate_limits.check_ip(client_ip(request))
    token = bearer_token(request.headers.get("authorization"))
    user = await resolve_user(services, token)
    assert token is not None
    await services.rate_limits.check_user(user.id)
    return Caller(user, token)


async def get_caller(
    request: Request,
    services: ServicesDep,
    _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Caller:
    """The caller `AuthenticatedRoute` checked, or checked now (a route of another class)."""
    caller = getattr(request.state, "caller", None)
    return caller if caller is not None else await authenticate(request, services)


CallerDep = Annotated[Caller, Depends(get_caller)]


async def get_campaign_service(services: ServicesDep) -> CampaignService:
    return CampaignService(services)


CampaignServiceDep = Annotated[CampaignService, Depends(get_campaign_service)]


class AuthenticatedRoute(APIRoute):
    """A route that authenticates before anything else: FastAPI reads and parses the body
    before it solves dependencies, so a PUT with a bad token would be parsed first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def authenticated_handler(request: Request) -> Response:
            request.state.caller = await authenticate(request, services_of(request))
            return await handle(request)

        return authenticated_handler
