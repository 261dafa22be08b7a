"""What the API and the dashboard do with campaigns: start and cancel (here), view
(`api.campaign_views`) and list (`api.role_overview`).

Write order of a start (crash-safe): the campaign id is made first, the workflow is started
with it (Temporal refuses a second running workflow for the candidate), and then both this
service and the workflow's first record (made with its first step) upsert the read-model row.
A crash before the start leaves nothing anywhere; a crash after it leaves a running workflow
that writes its own row.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.campaign_views import campaign_path, latest_view, temporal_ui_url
from api.cursor import decode_cursor, encode_cursor
from api.errors import ApiError, is_temporal_connect_failure, not_found, temporal_unavailable
from api.platform_access import Caller, check_candidate, load_candidates
from api.role_overview import overview_entries, overview_row, with_step_statuses
from api.schemas import (
    BulkControlResult,
    CampaignLinks,
    CampaignStarted,
    CampaignState,
    CampaignView,
    CancelResult,
    RoleCampaignPage,
)
from api.services import AppServices
from campaigns.contracts import CampaignInput, CampaignProgress, PauseRequest, workflow_id_for
from campaigns.definition import CampaignDefinition
from campaigns.status import CampaignStatus, PauseReason
from db import campaign_queries, campaign_store
from temporal_client import plain_payload
from workflows.campaign import CampaignWorkflow, execution_timeout_for, search_attributes_for

logger = logging.getLogger(__name__)

START_ATTEMPTS = 5
MEMO_KEY = "campaign"
# Pauses or resumes sent to Temporal at once by a pause of all a user's campaigns.
BULK_CONCURRENCY = 10
_Result = TypeVar("_Result")
# What the dashboard's bulk actions do to each selected campaign.
BulkAction = Literal["cancel", "pause", "resume"]


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
        await check_candidate(self._services, caller, role_id, candidate_id)
        fingerprint = definition.fingerprint()
        for _ in range(START_ATTEMPTS):
            campaign = CampaignInput(
                campaign_id=str(uuid.uuid4()),
                owner_user_id=caller.user.id,
                role_id=role_id,
                candidate_id=candidate_id,
                definition=definition,
                time_scale=self._settings.campaign_time_scale,
            )
            # Started first, described only when Temporal refuses: most PUTs are for a
            # candidate with no running campaign, and a describe is a round trip to the
            # server that would only say so. The refusal (one running workflow per
            # candidate) is what decides, as before.
            try:
                handle = await self._start_workflow(campaign, fingerprint)
            except WorkflowAlreadyStartedError:
                running = await self.running_campaign(candidate_id)
                if running is None:
                    continue  # it ended meanwhile: start again
                mine = running.owner_user_id == caller.user.id
                same = mine and running.role_id == role_id
                if same and running.definition_hash == fingerprint:
                    return self._started(running.campaign_id, role_id, candidate_id, created=False)
                if not (mine and replace):
                    raise self._conflict(running, caller) from None
                await self._cancel_and_wait(running.handle)
                continue
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
                # Plain (not encrypted), so the Web UI's list reads it without the codec; it
                # holds ids and a count only, never personal data.
                static_summary=plain_payload(  # type: ignore[arg-type]  # the SDK takes a Payload
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
        """Best effort: the workflow's first record writes the same row if this fails."""
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
            campaign_id=campaign_id,
            status=CampaignStatus.RUNNING.value,
            created=created,
            workflow_id=workflow_id,
            links=CampaignLinks(
                self=campaign_path(role_id, candidate_id),
                temporal_ui=temporal_ui_url(self._settings, workflow_id, None),
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
        """Cancel with the workflow's `cancel` Update, which answers once the campaign has
        ended (a send under way settled first); True when that came within
        CANCEL_WAIT_SECONDS. Past it the Update, already accepted, still ends the campaign."""
        try:
            update = await handle.start_update(
                CampaignWorkflow.cancel, wait_for_stage=WorkflowUpdateStage.ACCEPTED
            )
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                return True  # it ended meanwhile
            raise temporal_unavailable() from error
        try:
            await asyncio.wait_for(update.result(), self._settings.cancel_wait_seconds)
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            return False  # the SDK turns the wait's cancellation into the latter
        except (WorkflowUpdateFailedError, RPCError):
            return True  # it ended before the cancel could answer: any end will do
        return True

    # --- pause and resume -----------------------------------------------------------------------

    async def pause(
        self, caller: Caller, role_id: int, candidate_id: int, until: datetime | None
    ) -> CampaignState:
        """Pause the candidate's active campaign (again: moves its resume date)."""
        await check_candidate(self._services, caller, role_id, candidate_id)
        _must_be_ahead(until)
        running = await self._own_running(caller, role_id, candidate_id)
        request = PauseRequest(until=until, reason=PauseReason.USER)
        return await self._control(running, CampaignWorkflow.pause, request)

    async def resume(self, caller: Caller, role_id: int, candidate_id: int) -> CampaignState:
        """Resume the candidate's paused campaign; resuming a running one changes nothing."""
        await check_candidate(self._services, caller, role_id, candidate_id)
        running = await self._own_running(caller, role_id, candidate_id)
        return await self._control(running, CampaignWorkflow.resume)

    async def pause_all(self, caller: Caller, until: datetime | None) -> BulkControlResult:
        """Pause every active campaign of the caller (a vacation), in all their roles."""
        _must_be_ahead(until)
        request = PauseRequest(until=until, reason=PauseReason.ALL_CAMPAIGNS)
        return await self._control_all(caller, CampaignWorkflow.pause, request)

    async def resume_all(self, caller: Caller) -> BulkControlResult:
        return await self._control_all(caller, CampaignWorkflow.resume)

    async def _own_running(
        self, caller: Caller, role_id: int, candidate_id: int
    ) -> RunningCampaign:
        """The caller's running campaign for the candidate in this role; 404 or 409 if none."""
        running = await self.running_campaign(candidate_id)
        if running and running.owner_user_id == caller.user.id and running.role_id == role_id:
            return running
        async with self._services.sessions() as session:
            latest = await campaign_queries.latest_for_candidate(session, role_id, candidate_id)
        if latest is None or latest.owner_user_id != caller.user.id:
            raise not_found("No campaign for this candidate")
        raise _ended(latest.id)

    async def _control(
        self, running: RunningCampaign, update: Any, *args: PauseRequest
    ) -> CampaignState:
        """Run a pause or resume Update and answer with the state it left."""
        try:
            progress: CampaignProgress = await running.handle.execute_update(update, *args)
        except WorkflowUpdateFailedError:
            raise _ended(running.campaign_id) from None  # its validator: the campaign ended
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise _ended(running.campaign_id) from None
            raise temporal_unavailable() from error
        return _state_of(progress)

    async def _control_all(
        self, caller: Caller, update: Any, *args: PauseRequest
    ) -> BulkControlResult:
        async with self._services.sessions() as session:
            active = await campaign_queries.active_of_owner(session, caller.user.id)

        async def control(running: RunningCampaign) -> CampaignState:
            return await self._control(running, update, *args)

        results = await self._each_running(caller, [c for _, c in active], control)
        changed = [state for state in results if state is not None]
        return BulkControlResult(changed=changed, skipped=len(results) - len(changed))

    async def control_in_role(
        self, caller: Caller, role_id: int, candidate_ids: Sequence[int], action: BulkAction
    ) -> int:
        """Cancel, pause (until resumed) or resume the caller's running campaigns of these
        candidates in the role; how many it changed. The caller checked once that the
        candidates are the role's (one platform call for all)."""
        pause = PauseRequest(until=None, reason=PauseReason.USER)

        async def act(running: RunningCampaign) -> bool:
            if action == "cancel":
                await self._cancel_and_wait(running.handle)
            elif action == "pause":
                await self._control(running, CampaignWorkflow.pause, pause)
            else:
                await self._control(running, CampaignWorkflow.resume)
            return True

        results = await self._each_running(caller, candidate_ids, act, role_id=role_id)
        return sum(1 for done in results if done)

    async def _each_running(
        self,
        caller: Caller,
        candidate_ids: Sequence[int],
        act: Callable[[RunningCampaign], Awaitable[_Result]],
        *,
        role_id: int | None = None,
    ) -> list[_Result | None]:
        """`act` on the caller's running campaign of each candidate (in `role_id` only, when
        given), BULK_CONCURRENCY at a time; None where there is none or it ended meanwhile."""
        limit = asyncio.Semaphore(BULK_CONCURRENCY)

        async def one(candidate_id: int) -> _Result | None:
            async with limit:
                running = await self.running_campaign(candidate_id)
                if (
                    running is None
                    or running.owner_user_id != caller.user.id
                    or (role_id is not None and running.role_id != role_id)
                ):
                    return None
                try:
                    return await act(running)
                except ApiError as error:
                    if error.status == 409:
                        return None  # it ended meanwhile
                    raise

        return list(await asyncio.gather(*(one(candidate_id) for candidate_id in candidate_ids)))

    # --- cancel --------------------------------------------------------------------------------

    async def cancel(self, caller: Caller, role_id: int, candidate_id: int) -> CancelResult:
        await check_candidate(self._services, caller, role_id, candidate_id)
        running = await self.running_campaign(candidate_id)
        if (
            running is not None
            and running.owner_user_id == caller.user.id
            and running.role_id == role_id
        ):
            ended = await self._cancel_and_wait(running.handle)
            return CancelResult(
                campaign_id=running.campaign_id,
                status=CampaignStatus.CANCELLED.value if ended else "CANCELLING",
                cancelled=True,
            )
        async with self._services.sessions() as session:
            latest = await campaign_queries.latest_for_candidate(session, role_id, candidate_id)
        if latest is None or latest.owner_user_id != caller.user.id:
            raise not_found("No campaign for this candidate")
        return CancelResult(campaign_id=latest.id, status=latest.status, cancelled=False)

    # --- reads ----------------------------------------------------------------------------------

    async def view(self, caller: Caller, role_id: int, candidate_id: int) -> CampaignView:
        await check_candidate(self._services, caller, role_id, candidate_id, cached=True)
        return await self.latest_view(caller, role_id, candidate_id)

    async def latest_view(self, caller: Caller, role_id: int, candidate_id: int) -> CampaignView:
        """`view` for a candidate already checked with `check_candidate`; 404 if none of theirs."""
        return await latest_view(self._services, caller, role_id, candidate_id)

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
        entries = overview_entries(
            candidates, latest, owner_user_id=caller.user.id, status=status, sort=sort
        )
        start = decode_cursor(cursor)
        page = [overview_row(candidate, row) for candidate, row in entries[start : start + limit]]
        async with self._services.sessions() as session:
            steps = await campaign_queries.steps_of(
                session, [r.campaign_id for r in page if r.campaign_id]
            )
        for row in page:
            if row.campaign_id:
                with_step_statuses(row, steps.get(row.campaign_id, []))
        following = start + limit
        return RoleCampaignPage(
            role_id=role_id,
            items=page,
            next_cursor=encode_cursor(following) if following < len(entries) else None,
            total=len(entries),
        )


def _must_be_ahead(until: datetime | None) -> None:
    if until is not None and until <= datetime.now(UTC):
        raise ApiError(
            422,
            "INVALID_PAUSE",
            "until: must be in the future",
            [{"field": "until", "reason": "must be in the future"}],
        )


def _ended(campaign_id: str) -> ApiError:
    return ApiError(
        409,
        "CAMPAIGN_ENDED",
        "The campaign has ended; it can no longer be paused or resumed",
        [{"campaignId": campaign_id}],
    )


def _state_of(progress: CampaignProgress) -> CampaignState:
    return CampaignState(
        campaign_id=progress.campaign_id,
        status=progress.status.value,
        paused_at=progress.paused_at,
        paused_until=progress.paused_until,
        pause_reason=progress.pause_reason.value if progress.pause_reason else None,
        ends_at=progress.ends_at,
        ended_at=progress.ended_at,
        end_reason=progress.end_reason.value if progress.end_reason else None,
    )
