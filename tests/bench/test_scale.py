"""Counting lost and doubled messages in the scale run (bench/scale.py)."""

from __future__ import annotations

from bench.scale import count_delivery


def message(candidate: int, node: int) -> dict:
    return {"candidateId": candidate, "idempotencyKey": f"campaign-x:{node}"}


def test_every_step_once_is_neither_lost_nor_doubled() -> None:
    messages = [message(c, n) for c in (1, 2) for n in (1, 2)]
    assert count_delivery(messages, {1, 2}, {1, 2}) == (4, 0, 0)


def test_a_missing_step_is_lost_and_a_repeated_one_doubled() -> None:
    messages = [message(1, 1), message(1, 2), message(1, 2), message(1, 2), message(2, 1)]
    assert count_delivery(messages, {1, 2}, {1, 2}) == (4, 1, 2)


def test_other_candidates_messages_do_not_count() -> None:
    messages = [message(1, 1), message(9, 1), message(9, 1)]
    assert count_delivery(messages, {1}, {1}) == (1, 0, 0)
