"""A revoked service token is not retried silently: the campaign shows the wait, the worker
logs an alert, and the send goes out once an operator fixes the credentials. On the dev server:
the fix is a worker restart, which the time-skipping server's sticky queues make slow."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from campaigns.contracts import CampaignProgress
from campaigns.status import CampaignStatus, StepStatus, WaitCause
from db.engine import create_engine, create_session_factory
from recruiting_platform import PlatformClient
from tests.conftest import SERVICE_TOKEN, fresh_database
from tests.support.campaigns import MILAN, campaign_input, eventually, sent_messages, start_campaign
from worker import build_worker
from workflows.campaign import CampaignWorkflow

ONE_EMAIL = {
    "nodes": [
        {"id": 1, "type": "message", "channel": "EMAIL", "subject_line": "Hi", "message": "Hello"}
    ]
}


async def test_refused_service_credentials_wait_visibly_and_resume_once_fixed(
    dev_temporal_env: WorkflowEnvironment,
    simulator: str,
    task_queue: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = dev_temporal_env.client
    async with fresh_database("sqlite", tmp_path) as url:
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        revoked = PlatformClient(simulator, "a-revoked-token")
        with caplog.at_level(logging.ERROR, logger="temporalio.activity"):
            async with build_worker(
                client, task_queue=task_queue, platform=revoked, sessions=sessions
            ):
                # Re-checks after 5 min / 600 = 0.5 s, doubling.
                campaign = campaign_input(ONE_EMAIL, time_scale=600)
                handle = await start_campaign(client, campaign, task_queue)

                async def waiting() -> CampaignProgress | None:
                    progress = await handle.query(CampaignWorkflow.progress)
                    return progress if progress.waiting_cause else None

                progress = await eventually(waiting)
        await revoked.aclose()
        assert progress.status is CampaignStatus.WAITING_FOR_CHANNEL
        assert progress.waiting_cause is WaitCause.PLATFORM_UNAUTHORIZED
        assert progress.waiting_reason == WaitCause.PLATFORM_UNAUTHORIZED
        assert any("ALERT" in record.getMessage() for record in caplog.records)
        assert await sent_messages(simulator, MILAN) == []

        # An operator fixes the token; the next re-check sends the message.
        fixed = PlatformClient(simulator, SERVICE_TOKEN)
        async with build_worker(client, task_queue=task_queue, platform=fixed, sessions=sessions):

            async def sent() -> CampaignProgress | None:
                progress = await handle.query(CampaignWorkflow.progress)
                return progress if progress.steps[0].status is StepStatus.SENT else None

            progress = await eventually(sent, timeout=60)
            await handle.cancel()
            await handle.result()
        await fixed.aclose()
        await engine.dispose()
    assert progress.status is CampaignStatus.RUNNING
    assert progress.waiting_cause is None
    assert len(await sent_messages(simulator, MILAN)) == 1
