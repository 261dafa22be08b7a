"""The long-lived resources of the API process, built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.ttl_cache import TtlCache
from config import Settings
from db.engine import SessionFactory
from recruiting_platform import Candidate, PlatformClient, User


@dataclass
class AppServices:
    settings: Settings
    temporal: Client
    engine: AsyncEngine
    sessions: SessionFactory
    platform: PlatformClient
    # `GET /user/me` answers, briefly: every request is authenticated with the platform.
    users: TtlCache[User] = field(default_factory=lambda: TtlCache(30.0))
    # A role's candidates for the overview only (ownership checks always ask the platform).
    role_candidates: TtlCache[list[Candidate]] = field(default_factory=lambda: TtlCache(10.0))
