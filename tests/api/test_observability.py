"""Metrics with bounded labels, and log lines with ids and no personal data, through the real
stack: the API over HTTP, a worker on the dev server serving its metrics, the simulator."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from campaigns.status import WaitCause
from db.engine import SessionFactory
from observability.logs import ContextFilter, ContextJsonFormatter
from observability.worker_metrics import WorkerMetrics, serve_worker_metrics
from tests.api.conftest import ApiStack, api_stack_on
from tests.conftest import SERVICE_TOKEN, WEBHOOK_SECRET
from tests.support.campaigns import ANDREAS, MILAN, ROLE_SWE, eventually, sent_messages, sim_post
from tests.support.simulator_process import free_port

CAMPAIGN = f"/role/{ROLE_SWE}/candidate/{MILAN}/campaign"
CAMPAIGN_ROUTE = "/role/{roleId}/candidate/{candidateId}/campaign"
# Texts only this module uses, so finding one in the logs can only mean it leaked.
SUBJECT = "Subject-7f3a about the Staff role"
MESSAGE = "Message-91c2: your work on the compiler caught our eye"
REPLY = "Reply-5d0e: happy to talk on Tuesday"
ONE_EMAIL = {
    "nodes": [
        {
            "id": 1,
            "type": "message",
            "channel": "EMAIL",
            "subject_line": SUBJECT,
            "message": MESSAGE,
        }
    ]
}
# Milan's personal data in the simulator's seed (simulator/seed.json).
MILAN_PERSONAL = ("Milan", "Peeters", "milan.peeters@example.com", "milan-peeters")


@dataclass
class Observed:
    api: ApiStack
    worker_metrics_url: str


@pytest.fixture
async def observed(
    dev_temporal_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    simulator: str,
    task_queue: str,
) -> AsyncIterator[Observed]:
    """The API and a worker whose metrics are served over HTTP, as `python worker.py` does."""
    metrics = WorkerMetrics()
    metrics.watch_waiting(sessions, asyncio.get_running_loop())
    port = free_port()
    stop = serve_worker_metrics(metrics, "127.0.0.1", port)
    try:
        async with api_stack_on(
            dev_temporal_env.client,
            database_url,
            simulator,
            task_queue,
            sessions,
            worker_metrics=metrics,
        ) as api:
            yield Observed(api, f"http://127.0.0.1:{port}/metrics")
    finally:
        stop()


async def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus endpoint, by name and labels, parsed by prometheus_client."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(url)
    response.raise_for_status()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def _status(api: ApiStack) -> str | None:
    async with api.client() as http:
        response = await http.get(CAMPAIGN)
    return response.json()["status"] if response.status_code == 200 else None


async def _send_then_reply(api: ApiStack) -> None:
    """Start the one-email campaign, let it send, and have Milan reply by email (webhook)."""
    async with api.client() as http:
        (await http.put(CAMPAIGN, json=ONE_EMAIL)).raise_for_status()
    await eventually(lambda: sent_messages(api.simulator, MILAN))
    await sim_post(
        api.simulator,
        f"/_sim/candidates/{MILAN}/reply",
        {"channelId": ANDREAS["email_channel"], "body": REPLY, "subject": f"Re: {SUBJECT}"},
    )

    async def replied() -> bool:
        return await _status(api) == "REPLIED"

    await eventually(replied)


def _label_values(samples: dict) -> set[str]:
    return {v for (_, labels) in samples for k, v in labels if k != "le"}


async def test_metrics_count_requests_sends_and_replies_with_bounded_labels(
    observed: Observed,
) -> None:
    api = observed.api
    await _send_then_reply(api)
    async with httpx.AsyncClient(base_url=api.url) as anonymous:
        assert (await anonymous.get(f"/no/such/path/{MILAN}")).status_code == 404

    async def halt_observed() -> dict:
        samples = await scrape(observed.worker_metrics_url)
        halted = value(samples, "campaign_executor_reply_to_halt_seconds_count", source="webhook")
        return samples if halted == 1 else {}

    worker = await eventually(halt_observed)
    assert value(worker, "campaign_executor_messages_total", channel="EMAIL", outcome="sent") == 1
    assert value(worker, "campaign_executor_messages_total", channel="GMAIL", outcome="sent") == 0
    assert value(worker, "campaign_executor_send_duration_seconds_count", channel="EMAIL") == 1
    for cause in WaitCause:
        assert value(worker, "campaign_executor_campaigns_waiting", cause=cause.value) == 0

    http_api = await scrape(f"{api.url}/metrics")
    requests = "campaign_executor_http_requests_total"
    put = {"method": "PUT", "route": CAMPAIGN_ROUTE, "status_class": "2xx"}
    assert value(http_api, requests, **put) == 1
    webhook = {"method": "POST", "route": "/webhooks/reply", "status_class": "2xx"}
    assert value(http_api, requests, **webhook) == 1
    unmatched = {"method": "GET", "route": "unmatched", "status_class": "4xx"}
    assert value(http_api, requests, **unmatched) == 1
    assert value(http_api, "campaign_executor_campaigns_started_total") == 1
    replies = "campaign_executor_replies_received_total"
    assert value(http_api, replies, outcome="SIGNALLED") == 1
    assert value(http_api, replies, outcome="DUPLICATE") == 0
    assert value(http_api, "campaign_executor_campaigns", status="REPLIED") == 1
    # No label holds an id or a raw path: the candidate's id appears in none.
    for label in _label_values(worker) | _label_values(http_api):
        assert str(MILAN) not in label


async def test_campaigns_waiting_for_a_logged_out_channel_are_counted(observed: Observed) -> None:
    api = observed.api
    await sim_post(
        api.simulator,
        f"/_sim/channels/{ANDREAS['email_channel']}/status",
        {"status": "ERROR_CREDENTIALS", "deliverWebhook": False},
        method="PUT",
    )
    async with api.client() as http:
        (await http.put(CAMPAIGN, json=ONE_EMAIL)).raise_for_status()

    async def logged_out() -> float | None:
        samples = await scrape(observed.worker_metrics_url)
        return value(samples, "campaign_executor_campaigns_waiting", cause="LOGGED_OUT")

    assert await eventually(logged_out) == 1
    async with api.client() as http:
        await http.delete(CAMPAIGN)


async def test_request_id_is_taken_from_the_caller_or_made_and_always_answered(
    observed: Observed,
) -> None:
    async with observed.api.client() as http:
        given = await http.get("/healthz", headers={"X-Request-ID": "trace-42.a"})
        made = await http.get("/healthz")
        refused = await http.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert given.headers["X-Request-ID"] == "trace-42.a"
    assert len(made.headers["X-Request-ID"]) == 32
    assert refused.headers["X-Request-ID"] not in ("bad id\twith spaces", "")


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every INFO line of every logger, as the JSON handler of observability/logging.json
    writes it (same formatter, same filter)."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(ContextJsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield output
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_logs_of_a_sent_and_replied_campaign_hold_ids_and_no_personal_data(
    captured_logs: io.StringIO, observed: Observed
) -> None:
    api = observed.api
    await _send_then_reply(api)
    async with api.client() as http:
        view = (await http.get(CAMPAIGN)).json()
    assert view["reply"]["body"] == REPLY  # the API did read the texts it must not log

    text = captured_logs.getvalue()
    for personal in (SUBJECT, MESSAGE, REPLY, *MILAN_PERSONAL, "tok-andreas"):
        assert personal not in text
    for secret in (SERVICE_TOKEN, WEBHOOK_SECRET):
        assert secret not in text

    lines: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines()]
    put = next(
        line
        for line in lines
        if line["logger"] == "api.telemetry" and line["message"].startswith("PUT ")
    )
    assert put["message"].startswith(f"PUT {CAMPAIGN_ROUTE} 201")
    assert put["request_id"]
    sent = next(line for line in lines if line["message"].startswith("Sent node 1 "))
    assert sent["campaign_id"] == view["campaignId"]
    assert sent["workflow_id"] == f"campaign-candidate-{MILAN}"
    assert sent["node_id"] == 1
    assert {"time", "level"} <= sent.keys()
