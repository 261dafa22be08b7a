"""Replays recorded histories of every way a campaign ends against today's workflow code.

A change to CampaignWorkflow that would break campaigns already running fails here. Such a
change needs `workflow.patched`; then re-record with `make histories` and keep the old files
until no campaign started before the change can still be running (30 days + margin).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.campaign import CampaignWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_a_history_is_recorded_for_every_ending() -> None:
    assert {path.stem for path in HISTORIES} >= {
        "replied",
        "completed",
        "cancelled",
        "waited_for_channel",
    }


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_campaign_replays_deterministically(path: Path) -> None:
    history = WorkflowHistory.from_json("campaign-replay", path.read_text())
    replayer = Replayer(workflows=[CampaignWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
