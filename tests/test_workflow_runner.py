"""The worker's workflow sandbox (workflow_runner.CompiledSandboxRunner): the SDK's sandbox with
its sandbox-entry code compiled once, and every restriction of the SDK's still applied."""

from __future__ import annotations

import uuid

import pytest
from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError

from tests.support.restricted_workflow import ReadsTheWallClock
from workflow_runner import WORKFLOW_RUNNER, compiled_sandbox_code
from workflows.campaign import CampaignWorkflow


async def test_a_second_campaign_sandbox_compiles_nothing() -> None:
    definition = workflow._Definition.must_from_class(CampaignWorkflow)
    WORKFLOW_RUNNER.prepare_workflow(definition)  # builds a sandboxed instance
    first = compiled_sandbox_code.cache_info()
    WORKFLOW_RUNNER.prepare_workflow(definition)
    second = compiled_sandbox_code.cache_info()

    assert second.misses == first.misses
    assert second.hits > first.hits


async def test_the_sandbox_still_refuses_a_wall_clock_read(
    temporal_env: WorkflowEnvironment,
) -> None:
    task_queue = f"restricted-{uuid.uuid4()}"
    async with Worker(
        temporal_env.client,
        task_queue=task_queue,
        workflows=[ReadsTheWallClock],
        workflow_runner=WORKFLOW_RUNNER,
        # Fail the workflow instead of retrying its task forever, so the test sees the error.
        workflow_failure_exception_types=[RestrictedWorkflowAccessError],
    ):
        with pytest.raises(WorkflowFailureError) as failure:
            await temporal_env.client.execute_workflow(
                ReadsTheWallClock.run, id=f"restricted-{uuid.uuid4()}", task_queue=task_queue
            )
    assert "datetime.datetime.now" in str(failure.value.cause)
