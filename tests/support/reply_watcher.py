"""Ending a test's reply watcher, which continues as new every sweep interval."""

from __future__ import annotations

import asyncio

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from workflows.reply_watcher import watcher_id

# The latest run as described in the gap: the old one (continued as new) or the new one.
_NOT_YET_ENDED = (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.CONTINUED_AS_NEW)


async def terminate_watcher(client: Client, task_queue: str, attempts: int = 20) -> None:
    """Terminate the task queue's reply watcher, whichever run is current.

    On the time-skipping server the watcher continues as new every few skipped hours; a
    terminate that lands between one run's end and the next one's start finds no running
    execution ("Completed workflow", NOT_FOUND). Then it is tried again on the new run."""
    handle = client.get_workflow_handle(watcher_id(task_queue))
    for _ in range(attempts):
        try:
            await handle.terminate()
            return
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND:
                raise
        if (await handle.describe()).status not in _NOT_YET_ENDED:
            return  # ended some other way: nothing left to terminate
        await asyncio.sleep(0.05)
    raise AssertionError(f"the reply watcher of {task_queue} kept continuing as new")
