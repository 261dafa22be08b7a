"""Counting billable Temporal Cloud Actions from a history (bench/cost.py)."""

from __future__ import annotations

from temporalio.api.common.v1 import Payload, SearchAttributes
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import (
    ActivityTaskScheduledEventAttributes,
    ActivityTaskStartedEventAttributes,
    HistoryEvent,
    MarkerRecordedEventAttributes,
    UpsertWorkflowSearchAttributesEventAttributes,
)

from bench.cost import MINIMUMS, count_actions


def event(event_id: int, kind: int, **attributes: object) -> HistoryEvent:
    return HistoryEvent(event_id=event_id, event_type=kind, **attributes)


def scheduled(event_id: int, name: str) -> HistoryEvent:
    attributes = ActivityTaskScheduledEventAttributes()
    attributes.activity_type.name = name
    return event(
        event_id,
        EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        activity_task_scheduled_event_attributes=attributes,
    )


def started(event_id: int, attempt: int) -> HistoryEvent:
    return event(
        event_id,
        EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
        activity_task_started_event_attributes=ActivityTaskStartedEventAttributes(attempt=attempt),
    )


def marker(event_id: int, name: str, task: int) -> HistoryEvent:
    return event(
        event_id,
        EventType.EVENT_TYPE_MARKER_RECORDED,
        marker_recorded_event_attributes=MarkerRecordedEventAttributes(
            marker_name=name, workflow_task_completed_event_id=task
        ),
    )


def upsert(event_id: int, *names: str) -> HistoryEvent:
    fields = SearchAttributes(indexed_fields={n: Payload(data=b"1") for n in names})
    return event(
        event_id,
        EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
        upsert_workflow_search_attributes_event_attributes=(
            UpsertWorkflowSearchAttributesEventAttributes(search_attributes=fields)
        ),
    )


def test_each_billable_kind_is_counted_once_and_the_rest_not_at_all() -> None:
    history = [
        event(1, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
        event(2, EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
        event(3, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED),
        event(4, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        scheduled(5, "send_message"),
        started(6, attempt=1),
        event(7, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
        event(8, EventType.EVENT_TYPE_TIMER_STARTED),
        event(9, EventType.EVENT_TYPE_TIMER_FIRED),
        event(10, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
        event(11, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
        event(12, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
    ]
    cost = count_actions(history)
    assert cost.events == 12
    assert cost.actions["workflow started"] == 1
    assert cost.actions["activity"] == 1
    assert cost.actions["activity retry"] == 0
    assert cost.actions["timer"] == 1
    assert cost.actions["signal"] == 1
    assert cost.actions["update"] == 1
    assert cost.billable == 5
    assert cost.activities == {"send_message": 1}
    assert cost.by_event_type["TIMER_STARTED"] == 1


def test_retries_are_read_from_the_attempt_of_the_started_event() -> None:
    cost = count_actions([scheduled(1, "send_message"), started(2, attempt=4)])
    assert cost.actions["activity"] == 1
    assert cost.actions["activity retry"] == 3
    assert cost.billable == 4


def test_local_activities_cost_one_action_per_workflow_task() -> None:
    history = [
        marker(5, "core_local_activity", task=4),
        marker(6, "core_local_activity", task=4),
        marker(9, "core_local_activity", task=8),
        marker(10, "core_patch", task=8),
    ]
    assert count_actions(history).actions["local activities"] == 2


def test_a_version_only_search_attribute_upsert_is_free() -> None:
    history = [upsert(1, "TemporalChangeVersion"), upsert(2, "CampaignStatus", "NextActionAt")]
    assert count_actions(history).actions["search attribute upsert"] == 1


def test_design_minimums_add_up() -> None:
    assert MINIMUMS["replied"].total == 5
    assert MINIMUMS["30-day end"].total == 8
    assert MINIMUMS["channel wait"].total == 10
