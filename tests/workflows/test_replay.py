"""Replays recorded histories of every way a campaign goes against today's workflow code.

A change to CampaignWorkflow that would break campaigns already running fails here. Such a
change needs `workflow.patched`; then record the new paths into a new version folder with
`make histories` and keep the older folders until no campaign started before the change can
still be running (30 days + margin). `v1/` predates the `replies-v2` patch, `v2/` the
`sending-limits-v3` patch; `v4/` is recorded with encrypted payloads and holds pauses; `v5/`
follows the `coalesced-records-v5` patch (fewer recording local activities); `v6/` the
`end-recorded-first-v6` patch (an end recorded before the booked slots are released); `v7/`
the `first-record-with-first-step-v7` patch (no record before the first step); `v8/` the
`all-earlier-patches-v8` patch (one patch marker for all of the above).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.conftest import DATA_CONVERTER
from workflow_runner import WORKFLOW_RUNNER
from workflows.campaign import CampaignWorkflow
from workflows.event_deliverer import EventDelivererWorkflow
from workflows.reply_watcher import ReplyWatcherWorkflow

FOLDER = Path(__file__).parent / "histories"
HISTORIES = sorted(FOLDER.glob("*/*.json"))
ENDINGS = {"replied", "completed", "cancelled", "waited_for_channel"}


def _names(version: str) -> set[str]:
    return {path.stem for path in HISTORIES if path.parent.name == version}


def test_a_history_is_recorded_for_every_ending_of_every_version() -> None:
    assert _names("v1") >= ENDINGS
    replies_v2 = ENDINGS | {
        "channel_error_recovered",
        "channel_never_restored",
        "replied_found_by_reply_check",
        "replied_found_by_final_check",
        "stopped_before_the_post",
        "cancelled_during_the_post",
        "reply_watcher",
    }
    assert _names("v2") >= replies_v2
    sending_limits_v3 = replies_v2 | {
        "waited_for_the_send_window",
        "no_slot_before_day_30",
        "replied_while_waiting_for_the_slot",
        "event_deliverer",
    }
    assert _names("v3") >= sending_limits_v3
    # v4: today's code, encrypted payloads, with pause, resume and cancel as Updates and an
    # out-of-office reply that pauses (no patch: these paths are new commands only when used).
    paused = sending_limits_v3 | {
        "paused_and_resumed",
        "paused_until_a_date",
        "paused_by_out_of_office",
        "cancelled_by_update",
    }
    assert _names("v4") >= paused
    # v5: every path again after the coalesced-records-v5 patch.
    assert _names("v5") >= paused
    # v6: every path again after the end-recorded-first-v6 patch.
    assert _names("v6") >= paused
    # v7: every path again after the first-record-with-first-step-v7 patch.
    assert _names("v7") >= paused
    # v8: every path again after the all-earlier-patches-v8 patch.
    assert _names("v8") >= paused


@pytest.mark.parametrize("path", HISTORIES, ids=[f"{p.parent.name}/{p.stem}" for p in HISTORIES])
async def test_recorded_history_replays_deterministically(path: Path) -> None:
    history = WorkflowHistory.from_json("replay", path.read_text())
    replayer = Replayer(
        workflows=[CampaignWorkflow, ReplyWatcherWorkflow, EventDelivererWorkflow],
        data_converter=DATA_CONVERTER,
        workflow_runner=WORKFLOW_RUNNER,  # the worker's
    )
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
