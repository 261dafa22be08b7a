"""A workflow that reads the wall clock, which the workflow sandbox forbids (tests of the
worker's sandbox runner: it must refuse what the SDK's refuses)."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow


@workflow.defn(name="ReadsTheWallClock")
class ReadsTheWallClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()
