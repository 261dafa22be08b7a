"""How the dashboard shows campaigns: status badges, progress segments, timeline lines.

Presentation only: every number and state comes unchanged from CampaignService, the read path
the API answers with; the wording of channels and durations comes from `campaigns.wording`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from api.schemas import CampaignView, EventView, RoleCampaignRow, StepView
from campaigns.definition import CHANNEL_TYPE_OF, ChannelType, MessageChannel
from campaigns.status import ACTIVE_STATUSES, CampaignStatus, EndReason, StepStatus
from campaigns.wording import CHANNEL_LABELS, CHANNEL_TYPE_LABELS, human_duration

NO_CAMPAIGN = "NONE"
CANCELLING = "CANCELLING"  # CancelResult: asked to stop, not yet recorded as stopped


@dataclass(frozen=True)
class Badge:
    label: str
    tone: str  # the CSS modifier: badge--<tone>


# One word for each status wherever it shows (badge, filter, roles-page tile). The API keeps
# its codes; only these words are for people. COMPLETED is what it means to a recruiter: the
# 30 days ran out without a reply (its own tone, so it does not look like a cancel).
WAITING_FOR_A_CHANNEL = "Waiting for a channel"
STATUS_BADGES: dict[str, Badge] = {
    CampaignStatus.RUNNING: Badge("Running", "running"),
    CampaignStatus.WAITING_FOR_CHANNEL: Badge(WAITING_FOR_A_CHANNEL, "waiting"),
    CampaignStatus.PAUSED: Badge("Paused", "paused"),
    CampaignStatus.REPLIED: Badge("Replied", "replied"),
    CampaignStatus.COMPLETED: Badge("Ended — no reply in 30 days", "ended"),
    CampaignStatus.CANCELLED: Badge("Cancelled", "cancelled"),
    CampaignStatus.FAILED: Badge("Failed", "failed"),
    CANCELLING: Badge("Cancelling", "cancelled"),
    NO_CAMPAIGN: Badge("Not contacted", "none"),
}

# The roles page counts candidates by their campaign's status, in this order ("Paused" and
# "Failed" only when any).
ROLE_COUNTED: tuple[str, ...] = (
    CampaignStatus.RUNNING,
    CampaignStatus.WAITING_FOR_CHANNEL,
    CampaignStatus.PAUSED,
    CampaignStatus.REPLIED,
    CampaignStatus.COMPLETED,
    CampaignStatus.CANCELLED,
    CampaignStatus.FAILED,
)
ALWAYS_COUNTED = frozenset(
    {
        CampaignStatus.RUNNING,
        CampaignStatus.WAITING_FOR_CHANNEL,
        CampaignStatus.REPLIED,
        CampaignStatus.COMPLETED,
        CampaignStatus.CANCELLED,
    }
)

# The role page's `?status=` value of each status (lowercase words in links people share).
STATUS_QUERY: dict[str, str] = {
    CampaignStatus.RUNNING: "running",
    CampaignStatus.WAITING_FOR_CHANNEL: "waiting",
    CampaignStatus.PAUSED: "paused",
    CampaignStatus.REPLIED: "replied",
    CampaignStatus.COMPLETED: "completed",
    CampaignStatus.CANCELLED: "cancelled",
    CampaignStatus.FAILED: "failed",
    NO_CAMPAIGN: "not_contacted",
}
SORTS: dict[str, str] = {"candidate": "Candidate", "next_action": "Next action"}

_ACTIVE = frozenset({*(s.value for s in ACTIVE_STATUSES), CANCELLING})


def status_badge(status: str) -> Badge:
    return STATUS_BADGES.get(status, Badge(status.replace("_", " ").capitalize(), "none"))


def is_active(status: str) -> bool:
    """Still changing on its own, so a page showing it keeps refreshing."""
    return status in _ACTIVE


@dataclass(frozen=True)
class RoleCount:
    """A tile of the roles page: how many candidates have this status, linking to them."""

    status: str
    label: str
    count: int
    badge: Badge
    query: str  # the role page's ?status= value


def role_counts(counts: dict[str, int]) -> list[RoleCount]:
    return [
        RoleCount(
            status,
            status_badge(status).label,
            counts.get(status, 0),
            status_badge(status),
            STATUS_QUERY[status],
        )
        for status in ROLE_COUNTED
        if status in ALWAYS_COUNTED or counts.get(status, 0)
    ]


@dataclass(frozen=True)
class RoleTotals:
    """A role's candidates: all of them, and those no campaign has contacted yet."""

    candidates: int
    not_contacted: int

    @property
    def candidates_text(self) -> str:
        return f"{self.candidates} candidate{'' if self.candidates == 1 else 's'}"


def role_totals(candidates: int, counts: dict[str, int]) -> RoleTotals:
    contacted = sum(counts.values())
    return RoleTotals(candidates, max(0, candidates - contacted))


# --- role overview ------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """A bar of one segment per message (delays are not counted: they send nothing), and the
    words for it in the same unit: "2 of 4 messages sent"."""

    segments: list[str]
    summary: str


def messages_sent(sent: int, messages: int, skipped: int) -> str:
    """'2 of 4 messages sent · 1 skipped': the one unit of progress on every page."""
    noun = "message" if messages == 1 else "messages"
    return f"{sent} of {messages} {noun} sent" + (f" · {skipped} skipped" if skipped else "")


def row_progress(row: RoleCampaignRow) -> Progress | None:
    statuses = row.message_statuses
    if row.campaign_id is None or not statuses:
        return None
    return Progress(
        _segments(statuses), messages_sent(row.steps_sent, len(statuses), row.steps_skipped)
    )


# --- campaign detail ----------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    label: str
    at: datetime
    format: str = "both"  # how dashboard.js writes it: absolute, relative, both, left


@dataclass
class TimelineStep:
    """One entry of the campaign's timeline: a step, a channel wait, or the reply."""

    number: int | None  # the step's number; None for a channel wait or the reply
    kind: str  # "message", "delay", "channel" or "reply"
    title: str
    badge: Badge | None
    tone: str
    family: str | None = None  # "email" / "linkedin": which icon
    subject: str | None = None
    message: str | None = None
    reason: str | None = None
    moments: list[Moment] = field(default_factory=list)
    # When it happened, for the true time order; None for what has not happened (yet).
    at: datetime | None = None
    order: float = 0.0  # among entries of the same moment


_MESSAGE_BADGES: dict[str, Badge] = {
    StepStatus.PENDING: Badge("Pending", "pending"),
    StepStatus.IN_PROGRESS: Badge("Sending", "running"),
    StepStatus.WAITING_FOR_CHANNEL: Badge(WAITING_FOR_A_CHANNEL, "waiting"),
    StepStatus.WAITING_FOR_SLOT: Badge("Scheduled", "waiting"),
    StepStatus.SENT: Badge("Sent", "sent"),
    StepStatus.SKIPPED: Badge("Skipped", "skipped"),
    StepStatus.FAILED: Badge("Failed", "failed"),
    StepStatus.NOT_SENT: Badge("Not sent", "not-sent"),
    StepStatus.POSSIBLY_SENT: Badge("May have been sent", "skipped"),
}
_DELAY_BADGES: dict[str, Badge] = {
    StepStatus.PENDING: Badge("Not started", "pending"),
    StepStatus.IN_PROGRESS: Badge("In progress", "running"),
    StepStatus.DONE: Badge("Done", "done"),
    StepStatus.NOT_SENT: Badge("Not reached", "not-sent"),
}
_SEGMENT_TONES: dict[str, str] = {
    StepStatus.SENT: "sent",
    StepStatus.SKIPPED: "skipped",
    StepStatus.DONE: "done",
    StepStatus.FAILED: "failed",
    StepStatus.NOT_SENT: "not-sent",
    StepStatus.POSSIBLY_SENT: "skipped",
    StepStatus.IN_PROGRESS: "current",
    StepStatus.WAITING_FOR_CHANNEL: "blocked",
    StepStatus.WAITING_FOR_SLOT: "current",
    StepStatus.PENDING: "pending",
}


def _segments(statuses: list[str]) -> list[str]:
    """One bar segment per message, toned by its status (the same on the overview and detail)."""
    return [_SEGMENT_TONES.get(status, "pending") for status in statuses]


def channel_family(channel: str | None) -> str | None:
    try:
        return CHANNEL_TYPE_OF[MessageChannel(channel)].value.lower() if channel else None
    except ValueError:
        return None


def channel_label(channel: str | None) -> str:
    try:
        return CHANNEL_LABELS[MessageChannel(channel)] if channel else "Message"
    except ValueError:
        return str(channel)


def _reason(detail: str | None, badge: Badge) -> str | None:
    """The step's detail without a leading word the badge already says ("Skipped: …")."""
    if not detail:
        return None
    prefix = f"{badge.label}:"
    if detail.lower().startswith(prefix.lower()):
        rest = detail[len(prefix) :].strip()
        return rest[:1].upper() + rest[1:] if rest else None
    return detail


def _message_step(step: StepView, number: int) -> TimelineStep:
    badge = _MESSAGE_BADGES.get(step.status, status_badge(step.status))
    moments: list[Moment] = []
    if step.status == StepStatus.SENT and step.finished_at:
        moments.append(Moment("Sent", step.finished_at))
        if step.opened_at:
            moments.append(Moment("Opened", step.opened_at))
    elif step.status == StepStatus.WAITING_FOR_CHANNEL and step.due_at:
        moments.append(Moment("Checks the channel again", step.due_at, "relative"))
    elif step.status == StepStatus.WAITING_FOR_SLOT and step.due_at:
        moments.append(Moment("Goes out", step.due_at))
    elif step.status == StepStatus.IN_PROGRESS and step.started_at:
        moments.append(Moment("Trying since", step.started_at))
    elif (
        step.status in (StepStatus.SKIPPED, StepStatus.FAILED, StepStatus.POSSIBLY_SENT)
        and step.finished_at
    ):
        moments.append(Moment(badge.label, step.finished_at))
    reason = _reason(step.detail, badge)
    if step.attempts > 1 and step.status != StepStatus.SENT:
        reason = f"{reason} ({step.attempts} attempts)" if reason else f"{step.attempts} attempts"
    return TimelineStep(
        number=number,
        kind="message",
        title=channel_label(step.channel),
        badge=badge,
        tone=_SEGMENT_TONES.get(step.status, "pending"),
        family=channel_family(step.channel),
        subject=step.subject,
        message=step.message,
        reason=reason,
        moments=moments,
        at=_happened_at(step),
        order=step.position,
    )


def _happened_at(step: StepView) -> datetime | None:
    """Where a step stands in time: when it finished, or when it began if still under way."""
    if step.status in (
        StepStatus.SENT,
        StepStatus.SKIPPED,
        StepStatus.FAILED,
        StepStatus.POSSIBLY_SENT,
    ):
        return step.finished_at or step.started_at
    if step.status in (
        StepStatus.DONE,
        StepStatus.IN_PROGRESS,
        StepStatus.WAITING_FOR_CHANNEL,
        StepStatus.WAITING_FOR_SLOT,
    ):
        return step.started_at
    return None


def _delay_step(step: StepView, number: int) -> TimelineStep:
    badge = _DELAY_BADGES.get(step.status, status_badge(step.status))
    length = human_duration(timedelta(seconds=step.delay_seconds or 0))
    moments: list[Moment] = []
    if step.status == StepStatus.IN_PROGRESS and step.due_at:
        moments.append(Moment("Ends", step.due_at))
    elif step.status == StepStatus.DONE and step.finished_at:
        moments.append(Moment("Ended", step.finished_at))
    return TimelineStep(
        number=number,
        kind="delay",
        title=f"Wait {length}",
        badge=badge,
        tone=_SEGMENT_TONES.get(step.status, "pending"),
        reason=None if step.status == StepStatus.NOT_SENT else _reason(step.detail, badge),
        moments=moments,
        at=_happened_at(step),
        order=step.position,
    )


_CHANNEL_EVENTS = ("CHANNEL_WAITING", "CHANNEL_RECHECKED", "CHANNEL_RESTORED")


def _channel_entry(event: EventView, view: CampaignView) -> TimelineStep:
    """A channel wait, re-check or restore, as an entry of its own."""
    step = next((s for s in view.steps if s.node_id == event.node_id), None)
    family = channel_family(step.channel if step else None)
    label = CHANNEL_TYPE_LABELS[ChannelType(family.upper())] if family else "The channel"
    moments = [Moment("", event.at, "absolute")]
    if event.kind == "CHANNEL_WAITING":
        title, tone = f"Waiting for {label}", "blocked"
        reason = str(event.data.get("reason") or "") or None
    elif event.kind == "CHANNEL_RECHECKED":
        title, tone = f"Checked {label} again: still not usable", "blocked"
        reason = f"Attempt {event.data.get('attempts')}" if event.data.get("attempts") else None
        next_check = event.data.get("next_check_at")
        if isinstance(next_check, str):
            moments.append(Moment("next check", datetime.fromisoformat(next_check), "both"))
    else:
        title, tone, reason = f"{label} is usable again", "done", None
    position = step.position if step else 0
    # A restore is seen in the same moment as the send it lets through: it comes first.
    order = position - 0.5 if event.kind == "CHANNEL_RESTORED" else position + 0.5
    return TimelineStep(
        number=None,
        kind="channel",
        title=title,
        badge=None,
        tone=tone,
        family=family,
        reason=reason,
        moments=moments,
        at=event.at,
        order=order,
    )


_REPLY_SOURCES: dict[str, str] = {
    "pre-send check": "found in the chat just before the next message would have gone out",
    "reply check": "found by the periodic reply check (no webhook arrived)",
    "final check": "found by the last reply check before the campaign would have ended",
}


def _reply_entry(view: CampaignView) -> TimelineStep | None:
    reply = view.reply
    if reply is None:
        return None
    family = reply.channel_type.lower() if reply.channel_type else None
    if family is None:
        family = next(
            (
                channel_family(s.channel)
                for s in view.steps
                if reply.channel_id and s.platform_channel_id == reply.channel_id
            ),
            None,
        )
    channel = CHANNEL_TYPE_LABELS[ChannelType(family.upper())] if family else None
    moments = [Moment("Sent", reply.sent_at)]
    note = _REPLY_SOURCES.get(reply.source or "")
    if note or reply.noticed_at - reply.sent_at > timedelta(minutes=1):
        moments.append(Moment("noticed", reply.noticed_at))
    return TimelineStep(
        number=None,
        kind="reply",
        title="Candidate replied" + (f" on {channel}" if channel else ""),
        badge=STATUS_BADGES[CampaignStatus.REPLIED],
        tone="reply",
        family=family,
        subject=reply.subject,
        message=reply.body,
        reason=note[:1].upper() + note[1:] if note else None,
        moments=moments,
        at=reply.sent_at,
        order=float("inf"),
    )


def timeline(view: CampaignView) -> list[TimelineStep]:
    """What happened in true time order (steps, channel waits, the reply), then the steps that
    did not happen (yet) in the definition's order."""
    steps = [
        _message_step(step, number) if step.type == "message" else _delay_step(step, number)
        for number, step in enumerate(sorted(view.steps, key=lambda s: s.position), start=1)
    ]
    happened: list[TimelineStep] = [s for s in steps if s.at is not None]
    happened += [_channel_entry(e, view) for e in view.events if e.kind in _CHANNEL_EVENTS]
    reply = _reply_entry(view)
    if reply is not None:
        happened.append(reply)
    happened.sort(key=lambda entry: (entry.at, entry.order))
    return happened + [s for s in steps if s.at is None]


def step_progress(view: CampaignView) -> Progress:
    steps = sorted(view.steps, key=lambda s: s.position)
    messages = [s for s in steps if s.type == "message"]
    sent = sum(1 for s in messages if s.status == StepStatus.SENT)
    skipped = sum(1 for s in messages if s.status == StepStatus.SKIPPED)
    return Progress(
        _segments([s.status for s in messages]), messages_sent(sent, len(messages), skipped)
    )


_END_SENTENCES: dict[str, str] = {
    EndReason.REPLIED: "The candidate replied, so no more messages are sent.",
    EndReason.NO_REPLY: "Ended: 30 days passed without a reply.",
    EndReason.CHANNEL_UNAVAILABLE: "Ended: 30 days passed without a reply.",
    EndReason.CANCELLED: "Cancelled; no more messages are sent.",
    EndReason.FAILED: "The campaign failed.",
}


def end_sentence(view: CampaignView) -> str | None:
    if view.end_reason is None and view.ended_at is None:
        return None
    sentence = _END_SENTENCES.get(view.end_reason or "", "The campaign ended.")
    if view.end_reason == EndReason.FAILED and view.last_error:
        sentence = f"The campaign failed: {view.last_error}"
    elif view.end_reason == EndReason.CHANNEL_UNAVAILABLE and view.end_detail:
        unsent = sum(1 for s in view.steps if s.type == "message" and s.status == "NOT_SENT")
        sentence = (
            f"Ended: 30 days passed without a reply; {view.end_detail}, so {unsent} "
            f"message{'s' if unsent != 1 else ''} never went out."
        )
    return sentence


# --- campaigns with nothing left to send --------------------------------------------------

_STILL_TO_COME = frozenset(
    {
        StepStatus.PENDING,
        StepStatus.IN_PROGRESS,
        StepStatus.WAITING_FOR_CHANNEL,
        StepStatus.WAITING_FOR_SLOT,
    }
)
_NO_CONTACT: dict[ChannelType, str] = {
    ChannelType.EMAIL: "the candidate has no email address",
    ChannelType.LINKEDIN: "the candidate has no LinkedIn profile",
}


class StepLike(Protocol):
    type: str
    channel: str | None
    status: str


def nothing_left_to_send(
    steps: Iterable[StepLike], *, has_email: bool, has_linkedin: bool
) -> str | None:
    """Why no remaining message can go out, when every one still to come is on a channel the
    candidate cannot be reached on (the workflow skips each when it comes to it and then waits
    for a reply until the end date); None when some message can still be sent."""
    reachable = {ChannelType.EMAIL: has_email, ChannelType.LINKEDIN: has_linkedin}
    missing: list[ChannelType] = []
    for step in steps:
        if step.type != "message" or step.status not in _STILL_TO_COME or not step.channel:
            continue
        try:
            kind = CHANNEL_TYPE_OF[MessageChannel(step.channel)]
        except ValueError:
            return None
        if reachable.get(kind, True):
            return None
        if kind not in missing:
            missing.append(kind)
    if not missing:
        return None
    return " and ".join(_NO_CONTACT[kind] for kind in missing)
