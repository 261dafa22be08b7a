"""A definition may carry its own send window; without one it is exactly what it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from campaigns.definition import CampaignDefinition
from campaigns.send_window import SendSchedule, next_open
from campaigns.validation import InvalidDefinition, parse_definition
from tests.support.campaigns import BRIEF_EXAMPLE

# The brief example's fingerprint before send windows existed: stored hashes stay valid.
BRIEF_FINGERPRINT = "7dc452acfab6e00a256f829ece8038f620be8f58f5a645436d370cac242fdf29"


def with_window(window: dict[str, Any]) -> dict[str, Any]:
    return {**BRIEF_EXAMPLE, "send_window": window}


def test_the_brief_definition_without_a_window_is_unchanged() -> None:
    definition = parse_definition(BRIEF_EXAMPLE)
    assert definition.send_window is None
    assert "send_window" not in definition.model_dump(mode="json")
    assert definition.fingerprint() == BRIEF_FINGERPRINT


def test_a_definition_with_its_own_window_round_trips_and_hashes_differently() -> None:
    window = {"timeZone": "America/New_York", "weekdays": ["TUE", "WED"], "start": "10:00"}
    definition = parse_definition(with_window(window))
    assert definition.send_window == SendSchedule.model_validate(window)
    stored = definition.model_dump(mode="json")
    assert stored["send_window"]["timeZone"] == "America/New_York"
    assert CampaignDefinition.model_validate(stored) == definition
    assert definition.fingerprint() != BRIEF_FINGERPRINT


@pytest.mark.parametrize(("window", "field", "reason"), [
    ({"timeZone": "Moon/Tranquility"}, "send_window.timeZone", "unknown time zone"),
    ({"start": "18:00", "end": "09:00"}, "send_window.end", "must be after start"),
    ({"weekdays": []}, "send_window.weekdays", "the send window never opens"),
    ({"hours": "9-5"}, "send_window.hours", "Extra inputs are not permitted"),
])  # fmt: skip
def test_an_invalid_window_names_its_field(window: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(InvalidDefinition) as raised:
        parse_definition(with_window(window))
    problems = {(p.field, p.reason.split(";")[0][: len(reason)]) for p in raised.value.problems}
    assert (field, reason) in problems


def test_a_window_closed_for_the_whole_30_days_is_detectable_at_the_start() -> None:
    start = datetime(2030, 7, 1, 8, tzinfo=UTC)
    july = [f"2030-07-{day:02d}" for day in range(1, 32)]
    definition = parse_definition(with_window({"skipDates": july}))
    assert definition.send_window is not None
    deadline = start + timedelta(days=30)
    assert next_open(definition.send_window, start, not_after=deadline) is None
