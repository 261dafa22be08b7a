"""`db.campaign_store.apply_snapshot`: what the recording activity writes, however often it runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.exc import StatementError

from campaigns.contracts import EventKind, RecordProgressInput
from campaigns.status import CampaignStatus
from db import campaign_store
from db.campaign_store import apply_snapshot
from db.engine import SessionFactory
from tests.db.snapshots import STARTED_AT, campaign_row, new_candidate_id, record, stored

STARTED = [(1, EventKind.STARTED)]
SENT = [(2, EventKind.MESSAGE_SENT), (3, EventKind.MESSAGE_SENT)]


async def apply(sessions: SessionFactory, *records: RecordProgressInput) -> None:
    """Each snapshot in its own session, as separate activity runs would."""
    for snapshot in records:
        async with sessions() as session:
            await apply_snapshot(session, snapshot, datetime.now(UTC))


async def read(sessions: SessionFactory, campaign_id: str) -> dict[str, Any]:
    async with sessions() as session:
        return await stored(session, campaign_id)


async def test_applying_the_same_snapshot_twice_changes_nothing(sessions: SessionFactory) -> None:
    campaign_id, candidate_id = str(uuid.uuid4()), new_candidate_id()
    snapshot = record(campaign_id, candidate_id, seq=1, sent=2, events=STARTED + SENT)

    await apply(sessions, snapshot)
    first = await read(sessions, campaign_id)
    await apply(sessions, snapshot)

    assert await read(sessions, campaign_id) == first
    assert [event["seq"] for event in first["events"]] == [1, 2, 3]
    assert len(first["steps"]) == 6
    assert first["campaign"]["snapshot_seq"] == 1
    assert first["campaign"]["steps_done"] == 2


async def test_events_already_stored_are_not_duplicated(sessions: SessionFactory) -> None:
    campaign_id, candidate_id = str(uuid.uuid4()), new_candidate_id()
    await apply(
        sessions,
        record(campaign_id, candidate_id, seq=1, events=STARTED),
        # The next snapshot repeats event 1, as a retried activity would.
        record(campaign_id, candidate_id, seq=2, sent=2, events=STARTED + SENT),
    )
    events = (await read(sessions, campaign_id))["events"]
    assert [(event["seq"], event["kind"]) for event in events] == [
        (1, "STARTED"),
        (2, "MESSAGE_SENT"),
        (3, "MESSAGE_SENT"),
    ]


async def test_an_older_snapshot_never_overwrites_a_newer_one(sessions: SessionFactory) -> None:
    campaign_id, candidate_id = str(uuid.uuid4()), new_candidate_id()
    newer = record(campaign_id, candidate_id, seq=5, sent=4, events=STARTED + SENT)
    await apply(sessions, newer)
    before = await read(sessions, campaign_id)

    # Snapshot 3 arrives late (an activity retried after a later one finished).
    await apply(sessions, record(campaign_id, candidate_id, seq=3, sent=1))
    after = await read(sessions, campaign_id)

    assert after["campaign"] == before["campaign"]
    assert after["steps"] == before["steps"]
    assert after["campaign"]["snapshot_seq"] == 5
    assert after["campaign"]["steps_done"] == 4


async def test_a_newer_snapshot_replaces_the_campaign_and_its_steps(
    sessions: SessionFactory,
) -> None:
    campaign_id, candidate_id = str(uuid.uuid4()), new_candidate_id()
    await apply(sessions, record(campaign_id, candidate_id, seq=1, events=STARTED))
    await apply(
        sessions,
        record(
            campaign_id,
            candidate_id,
            seq=2,
            sent=2,
            status=CampaignStatus.REPLIED,
            events=[(4, EventKind.REPLY_RECEIVED)],
        ),
    )
    rows = await read(sessions, campaign_id)
    assert rows["campaign"]["status"] == "REPLIED"
    assert rows["campaign"]["snapshot_seq"] == 2
    assert [step["status"] for step in rows["steps"]][:3] == ["SENT", "SENT", "PENDING"]
    assert [event["seq"] for event in rows["events"]] == [1, 4]


async def test_timestamps_come_back_timezone_aware_in_utc(sessions: SessionFactory) -> None:
    campaign_id, candidate_id = str(uuid.uuid4()), new_candidate_id()
    snapshot = record(campaign_id, candidate_id, seq=1, sent=2, events=STARTED)
    await apply(sessions, snapshot)
    rows = await read(sessions, campaign_id)

    progress = snapshot.progress
    campaign = rows["campaign"]
    for column, sent in [
        ("started_at", progress.started_at),
        ("ends_at", progress.ends_at),
        ("next_action_at", progress.next_action_at),
        ("created_at", progress.started_at),
    ]:
        assert campaign[column].tzinfo is UTC, column
        assert campaign[column] == sent, column  # the same instant, to the microsecond
    assert campaign["started_at"].utcoffset().total_seconds() == 0
    assert campaign["started_at"].hour == STARTED_AT.hour - 2
    assert campaign["updated_at"].tzinfo is UTC

    first_step = rows["steps"][0]
    assert first_step["started_at"].tzinfo is UTC
    assert first_step["started_at"] == progress.steps[0].started_at
    assert first_step["finished_at"] == progress.steps[0].finished_at
    event = rows["events"][0]
    assert event["at"].tzinfo is UTC
    assert event["at"] == snapshot.new_events[0].at


async def test_a_naive_datetime_is_refused(sessions: SessionFactory) -> None:
    async with sessions() as session:
        session.add(
            campaign_row(
                new_candidate_id(), CampaignStatus.COMPLETED, ended_at=datetime(2026, 1, 1)
            )
        )
        with pytest.raises(StatementError, match="naive datetime"):
            await session.commit()


def test_a_newer_snapshot_overwrites_every_column_a_snapshot_carries() -> None:
    """The upsert's prepared statements name the columns a newer snapshot overwrites; a column
    added to a snapshot but not there would keep its first value for ever."""
    snapshot = record(str(uuid.uuid4()), new_candidate_id(), seq=1, sent=2)
    carried = set(campaign_store._campaign_values(snapshot.progress)) | {
        "snapshot_seq",
        "updated_at",
    }
    assert set(campaign_store.SNAPSHOT_COLUMNS) == carried
    assert set(campaign_store.STEP_COLUMNS) == set(
        campaign_store._step_values(snapshot.progress.steps[0])
    )
