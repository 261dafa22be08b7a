"""The worker's workflow sandbox (workflow_runner.CompiledSandboxRunner): the SDK's sandbox with
its sandbox-entry code compiled once, entered only to run workflow code, every restriction of
the SDK's still applied, and every payload given the serialization context the SDK gives it."""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from collections.abc import Sequence

import pytest
from temporalio import workflow
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowFailureError
from temporalio.converter import (
    ActivitySerializationContext,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import (
    RestrictedWorkflowAccessError,
    SandboxedWorkflowRunner,
)
from temporalio.worker.workflow_sandbox._runner import _fake_info

from tests.support.activity_workflow import RunsTwoActivities, echo
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


class ContextRecordingCodec(PayloadCodec, WithSerializationContext):
    """Passes payloads through, noting the serialization context of each pass."""

    def __init__(self, seen: list[str], context: SerializationContext | None = None) -> None:
        self.seen, self.context = seen, context

    def with_context(self, context: SerializationContext) -> ContextRecordingCodec:
        return ContextRecordingCodec(self.seen, context)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen.append(f"encode {self._described()}")
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen.append(f"decode {self._described()}")
        return list(payloads)

    def _described(self) -> str:
        # Each run has its own workflow id and task queue: compare the rest.
        context = self.context
        if isinstance(context, WorkflowSerializationContext):
            context = dataclasses.replace(context, workflow_id="<this run>")
        if isinstance(context, ActivitySerializationContext):
            context = dataclasses.replace(
                context, workflow_id="<this run>", activity_task_queue="<this run>"
            )
        return repr(context)


async def contexts_seen(env: WorkflowEnvironment, runner: WorkflowRunner) -> Counter[str]:
    seen: list[str] = []
    client = Client(
        **{
            **env.client.config(),
            "data_converter": DataConverter(payload_codec=ContextRecordingCodec(seen)),
        }
    )
    task_queue = f"contexts-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[RunsTwoActivities],
        activities=[echo],
        workflow_runner=runner,
    ):
        result = await client.execute_workflow(
            RunsTwoActivities.run, "hello", id=f"contexts-{uuid.uuid4()}", task_queue=task_queue
        )
    assert result == "hello"
    return Counter(seen)


async def test_each_payload_gets_the_context_the_sdks_own_sandbox_gives_it(
    temporal_env: WorkflowEnvironment,
) -> None:
    sdk = await contexts_seen(temporal_env, SandboxedWorkflowRunner())
    ours = await contexts_seen(temporal_env, WORKFLOW_RUNNER)

    assert ours == sdk
    # The passes are the ones a context matters for: the activity's and the local activity's.
    described = "\n".join(ours)
    assert "activity_type='echo'" in described and "is_local=True" in described
    assert "is_local=False" in described


async def test_a_payload_pass_does_not_enter_the_sandbox() -> None:
    # Built as the SDK's `prepare_workflow` builds one to validate a workflow class.
    instance = WORKFLOW_RUNNER.create_instance(
        WorkflowInstanceDetails(
            payload_converter_factory=DataConverter.default._new_payload_converter,
            failure_converter_class=DataConverter.default.failure_converter_class,
            interceptor_classes=[],
            defn=workflow._Definition.must_from_class(RunsTwoActivities),
            info=_fake_info,
            randomness_seed=-1,
            extern_functions={},
            disable_eager_activity_execution=False,
            worker_level_failure_exception_types=[],
            patch_activation_callback=None,
            last_completion_result=Payloads(),
            last_failure=Failure(),
        )
    )
    entries = compiled_sandbox_code.cache_info()

    context = instance.get_serialization_context(None)

    assert compiled_sandbox_code.cache_info() == entries  # no code run in the sandbox
    assert context == WorkflowSerializationContext(
        namespace=_fake_info.namespace, workflow_id=_fake_info.workflow_id
    )
