"""Prometheus metrics of the API (api/telemetry.py), in the text format, without auth."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import SessionDep
from api.telemetry import MetricsDep
from db import campaign_queries

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
async def metrics(session: SessionDep, registry: MetricsDep) -> Response:
    """Counters and gauges for Prometheus (no personal data: counts by bounded labels only)."""
    registry.set_campaign_counts(await campaign_queries.status_counts(session))
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
