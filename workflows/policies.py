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

# A send reports a heartbeat about every second (the worker's throttle); a worker that died
# mid-send is noticed after this long instead of SEND_ATTEMPT_TIMEOUT.
SEND_HEARTBEAT_TIMEOUT = timedelta(seconds=30)

# A logged-out or missing channel is re-checked on this backing-off interval, besides the
# `channel_restored` signal that the platform's webhook triggers.
CHANNEL_RECHECK_INITIAL = timedelta(minutes=5)
CHANNEL_RECHECK_MAXIMUM = timedelta(hours=6)
# A channel in ERROR is a platform-side outage that heals on its own: looked at sooner and
# more often, but still backing off so a day-long outage adds a bounded history.
CHANNEL_ERROR_RECHECK_INITIAL = timedelta(seconds=30)
CHANNEL_ERROR_RECHECK_MAXIMUM = timedelta(hours=1)

# The last look at the chats before a campaign ends without a reply. If the platform cannot
# be read for this long, the campaign ends as NO_REPLY and says that the check failed.
FINAL_REPLY_CHECK_TIMEOUT = timedelta(seconds=60)
FINAL_REPLY_CHECK_LIMIT = timedelta(hours=6)

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


def scaled_at_least(duration: timedelta, time_scale: float, minimum: timedelta) -> timedelta:
    return max(minimum, scaled(duration, time_scale))


def final_reply_check_retry(time_scale: float) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=scaled_at_least(timedelta(seconds=10), time_scale, _MINIMUM_INTERVAL),
        maximum_interval=scaled_at_least(timedelta(minutes=10), time_scale, _MINIMUM_INTERVAL),
        maximum_attempts=0,  # until FINAL_REPLY_CHECK_LIMIT
    )


def send_retry_policy(channel_type: ChannelType, time_scale: float) -> RetryPolicy:
    retry = CHANNEL_RETRY[channel_type]
    return RetryPolicy(
        initial_interval=scaled_at_least(retry.initial_interval, time_scale, _MINIMUM_INTERVAL),
        maximum_interval=scaled_at_least(retry.maximum_interval, time_scale, _MINIMUM_INTERVAL),
        backoff_coefficient=retry.backoff_coefficient,
        maximum_attempts=0,  # until the campaign's deadline (the schedule-to-close timeout)
    )


# Releasing an ended campaign's booked send slots: one short transaction, retried a while.
RELEASE_SLOTS_TIMEOUT = timedelta(seconds=30)
RELEASE_SLOTS_LIMIT = timedelta(minutes=10)
