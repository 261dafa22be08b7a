"""How the product talks about campaigns: step labels, durations, waiting reasons.

Used by the workflow (timer and activity summaries shown in the Temporal Web UI, waiting
reasons) and by the dashboard, so both say the same thing.
"""

from __future__ import annotations

from datetime import timedelta

from campaigns.definition import ChannelType, MessageChannel
from campaigns.status import WaitCause

CHANNEL_LABELS: dict[MessageChannel, str] = {
    MessageChannel.LINKEDIN_MESSAGE: "LinkedIn message",
    MessageChannel.LINKEDIN_CONNECTION_REQUEST: "LinkedIn connection request",
    MessageChannel.GMAIL: "Email (Gmail)",
    MessageChannel.EMAIL: "Email",
}

CHANNEL_TYPE_LABELS: dict[ChannelType, str] = {
    ChannelType.EMAIL: "Email",
    ChannelType.LINKEDIN: "LinkedIn",
}


def human_duration(duration: timedelta) -> str:
    """'2 d', '1 d 4 h', '3 h 5 min', '45 s': the two largest units, for people."""
    seconds = max(0, int(duration.total_seconds()))
    units = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))
    parts: list[str] = []
    for name, size in units:
        value, seconds = divmod(seconds, size)
        if value:
            parts.append(f"{value} {name}")
        if len(parts) == 2:
            break
    return " ".join(parts) or "0 s"


def send_summary(channel: MessageChannel, node_id: int) -> str:
    return f"Send {channel.value} — node {node_id}"


def delay_summary(duration: timedelta, next_node_id: int | None) -> str:
    target = f"node {next_node_id}" if next_node_id is not None else "the end of the campaign"
    return f"Wait {human_duration(duration)} before {target}"


def logged_out_reason(channel_type: ChannelType) -> str:
    return f"{CHANNEL_TYPE_LABELS[channel_type]} logged out — reconnect"


def missing_channel_reason(channel_type: ChannelType) -> str:
    return f"No {CHANNEL_TYPE_LABELS[channel_type]} channel connected — connect one"


def channel_error_reason(channel_type: ChannelType) -> str:
    return f"{CHANNEL_TYPE_LABELS[channel_type]} is failing on the platform — retrying"


def unauthorized_reason(channel_type: ChannelType) -> str:
    return "The platform refused Campaign Executor's credentials — an operator is alerted"


def never_restored_reason(channel_type: ChannelType, cause: WaitCause) -> str:
    """Why a campaign that waited for its channel until the 30-day limit sent no more."""
    label = CHANNEL_TYPE_LABELS[channel_type]
    if cause is WaitCause.LOGGED_OUT:
        return f"{label} stayed logged out until the 30-day limit"
    if cause is WaitCause.NO_CHANNEL:
        return f"no {label} channel was connected before the 30-day limit"
    if cause is WaitCause.PLATFORM_UNAUTHORIZED:
        return "the platform refused Campaign Executor's credentials until the 30-day limit"
    return f"{label} kept failing on the platform until the 30-day limit"
