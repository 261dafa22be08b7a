"""The worker's own metrics for Prometheus, in a registry of their own.

Labels come from closed enums only (channel, outcome, wait cause, reply source), never from
ids: every series exists from the start and their number never grows.

- `campaign_executor_messages_total{channel,outcome}`: messages whose send ended, by what
  became of the step (sent, skipped: no address on the channel, failed: refused by the
  platform, no_slot: no send slot before the 30 days). Counted by the send activity when it
  returns, once per step (a retry that finds the earlier post counts it as that step's send).
- `campaign_executor_send_duration_seconds{channel}`: how long the platform's POST took.
- `campaign_executor_campaigns_waiting{cause}`: active campaigns waiting for a channel or a send
  slot, read from the read model at each scrape.
- `campaign_executor_reply_to_halt_seconds{source}`: from the candidate's reply (the
  platform's `sentAt`) to the campaign's halt (its recorded end), by how the reply was found;
  observed when the read model records a REPLIED end.

`serve_worker_metrics` serves them on WORKER_METRICS_PORT; the Temporal SDK's own metrics are
on TEMPORAL_METRICS_PORT (`temporal_runtime`), see docs/operations.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from campaigns.contracts import SendOutcomeKind
from campaigns.definition import MessageChannel
from campaigns.status import ReplySource, WaitCause
from db import campaign_queries
from db.engine import SessionFactory

logger = logging.getLogger(__name__)

# A scrape waits this long for the read model before it leaves the waiting gauge out.
READ_MODEL_TIMEOUT_SECONDS = 5.0


class MessageOutcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    NO_SLOT = "no_slot"


# Send outcomes that end the step, and what became of the message (the workflow's step status:
# SENT, SKIPPED, FAILED, NOT_SENT). The others wait (a channel, a slot) or found a reply.
MESSAGE_OUTCOME_OF: dict[SendOutcomeKind, MessageOutcome] = {
    SendOutcomeKind.SENT: MessageOutcome.SENT,
    SendOutcomeKind.CANDIDATE_UNREACHABLE: MessageOutcome.SKIPPED,
    SendOutcomeKind.REJECTED: MessageOutcome.FAILED,
    SendOutcomeKind.NO_SLOT: MessageOutcome.NO_SLOT,
}

# Seconds: a POST takes well under a second; a reply reaches its campaign in seconds by webhook,
# within the watcher's interval (6 h) without one.
SEND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
REPLY_TO_HALT_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400)

WaitingCounts = Callable[[], Awaitable[dict[str, int]]]


class WorkerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "campaign_executor_messages",
            "Messages whose send ended, by channel and outcome (sent, skipped, failed, no_slot).",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.send_duration = Histogram(
            "campaign_executor_send_duration_seconds",
            "How long the platform took to answer a message's POST, by channel.",
            ["channel"],
            buckets=SEND_BUCKETS,
            registry=self.registry,
        )
        self.reply_to_halt = Histogram(
            "campaign_executor_reply_to_halt_seconds",
            "From the candidate's reply to the campaign's halt, by how the reply was found.",
            ["source"],
            buckets=REPLY_TO_HALT_BUCKETS,
            registry=self.registry,
        )
        for channel in MessageChannel:
            self.send_duration.labels(channel.value)
            for outcome in MessageOutcome:
                self.messages.labels(channel.value, outcome.value)
        for source in ReplySource:
            self.reply_to_halt.labels(source.name.lower())

    def count_send(self, channel: MessageChannel, kind: SendOutcomeKind) -> None:
        outcome = MESSAGE_OUTCOME_OF.get(kind)
        if outcome is not None:
            self.messages.labels(channel.value, outcome.value).inc()

    def observe_reply_to_halt(self, source: ReplySource, seconds: float) -> None:
        self.reply_to_halt.labels(source.name.lower()).observe(max(0.0, seconds))

    def watch_waiting(self, sessions: SessionFactory, loop: asyncio.AbstractEventLoop) -> None:
        """Report `campaign_executor_campaigns_waiting` from the read model, queried on `loop`
        (the worker's) at each scrape, which is answered on another thread."""

        async def counts() -> dict[str, int]:
            async with sessions() as session:
                return await campaign_queries.waiting_counts(session)

        self.registry.register(_WaitingCampaigns(counts, loop))


class _WaitingCampaigns(Collector):
    def __init__(self, counts: WaitingCounts, loop: asyncio.AbstractEventLoop) -> None:
        self._counts = counts
        self._loop = loop

    def describe(self) -> list[GaugeMetricFamily]:
        return [self._family()]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop or self._loop.is_closed():
            return  # on the loop's own thread the query could never run: leave it out
        future = asyncio.run_coroutine_threadsafe(self._counts(), self._loop)
        try:
            counts = future.result(timeout=READ_MODEL_TIMEOUT_SECONDS)
        except Exception as error:  # the read model is down or slow: the rest still answers
            future.cancel()
            logger.warning("Campaigns waiting not reported: %s", type(error).__name__)
            return
        family = self._family()
        for cause in WaitCause:
            family.add_metric([cause.value], counts.get(cause.value, 0))
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "campaign_executor_campaigns_waiting",
            "Active campaigns waiting for a channel or a send slot, by cause (read model).",
            labels=["cause"],
        )


def serve_worker_metrics(metrics: WorkerMetrics, host: str, port: int) -> Callable[[], None]:
    """Serve `metrics` at http://host:port/metrics on a thread; returns what stops it."""
    server, thread = start_http_server(port, addr=host, registry=metrics.registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


def temporal_runtime(host: str, port: int) -> Runtime:
    """A Temporal runtime whose SDK metrics (workflow and activity tasks, polls, latencies,
    sticky cache) are served for Prometheus at http://host:port/metrics."""
    return Runtime(
        telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"{host}:{port}"))
    )
