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

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.recording import RecordingActivities
    from activities.sending import SendingActivities
    from campaigns.contracts import (
        CampaignEvent,
        CampaignInput,
        CampaignProgress,
        ChannelRestored,
        EventKind,
        RecordProgressInput,
        ReplyReceived,
        SendMessageInput,
        SendOutcome,
        SendOutcomeKind,
        initial_steps,
    )
    from campaigns.definition import (
        CAMPAIGN_LIFETIME,
        CampaignNode,
        ChannelType,
        DelayNode,
        MessageNode,
    )
    from campaigns.status import CampaignStatus, EndReason, StepStatus
    from campaigns.wording import (
        CHANNEL_LABELS,
        CHANNEL_TYPE_LABELS,
        delay_summary,
        logged_out_reason,
        missing_channel_reason,
        send_summary,
    )
    from workflows import policies
    from workflows.search_attributes import (
        CAMPAIGN_ID,
        CAMPAIGN_STATUS,
        CANDIDATE_ID,
        OWNER_ID,
        ROLE_ID,
    )


IN_FLIGHT_WHEN_ENDED = (
    "Was being sent when the campaign ended: it may have reached the candidate; nothing after it"
)


def _next_action_for(node: CampaignNode | None) -> str:
    """What happens after a delay, for the progress's next action."""
    if node is None:
        return "Campaign continues"
    if isinstance(node, MessageNode):
        return f"Send {CHANNEL_LABELS[node.channel]}"
    return "Next delay"


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
        self._cancelled = False
        self._restored: set[ChannelType] = set()
        self._unrecorded_events: list[CampaignEvent] = []
        self._event_seq = 0
        self._snapshot_seq = 0
        self._indexed_status = CampaignStatus.RUNNING  # the CampaignStatus search attribute

    # --- Temporal entry points ---------------------------------------------------------------

    @workflow.run
    async def run(self, campaign: CampaignInput) -> CampaignProgress:
        self._event(EventKind.STARTED, steps=len(campaign.definition.nodes))
        try:
            await self._record()
            await self._walk_nodes()
            if not self._should_stop():
                await self._monitor_until_deadline()
        except asyncio.CancelledError:
            # Cancellation from the API: caught so the end is recorded like any other end.
            self._cancelled = True
        await self._finish()
        return self._progress

    @workflow.signal
    def reply(self, reply: ReplyReceived) -> None:
        """The candidate wrote back (webhook or pre-send check): halt at once."""
        if self._reply is None and self._progress.ended_at is None:
            self._reply = reply
            self._progress.status = CampaignStatus.REPLIED
            self._progress.end_reason = EndReason.REPLIED
            self._last_action("Candidate replied")
            self._event(
                EventKind.REPLY_RECEIVED,
                channel_id=reply.channel_id,
                message_id=reply.message_id,
                source=reply.source,
            )

    @workflow.signal
    def channel_restored(self, restored: ChannelRestored) -> None:
        """A channel of the owner is usable again: a send waiting for it tries at once."""
        self._restored.add(restored.channel_type)

    @workflow.query
    def progress(self) -> CampaignProgress:
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
        self._set_next_action(_next_action_for(following), due)
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
        self._set_next_action(_next_action_for(node), workflow.now())
        recheck = policies.CHANNEL_RECHECK_INITIAL
        while True:
            step.attempts += 1
            outcome = await self._attempt_send(node)
            if outcome is None:  # stopped by reply, cancel or the deadline
                return
            if outcome.kind in (SendOutcomeKind.CHANNEL_LOGGED_OUT, SendOutcomeKind.NO_CHANNEL):
                if not await self._wait_for_channel(node, outcome, recheck):
                    return
                recheck = min(recheck * 2, policies.CHANNEL_RECHECK_MAXIMUM)
                continue
            await self._apply_send_outcome(node, outcome)
            return

    async def _attempt_send(self, node: MessageNode) -> SendOutcome | None:
        """Run the send activity; None if the campaign must stop before it finishes."""
        remaining = self._deadline - workflow.now()
        if remaining <= timedelta(0):
            return None
        request = SendMessageInput(
            campaign_id=self._campaign.campaign_id,
            owner_user_id=self._campaign.owner_user_id,
            candidate_id=self._campaign.candidate_id,
            role_id=self._campaign.role_id,
            node_id=node.id,
            channel=node.channel,
            subject=node.subject_line,
            body=node.message,
            campaign_started_at=self._progress.started_at,
            idempotency_key=f"{self._campaign.campaign_id}:{node.id}",
        )
        send = workflow.start_activity_method(
            SendingActivities.send_message,
            request,
            schedule_to_close_timeout=remaining,
            start_to_close_timeout=policies.SEND_ATTEMPT_TIMEOUT,
            retry_policy=policies.send_retry_policy(node.channel_type, self._campaign.time_scale),
            summary=send_summary(node.channel, node.id),
        )
        try:
            await workflow.wait_condition(lambda: send.done() or self._should_stop())
        except asyncio.CancelledError:
            send.cancel()
            raise
        if not send.done():
            # A reply or cancel arrived mid-send: abandon it; nothing after it is sent.
            send.cancel()
            self._steps[node.id].detail = IN_FLIGHT_WHEN_ENDED
            return None
        try:
            return send.result()
        except ActivityError as error:
            if workflow.now() >= self._deadline:
                return None
            cause = error.cause or error
            return SendOutcome(kind=SendOutcomeKind.REJECTED, detail=str(cause)[:300])

    async def _wait_for_channel(
        self, node: MessageNode, outcome: SendOutcome, recheck: timedelta
    ) -> bool:
        """Wait for the channel to come back; False if the campaign must stop meanwhile."""
        step = self._steps[node.id]
        channel_type = node.channel_type
        reason = (
            logged_out_reason(channel_type)
            if outcome.kind is SendOutcomeKind.CHANNEL_LOGGED_OUT
            else missing_channel_reason(channel_type)
        )
        due = min(
            workflow.now() + policies.scaled(recheck, self._campaign.time_scale), self._deadline
        )
        first_wait = step.status is not StepStatus.WAITING_FOR_CHANNEL
        step.status, step.detail, step.due_at = StepStatus.WAITING_FOR_CHANNEL, reason, due
        self._progress.waiting_reason = reason
        self._set_next_action(f"Re-check {CHANNEL_TYPE_LABELS[channel_type]} channel", due)
        if first_wait:
            self._set_status(CampaignStatus.WAITING_FOR_CHANNEL)
            self._event(EventKind.CHANNEL_WAITING, node_id=node.id, reason=reason)
            await self._record()
        # A restore signalled while the send or the recording ran is kept: it wakes us at once.
        await self._wait_until(
            due,
            lambda: channel_type in self._restored,
            f"Re-check {channel_type.value} channel for node {node.id}",
        )
        self._restored.discard(channel_type)
        return not self._should_stop()

    async def _apply_send_outcome(self, node: MessageNode, outcome: SendOutcome) -> None:
        step = self._steps[node.id]
        if self._progress.status is CampaignStatus.WAITING_FOR_CHANNEL:
            self._set_status(CampaignStatus.RUNNING)
            self._progress.waiting_reason = None
            self._event(EventKind.CHANNEL_RESTORED, node_id=node.id)
        now = workflow.now()
        step.due_at = None
        if outcome.kind is SendOutcomeKind.REPLY_DETECTED:
            # The pre-send check found a reply the webhook did not deliver: nothing was sent.
            self.reply(outcome.reply or ReplyReceived(source="pre-send check"))
            return
        step.finished_at = now
        step.platform_channel_id = outcome.channel_id
        label = CHANNEL_LABELS[node.channel]
        if outcome.kind is SendOutcomeKind.SENT:
            self._last_action(f"{label} sent")
            step.status, step.detail = StepStatus.SENT, None
            step.platform_message_id = outcome.message_id
            self._event(EventKind.MESSAGE_SENT, node_id=node.id, message_id=outcome.message_id)
        elif outcome.kind is SendOutcomeKind.CANDIDATE_UNREACHABLE:
            self._last_action(f"{label} skipped")
            step.status, step.detail = StepStatus.SKIPPED, outcome.detail
            self._event(EventKind.STEP_SKIPPED, node_id=node.id, reason=outcome.detail)
        else:
            self._last_action(f"{label} failed")
            step.status, step.detail = StepStatus.FAILED, outcome.detail
            self._progress.last_error = outcome.detail
            self._event(EventKind.STEP_FAILED, node_id=node.id, reason=outcome.detail)
        await self._record()

    async def _monitor_until_deadline(self) -> None:
        self._progress.current_node_id = None
        self._set_next_action("Campaign ends if no reply", self._deadline)
        self._event(EventKind.MONITORING, until=self._deadline.isoformat())
        await self._record()
        await self._sleep_until(self._deadline, "Wait for a reply until the 30-day limit")

    async def _finish(self) -> None:
        now = workflow.now()
        if self._reply is not None:
            status, reason, why = CampaignStatus.REPLIED, EndReason.REPLIED, "the candidate replied"
        elif self._cancelled:
            status, reason, why = CampaignStatus.CANCELLED, EndReason.CANCELLED, "cancelled"
        else:
            status, reason, why = CampaignStatus.COMPLETED, EndReason.NO_REPLY, "30-day limit"
        for step in self._progress.steps:
            if not step.status.is_finished:
                step.status, step.due_at = StepStatus.NOT_SENT, None
                if step.detail != IN_FLIGHT_WHEN_ENDED:
                    step.detail = f"Not sent: campaign ended ({why})"
        self._progress.end_reason = reason
        # A campaign that ran out of time ended at its deadline, not when the timer was seen.
        self._progress.ended_at = self._deadline if status is CampaignStatus.COMPLETED else now
        self._progress.current_node_id = None
        self._progress.waiting_reason = None
        self._set_next_action(None, None)
        self._set_status(status)
        self._event(EventKind.ENDED, reason=reason.value)
        await self._record(final=True)

    # --- helpers -------------------------------------------------------------------------------

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

    def _last_action(self, action: str) -> None:
        self._progress.last_action, self._progress.last_action_at = action, workflow.now()

    def _set_next_action(self, action: str | None, at: datetime | None) -> None:
        self._progress.next_action, self._progress.next_action_at = action, at

    def _set_status(self, status: CampaignStatus) -> None:
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
            await workflow.execute_local_activity_method(
                RecordingActivities.record_progress,
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
