"""The benchmark suite's watch on the read model for the reply part: when each campaign a
reply was sent for reads REPLIED."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from campaigns.status import CampaignStatus
from db.models import Campaign

# Where the database cannot tell (SQLite), the figure's resolution: REPLIED is seen up to this
# long after it is written.
POLL_SECONDS = 0.01

# PostgreSQL tells the watch itself: a trigger, installed for the watch's life only, sends the
# candidate's id on this channel when its campaign's row turns REPLIED; it arrives at commit.
CHANNEL = "bench_campaign_replied"
_TRIGGER_DDL = (
    f"""
    CREATE OR REPLACE FUNCTION {CHANNEL}() RETURNS trigger AS $$
    BEGIN
        IF NEW.status = '{CampaignStatus.REPLIED.value}' THEN
            PERFORM pg_notify('{CHANNEL}', NEW.candidate_id::text);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    f"DROP TRIGGER IF EXISTS {CHANNEL} ON {Campaign.__tablename__}",
    f"""
    CREATE TRIGGER {CHANNEL} AFTER INSERT OR UPDATE OF status ON {Campaign.__tablename__}
    FOR EACH ROW EXECUTE FUNCTION {CHANNEL}()
    """,
)
_TRIGGER_DROP = (
    f"DROP TRIGGER IF EXISTS {CHANNEL} ON {Campaign.__tablename__}",
    f"DROP FUNCTION IF EXISTS {CHANNEL}()",
)


class RepliedWatch:
    """Tells each waiting reply when its candidate's campaign reads REPLIED in the read model
    (the bench's candidates are fresh: one campaign each).

    The bare side waits for its workflow's result on a long poll: the server answers the moment
    the result is written, and the waiting costs nothing meanwhile. `watching` gives ours the
    same on PostgreSQL: the database notifies the watch at the write's commit. On SQLite one
    poller serves all the replies awaited: one query for candidate ids only, every
    POLL_SECONDS, on one connection held open, which adds up to POLL_SECONDS to each figure.
    (Four pollers each loading the whole row through a pooled session every 10 ms spent CPU on
    the cores the API and the worker were measured on; polling the API's campaign view loaded
    the very process that handles the webhook.)"""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self._told: set[int] = set()  # notified already, perhaps before anyone waited

    @classmethod
    @asynccontextmanager
    async def watching(cls, engine: AsyncEngine) -> AsyncIterator[RepliedWatch]:
        """Notified on PostgreSQL, polling elsewhere."""
        watch = cls.notified if engine.dialect.name == "postgresql" else cls.polling
        async with watch(engine) as watched:
            yield watched

    @classmethod
    @asynccontextmanager
    async def polling(cls, engine: AsyncEngine) -> AsyncIterator[RepliedWatch]:
        async with cls._on_own_connection(engine) as watch:
            poller = asyncio.create_task(watch._poll())
            try:
                yield watch
            finally:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller

    @classmethod
    @asynccontextmanager
    async def notified(cls, engine: AsyncEngine) -> AsyncIterator[RepliedWatch]:
        async with cls._on_own_connection(engine) as watch:
            listener = (await watch._connection.get_raw_connection()).driver_connection
            await listener.add_listener(CHANNEL, watch._on_notify)
            listener.add_termination_listener(watch._on_connection_lost)
            try:
                for statement in _TRIGGER_DDL:
                    await watch._connection.execute(text(statement))
                yield watch
            finally:
                listener.remove_termination_listener(watch._on_connection_lost)
                if not listener.is_closed():
                    await listener.remove_listener(CHANNEL, watch._on_notify)
                # On a connection of its own: the watch's may be the one that was lost.
                async with engine.begin() as cleanup:
                    for statement in _TRIGGER_DROP:
                        await cleanup.execute(text(statement))

    @classmethod
    @asynccontextmanager
    async def _on_own_connection(cls, engine: AsyncEngine) -> AsyncIterator[RepliedWatch]:
        """A watch on one connection held open for its life, each statement on it its own
        (no BEGIN and ROLLBACK around a poll)."""
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            yield cls(connection)

    async def replied(self, candidate_id: int, *, timeout: float) -> None:
        if candidate_id in self._told:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiting[candidate_id] = future
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"candidate {candidate_id} never REPLIED") from None
        finally:
            self._waiting.pop(candidate_id, None)

    def _tell(self, candidate_id: int) -> None:
        future = self._waiting.get(candidate_id)
        if future is not None and not future.done():
            future.set_result(None)

    def _fail(self, error: BaseException) -> None:
        """Each reply waiting fails with the reason now, not at its timeout."""
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(error)

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        candidate_id = int(payload)
        self._told.add(candidate_id)
        self._tell(candidate_id)

    def _on_connection_lost(self, _connection: Any) -> None:
        self._fail(ConnectionError("the watch's connection to the read model closed"))

    async def _poll(self) -> None:
        try:
            while True:
                if self._waiting:
                    await self._answer_replied()
                await asyncio.sleep(POLL_SECONDS)
        except Exception as error:
            self._fail(error)
            raise

    async def _answer_replied(self) -> None:
        replied = await self._connection.scalars(
            select(Campaign.candidate_id).where(
                Campaign.candidate_id.in_(list(self._waiting)),
                Campaign.status == CampaignStatus.REPLIED.value,
            )
        )
        for candidate_id in replied:
            self._tell(candidate_id)
