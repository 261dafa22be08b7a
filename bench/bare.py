"""The bare-Temporal floor the suite measures our figures against: the least a workflow can do
for each job, on the same server, in a worker process of its own like ours.

- `BareWaitWorkflow`: started, then waits for one signal and returns (the floor of a start, of
  a reply reaching a waiting workflow, and of an idle waiting campaign);
- `BareTwoActivitiesWorkflow`: runs two trivial activities and returns (the floor of a
  campaign's CPU up to its first two sends);
- `BareTimerActivityWorkflow`: sleeps, then runs one trivial activity (the floor of a send that
  falls due), returning when the timer was due and when the activity ran.

`python -m bench.bare` runs the worker (address and task queue from the environment, as
`worker.py` reads them), with the SDK's default converter: no codec, no pydantic.
"""

from __future__ import annotations

import asyncio
import compileall
import os
import signal
import time
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

TRIVIAL_TIMEOUT = timedelta(seconds=30)


@activity.defn
async def bare_touch(step: int) -> float:
    """Does nothing but say when it ran (wall clock, the machine's own)."""
    return time.time()


@workflow.defn
class BareWaitWorkflow:
    def __init__(self) -> None:
        self._replied = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self._replied)
        return "replied"

    @workflow.signal
    def reply(self) -> None:
        self._replied = True

    @workflow.query
    def replied(self) -> bool:
        return self._replied


@workflow.defn
class BareTwoActivitiesWorkflow:
    @workflow.run
    async def run(self) -> str:
        for step in (1, 2):
            await workflow.execute_activity(
                bare_touch, step, start_to_close_timeout=TRIVIAL_TIMEOUT
            )
        return "sent"


@dataclass
class TimedSend:
    due: float  # epoch seconds when the timer was due (workflow clock)
    ran: float  # epoch seconds when the activity ran


@workflow.defn
class BareTimerActivityWorkflow:
    @workflow.run
    async def run(self, delay_seconds: float) -> TimedSend:
        due = workflow.now().timestamp() + delay_seconds
        await workflow.sleep(delay_seconds)
        ran = await workflow.execute_activity(bare_touch, 3, start_to_close_timeout=TRIVIAL_TIMEOUT)
        return TimedSend(due=due, ran=ran)


BARE_WORKFLOWS = [BareWaitWorkflow, BareTwoActivitiesWorkflow, BareTimerActivityWorkflow]


async def run_bare_worker(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Same concurrency as ours (worker.build_worker), so neither gets more activity slots.
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=BARE_WORKFLOWS,
        activities=[bare_touch],
        max_concurrent_activities=200,
    ):
        await stop.wait()


if __name__ == "__main__":
    # As worker.py does for ours: the sandbox reads this module's bytecode, not its source.
    compileall.compile_file(__file__, quiet=2)
    asyncio.run(run_bare_worker(os.environ["TEMPORAL_ADDRESS"], os.environ["TEMPORAL_TASK_QUEUE"]))
