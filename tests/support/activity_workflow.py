"""A workflow that runs one activity and one local activity, for the tests of the worker's
sandbox runner: the payloads of each must be encoded with the serialization context the SDK's
own sandbox gives them."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="echo")
async def echo(text: str) -> str:
    return text


@workflow.defn(name="RunsTwoActivities")
class RunsTwoActivities:
    @workflow.run
    async def run(self, text: str) -> str:
        first = await workflow.execute_activity(
            echo, text, start_to_close_timeout=timedelta(seconds=30)
        )
        return await workflow.execute_local_activity(
            echo, first, start_to_close_timeout=timedelta(seconds=30)
        )
