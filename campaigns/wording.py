"""How the product talks about campaigns: step labels, durations, and the campaign's codes
(next and last action, waiting reasons, step details) in words.

Used by the workflow only for the timer and activity summaries shown in the Temporal Web UI;
the API and the dashboard word the codes the workflow stores, so both say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from campaigns.codes import CampaignError, EndDetail, LastAction, NextAction, StepDetail
from campaigns.definition import CHANNEL_TYPE_OF, ChannelType, MessageChannel
from campaigns.sending_limits import SEND_KIND_OF, WaitReason, describe_no_slot, describe_wait_in
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


_Code = TypeVar("_Code", bound=StrEnum)


# --- the campaign's codes in words -----------------------------------------------------------
# The workflow and the read model keep codes (`campaigns/codes.py`); these word them for the
# API and the dashboard. A stored value that is no known code (a row recorded before the codes,
# or a platform's own words) is shown as it is.

_NEXT_ACTIONS: dict[NextAction, str] = {
    NextAction.NEXT_DELAY: "Next delay",
    NextAction.CAMPAIGN_CONTINUES: "Campaign continues",
    NextAction.END_IF_NO_REPLY: "Campaign ends if no reply",
    NextAction.RESUME: "Resumes",
}
_LAST_ACTIONS: dict[LastAction, str] = {
    LastAction.SENT: "sent",
    LastAction.SKIPPED: "skipped",
    LastAction.FAILED: "failed",
    LastAction.NOT_SENT: "not sent",
}
_CHANNEL_WAIT_REASONS: dict[WaitCause, Callable[[ChannelType], str]] = {
    WaitCause.LOGGED_OUT: logged_out_reason,
    WaitCause.NO_CHANNEL: missing_channel_reason,
    WaitCause.CHANNEL_ERROR: channel_error_reason,
    WaitCause.PLATFORM_UNAUTHORIZED: unauthorized_reason,
}
_MISSING_CONTACT: dict[ChannelType, str] = {
    ChannelType.EMAIL: "Skipped: the candidate has no email address",
    ChannelType.LINKEDIN: "Skipped: the candidate has no LinkedIn profile",
}
_STEP_DETAILS: dict[StepDetail, str] = {
    StepDetail.CANDIDATE_NOT_FOUND: "Candidate not found on the platform",
    StepDetail.IN_FLIGHT_WHEN_ENDED: (
        "Was being sent when the campaign ended: it may have reached the candidate; "
        "nothing after it"
    ),
    StepDetail.SENT_AS_IT_ENDED: "Posted just as the campaign ended: the candidate has it",
    StepDetail.STOPPED_BEFORE_POST: "Not sent: stopped before it was posted",
    StepDetail.ENDED_BY_REPLY: "Not sent: campaign ended (the candidate replied)",
    StepDetail.ENDED_BY_CANCEL: "Not sent: campaign ended (cancelled)",
    StepDetail.ENDED_AT_LIMIT: "Not sent: campaign ended (no reply in 30 days)",
}
_CAMPAIGN_ERRORS: dict[CampaignError, str] = {
    CampaignError.FINAL_REPLY_CHECK_FAILED: (
        "The last reply check before the end could not read the chats"
    ),
}


def _known(codes: type[_Code], value: str | None) -> _Code | None:
    try:
        return codes(value) if value is not None else None
    except ValueError:
        return None


def _channel(value: str | None) -> MessageChannel | None:
    return _known(MessageChannel, value)


def next_action_words(code: str | None, channel: str | None) -> str | None:
    """'Send LinkedIn message', 'Re-check Email channel', 'Campaign ends if no reply'…"""
    action, on = _known(NextAction, code), _channel(channel)
    if action is NextAction.SEND and on is not None:
        return f"Send {CHANNEL_LABELS[on]}"
    if action is NextAction.RECHECK_CHANNEL and on is not None:
        return f"Re-check {CHANNEL_TYPE_LABELS[CHANNEL_TYPE_OF[on]]} channel"
    return _NEXT_ACTIONS.get(action, code) if action is not None else code


def last_action_words(code: str | None, channel: str | None) -> str | None:
    """'Email sent', 'LinkedIn message skipped', 'Candidate replied'…"""
    action, on = _known(LastAction, code), _channel(channel)
    if action is LastAction.CANDIDATE_REPLIED:
        return "Candidate replied"
    if action is not None and on is not None:
        return f"{CHANNEL_LABELS[on]} {_LAST_ACTIONS[action]}"
    return code


def waiting_reason_words(
    code: str | None,
    channel: str | None,
    at: datetime | None,
    time_zone: str | None,
    *,
    now: datetime,
) -> str | None:
    """Why a send waits: for its channel ('LinkedIn logged out — reconnect') or for its slot
    at `at` ('Email daily limit reached — next slot Tue 09:12 (Europe/Brussels)')."""
    cause, on = _known(WaitCause, code), _channel(channel)
    if cause is None or on is None:
        return code
    if cause in _CHANNEL_WAIT_REASONS:
        return _CHANNEL_WAIT_REASONS[cause](CHANNEL_TYPE_OF[on])
    if at is None or time_zone is None:
        return code
    return describe_wait_in(WaitReason(cause.value), SEND_KIND_OF[on], at, time_zone, now=now)


def step_detail_words(
    code: str | None,
    channel: str | None,
    cause: str | None,
    due_at: datetime | None,
    time_zone: str | None,
    *,
    now: datetime,
) -> str | None:
    """A step's detail in words, from its code and parameters."""
    detail, on, why = _known(StepDetail, code), _channel(channel), _known(WaitCause, cause)
    if detail is None:
        return code
    if detail in _STEP_DETAILS:
        return _STEP_DETAILS[detail]
    if on is None:
        return code
    if detail is StepDetail.NO_CONTACT:
        return _MISSING_CONTACT[CHANNEL_TYPE_OF[on]]
    if why is None:
        return code
    if detail is StepDetail.NO_SLOT:
        return describe_no_slot(WaitReason(why.value), SEND_KIND_OF[on])
    if detail is StepDetail.CHANNEL_NEVER_RESTORED:
        return f"Not sent: {never_restored_reason(CHANNEL_TYPE_OF[on], why)}"
    return waiting_reason_words(why, channel, due_at, time_zone, now=now)


def end_detail_words(code: str | None, channel: str | None, cause: str | None) -> str | None:
    """Why an end needs attention, from the step that waited for its channel until the end."""
    on, why = _channel(channel), _known(WaitCause, cause)
    if _known(EndDetail, code) is EndDetail.CHANNEL_NEVER_RESTORED and on and why:
        return never_restored_reason(CHANNEL_TYPE_OF[on], why)
    return code


def last_error_words(code: str | None) -> str | None:
    error = _known(CampaignError, code)
    return _CAMPAIGN_ERRORS[error] if error is not None else code
