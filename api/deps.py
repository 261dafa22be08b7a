"""FastAPI dependencies: the app's services, a database session, the caller, the campaign service.

Each is an `Annotated[…, Depends(…)]` a route names as a parameter type; what they do lives in
the modules they call (`api.platform_access`, `api.campaign_service`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.campaign_service import CampaignService
from api.platform_access import Caller, bearer_token, resolve_user
from api.services import AppServices


def get_services(request: Request) -> AppServices:
    """The services the app's lifespan built (the one place that reads `app.state`)."""
    return request.app.state.services


ServicesDep = Annotated[AppServices, Depends(get_services)]


async def get_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    async with services.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_caller(
    services: ServicesDep,
    authorization: Annotated[
        str | None, Header(description="`Bearer <token>`: the recruiting platform's token")
    ] = None,
) -> Caller:
    token = bearer_token(authorization)
    user = await resolve_user(services, token)
    assert token is not None
    return Caller(user, token)


CallerDep = Annotated[Caller, Depends(get_caller)]


def get_campaign_service(services: ServicesDep) -> CampaignService:
    return CampaignService(services)


CampaignServiceDep = Annotated[CampaignService, Depends(get_campaign_service)]
