"""The benchmark suite's watch on the read model for the reply part: when each campaign a
reply was sent for reads REPLIED."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from campaigns.status import CampaignStatus
from db.models import Campaign

# The figure's resolution: REPLIED is seen up to this long after it is written.
POLL_SECONDS = 0.01


class RepliedWatch:
    """Tells each waiting reply when its candidate's campaign reads REPLIED in the read model,
    read directly (the bench's candidates are fresh: one campaign each).

    One poller for all the replies awaited: one query for candidate ids only, every
    POLL_SECONDS, on one connection held open. Four pollers each loading the whole campaign
    row through a pooled session (a pre-ping, then the row and its JSON into the ORM) every
    10 ms spent CPU in the harness and in PostgreSQL, on the cores the API and the worker were
    being measured on; the bare side waits on a long poll and paid none of it. Polling the
    API's campaign view instead loaded the very process that handles the webhook."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._waiting: dict[int, asyncio.Future[None]] = {}

    @classmethod
    @asynccontextmanager
    async def polling(cls, engine: AsyncEngine) -> AsyncIterator[RepliedWatch]:
        async with engine.connect() as connection:
            # Each poll its own statement, no BEGIN and ROLLBACK around it.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            watch = cls(connection)
            poller = asyncio.create_task(watch._poll())
            try:
                yield watch
            finally:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller

    async def replied(self, candidate_id: int, *, timeout: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self._waiting[candidate_id] = future
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"candidate {candidate_id} never REPLIED") from None
        finally:
            self._waiting.pop(candidate_id, None)

    async def _poll(self) -> None:
        try:
            while True:
                if self._waiting:
                    await self._answer_replied()
                await asyncio.sleep(POLL_SECONDS)
        except Exception as error:
            # Each reply waiting fails with the reason now, not at its timeout.
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(error)
            raise

    async def _answer_replied(self) -> None:
        replied = await self._connection.scalars(
            select(Campaign.candidate_id).where(
                Campaign.candidate_id.in_(list(self._waiting)),
                Campaign.status == CampaignStatus.REPLIED.value,
            )
        )
        for candidate_id in replied:
            future = self._waiting.get(candidate_id)
            if future is not None and not future.done():
                future.set_result(None)
