"""Read-model rows for role-page tests and the role-page benchmark, written straight into the
database (reads need no workflow behind them; tests that act on campaigns start real ones)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Campaign, CampaignStep
from tests.support.campaigns import BRIEF_EXAMPLE


@dataclass(frozen=True)
class SeedCampaign:
    candidate_id: int
    status: str
    role_id: int
    owner_user_id: int = 1
    created_at: datetime | None = None
    waiting_channel_type: str | None = None
    waiting_cause: str | None = None
    next_in_minutes: int | None = 5  # None: nothing left to do (no next action)


def campaign_rows(seeds: Iterable[SeedCampaign]) -> tuple[list[dict], list[dict]]:
    now = datetime.now(UTC)
    campaigns, steps = [], []
    for seed in seeds:
        campaign_id = str(uuid.uuid4())
        created = seed.created_at or now - timedelta(hours=1)
        campaigns.append(
            {
                "id": campaign_id,
                "owner_user_id": seed.owner_user_id,
                "role_id": seed.role_id,
                "candidate_id": seed.candidate_id,
                "workflow_id": f"seed-{campaign_id}",
                "status": seed.status,
                "definition": BRIEF_EXAMPLE,
                "definition_hash": "seed",
                "created_at": created,
                "started_at": created,
                "ends_at": created + timedelta(days=30),
                "next_action": None if seed.next_in_minutes is None else "SEND",
                "next_action_channel": None if seed.next_in_minutes is None else "GMAIL",
                "next_action_at": None
                if seed.next_in_minutes is None
                else now + timedelta(minutes=seed.next_in_minutes),
                "waiting_channel_type": seed.waiting_channel_type,
                "waiting_cause": seed.waiting_cause,
                "steps_total": len(BRIEF_EXAMPLE["nodes"]),
                "steps_done": 1,
                "snapshot_seq": 1,
                "updated_at": now,
            }
        )
        steps.extend(
            {
                "campaign_id": campaign_id,
                "node_id": node["id"],
                "position": position,
                "type": node["type"],
                "channel": node.get("channel"),
                "status": "SENT" if position == 0 else "PENDING",
                "attempts": 0,
            }
            for position, node in enumerate(BRIEF_EXAMPLE["nodes"])
        )
    return campaigns, steps


async def seed(engine: AsyncEngine, seeds: Iterable[SeedCampaign], batch: int = 2_000) -> None:
    campaigns, steps = campaign_rows(seeds)
    async with engine.begin() as connection:
        for start in range(0, len(campaigns), batch):
            await connection.execute(insert(Campaign), campaigns[start : start + batch])
        for start in range(0, len(steps), batch * 6):
            await connection.execute(insert(CampaignStep), steps[start : start + batch * 6])
