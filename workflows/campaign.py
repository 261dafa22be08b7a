"""CampaignWorkflow: one durable workflow per campaign.

It walks the definition's nodes in order: a message node is sent by an activity, a delay node is
a durable timer. It stops at once on a reply signal or a cancellation, and ends 30 days after it
started, waiting for a reply after the last message until then. Every state change is recorded
to the read model by a local activity, and the whole state is always available by query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError, CancelledError

with workflow.unsafe.imports_passed_through():
    # Imported by its full name: `from workflows import policies` would load it afresh in
    # every workflow's sandbox (the sandbox re-imports the `workflows` package itself).
    import workflows.policies as policies
    from campaigns.codes import CampaignError, EndDetail, LastAction, NextAction, StepDetail
    from campaigns.contracts import (
        ActivityName,
        CampaignEvent,
        CampaignInput,
        CampaignProgress,
        ChannelRestored,
        EventKind,
        FindReplyInput,
        FindReplyResult,
        PauseRequest,
        RecordProgressInput,
        ReleaseSlotsInput,
        ReplyReceived,
        SendMessageInput,
        SendOutcome,
        SendOutcomeKind,
        StepProgress,
        initial_steps,
    )
    from campaigns.definition import (
        CAMPAIGN_LIFETIME,
        CampaignNode,
        ChannelType,
        DelayNode,
        MessageChannel,
        MessageNode,
    )
    from campaigns.status import (
        CampaignStatus,
        EndReason,
        PauseReason,
        ReplySource,
        StepStatus,
        WaitCause,
    )
    from campaigns.wording import delay_summary, send_summary
    from workflows.search_attributes import (
        CAMPAIGN_ID,
        CAMPAIGN_STATUS,
        CANDIDATE_ID,
        OWNER_ID,
        ROLE_ID,
    )


# Campaigns started after this patch: replies must be sent at or after the campaign's start,
# a last reply check before ending without a reply, sends that a stop can still prevent (and
# that report what happened when it could not), channel-ERROR waits, recorded re-checks and
# an end reason for a channel that never came back. Older campaigns keep the old behaviour.
REPLIES_V2_PATCH = "replies-v2"
# Campaigns started after this patch book each send in the account's send ledger (send window,
# per-account limits, pacing) and wait, visibly and durably, for a slot that is not now.
SENDING_LIMITS_PATCH = "sending-limits-v3"
# Campaigns started after this patch record a send's outcome together with what comes right
# after it (the next delay, or the wait for a reply after the last message): one local
# activity instead of two back to back, the same state in the read model a moment later.
COALESCED_RECORDS_PATCH = "coalesced-records-v5"
# Campaigns started after this patch record their end before giving back the send slots they
# still have booked: a reply shows as REPLIED one activity round trip sooner (the release is
# housekeeping no reader waits for).
END_RECORDED_FIRST_PATCH = "end-recorded-first-v6"
# Campaigns started after this patch do not record before their first step: the API's start
# already wrote the row (RUNNING, every step pending), and the first step's own record (the
# first send's outcome, a wait, or the delay the campaign opens with) carries the STARTED
# event. One local activity fewer per campaign.
FIRST_RECORD_WITH_FIRST_STEP_PATCH = "first-record-with-first-step-v7"
# The patches above, in the order campaigns before this one asked for them.
EARLIER_PATCHES = (
    REPLIES_V2_PATCH,
    SENDING_LIMITS_PATCH,
    COALESCED_RECORDS_PATCH,
    END_RECORDED_FIRST_PATCH,
    FIRST_RECORD_WITH_FIRST_STEP_PATCH,
)
# Campaigns started after this patch run with every earlier patch and say so with this one
# marker. Asking Temporal for each patch wrote a marker and a `TemporalChangeVersion` upsert
# per patch into every new campaign's first workflow task: ten history events where two do.
# Campaigns started before it find no such marker and ask for each patch as they did.
ALL_EARLIER_PATCHES_PATCH = "all-earlier-patches-v8"

_WAIT_CAUSES: dict[SendOutcomeKind, WaitCause] = {
    SendOutcomeKind.CHANNEL_LOGGED_OUT: WaitCause.LOGGED_OUT,
    SendOutcomeKind.NO_CHANNEL: WaitCause.NO_CHANNEL,
    SendOutcomeKind.CHANNEL_ERROR: WaitCause.CHANNEL_ERROR,
    SendOutcomeKind.PLATFORM_UNAUTHORIZED: WaitCause.PLATFORM_UNAUTHORIZED,
}
# What a step's detail says when the campaign ended before it, by how it ended.
_ENDED_DETAILS: dict[CampaignStatus, StepDetail] = {
    CampaignStatus.REPLIED: StepDetail.ENDED_BY_REPLY,
    CampaignStatus.CANCELLED: StepDetail.ENDED_BY_CANCEL,
    CampaignStatus.COMPLETED: StepDetail.ENDED_AT_LIMIT,
}
# A send the campaign's end settled keeps what it says.
_SETTLED_DETAILS = frozenset(
    {
        StepDetail.IN_FLIGHT_WHEN_ENDED,
        StepDetail.STOPPED_BEFORE_POST,
        StepDetail.SENT_AS_IT_ENDED,
    }
)


def _next_action_for(node: CampaignNode | None) -> tuple[NextAction, MessageChannel | None]:
    """What happens after a delay, for the progress's next action."""
    if node is None:
        return NextAction.CAMPAIGN_CONTINUES, None
    if isinstance(node, MessageNode):
        return NextAction.SEND, node.channel
    return NextAction.NEXT_DELAY, None


def _set_detail(
    step: StepProgress,
    code: StepDetail | None = None,
    *,
    cause: WaitCause | None = None,
    time_zone: str | None = None,
    text: str | None = None,
) -> None:
    """A step's detail: a code with its parameters, or words that are not ours (`text`)."""
    step.detail_code, step.detail_cause, step.detail_time_zone = code, cause, time_zone
    step.detail = text


def search_attributes_for(campaign: CampaignInput) -> TypedSearchAttributes:
    """The search attributes a campaign starts with (the API passes them at start)."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(CAMPAIGN_ID, campaign.campaign_id),
            SearchAttributePair(CAMPAIGN_STATUS, CampaignStatus.RUNNING.value),
            SearchAttributePair(ROLE_ID, campaign.role_id),
            SearchAttributePair(CANDIDATE_ID, campaign.candidate_id),
            SearchAttributePair(OWNER_ID, campaign.owner_user_id),
        ]
    )


def execution_timeout_for(campaign: CampaignInput) -> timedelta:
    # The margin is not scaled: a demo campaign must not be cut off by the safety net.
    return (
        policies.scaled(CAMPAIGN_LIFETIME, campaign.time_scale) + policies.EXECUTION_TIMEOUT_MARGIN
    )


class _ReplyTaken(Enum):
    IGNORED = "ignored"  # an earlier campaign's, a handled out-of-office, or already ended
    STOPPED = "stopped"  # a reply: the campaign ends
    PAUSED = "paused"  # an out-of-office reply the user pauses on


def _pauses(reply: ReplyReceived | None) -> bool:
    """An out-of-office reply that pauses the campaign rather than ending it."""
    return reply is not None and reply.auto_reply is not None and reply.pause_until is not None


@workflow.defn(name="CampaignWorkflow")
class CampaignWorkflow:
    @workflow.init
    def __init__(self, campaign: CampaignInput) -> None:
        self._campaign = campaign
        info = workflow.info()
        started_at = workflow.now()
        self._deadline = started_at + policies.scaled(CAMPAIGN_LIFETIME, campaign.time_scale)
        self._progress = CampaignProgress(
            campaign_id=campaign.campaign_id,
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            owner_user_id=campaign.owner_user_id,
            role_id=campaign.role_id,
            candidate_id=campaign.candidate_id,
            status=CampaignStatus.RUNNING,
            started_at=started_at,
            ends_at=self._deadline,
            steps=initial_steps(campaign.definition),
        )
        self._steps = {step.node_id: step for step in self._progress.steps}
        self._definition_hash = campaign.definition.fingerprint()
        self._reply: ReplyReceived | None = None
        # Replies count from the moment Temporal started the campaign (the API compares the
        # platform's `sentAt` with the same instant).
        self._replies_count_from = info.start_time
        # Each patch's answer, asked once (`_patched`) and kept for the campaign's life.
        self._patch_decisions: dict[str, bool] = {}
        self._slot_booked = False  # a send waits for a slot booked ahead in the ledger
        self._cancelled = False
        self._paused = False
        self._handled_auto_replies: list[int] = []  # out-of-office replies that paused it
        # The active status a pause hides, shown again on resume.
        self._status_before_pause = CampaignStatus.RUNNING
        self._restored: set[ChannelType] = set()
        self._unrecorded_events: list[CampaignEvent] = []
        self._event_seq = 0
        self._snapshot_seq = 0
        self._indexed_status = CampaignStatus.RUNNING  # the CampaignStatus search attribute

    # --- Temporal entry points ---------------------------------------------------------------

    @workflow.run
    async def run(self, campaign: CampaignInput) -> CampaignProgress:
        # Decided once, in the first activation, for the campaign's whole life.
        if workflow.patched(ALL_EARLIER_PATCHES_PATCH):
            self._patch_decisions = dict.fromkeys(EARLIER_PATCHES, True)
        else:
            for patch in EARLIER_PATCHES:
                self._patched(patch)
        self._event(EventKind.STARTED, steps=len(campaign.definition.nodes))
        try:
            if not self._patched(FIRST_RECORD_WITH_FIRST_STEP_PATCH):
                await self._record()
            await self._walk_nodes()
            if not self._should_stop():
                await self._monitor_until_deadline()
        except asyncio.CancelledError:
            # Cancellation from the API: caught so the end is recorded like any other end.
            self._cancelled = True
        await self._finish()
        # A pause, resume or cancel answered with the state it left: let each answer first.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._progress

    @workflow.signal
    async def reply(self, reply: ReplyReceived) -> None:
        """The candidate wrote back (webhook, reply check or pre-send check): halt at once;
        or, for an out-of-office reply the user chose to pause on, pause until its date."""
        if self._take_reply(reply) is _ReplyTaken.PAUSED:
            await self._record()

    def _take_reply(self, reply: ReplyReceived) -> _ReplyTaken:
        if self._reply is not None or self._progress.ended_at is not None:
            return _ReplyTaken.IGNORED
        if reply.message_id is not None and reply.message_id in self._handled_auto_replies:
            return _ReplyTaken.IGNORED  # an out-of-office reply that already paused it
        data: dict[str, object] = {
            "channel_id": reply.channel_id,
            "message_id": reply.message_id,
            "source": reply.source.value,
        }
        if self._patched(REPLIES_V2_PATCH):
            if reply.received_at is not None and reply.received_at < self._replies_count_from:
                # Written before this campaign started: an earlier campaign's reply (a replayed
                # webhook, or a late one). It must not stop this campaign.
                workflow.logger.info("Reply ignored: sent before this campaign started")
                return _ReplyTaken.IGNORED
            data["sent_at"] = reply.received_at.isoformat() if reply.received_at else None
        if reply.auto_reply is not None:
            data["auto_reply"] = reply.auto_reply.value
        if reply.auto_reply is not None and reply.pause_until is not None:
            # The user pauses on an out-of-office reply: not a reply, a date to wait for.
            if reply.message_id is not None:
                self._handled_auto_replies.append(reply.message_id)
            returns_on = reply.returns_on.isoformat() if reply.returns_on else None
            self._event(EventKind.AUTO_REPLY_RECEIVED, returns_on=returns_on, **data)
            if reply.pause_until > workflow.now():
                self._pause(reply.pause_until, PauseReason.AUTO_REPLY)
            return _ReplyTaken.PAUSED
        self._event(EventKind.REPLY_RECEIVED, **data)
        self._reply = self._progress.reply = reply
        self._progress.status = CampaignStatus.REPLIED
        self._progress.end_reason = EndReason.REPLIED
        self._last_action(LastAction.CANDIDATE_REPLIED)
        return _ReplyTaken.STOPPED

    @workflow.signal
    def channel_restored(self, restored: ChannelRestored) -> None:
        """A channel of the owner is usable again: a send waiting for it tries at once."""
        self._restored.add(restored.channel_type)

    @workflow.query
    def progress(self) -> CampaignProgress:
        return self._progress

    @workflow.update
    async def pause(self, request: PauseRequest) -> CampaignProgress:
        """Send nothing until resumed, or until `request.until` (a new pause moves it). A send
        already under way finishes; the 30-day limit still applies (docs/decisions.md)."""
        self._pause(request.until, request.reason)
        await self._record()
        return self._progress

    @pause.validator
    def _may_pause(self, request: PauseRequest) -> None:
        self._must_be_running("paused")

    @workflow.update
    async def resume(self) -> CampaignProgress:
        """Go on at once: a message that fell due while paused goes out first (in its send
        window, through the ledger), and the delays after it count from then."""
        if self._paused:
            self._resume()
            await self._record()
        return self._progress

    @resume.validator
    def _may_resume(self) -> None:
        self._must_be_running("resumed")

    @workflow.update
    async def cancel(self) -> CampaignProgress:
        """End the campaign now, like a cancellation request, and answer once it has ended:
        a send under way is settled first (posted or not), nothing after it is sent."""
        if self._progress.ended_at is None:
            self._cancelled = True
            await workflow.wait_condition(lambda: self._progress.ended_at is not None)
        return self._progress

    # --- the walk ------------------------------------------------------------------------------

    async def _walk_nodes(self) -> None:
        nodes = self._campaign.definition.nodes
        for position, node in enumerate(nodes):
            if self._should_stop():
                return
            if isinstance(node, DelayNode):
                following = nodes[position + 1] if position + 1 < len(nodes) else None
                await self._wait_delay(node, following)
            else:
                await self._send(node)

    async def _wait_delay(self, node: DelayNode, following: CampaignNode | None) -> None:
        step = self._steps[node.id]
        now = workflow.now()
        duration = policies.scaled(timedelta(seconds=node.delaySeconds), self._campaign.time_scale)
        due = min(now + duration, self._deadline)
        step.status, step.started_at, step.due_at = StepStatus.IN_PROGRESS, now, due
        self._progress.current_node_id = node.id
        self._set_next_action(*_next_action_for(following), due)
        self._event(EventKind.DELAY_STARTED, node_id=node.id, due_at=due.isoformat())
        await self._record()
        await self._sleep_until(
            due,
            delay_summary(
                timedelta(seconds=node.delaySeconds), following.id if following else None
            ),
        )
        if not self._should_stop() and workflow.now() >= due:
            step.status, step.finished_at = StepStatus.DONE, workflow.now()

    async def _send(self, node: MessageNode) -> None:
        step = self._steps[node.id]
        step.status, step.started_at = StepStatus.IN_PROGRESS, workflow.now()
        self._progress.current_node_id = node.id
        self._set_next_action(NextAction.SEND, node.channel, workflow.now())
        recheck: timedelta | None = None
        last_cause: WaitCause | None = None
        while True:
            if not await self._wait_while_paused():
                return
            step.attempts += 1
            outcome = await self._attempt_send(node)
            if outcome is None:  # stopped by reply, cancel or the deadline
                return
            if outcome.kind is SendOutcomeKind.REPLY_DETECTED and _pauses(outcome.reply):
                # An out-of-office reply the user pauses on: nothing was sent; send it once
                # the campaign resumes.
                step.attempts -= 1
                if outcome.reply is not None:
                    self._take_reply(outcome.reply)
                    await self._record()
                continue
            if outcome.kind is SendOutcomeKind.WAIT_FOR_SLOT:
                step.attempts -= 1  # nothing was tried: the slot is not now
                if not await self._wait_for_slot(node, outcome):
                    return
                continue
            # The booked slot, if any, is now: used, or freed by the send activity.
            self._slot_booked = False
            cause = _WAIT_CAUSES.get(outcome.kind)
            if cause is not None:
                recheck = self._next_recheck(cause, last_cause, recheck)
                last_cause = cause
                if not await self._wait_for_channel(node, cause, recheck):
                    return
                continue
            await self._apply_send_outcome(node, outcome)
            return

    def _next_recheck(
        self, cause: WaitCause, last_cause: WaitCause | None, previous: timedelta | None
    ) -> timedelta:
        """The backing-off interval of a channel wait; in v2 it starts over when the cause
        changes (an ERROR outage heals on another timescale than a logout)."""
        if cause is WaitCause.CHANNEL_ERROR:
            initial, maximum = (
                policies.CHANNEL_ERROR_RECHECK_INITIAL,
                policies.CHANNEL_ERROR_RECHECK_MAXIMUM,
            )
        else:
            initial, maximum = policies.CHANNEL_RECHECK_INITIAL, policies.CHANNEL_RECHECK_MAXIMUM
        if previous is None or (self._patched(REPLIES_V2_PATCH) and cause is not last_cause):
            return initial
        return min(previous * 2, maximum)

    async def _attempt_send(self, node: MessageNode) -> SendOutcome | None:
        """Run the send activity; None if the campaign must stop before it finishes."""
        remaining = self._deadline - workflow.now()
        if remaining <= timedelta(0):
            return None
        v2 = self._patched(REPLIES_V2_PATCH)
        step = self._steps[node.id]
        request = SendMessageInput(
            campaign_id=self._campaign.campaign_id,
            owner_user_id=self._campaign.owner_user_id,
            candidate_id=self._campaign.candidate_id,
            role_id=self._campaign.role_id,
            node_id=node.id,
            channel=node.channel,
            subject=node.subject_line,
            body=node.message,
            campaign_started_at=self._replies_count_from if v2 else self._progress.started_at,
            idempotency_key=f"{self._campaign.campaign_id}:{node.id}",
            report_channel_errors=v2,
            previous_attempts=step.attempts - 1 if v2 else 0,
            reserve_slot=self._patched(SENDING_LIMITS_PATCH),
            not_after=self._deadline,
            send_window=self._campaign.definition.send_window,
            time_scale=self._campaign.time_scale,
            handled_auto_replies=list(self._handled_auto_replies),
        )
        send = workflow.start_activity(
            ActivityName.SEND_MESSAGE,
            request,
            result_type=SendOutcome,
            schedule_to_close_timeout=remaining,
            start_to_close_timeout=policies.SEND_ATTEMPT_TIMEOUT,
            # v2: a stop cancels the send through its heartbeat and waits to learn whether the
            # message was posted; before, the send was abandoned.
            heartbeat_timeout=policies.SEND_HEARTBEAT_TIMEOUT if v2 else None,
            cancellation_type=(
                workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
                if v2
                else workflow.ActivityCancellationType.TRY_CANCEL
            ),
            retry_policy=policies.send_retry_policy(node.channel_type, self._campaign.time_scale),
            summary=send_summary(node.channel, node.id),
        )
        try:
            await workflow.wait_condition(lambda: send.done() or self._should_stop())
        except asyncio.CancelledError:
            send.cancel()
            if not v2:
                raise
            # Cancelled from the API: settle the send below, then end like any other stop.
            self._cancelled = True
        if not send.done():
            # A reply or cancel arrived mid-send: nothing after it is sent.
            send.cancel()
            if v2:
                await workflow.wait_condition(send.done)
                self._settle_stopped_send(node, send)
            else:
                _set_detail(step, StepDetail.IN_FLIGHT_WHEN_ENDED)
            return None
        try:
            return send.result()
        except ActivityError as error:
            if workflow.now() >= self._deadline:
                return None
            cause = error.cause or error
            return SendOutcome(kind=SendOutcomeKind.REJECTED, detail=str(cause)[:300])

    def _settle_stopped_send(
        self, node: MessageNode, send: workflow.ActivityHandle[SendOutcome]
    ) -> None:
        """What a send the campaign stopped really did: not posted, posted, or unknown."""
        step = self._steps[node.id]
        try:
            outcome = send.result()
        except ActivityError as error:
            if isinstance(error.cause, CancelledError):
                _set_detail(step, StepDetail.STOPPED_BEFORE_POST)  # cancelled before its POST
                return
            # The platform never confirmed a POST that had begun (or the worker died in it).
            step.status, step.finished_at = StepStatus.POSSIBLY_SENT, workflow.now()
            _set_detail(step, StepDetail.IN_FLIGHT_WHEN_ENDED)
            self._event(EventKind.STEP_FAILED, node_id=node.id, reason="POSSIBLY_SENT")
            return
        if outcome.kind is SendOutcomeKind.SENT:
            step.status, step.finished_at = StepStatus.SENT, workflow.now()
            step.platform_channel_id = outcome.channel_id
            step.platform_message_id = outcome.message_id
            _set_detail(step, StepDetail.SENT_AS_IT_ENDED)
            self._event(EventKind.MESSAGE_SENT, node_id=node.id, message_id=outcome.message_id)
            return
        if outcome.kind is SendOutcomeKind.REPLY_DETECTED and outcome.reply is not None:
            self._take_reply(outcome.reply)  # a no-op if the campaign was already stopped
        _set_detail(step, StepDetail.STOPPED_BEFORE_POST)

    async def _wait_for_channel(
        self, node: MessageNode, cause: WaitCause, recheck: timedelta
    ) -> bool:
        """Wait for the channel to come back; False if the campaign must stop meanwhile."""
        step = self._steps[node.id]
        channel_type = node.channel_type
        due = min(
            workflow.now() + policies.scaled(recheck, self._campaign.time_scale), self._deadline
        )
        first_wait = step.status is not StepStatus.WAITING_FOR_CHANNEL
        step.status, step.due_at = StepStatus.WAITING_FOR_CHANNEL, due
        _set_detail(step, StepDetail.WAITING_FOR_CHANNEL, cause=cause)
        self._progress.waiting_reason = cause.value
        self._progress.waiting_channel, self._progress.waiting_time_zone = node.channel, None
        self._set_next_action(NextAction.RECHECK_CHANNEL, node.channel, due)
        if self._patched(REPLIES_V2_PATCH):
            step.wait_cause = cause
            self._progress.waiting_channel_type = channel_type
            self._progress.waiting_cause = cause
        if first_wait:
            self._set_status(CampaignStatus.WAITING_FOR_CHANNEL)
            self._event(
                EventKind.CHANNEL_WAITING, node_id=node.id, reason=cause.value, cause=cause.value
            )
            await self._record()
        elif self._patched(REPLIES_V2_PATCH):
            # Every re-check is shown: its attempt and when the next one comes.
            self._event(
                EventKind.CHANNEL_RECHECKED,
                node_id=node.id,
                cause=cause.value,
                attempts=step.attempts,
                next_check_at=due.isoformat(),
            )
            await self._record()
        # A restore signalled while the send or the recording ran is kept: it wakes us at once.
        await self._wait_until(
            due,
            lambda: channel_type in self._restored,
            f"Re-check {channel_type.value} channel for node {node.id}",
        )
        self._restored.discard(channel_type)
        return not self._should_stop()

    async def _wait_for_slot(self, node: MessageNode, outcome: SendOutcome) -> bool:
        """Wait for the slot the ledger booked (send window, limit or pacing); False if the
        campaign must stop meanwhile. The next send finds the same booking and posts."""
        step = self._steps[node.id]
        self._leave_channel_wait(node)
        due = min(outcome.slot_at or workflow.now(), self._deadline)
        changed = step.status is not StepStatus.WAITING_FOR_SLOT or step.due_at != due
        step.status, step.due_at = StepStatus.WAITING_FOR_SLOT, due
        step.wait_cause = outcome.wait_cause
        if outcome.wait_cause is not None and outcome.time_zone is not None:
            _set_detail(
                step,
                StepDetail.WAITING_FOR_SLOT,
                cause=outcome.wait_cause,
                time_zone=outcome.time_zone,
            )
            self._progress.waiting_reason = outcome.wait_cause.value
        else:  # a send activity from before the codes worded it: kept as it came
            _set_detail(step, text=outcome.detail)
            self._progress.waiting_reason = outcome.detail
        self._progress.waiting_channel = node.channel
        self._progress.waiting_time_zone = outcome.time_zone
        self._progress.waiting_channel_type = node.channel_type
        self._progress.waiting_cause = outcome.wait_cause
        self._set_next_action(NextAction.SEND, node.channel, due)
        self._slot_booked = True
        if changed:
            cause = outcome.wait_cause.value if outcome.wait_cause else None
            self._event(
                EventKind.SLOT_WAITING, node_id=node.id, cause=cause, send_at=due.isoformat()
            )
            await self._record()
        await self._sleep_until(due, f"Wait for the send slot of node {node.id}")
        return not self._should_stop()

    def _leave_channel_wait(self, node: MessageNode) -> None:
        """The send got past its channel and slot waits: the campaign no longer waits."""
        step = self._steps[node.id]
        if self._active_status() is CampaignStatus.WAITING_FOR_CHANNEL:
            self._set_status(CampaignStatus.RUNNING)
            self._event(EventKind.CHANNEL_RESTORED, node_id=node.id)
        elif step.status is not StepStatus.WAITING_FOR_SLOT:
            return
        self._clear_waiting()
        step.wait_cause = None

    async def _apply_send_outcome(self, node: MessageNode, outcome: SendOutcome) -> None:
        step = self._steps[node.id]
        self._leave_channel_wait(node)
        now = workflow.now()
        step.due_at = None
        if outcome.kind is SendOutcomeKind.REPLY_DETECTED:
            # The pre-send check found a reply the webhook did not deliver: nothing was sent.
            self._take_reply(outcome.reply or ReplyReceived(source=ReplySource.PRE_SEND_CHECK))
            return
        step.finished_at = now
        step.platform_channel_id = outcome.channel_id
        # A code when the send activity gave one; its words when it predates the codes (or
        # they are the platform's own, a refusal).
        _set_detail(step, outcome.detail_code, cause=outcome.wait_cause, text=outcome.detail)
        reason = outcome.detail_code or outcome.detail
        if outcome.kind is SendOutcomeKind.SENT:
            self._last_action(LastAction.SENT, node.channel)
            step.status = StepStatus.SENT
            _set_detail(step)
            step.platform_message_id = outcome.message_id
            self._event(EventKind.MESSAGE_SENT, node_id=node.id, message_id=outcome.message_id)
        elif outcome.kind is SendOutcomeKind.NO_SLOT:
            # No slot before the 30-day limit (e.g. the window is closed until then): the
            # message is not sent and nothing was booked.
            self._last_action(LastAction.NOT_SENT, node.channel)
            step.status = StepStatus.NOT_SENT
            cause = outcome.wait_cause.value if outcome.wait_cause else None
            self._event(EventKind.NO_SLOT, node_id=node.id, cause=cause)
        elif outcome.kind is SendOutcomeKind.CANDIDATE_UNREACHABLE:
            self._last_action(LastAction.SKIPPED, node.channel)
            step.status = StepStatus.SKIPPED
            self._event(EventKind.STEP_SKIPPED, node_id=node.id, reason=reason)
        else:
            self._last_action(LastAction.FAILED, node.channel)
            step.status = StepStatus.FAILED
            self._progress.last_error = reason
            self._event(EventKind.STEP_FAILED, node_id=node.id, reason=reason)
        if not self._records_next(node):
            await self._record()

    async def _monitor_until_deadline(self) -> None:
        self._progress.current_node_id = None
        self._set_next_action(NextAction.END_IF_NO_REPLY, None, self._deadline)
        self._event(EventKind.MONITORING, until=self._deadline.isoformat())
        await self._record()
        await self._sleep_until(self._deadline, "Wait for a reply until the 30-day limit")

    async def _final_reply_check(self) -> None:
        """One last look at the chats before ending as NO_REPLY: a reply whose webhook was
        lost since the watcher's last sweep still ends the campaign as REPLIED."""
        time_scale = self._campaign.time_scale
        try:
            found = await workflow.execute_activity(
                ActivityName.FIND_REPLY,
                FindReplyInput(
                    owner_user_id=self._campaign.owner_user_id,
                    candidate_id=self._campaign.candidate_id,
                    since=self._replies_count_from,
                    until=self._deadline,
                    source=ReplySource.FINAL_CHECK,
                    handled_auto_replies=list(self._handled_auto_replies),
                ),
                start_to_close_timeout=policies.FINAL_REPLY_CHECK_TIMEOUT,
                schedule_to_close_timeout=policies.scaled_at_least(
                    policies.FINAL_REPLY_CHECK_LIMIT, time_scale, timedelta(minutes=1)
                ),
                result_type=FindReplyResult,
                retry_policy=policies.final_reply_check_retry(time_scale),
                summary="Last reply check before ending without a reply",
            )
        except ActivityError:
            workflow.logger.warning("The final reply check could not read the chats")
            self._progress.last_error = CampaignError.FINAL_REPLY_CHECK_FAILED
            return
        if found.reply is not None:
            self._take_reply(found.reply)

    async def _release_slots(self) -> None:
        """Give back the slots this campaign still has booked ahead: other campaigns of the
        account may use them. A failure only wastes the slots until their time passes."""
        try:
            await workflow.execute_activity(
                ActivityName.RELEASE_SEND_SLOTS,
                ReleaseSlotsInput(campaign_id=self._campaign.campaign_id),
                result_type=int,
                start_to_close_timeout=policies.RELEASE_SLOTS_TIMEOUT,
                schedule_to_close_timeout=policies.RELEASE_SLOTS_LIMIT,
                summary="Release booked send slots",
            )
        except ActivityError:
            workflow.logger.warning("Could not release the campaign's booked send slots")

    async def _finish(self) -> None:
        v2 = self._patched(REPLIES_V2_PATCH)
        if v2 and self._reply is None and not self._cancelled:
            await self._final_reply_check()
        end_recorded_first = self._patched(END_RECORDED_FIRST_PATCH)
        if self._slot_booked and not end_recorded_first:
            await self._release_slots()
        now = workflow.now()
        blocked = next(
            (s for s in self._progress.steps if s.status is StepStatus.WAITING_FOR_CHANNEL), None
        )
        never_restored: WaitCause | None = None
        if self._reply is not None:
            status, reason = CampaignStatus.REPLIED, EndReason.REPLIED
        elif self._cancelled:
            status, reason = CampaignStatus.CANCELLED, EndReason.CANCELLED
        elif v2 and blocked is not None and blocked.wait_cause is not None and blocked.channel:
            # 30 days passed while a message waited for its channel: say which and why.
            status, reason = CampaignStatus.COMPLETED, EndReason.CHANNEL_UNAVAILABLE
            never_restored = blocked.wait_cause
            self._progress.end_detail = EndDetail.CHANNEL_NEVER_RESTORED
        else:
            status, reason = CampaignStatus.COMPLETED, EndReason.NO_REPLY
        for step in self._progress.steps:
            if not step.status.is_finished:
                step.status, step.due_at, step.wait_cause = StepStatus.NOT_SENT, None, None
                if step.detail_code not in _SETTLED_DETAILS:
                    _set_detail(step, _ENDED_DETAILS[status])
        if never_restored is not None and blocked is not None:
            _set_detail(blocked, StepDetail.CHANNEL_NEVER_RESTORED, cause=never_restored)
        self._progress.end_reason = reason
        # A campaign that ran out of time ended at its deadline, not when the timer was seen.
        self._progress.ended_at = self._deadline if status is CampaignStatus.COMPLETED else now
        self._progress.current_node_id = None
        self._clear_waiting()
        self._set_next_action(None, None, None)
        self._paused = False
        self._progress.paused_at = self._progress.paused_until = None
        self._progress.pause_reason = None
        self._set_status(status)
        self._event(EventKind.ENDED, reason=reason.value)
        await self._record(final=True)
        if self._slot_booked and end_recorded_first:
            await self._release_slots()

    # --- helpers -------------------------------------------------------------------------------

    def _patched(self, patch: str) -> bool:
        """Whether this campaign runs with `patch`: asked of Temporal once, in the first
        activation (`run`), and the same answer for the campaign's whole life."""
        if patch not in self._patch_decisions:
            self._patch_decisions[patch] = workflow.patched(patch)
        return self._patch_decisions[patch]

    def _records_next(self, node: MessageNode) -> bool:
        """Whether the campaign records again at once after this send, with nothing to wait
        for in between: a delay follows (recorded as it starts), or the last message was sent
        and the wait for a reply begins (recorded too). Then that record carries this one."""
        if not self._patched(COALESCED_RECORDS_PATCH) or self._should_stop():
            return False
        nodes = self._campaign.definition.nodes
        position = next(i for i, each in enumerate(nodes) if each.id == node.id)
        return position + 1 == len(nodes) or isinstance(nodes[position + 1], DelayNode)

    def _must_be_running(self, verb: str) -> None:
        """Validators: an ended (or ending) campaign cannot be paused or resumed."""
        if self._progress.ended_at is not None or self._should_stop():
            raise ValueError(f"the campaign has ended and cannot be {verb}")

    async def _wait_while_paused(self) -> bool:
        """Before a send: wait while paused, until resumed or the pause's own end; False if
        the campaign must stop meanwhile. No command at all when not paused."""
        while self._paused and not self._should_stop():
            until = self._progress.paused_until
            due = min(until, self._deadline) if until else self._deadline
            await self._wait_until(
                due,
                lambda until=until: not self._paused or self._progress.paused_until != until,
                "Paused: resume at the pause's end",
            )
            if self._paused and until is not None and workflow.now() >= until:
                self._resume()
                await self._record()
        return not self._should_stop()

    def _pause(self, until: datetime | None, reason: PauseReason) -> None:
        now = workflow.now()
        until = until if until is None or until > now else None
        if not self._paused:
            self._paused = True
            self._status_before_pause = self._progress.status
            self._progress.paused_at = now
            self._set_status(CampaignStatus.PAUSED)
        self._progress.paused_until, self._progress.pause_reason = until, reason
        if until is not None:
            self._set_next_action(NextAction.RESUME, None, until)
        self._event(
            EventKind.PAUSED, reason=reason.value, until=until.isoformat() if until else None
        )

    def _resume(self) -> None:
        self._paused = False
        self._progress.paused_at = self._progress.paused_until = None
        self._progress.pause_reason = None
        self._set_status(self._status_before_pause)
        if self._progress.next_action is NextAction.RESUME:
            self._set_next_action(None, None, None)
        self._event(EventKind.RESUMED)

    def _active_status(self) -> CampaignStatus:
        """The status the campaign has, or will have again once resumed."""
        return self._status_before_pause if self._paused else self._progress.status

    def _should_stop(self) -> bool:
        return self._reply is not None or self._cancelled or workflow.now() >= self._deadline

    async def _sleep_until(self, due: datetime, summary: str) -> None:
        await self._wait_until(due, lambda: False, summary)

    async def _wait_until(self, due: datetime, wake: Callable[[], bool], summary: str) -> None:
        """Durable wait until `due`, or earlier when the campaign must stop or `wake()` holds."""
        remaining = due - workflow.now()
        if remaining <= timedelta(0):
            return
        try:
            await workflow.wait_condition(
                lambda: self._should_stop() or wake(),
                timeout=remaining,
                timeout_summary=summary,
            )
        except TimeoutError:
            pass

    def _last_action(self, action: LastAction, channel: MessageChannel | None = None) -> None:
        progress = self._progress
        progress.last_action, progress.last_action_channel = action, channel
        progress.last_action_at = workflow.now()

    def _set_next_action(
        self, action: NextAction | None, channel: MessageChannel | None, at: datetime | None
    ) -> None:
        progress = self._progress
        progress.next_action, progress.next_action_channel = action, channel
        progress.next_action_at = at

    def _clear_waiting(self) -> None:
        progress = self._progress
        progress.waiting_reason = progress.waiting_channel = progress.waiting_time_zone = None
        progress.waiting_channel_type = progress.waiting_cause = None

    def _set_status(self, status: CampaignStatus) -> None:
        if self._paused and status in (CampaignStatus.RUNNING, CampaignStatus.WAITING_FOR_CHANNEL):
            # A send that was under way when the pause came ended in a wait (or out of one):
            # the campaign stays PAUSED and shows that status again on resume.
            self._status_before_pause = status
            return
        self._progress.status = status
        if self._indexed_status is not status:
            self._indexed_status = status
            workflow.upsert_search_attributes([CAMPAIGN_STATUS.value_set(status.value)])

    def _event(self, kind: EventKind, node_id: int | None = None, **data: object) -> None:
        self._event_seq += 1
        self._unrecorded_events.append(
            CampaignEvent(
                seq=self._event_seq, at=workflow.now(), kind=kind, node_id=node_id, data=data
            )
        )

    async def _record(self, *, final: bool = False) -> None:
        """Project the current state into the read model (idempotent, full snapshot)."""
        self._snapshot_seq += 1
        events, self._unrecorded_events = self._unrecorded_events, []
        snapshot = RecordProgressInput(
            progress=self._progress,
            definition=self._campaign.definition,
            definition_hash=self._definition_hash,
            new_events=events,
            snapshot_seq=self._snapshot_seq,
        )
        try:
            await workflow.execute_local_activity(
                ActivityName.RECORD_PROGRESS,
                snapshot,
                start_to_close_timeout=policies.RECORD_TIMEOUT,
                schedule_to_close_timeout=(
                    policies.RECORD_FINAL_SCHEDULE_TO_CLOSE
                    if final
                    else policies.RECORD_SCHEDULE_TO_CLOSE
                ),
                retry_policy=policies.RECORD_RETRY,
                summary="Record progress",
            )
        except ActivityError:
            # The next snapshot carries the whole state again; keep the events for it.
            workflow.logger.warning("Recording progress failed; the next snapshot will retry")
            self._unrecorded_events = events + self._unrecorded_events
