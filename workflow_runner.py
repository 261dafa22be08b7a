"""The workflow sandbox our workers run campaigns in: the SDK's own, entered only to run
workflow code, and by code compiled once instead of on every call.

`SandboxedWorkflowRunner` (temporalio 1.35.0) enters a workflow's sandbox for every activation
and for every payload sequence it encodes or decodes (three passes each way) by `exec` of a
short source string, which Python compiles afresh each time: ~42 µs a call, 5-6 % of the
worker's CPU at starts and 11 % at replies (py-spy, docs/performance.md). The strings are a
handful of constants and one import line per workflow class, so their code objects are kept.

The payload passes enter it only to ask the SDK's own instance which serialization context
(and which external-storage context) a payload belongs to: a lookup in the instance's pending
commands, no workflow code. Entering still cost ~10 % of a reply's worker CPU (applying the
sandbox's importer and builtins, then undoing them), so those two questions go to the instance
directly. Everything else, restrictions and pass-through included, is the SDK's: the sandbox
checks the same workflow code the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import CodeType
from typing import Any

from temporalio.converter import SerializationContext, StorageDriverStoreContext
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance


@lru_cache(maxsize=256)
def compiled_sandbox_code(source: str) -> CodeType:
    """The code object `exec(source)` would compile (same name in tracebacks)."""
    return compile(source, "<string>", "exec")


class _SandboxInstance(_Instance):
    def _run_code(self, code: str, **extra_globals: Any) -> None:
        super()._run_code(compiled_sandbox_code(code), **extra_globals)  # type: ignore[arg-type]

    def _sdk_instance(self) -> WorkflowInstance:
        # The SDK's instance inside the sandbox; its class is the SDK's own (temporalio passes
        # through the sandbox), so it is the same object the sandboxed call would reach.
        return self.globals_and_locals["__temporal_in_sandbox"].instance

    def get_serialization_context(
        self, command_info: CommandInfo | None
    ) -> SerializationContext | None:
        return self._sdk_instance().get_serialization_context(command_info)

    def get_external_store_context(
        self, command_info: CommandInfo | None
    ) -> StorageDriverStoreContext:
        return self._sdk_instance().get_external_store_context(command_info)


@dataclass(frozen=True)
class CompiledSandboxRunner(SandboxedWorkflowRunner):
    """`SandboxedWorkflowRunner` with its sandbox-entry code compiled once."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _SandboxInstance(det, self.runner_class, self.restrictions)


WORKFLOW_RUNNER = CompiledSandboxRunner()
