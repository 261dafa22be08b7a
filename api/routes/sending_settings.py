"""The caller's sending settings (send window, limits, pacing) and their use.

We own these settings: the platform has none. A user who never saved any has the defaults
(docs/sending-limits.md says where each comes from).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import Field

from api.deps import AuthenticatedRoute, CallerDep, ServicesDep
from api.errors import responses
from api.platform_access import platform_unavailable
from campaigns.camel_model import CamelModel
from campaigns.definition import ChannelType
from campaigns.sending_limits import SendingSettings
from db.send_ledger import LimitUsage, WaitingSend, usage, waiting_sends
from db.sending_settings import load_settings, save_settings
from recruiting_platform import PlatformError

router = APIRouter(
    prefix="/sending-settings",
    tags=["sending settings"],
    route_class=AuthenticatedRoute,
    responses=responses(401, 429),
)


class SendingSettingsView(SendingSettings):
    saved: bool = Field(description="False while the user has the defaults")
    updated_at: datetime | None = None


class SendingUsageView(CamelModel):
    now: datetime
    time_zone: str
    limits: list[LimitUsage] = Field(
        description="Each limit of the user's connected accounts: sends in the rolling window "
        "ending now, and those booked ahead"
    )
    waits: list[WaitingSend] = Field(description="Sends booked ahead of now, soonest first")


@router.get("", response_model=SendingSettingsView, responses=responses(401, 503))
async def get_sending_settings(caller: CallerDep, services: ServicesDep) -> SendingSettingsView:
    """The caller's send window, limits and pacing; the defaults until they save any."""
    async with services.sessions() as session:
        settings, updated_at = await load_settings(session, caller.user.id)
    return _view(settings, updated_at)


@router.put("", response_model=SendingSettingsView, responses=responses(401, 422, 503))
async def put_sending_settings(
    settings: SendingSettings, caller: CallerDep, services: ServicesDep
) -> SendingSettingsView:
    """Replace the caller's settings; a field left out takes its default. New reservations
    follow them at once; slots already booked keep their times."""
    now = datetime.now(UTC)
    async with services.sessions() as session, session.begin():
        await save_settings(session, caller.user.id, settings, now=now)
    return _view(settings, now)


@router.get("/usage", response_model=SendingUsageView, responses=responses(401, 503))
async def get_sending_usage(caller: CallerDep, services: ServicesDep) -> SendingUsageView:
    """Each connected account's use against its limits this day and week, and the sends
    that wait for a slot."""
    try:
        channels = await services.platform.list_channels(caller.credentials)
    except PlatformError as error:
        raise platform_unavailable(error) from None
    accounts = {ChannelType(channel.type) for channel in channels}
    now = datetime.now(UTC)
    async with services.sessions() as session:
        settings, _ = await load_settings(session, caller.user.id)
    return SendingUsageView(
        now=now,
        time_zone=settings.schedule.time_zone,
        limits=await usage(services.sessions, caller.user.id, now=now, accounts=accounts),
        waits=await waiting_sends(services.sessions, caller.user.id, now=now),
    )


def _view(settings: SendingSettings, updated_at: datetime | None) -> SendingSettingsView:
    return SendingSettingsView(
        **settings.model_dump(), saved=updated_at is not None, updated_at=updated_at
    )
