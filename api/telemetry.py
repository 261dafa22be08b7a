"""What the API tells operators about each request: a request id, metrics, an access line.

- Request id: the caller's `X-Request-ID` when it is a short token (letters, digits, `-_.:`),
  else a new one; answered in the same header and set on every log line of the request.
- Metrics (`ApiMetrics`, a registry per app, so tests can build several): requests by method,
  route template and status class, their latency, campaigns started, reply webhooks by outcome,
  channel webhooks by status, and campaigns by status from the read model at each scrape.
  Labels are templates and closed sets only, never ids or raw paths.
- One access line a request (route template, status, duration): uvicorn's own is silenced
  (observability/logging.json) because it holds the query string.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaigns.status import CampaignStatus
from observability.logs import request_id

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# What `POST /webhooks/reply` answers (api/routes/webhooks.py), and a channel's statuses.
REPLY_OUTCOMES = (
    "SIGNALLED",
    "DUPLICATE",
    "IGNORED_NO_RUNNING_CAMPAIGN",
    "IGNORED_BEFORE_CAMPAIGN_START",
)
CHANNEL_STATUSES = ("OK", "ERROR", "ERROR_CREDENTIALS")
UNMATCHED_ROUTE = "unmatched"


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "campaign_executor_http_requests",
            "HTTP requests answered, by method, route template and status class (2xx, 4xx, …).",
            ["method", "route", "status_class"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            "campaign_executor_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.campaigns_started = Counter(
            "campaign_executor_campaigns_started",
            "Campaigns started through the API (a PUT that answered 201).",
            registry=self.registry,
        )
        self.replies = Counter(
            "campaign_executor_replies_received",
            "Reply webhooks accepted (signed and valid), by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.channel_webhooks = Counter(
            "campaign_executor_channel_webhooks",
            "Channel webhooks accepted (signed and valid), by the channel's new status.",
            ["status"],
            registry=self.registry,
        )
        self.campaigns = Gauge(
            "campaign_executor_campaigns",
            "Campaigns in the read model by status (read at each scrape).",
            ["status"],
            registry=self.registry,
        )
        for outcome in REPLY_OUTCOMES:
            self.replies.labels(outcome)
        for status in CHANNEL_STATUSES:
            self.channel_webhooks.labels(status)

    def count_reply(self, outcome: str) -> None:
        self.replies.labels(outcome if outcome in REPLY_OUTCOMES else "OTHER").inc()

    def set_campaign_counts(self, counts: dict[str, int]) -> None:
        for status in CampaignStatus:
            self.campaigns.labels(status.value).set(counts.get(status.value, 0))


async def get_metrics(request: Request) -> ApiMetrics:  # async: see api/deps.py
    return request.app.state.metrics


MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


class RequestTelemetryMiddleware:
    """Request id, metrics and the access line, around every HTTP request (pure ASGI, so the
    request id's context variable is the one the route's code sees)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, REQUEST_ID_HEADER.lower().encode())
        rid = given if given and _GOOD_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        root_path = scope.get("root_path", "")
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.lower().encode(), rid.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = _route_template(scope, root_path)
            self.metrics.requests.labels(method, route, f"{status // 100}xx").inc()
            self.metrics.request_duration.labels(method, route).observe(elapsed)
            logger.info("%s %s %s %.1f ms", method, route, status, elapsed * 1000)
            request_id.reset(token)


def install_telemetry(app: FastAPI) -> ApiMetrics:
    """Give `app` its metrics (`app.state.metrics`) and the request middleware."""
    metrics = ApiMetrics()
    app.state.metrics = metrics
    app.add_middleware(RequestTelemetryMiddleware, metrics=metrics)
    return metrics


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _route_template(scope: Scope, root_path: str) -> str:
    """The matched route's template (`/role/{roleId}/campaigns`), a mount's prefix plus
    `/{path}` (static files), or `unmatched`: never the raw path, which holds ids."""
    route = scope.get("route")
    if route is not None and isinstance(getattr(route, "path", None), str):
        return route.path
    mounted = scope.get("root_path", "")[len(root_path) :]
    return f"{mounted}/{{path}}" if mounted else UNMATCHED_ROUTE
