"""Prometheus metrics from the read model: campaigns by status, webhooks by outcome."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select

from api.deps import SessionDep
from campaigns.status import CampaignStatus
from db.models import Campaign, WebhookReceipt

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(session: SessionDep) -> str:
    """Gauges in the Prometheus text format (no personal data: counts only)."""
    by_status = dict(
        (
            await session.execute(select(Campaign.status, func.count()).group_by(Campaign.status))
        ).all()
    )
    webhooks = (
        await session.execute(
            select(WebhookReceipt.kind, WebhookReceipt.outcome, func.count()).group_by(
                WebhookReceipt.kind, WebhookReceipt.outcome
            )
        )
    ).all()
    lines = [
        "# HELP campaign_executor_campaigns Campaigns in the read model by status.",
        "# TYPE campaign_executor_campaigns gauge",
        *(
            f'campaign_executor_campaigns{{status="{s.value}"}} {by_status.get(s.value, 0)}'
            for s in CampaignStatus
        ),
        "# HELP campaign_executor_webhooks_total Platform webhooks received, by kind and outcome.",
        "# TYPE campaign_executor_webhooks_total counter",
        *(
            f'campaign_executor_webhooks_total{{kind="{kind}",outcome="{outcome}"}} {count}'
            for kind, outcome, count in webhooks
        ),
    ]
    return "\n".join(lines) + "\n"
