"""A candidate's campaign as the API shows it: the read model's row, steps and events, plus
what only the platform knows (when messages were opened, the reply's text), read when viewed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Row

from api.errors import not_found
from api.platform_access import Caller
from api.schemas import CampaignView, EventView, ReplyView, StepView
from api.services import AppServices
from campaigns.codes import StepDetail
from campaigns.contracts import EventKind
from campaigns.definition import CampaignDefinition, DelayNode, MessageNode
from campaigns.wording import (
    end_detail_words,
    last_action_words,
    last_error_words,
    next_action_words,
    step_detail_words,
    waiting_reason_words,
)
from config import Settings
from db import campaign_queries
from db.models import Campaign, CampaignEventRow, CampaignStep
from recruiting_platform import Message, PlatformClient, PlatformError, UserToken


@dataclass
class PlatformChats:
    """Messages of the candidate's chats by platform id, and the reply channel's type."""

    messages: dict[int, Message] = field(default_factory=dict)
    reply_channel_type: str | None = None


def campaign_path(role_id: int, candidate_id: int) -> str:
    return f"/role/{role_id}/candidate/{candidate_id}/campaign"


def temporal_ui_url(settings: Settings, workflow_id: str, run_id: str | None) -> str:
    base = f"{settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}"
    return f"{base}/workflows/{workflow_id}" + (f"/{run_id}/history" if run_id else "")


async def latest_view(
    services: AppServices, caller: Caller, role_id: int, candidate_id: int
) -> CampaignView:
    """The candidate's latest campaign of the caller's; 404 if none of theirs.

    The candidate must already be checked with `check_candidate`."""
    async with services.sessions() as session:
        row = await campaign_queries.latest_for_candidate(session, role_id, candidate_id)
        if row is None or row.owner_user_id != caller.user.id:
            raise not_found("No campaign for this candidate")
        steps = (await campaign_queries.steps_of(session, [row.id]))[row.id]
        events = await campaign_queries.events_of(session, row.id)
    reply_event = next((e for e in events if e.kind == EventKind.REPLY_RECEIVED), None)
    chats = await read_platform_chats(
        services.platform, caller.credentials, candidate_id, steps, reply_event
    )
    return build_view(
        row, steps, events, chats, temporal_ui_url(services.settings, row.workflow_id, row.run_id)
    )


async def read_platform_chats(
    platform: PlatformClient,
    credentials: UserToken,
    candidate_id: int,
    steps: list[CampaignStep],
    reply_event: CampaignEventRow | None,
) -> PlatformChats:
    """What only the platform knows, read when the campaign is viewed (never stored in
    Temporal): when sent messages were opened, and the reply's text and channel type.
    Best effort: an unreadable channel leaves those fields empty."""
    channels = {
        s.platform_channel_id for s in steps if s.platform_message_id and s.platform_channel_id
    }
    reply_channel = reply_event.data.get("channel_id") if reply_event else None
    if isinstance(reply_channel, int):
        channels.add(reply_channel)
    chats = PlatformChats()
    for channel_id in sorted(channels):
        try:
            messages = await platform.list_messages(
                credentials, channel_id=channel_id, candidate_id=candidate_id
            )
        except PlatformError:
            continue
        chats.messages.update({m.id: m for m in messages})
    if isinstance(reply_channel, int):
        try:
            owned = await platform.list_channels(credentials)
        except PlatformError:
            owned = []
        chats.reply_channel_type = next((c.type for c in owned if c.id == reply_channel), None)
    return chats


def build_view(
    row: Campaign,
    steps: list[CampaignStep],
    events: Sequence[CampaignEventRow],
    chats: PlatformChats,
    temporal_ui_url: str,
) -> CampaignView:
    definition = CampaignDefinition.model_validate(row.definition)
    nodes = {node.id: node for node in definition.nodes}
    now = datetime.now(UTC)
    step_views: list[StepView] = []
    for step in steps:
        view = StepView.model_validate(step)
        view.detail = step_detail_words(
            step.detail,
            step.channel,
            step.detail_cause,
            step.due_at,
            step.detail_time_zone,
            now=now,
        )
        sent = chats.messages.get(step.platform_message_id or 0)
        view.opened_at = sent.openedAt if sent else None
        node = nodes.get(step.node_id)
        if isinstance(node, MessageNode):
            view.subject, view.message = node.subject_line, node.message
        elif isinstance(node, DelayNode):
            view.delay_seconds = node.delaySeconds
        step_views.append(view)
    event_views = [_worded_event(EventView.model_validate(e), steps, now) for e in events]
    reply = _reply_view(events, chats)
    return CampaignView.model_validate(
        {
            **row.model_dump(),
            **progress_words(row, steps, now),
            "campaign_id": row.id,
            "steps": step_views,
            "reply": reply,
            "events": event_views,
            "timeline": true_time_order(event_views, reply),
            "temporal_ui_url": temporal_ui_url,
        }
    )


def progress_words(
    row: Campaign, steps: Sequence[CampaignStep], now: datetime
) -> dict[str, str | None]:
    """The campaign's codes in words, under the fields' own names (old rows' English as is)."""
    never_restored = next((s for s in steps if s.detail == StepDetail.CHANNEL_NEVER_RESTORED), None)
    return {
        "end_detail": end_detail_words(
            row.end_detail,
            never_restored.channel if never_restored else None,
            never_restored.detail_cause if never_restored else None,
        ),
        "last_error": last_error_words(row.last_error),
        **overview_words(row, now),
    }


def overview_words(row: Campaign | Row, now: datetime) -> dict[str, str | None]:
    """Next and last action and the waiting reason in words (the role overview shows these)."""
    return {
        "next_action": next_action_words(row.next_action, row.next_action_channel),
        "last_action": last_action_words(row.last_action, row.last_action_channel),
        "waiting_reason": waiting_reason_words(
            row.waiting_reason,
            row.waiting_channel,
            row.next_action_at,
            row.waiting_time_zone,
            now=now,
        ),
    }


def _worded_event(event: EventView, steps: Sequence[CampaignStep], now: datetime) -> EventView:
    """An event's `reason` in words: a channel wait's cause, a skipped or failed step's code."""
    reason = event.data.get("reason")
    if not isinstance(reason, str):
        return event
    channel = next((s.channel for s in steps if s.node_id == event.node_id), None)
    if event.kind == EventKind.CHANNEL_WAITING:
        words = waiting_reason_words(reason, channel, None, None, now=now)
    else:
        words = step_detail_words(reason, channel, None, None, None, now=now)
    return event.model_copy(update={"data": {**event.data, "reason": words}})


def _reply_view(events: Sequence[CampaignEventRow], chats: PlatformChats) -> ReplyView | None:
    event = next((e for e in events if e.kind == EventKind.REPLY_RECEIVED), None)
    if event is None:
        return None
    message_id = event.data.get("message_id")
    message = chats.messages.get(message_id) if isinstance(message_id, int) else None
    sent_at = _parse_time(event.data.get("sent_at")) or (message and message.sentAt) or event.at
    return ReplyView(
        sent_at=sent_at,
        noticed_at=event.at,
        received_at=event.at,
        channel_id=event.data.get("channel_id"),
        channel_type=chats.reply_channel_type,
        message_id=message_id,
        source=event.data.get("source"),
        subject=message.subject if message else None,
        body=message.body if message else None,
        auto_reply=event.data.get("auto_reply"),
    )


def true_time_order(events: list[EventView], reply: ReplyView | None) -> list[EventView]:
    """Events by when they happened: the reply when the candidate sent it, not when a check
    noticed it (that time stays in `data.noticedAt`)."""
    timeline: list[EventView] = []
    for event in events:
        if event.kind == EventKind.REPLY_RECEIVED and reply is not None:
            event = event.model_copy(
                update={"at": reply.sent_at, "data": {**event.data, "noticedAt": event.at}}
            )
        timeline.append(event)
    return sorted(timeline, key=lambda e: (e.at, e.seq))


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
