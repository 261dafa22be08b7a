"""The long-lived resources of the API process, built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.user_cache import UserCache
from config import Settings
from db.engine import SessionFactory
from recruiting_platform import PlatformClient


@dataclass
class AppServices:
    settings: Settings
    temporal: Client
    engine: AsyncEngine
    sessions: SessionFactory
    platform: PlatformClient
    users: UserCache = field(default_factory=UserCache)
