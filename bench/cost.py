"""Cost per campaign: history events and billable Temporal Cloud Actions of the brief's example,
counted from real histories, against the design minimum.

Runs the brief's example through the real API (in-process, over HTTP), the simulator and a
worker on Temporal's time-skipping test server (30 days pass in a second) in three scenarios:

- replied:      the candidate replies after the first two messages (webhook → API → workflow);
- 30-day end:   nobody replies: four messages, then the campaign ends after 30 days;
- channel wait: the LinkedIn account is logged out at the start; the platform's webhook says it
                is back an hour later; then as the 30-day end.

and fetches each history. Billable Actions follow Temporal Cloud's definition (docs.temporal.io
/cloud/actions, read 2026-11-30): workflow started, each signal, each accepted Update, each
activity scheduled plus each retry (`attempt - 1` on its started event), each timer started,
each search-attribute upsert, local activities once per workflow task. Queries count too, but
no campaign path sends one. Activity heartbeats that reach the server count and are not in
the history: reported apart, as an estimate (see `HEARTBEATS_PER_SEND`).

    make bench-cost          # or: python -m bench.cost [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment

from campaigns.contracts import workflow_id_for
from db.engine import create_engine, create_session_factory
from process_exit import exit_skipping_teardown
from tests.api.conftest import api_stack_on
from tests.conftest import SERVICE_TOKEN, WEBHOOK_SECRET, _start_time_skipping, fresh_database
from tests.support.campaigns import ANDREAS, BRIEF_EXAMPLE, eventually, sent_messages
from tests.support.sending import send_without_pacing
from tests.support.simulator_process import start_simulator

logger = logging.getLogger("bench.cost")
# The send activity heartbeats its phase ("checking", then "posting"); the SDK sends the first
# heartbeat at once and throttles the rest to one a second, so a send that takes under a
# second reaches the server once, a slower one twice or more.
HEARTBEATS_PER_SEND = 1
LOCAL_ACTIVITY_MARKER = "core_local_activity"
EXEMPT_SEARCH_ATTRIBUTE = "TemporalChangeVersion"

# Ordered as Temporal's pricing page lists them.
CATEGORIES = ("workflow started", "signal", "update", "activity", "activity retry", "timer")


@dataclass
class HistoryCost:
    """What one workflow history costs."""

    events: int = 0
    bytes: int = 0
    by_event_type: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    activities: dict[str, int] = field(default_factory=dict)

    @property
    def billable(self) -> int:
        return sum(self.actions.values())


def count_actions(events: Iterable[HistoryEvent]) -> HistoryCost:
    """Events and billable Actions of one history, by Temporal Cloud's rules."""
    cost = HistoryCost()
    types: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    activities: Counter[str] = Counter()
    scheduled_types: dict[int, str] = {}
    local_activity_tasks: set[int] = set()
    for event in events:
        cost.events += 1
        cost.bytes += event.ByteSize()
        kind = event.event_type
        types[EventType.Name(kind).removeprefix("EVENT_TYPE_")] += 1
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            actions["workflow started"] += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            actions["signal"] += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            actions["update"] += 1
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            scheduled_types[event.event_id] = name
            activities[name] += 1
            actions["activity"] += 1
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            retries = max(0, event.activity_task_started_event_attributes.attempt - 1)
            if retries:
                actions["activity retry"] += retries
        elif kind == EventType.EVENT_TYPE_TIMER_STARTED:
            actions["timer"] += 1
        elif kind == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes
            if set(fields.indexed_fields) - {EXEMPT_SEARCH_ATTRIBUTE}:
                actions["search attribute upsert"] += 1
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == LOCAL_ACTIVITY_MARKER:
                local_activity_tasks.add(marker.workflow_task_completed_event_id)
        elif kind == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            actions["child workflow"] += 2
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            actions["continue-as-new"] += 1
    if local_activity_tasks:
        actions["local activities"] = len(local_activity_tasks)
    cost.by_event_type = dict(types.most_common())
    cost.actions = {k: actions[k] for k in [*CATEGORIES, *sorted(set(actions) - set(CATEGORIES))]}
    cost.activities = dict(activities.most_common())
    return cost


@dataclass(frozen=True)
class Minimum:
    """The fewest Actions any design on Temporal needs for a scenario, item by item."""

    items: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.items)


# The brief's example: messages 1 and 2 at once, a 2-day delay, message 4, a 5-day delay,
# message 6, and the campaign ends 30 days after its start unless the candidate replies.
MINIMUMS = {
    "replied": Minimum(
        (
            ("workflow started", 1),
            ("send messages 1 and 2 (one activity each)", 2),
            ("the 2-day delay (a timer)", 1),
            ("the reply (a signal)", 1),
        )
    ),
    "30-day end": Minimum(
        (
            ("workflow started", 1),
            ("send messages 1, 2, 4, 6 (one activity each)", 4),
            ("the 2-day and 5-day delays (timers)", 2),
            ("the 30-day end (a timer)", 1),
        )
    ),
    "channel wait": Minimum(
        (
            ("workflow started", 1),
            ("the LinkedIn send that finds the account logged out (an activity)", 1),
            ("the channel-restored webhook (a signal)", 1),
            ("send messages 1, 2, 4, 6 (one activity each)", 4),
            ("the 2-day and 5-day delays (timers)", 2),
            ("the 30-day end (a timer)", 1),
        )
    ),
}


@dataclass
class Scenario:
    name: str
    cost: HistoryCost
    minimum: Minimum
    sends: int

    def as_json(self) -> dict[str, object]:
        return {
            "scenario": self.name,
            "events": self.cost.events,
            "history_bytes": self.cost.bytes,
            "billable_actions": self.cost.billable,
            "heartbeat_actions_estimate": self.sends * HEARTBEATS_PER_SEND,
            "actions": self.cost.actions,
            "activities": self.cost.activities,
            "events_by_type": self.cost.by_event_type,
            "design_minimum": self.minimum.total,
            "design_minimum_items": [list(i) for i in self.minimum.items],
            "sends": self.sends,
        }


# --- running the scenarios -----------------------------------------------------------------

CANDIDATES = {"replied": 5000, "30-day end": 5001, "channel wait": 5002}
BULK_ROLE = 12
HEADERS = {"Authorization": f"Bearer {ANDREAS['token']}"}


async def run_scenarios() -> list[Scenario]:
    env = await _start_time_skipping()
    try:
        with (
            start_simulator(service_token=SERVICE_TOKEN, webhook_secret=WEBHOOK_SECRET) as sim,
            tempfile.TemporaryDirectory() as folder,
        ):
            async with fresh_database("sqlite", Path(folder)) as database_url:
                engine = create_engine(database_url)
                sessions = create_session_factory(engine)
                await send_without_pacing(sessions, ANDREAS["id"])
                try:
                    async with api_stack_on(
                        env.client, database_url, sim.url, f"cost-{uuid.uuid4()}", sessions
                    ) as stack:
                        return [
                            await scenario(env, stack.url, sim.url, name) for name in CANDIDATES
                        ]
                finally:
                    await engine.dispose()
    finally:
        await env.shutdown()


async def scenario(env: WorkflowEnvironment, api_url: str, simulator: str, name: str) -> Scenario:
    candidate = CANDIDATES[name]
    path = f"/role/{BULK_ROLE}/candidate/{candidate}/campaign"
    linkedin = f"/_sim/channels/{ANDREAS['linkedin_channel']}/status"
    async with (
        httpx.AsyncClient(base_url=api_url, headers=HEADERS, timeout=60) as api,
        httpx.AsyncClient(base_url=simulator, timeout=60) as sim,
    ):
        if name == "channel wait":
            logged_out = {"status": "ERROR_CREDENTIALS", "deliverWebhook": False}
            (await sim.put(linkedin, json=logged_out)).raise_for_status()
        (await api.put(path, json=BRIEF_EXAMPLE)).raise_for_status()
        handle = env.client.get_workflow_handle(workflow_id_for(candidate))
        if name == "replied":
            await eventually(lambda: _sent(simulator, candidate, 2))
            reply = {"channelId": ANDREAS["email_channel"]}
            (await sim.post(f"/_sim/candidates/{candidate}/reply", json=reply)).raise_for_status()
        if name == "channel wait":
            await eventually(lambda: _status(api, path, "WAITING_FOR_CHANNEL"))
            await env.sleep(3600)
            (await sim.put(linkedin, json={"status": "OK"})).raise_for_status()
        if name != "replied":
            # Past the 30-day end (the server skips the time), then the result.
            await env.sleep(31 * 86_400)
        await handle.result()
    history = await handle.fetch_history()
    sends = len(await sent_messages(simulator, candidate))
    logger.info("%s: %d events, %d sends", name, len(history.events), sends)
    return Scenario(name, count_actions(history.events), MINIMUMS[name], sends)


async def _sent(simulator: str, candidate: int, count: int) -> bool:
    return len(await sent_messages(simulator, candidate)) >= count


async def _status(api: httpx.AsyncClient, path: str, status: str) -> bool:
    response = await api.get(path)
    return response.status_code == 200 and response.json()["status"] == status


# --- the report ----------------------------------------------------------------------------


def markdown(scenarios: list[Scenario]) -> str:
    lines = [
        "| scenario | history events | history size | billable actions (history) "
        "| + heartbeats (est.) | design minimum | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in scenarios:
        total = s.cost.billable + s.sends * HEARTBEATS_PER_SEND
        lines.append(
            f"| {s.name} | {s.cost.events} | {s.cost.bytes / 1024:.1f} KiB | {s.cost.billable} "
            f"| {total} | {s.minimum.total} | {s.cost.billable / s.minimum.total:.1f}× |"
        )
    lines.append("")
    for s in scenarios:
        actions = ", ".join(f"{k} {v}" for k, v in s.cost.actions.items() if v)
        activities = ", ".join(f"{k} ×{v}" for k, v in s.cost.activities.items())
        minimum = "; ".join(f"{what} {n}" for what, n in s.minimum.items)
        lines += [
            f"- **{s.name}** ({s.sends} messages sent): {actions}. Activities: {activities}. "
            f"Minimum: {minimum}.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    scenarios = asyncio.run(run_scenarios())
    if args.json:
        sys.stdout.write(json.dumps([s.as_json() for s in scenarios], indent=2) + "\n")
    else:
        sys.stdout.write(markdown(scenarios) + "\n")
    exit_skipping_teardown(0)


if __name__ == "__main__":
    main()
