"""What the API and the dashboard do with campaigns: start, view, list, cancel.

Write order of a start (crash-safe): the campaign id is made first, the workflow is started
with it (Temporal refuses a second running workflow for the candidate), and then both this
service and the workflow's first activity upsert the read-model row. A crash before the start
leaves nothing anywhere; a crash after it leaves a running workflow that writes its own row.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Row
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import Caller, load_candidate, load_candidates
from api.errors import ApiError, is_temporal_connect_failure, not_found, temporal_unavailable
from api.schemas import (
    CampaignLinks,
    CampaignStarted,
    CampaignView,
    CancelResult,
    EventView,
    ReplyView,
    RoleCampaignPage,
    RoleCampaignRow,
    StepView,
)
from api.services import AppServices
from campaigns.contracts import CampaignInput, EventKind, workflow_id_for
from campaigns.definition import CampaignDefinition, DelayNode, MessageNode
from campaigns.status import CampaignStatus, StepStatus
from db import campaign_queries, campaign_store
from db.models import Campaign, CampaignEventRow, CampaignStep
from recruiting_platform import Candidate, Message, PlatformError, UserToken
from workflows.campaign import CampaignWorkflow, execution_timeout_for, search_attributes_for

logger = logging.getLogger(__name__)

CANCEL_WAIT_SECONDS = 10.0
START_ATTEMPTS = 5
MEMO_KEY = "campaign"


@dataclass
class PlatformChats:
    """Messages of the candidate's chats by platform id, and the reply channel's type."""

    messages: dict[int, Message] = field(default_factory=dict)
    reply_channel_type: str | None = None


@dataclass(frozen=True)
class RunningCampaign:
    """The candidate's running workflow, as Temporal (the source of truth) describes it."""

    campaign_id: str
    owner_user_id: int
    role_id: int
    definition_hash: str
    run_id: str | None
    handle: WorkflowHandle
    started_at: datetime | None  # when Temporal started it: replies count from here


class CampaignService:
    def __init__(self, services: AppServices) -> None:
        self._services = services
        self._temporal = services.temporal
        self._settings = services.settings

    # --- start ---------------------------------------------------------------------------------

    async def start(
        self,
        caller: Caller,
        role_id: int,
        candidate_id: int,
        definition: CampaignDefinition,
        *,
        replace: bool = False,
    ) -> CampaignStarted:
        await load_candidate(self._services, caller, role_id, candidate_id)
        fingerprint = definition.fingerprint()
        for _ in range(START_ATTEMPTS):
            running = await self.running_campaign(candidate_id)
            if running is not None:
                mine = running.owner_user_id == caller.user.id
                same = mine and running.role_id == role_id
                if same and running.definition_hash == fingerprint:
                    return self._started(running.campaign_id, role_id, candidate_id, created=False)
                if not (mine and replace):
                    raise self._conflict(running, caller)
                await self._cancel_and_wait(running.handle)
            campaign = CampaignInput(
                campaign_id=str(uuid.uuid4()),
                owner_user_id=caller.user.id,
                role_id=role_id,
                candidate_id=candidate_id,
                definition=definition,
                time_scale=self._settings.campaign_time_scale,
            )
            try:
                handle = await self._start_workflow(campaign, fingerprint)
            except WorkflowAlreadyStartedError:
                continue  # another request started one meanwhile: look at it again
            await self._record_start(campaign, fingerprint, handle.result_run_id)
            return self._started(campaign.campaign_id, role_id, candidate_id, created=True)
        raise ApiError(409, "CONFLICT", "The candidate's campaign is changing; try again")

    async def _start_workflow(
        self, campaign: CampaignInput, fingerprint: str
    ) -> WorkflowHandle[CampaignWorkflow, object]:
        try:
            return await self._temporal.start_workflow(
                CampaignWorkflow.run,
                campaign,
                id=workflow_id_for(campaign.candidate_id),
                task_queue=self._settings.temporal_task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                execution_timeout=execution_timeout_for(campaign),
                search_attributes=search_attributes_for(campaign),
                memo={
                    MEMO_KEY: {
                        "campaignId": campaign.campaign_id,
                        "ownerUserId": campaign.owner_user_id,
                        "roleId": campaign.role_id,
                        "definitionHash": fingerprint,
                    }
                },
                static_summary=(
                    f"Campaign {campaign.campaign_id}: role {campaign.role_id}, "
                    f"candidate {campaign.candidate_id}, "
                    f"{len(campaign.definition.messages)} messages"
                ),
            )
        except WorkflowAlreadyStartedError:
            raise
        except RPCError as error:
            raise temporal_unavailable() from error
        except RuntimeError as error:
            if is_temporal_connect_failure(error):
                raise temporal_unavailable() from error
            raise

    async def _record_start(
        self, campaign: CampaignInput, fingerprint: str, run_id: str | None
    ) -> None:
        """Best effort: the workflow's first activity writes the same row if this fails."""
        try:
            async with self._services.sessions() as session:
                await campaign_store.record_start(
                    session,
                    campaign,
                    workflow_id=workflow_id_for(campaign.candidate_id),
                    run_id=run_id,
                    definition_hash=fingerprint,
                    now=datetime.now(UTC),
                )
        except Exception:  # the workflow records the row itself
            logger.warning("Recording the start of campaign %s failed", campaign.campaign_id)

    def _started(
        self, campaign_id: str, role_id: int, candidate_id: int, *, created: bool
    ) -> CampaignStarted:
        workflow_id = workflow_id_for(candidate_id)
        return CampaignStarted(
            campaignId=campaign_id,
            status=CampaignStatus.RUNNING.value,
            created=created,
            workflowId=workflow_id,
            links=CampaignLinks(
                self=campaign_path(role_id, candidate_id),
                temporalUi=self.temporal_ui_url(workflow_id, None),
            ),
        )

    def _conflict(self, running: RunningCampaign, caller: Caller) -> ApiError:
        if running.owner_user_id != caller.user.id:
            return ApiError(409, "CANDIDATE_BUSY", "The candidate already has an active campaign")
        return ApiError(
            409,
            "CAMPAIGN_ACTIVE",
            "The candidate already has an active campaign (with a different definition, or for "
            "another of your roles); PUT again with ?replace=true to cancel it and start this one",
            [{"campaignId": running.campaign_id, "roleId": running.role_id}],
        )

    # --- running campaign (Temporal) -----------------------------------------------------------

    async def running_campaign(self, candidate_id: int) -> RunningCampaign | None:
        handle = self._temporal.get_workflow_handle(workflow_id_for(candidate_id))
        try:
            description = await handle.describe()
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                return None
            raise temporal_unavailable() from error
        if description.status is not WorkflowExecutionStatus.RUNNING:
            return None
        memo = await description.memo_value(MEMO_KEY, default=None)
        if not isinstance(memo, dict):
            return None
        return RunningCampaign(
            campaign_id=str(memo["campaignId"]),
            owner_user_id=int(memo["ownerUserId"]),
            role_id=int(memo["roleId"]),
            definition_hash=str(memo["definitionHash"]),
            run_id=description.run_id,
            handle=self._temporal.get_workflow_handle(description.id, run_id=description.run_id),
            started_at=description.start_time,
        )

    async def _cancel_and_wait(self, handle: WorkflowHandle) -> bool:
        """Request cancellation; True when the workflow recorded its end within the wait."""
        try:
            await handle.cancel()
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND:
                raise temporal_unavailable() from error
        try:
            await asyncio.wait_for(handle.result(), CANCEL_WAIT_SECONDS)
        except TimeoutError:
            return False
        except Exception:  # any end will do
            return True
        return True

    # --- cancel --------------------------------------------------------------------------------

    async def cancel(self, caller: Caller, role_id: int, candidate_id: int) -> CancelResult:
        await load_candidate(self._services, caller, role_id, candidate_id)
        running = await self.running_campaign(candidate_id)
        if (
            running is not None
            and running.owner_user_id == caller.user.id
            and running.role_id == role_id
        ):
            ended = await self._cancel_and_wait(running.handle)
            return CancelResult(
                campaignId=running.campaign_id,
                status=CampaignStatus.CANCELLED.value if ended else "CANCELLING",
                cancelled=True,
            )
        async with self._services.sessions() as session:
            latest = await campaign_queries.latest_for_candidate(session, role_id, candidate_id)
        if latest is None or latest.owner_user_id != caller.user.id:
            raise not_found("No campaign for this candidate")
        return CancelResult(campaignId=latest.id, status=latest.status, cancelled=False)

    # --- view ----------------------------------------------------------------------------------

    async def view(self, caller: Caller, role_id: int, candidate_id: int) -> CampaignView:
        await load_candidate(self._services, caller, role_id, candidate_id)
        return await self.latest_view(caller, role_id, candidate_id)

    async def latest_view(self, caller: Caller, role_id: int, candidate_id: int) -> CampaignView:
        """`view` for a candidate already checked with `load_candidate`; 404 if none of theirs."""
        async with self._services.sessions() as session:
            row = await campaign_queries.latest_for_candidate(session, role_id, candidate_id)
            if row is None or row.owner_user_id != caller.user.id:
                raise not_found("No campaign for this candidate")
            steps = (await campaign_queries.steps_of(session, [row.id]))[row.id]
            events = await campaign_queries.events_of(session, row.id)
        reply_event = next((e for e in events if e.kind == EventKind.REPLY_RECEIVED), None)
        chats = await self._platform_chats(caller.credentials, candidate_id, steps, reply_event)
        return build_view(
            row, steps, events, chats, self.temporal_ui_url(row.workflow_id, row.run_id)
        )

    async def _platform_chats(
        self,
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
                messages = await self._services.platform.list_messages(
                    credentials, channel_id=channel_id, candidate_id=candidate_id
                )
            except PlatformError:
                continue
            chats.messages.update({m.id: m for m in messages})
        if isinstance(reply_channel, int):
            try:
                owned = await self._services.platform.list_channels(credentials)
            except PlatformError:
                owned = []
            chats.reply_channel_type = next((c.type for c in owned if c.id == reply_channel), None)
        return chats

    def temporal_ui_url(self, workflow_id: str, run_id: str | None) -> str:
        base = f"{self._settings.temporal_ui_url}/namespaces/{self._settings.temporal_namespace}"
        return f"{base}/workflows/{workflow_id}" + (f"/{run_id}/history" if run_id else "")

    # --- role overview -------------------------------------------------------------------------

    async def role_overview(
        self,
        caller: Caller,
        role_id: int,
        *,
        status: str | None = None,
        sort: str = "candidate",
        cursor: str | None = None,
        limit: int = 50,
    ) -> RoleCampaignPage:
        # 404 if the role is not theirs; a few seconds old is fine for a listing.
        candidates = await load_candidates(self._services, caller, role_id, cached=True)
        async with self._services.sessions() as session:
            latest = await campaign_queries.latest_per_candidate(session, role_id)
        owner = caller.user.id
        entries = [
            (c, row if row is not None and row.owner_user_id == owner else None)
            for c in candidates
            for row in (latest.get(c.id),)
        ]
        if status:
            wanted = {s.strip().upper() for s in status.split(",") if s.strip()}
            entries = [e for e in entries if (e[1].status if e[1] else "NONE") in wanted]
        entries.sort(key=_sort_key(sort))
        start = decode_cursor(cursor)
        page = [_overview_row(candidate, row) for candidate, row in entries[start : start + limit]]
        async with self._services.sessions() as session:
            steps = await campaign_queries.steps_of(
                session, [r.campaignId for r in page if r.campaignId]
            )
        for row in page:
            if row.campaignId:
                row.stepStatuses = [s.status for s in steps.get(row.campaignId, [])]
                row.stepsSent = row.stepStatuses.count(StepStatus.SENT.value)
                row.stepsSkipped = row.stepStatuses.count(StepStatus.SKIPPED.value)
        following = start + limit
        return RoleCampaignPage(
            roleId=role_id,
            items=page,
            nextCursor=encode_cursor(following) if following < len(entries) else None,
            total=len(entries),
        )


def campaign_path(role_id: int, candidate_id: int) -> str:
    return f"/role/{role_id}/candidate/{candidate_id}/campaign"


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        offset = int(value)
        if kind != "o" or offset < 0:
            raise ValueError(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            422,
            "INVALID_REQUEST",
            "cursor: not a cursor this API returned",
            [{"field": "cursor", "reason": "not a cursor this API returned"}],
        ) from None
    return offset


_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def _sort_key(sort: str):
    if sort == "next_action":
        return lambda e: ((e[1] and e[1].next_action_at) or _FAR_FUTURE, e[0].id)
    return lambda e: e[0].id


def _overview_row(candidate: Candidate, campaign: Row | None) -> RoleCampaignRow:
    row = RoleCampaignRow(
        candidateId=candidate.id,
        firstName=candidate.firstName,
        lastName=candidate.lastName,
        hasEmail=bool(candidate.email),
        hasLinkedin=bool(candidate.linkedin),
        status="NONE",
    )
    if campaign is None:
        return row
    row.campaignId = campaign.id
    row.status = campaign.status
    row.stepsTotal, row.stepsDone = campaign.steps_total, campaign.steps_done
    row.lastAction, row.lastActionAt = campaign.last_action, campaign.last_action_at
    row.nextAction, row.nextActionAt = campaign.next_action, campaign.next_action_at
    row.startedAt, row.endsAt, row.endedAt = (
        campaign.started_at,
        campaign.ends_at,
        campaign.ended_at,
    )
    row.waitingReason = campaign.waiting_reason
    return row


def build_view(
    row: Campaign,
    steps: list[CampaignStep],
    events: Sequence[CampaignEventRow],
    chats: PlatformChats,
    temporal_ui_url: str,
) -> CampaignView:
    definition = CampaignDefinition.model_validate(row.definition)
    nodes = {node.id: node for node in definition.nodes}
    step_views: list[StepView] = []
    for step in steps:
        node = nodes.get(step.node_id)
        sent = chats.messages.get(step.platform_message_id or 0)
        view = StepView(
            nodeId=step.node_id,
            position=step.position,
            type=step.type,
            status=step.status,
            channel=step.channel,
            startedAt=step.started_at,
            dueAt=step.due_at,
            finishedAt=step.finished_at,
            platformChannelId=step.platform_channel_id,
            platformMessageId=step.platform_message_id,
            openedAt=sent.openedAt if sent else None,
            attempts=step.attempts,
            detail=step.detail,
        )
        if isinstance(node, MessageNode):
            view.subject, view.message = node.subject_line, node.message
        elif isinstance(node, DelayNode):
            view.delaySeconds = node.delaySeconds
        step_views.append(view)
    event_views = [
        EventView(seq=e.seq, at=e.at, kind=e.kind, nodeId=e.node_id, data=e.data) for e in events
    ]
    reply = _reply_view(events, chats)
    return CampaignView(
        campaignId=row.id,
        roleId=row.role_id,
        candidateId=row.candidate_id,
        status=row.status,
        endReason=row.end_reason,
        createdAt=row.created_at,
        startedAt=row.started_at,
        endsAt=row.ends_at,
        endedAt=row.ended_at,
        currentNodeId=row.current_node_id,
        nextAction=row.next_action,
        nextActionAt=row.next_action_at,
        lastAction=row.last_action,
        lastActionAt=row.last_action_at,
        waitingReason=row.waiting_reason,
        waitingChannelType=row.waiting_channel_type,
        waitingCause=row.waiting_cause,
        endDetail=row.end_detail,
        lastError=row.last_error,
        stepsDone=row.steps_done,
        stepsTotal=row.steps_total,
        steps=step_views,
        reply=reply,
        events=event_views,
        timeline=true_time_order(event_views, reply),
        workflowId=row.workflow_id,
        runId=row.run_id,
        temporalUiUrl=temporal_ui_url,
    )


def _reply_view(events: Sequence[CampaignEventRow], chats: PlatformChats) -> ReplyView | None:
    event = next((e for e in events if e.kind == EventKind.REPLY_RECEIVED), None)
    if event is None:
        return None
    message_id = event.data.get("message_id")
    message = chats.messages.get(message_id) if isinstance(message_id, int) else None
    sent_at = _parse_time(event.data.get("sent_at")) or (message and message.sentAt) or event.at
    return ReplyView(
        sentAt=sent_at,
        noticedAt=event.at,
        receivedAt=event.at,
        channelId=event.data.get("channel_id"),
        channelType=chats.reply_channel_type,
        messageId=message_id,
        source=event.data.get("source"),
        subject=message.subject if message else None,
        body=message.body if message else None,
    )


def true_time_order(events: list[EventView], reply: ReplyView | None) -> list[EventView]:
    """Events by when they happened: the reply when the candidate sent it, not when a check
    noticed it (that time stays in `data.noticedAt`)."""
    timeline: list[EventView] = []
    for event in events:
        if event.kind == EventKind.REPLY_RECEIVED and reply is not None:
            event = event.model_copy(
                update={"at": reply.sentAt, "data": {**event.data, "noticedAt": event.at}}
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
