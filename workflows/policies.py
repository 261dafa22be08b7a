"""Timeouts and retry policies of the campaign's activities, in one place.

Each channel retries on its own schedule: LinkedIn is slow to recover and punishes bursts, so
it backs off further than email. Every interval is divided by the campaign's time scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio.common import RetryPolicy

from campaigns.definition import ChannelType


@dataclass(frozen=True)
class ChannelRetry:
    initial_interval: timedelta
    maximum_interval: timedelta
    backoff_coefficient: float = 2.0


CHANNEL_RETRY: dict[ChannelType, ChannelRetry] = {
    ChannelType.EMAIL: ChannelRetry(timedelta(seconds=10), timedelta(minutes=10)),
    ChannelType.LINKEDIN: ChannelRetry(timedelta(seconds=30), timedelta(minutes=30)),
}

# How long one send attempt may take before Temporal retries it (the worker may have died):
# a few platform calls of at most PLATFORM_TIMEOUT_SECONDS (10 s) each, with room to spare.
SEND_ATTEMPT_TIMEOUT = timedelta(seconds=60)

# A logged-out or missing channel is re-checked on this backing-off interval, besides the
# `channel_restored` signal that the platform's webhook triggers.
CHANNEL_RECHECK_INITIAL = timedelta(minutes=5)
CHANNEL_RECHECK_MAXIMUM = timedelta(hours=6)

# Recording to the read model: a local activity, retried quickly; a stale read model is fixed
# by the next snapshot, so a long database outage never blocks the campaign itself.
RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_SCHEDULE_TO_CLOSE = timedelta(minutes=10)
# The end is recorded by no later snapshot, so it is tried for longer.
RECORD_FINAL_SCHEDULE_TO_CLOSE = timedelta(hours=1)
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)

# A safety net beyond the 30-day deadline the workflow enforces itself.
EXECUTION_TIMEOUT_MARGIN = timedelta(days=1)

_MINIMUM_INTERVAL = timedelta(seconds=1)


def scaled(duration: timedelta, time_scale: float) -> timedelta:
    return duration / time_scale


def send_retry_policy(channel_type: ChannelType, time_scale: float) -> RetryPolicy:
    retry = CHANNEL_RETRY[channel_type]
    return RetryPolicy(
        initial_interval=max(_MINIMUM_INTERVAL, scaled(retry.initial_interval, time_scale)),
        maximum_interval=max(_MINIMUM_INTERVAL, scaled(retry.maximum_interval, time_scale)),
        backoff_coefficient=retry.backoff_coefficient,
        maximum_attempts=0,  # until the campaign's deadline (the schedule-to-close timeout)
    )
