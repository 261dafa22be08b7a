"""The campaign definition: every rule, and errors that name the node and the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from campaigns.definition import CampaignDefinition, ChannelType, MessageNode
from campaigns.validation import InvalidDefinition, parse_definition
from tests.support.campaigns import BRIEF_EXAMPLE


def _problems(raw: Any) -> set[tuple[int | None, str]]:
    with pytest.raises(InvalidDefinition) as caught:
        parse_definition(raw)
    return {(p.nodeId, p.field) for p in caught.value.problems}


def _reason(raw: Any) -> str:
    with pytest.raises(InvalidDefinition) as caught:
        parse_definition(raw)
    return " | ".join(p.reason for p in caught.value.problems)


def _example(**changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(BRIEF_EXAMPLE)
    for index, fields in changes.items():
        raw["nodes"][int(index.removeprefix("n"))].update(fields)
    return raw


def test_the_brief_example_is_valid_and_maps_channels_to_connected_channel_types() -> None:
    definition = parse_definition(BRIEF_EXAMPLE)
    assert [n.id for n in definition.nodes] == [1, 2, 3, 4, 5, 6]
    messages = definition.messages
    assert [m.channel_type for m in messages] == [
        ChannelType.LINKEDIN,
        ChannelType.EMAIL,
        ChannelType.EMAIL,
        ChannelType.EMAIL,
    ]


def test_fingerprint_is_stable_and_changes_with_the_definition() -> None:
    same = CampaignDefinition.model_validate(copy.deepcopy(BRIEF_EXAMPLE))
    assert parse_definition(BRIEF_EXAMPLE).fingerprint() == same.fingerprint()
    other = parse_definition(_example(n0={"message": "Different"}))
    assert other.fingerprint() != same.fingerprint()


@pytest.mark.parametrize(
    ("raw", "expected", "reason_part"),
    [
        (_example(n0={"channel": "FAX"}), (1, "channel"), "allowed: LINKEDIN_MESSAGE"),
        (_example(n1={"subject_line": None}), (2, "subject_line"), "required for GMAIL"),
        (_example(n1={"subject_line": "  "}), (2, "subject_line"), "required"),
        (_example(n0={"message": "   "}), (1, "message"), "must not be blank"),
        (_example(n0={"message": ""}), (1, "message"), "at least 1 character"),
        (_example(n0={"message": "x" * 10_001}), (1, "message"), "at most 10000"),
        (_example(n2={"delaySeconds": 0}), (3, "delaySeconds"), "greater than 0"),
        (_example(n2={"delaySeconds": -1}), (3, "delaySeconds"), "greater than 0"),
        (_example(n2={"delaySeconds": 1.5}), (3, "delaySeconds"), "valid integer"),
        (_example(n2={"delaySeconds": "60"}), (3, "delaySeconds"), "valid integer"),
        (_example(n3={"id": 1}), (1, "id"), "duplicate node id"),
        (_example(n0={"type": "wait"}), (1, "type"), "allowed: message, delay-step"),
        (_example(n0={"colour": "red"}), (1, "colour"), "unknown field"),
        (
            _example(n0={"channel": "LINKEDIN_CONNECTION_REQUEST", "message": "x" * 301}),
            (1, "message"),
            "at most 300",
        ),
        (
            _example(n4={"delaySeconds": 30 * 86_400 - 172_800}),
            (6, "delaySeconds"),
            "30-day limit",
        ),
    ],
)
def test_each_violation_names_the_node_and_field(
    raw: dict[str, Any], expected: tuple[int, str], reason_part: str
) -> None:
    assert expected in _problems(raw)
    assert reason_part in _reason(raw)


def test_a_campaign_needs_at_least_one_message_and_a_bounded_size() -> None:
    only_delay = {"nodes": [{"id": 1, "type": "delay-step", "delaySeconds": 60}]}
    assert (None, "nodes") in _problems(only_delay)
    assert (None, "nodes") in _problems({"nodes": []})
    too_many = {
        "nodes": [
            {"id": i, "type": "message", "channel": "LINKEDIN_MESSAGE", "message": "hi"}
            for i in range(1, 102)
        ]
    }
    assert (None, "nodes") in _problems(too_many)
    assert (None, "body") in _problems([])


def test_a_node_without_an_id_is_located_by_its_position() -> None:
    raw = {"nodes": [{"type": "message", "channel": "LINKEDIN_MESSAGE", "message": "hi"}]}
    assert (None, "nodes[0].id") in _problems(raw)


def test_message_just_before_the_30_day_limit_is_accepted() -> None:
    raw = {
        "nodes": [
            {"id": 1, "type": "delay-step", "delaySeconds": 30 * 86_400 - 1},
            {"id": 2, "type": "message", "channel": "EMAIL", "subject_line": "s", "message": "m"},
        ]
    }
    definition = parse_definition(raw)
    assert isinstance(definition.nodes[1], MessageNode)
