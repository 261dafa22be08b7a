"""End to end on the Temporal dev server with the simulator's webhooks switched off: a reply is
still found, by the reply watcher, and ends the campaign as REPLIED over the real API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.api.conftest import ApiStack, api_stack_on
from tests.support.campaigns import ANDREAS, MILAN, ROLE_SWE, eventually, sent_messages, sim_post
from tests.support.reply_watcher import terminate_watcher
from worker import ensure_reply_watcher

CAMPAIGN = f"/role/{ROLE_SWE}/candidate/{MILAN}/campaign"
WATCH_INTERVAL_SECONDS = 2.0
ONE_EMAIL = {
    "nodes": [
        {"id": 1, "type": "message", "channel": "EMAIL", "subject_line": "Hi", "message": "Hello"},
        {"id": 2, "type": "delay-step", "delaySeconds": 172_800},
        {"id": 3, "type": "message", "channel": "EMAIL", "subject_line": "Re", "message": "Again"},
    ]
}


@pytest.fixture
async def stack_without_webhooks(
    dev_temporal_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    simulator: str,
    task_queue: str,
) -> AsyncIterator[ApiStack]:
    client = dev_temporal_env.client
    async with api_stack_on(client, database_url, simulator, task_queue, sessions) as stack:
        # No webhook reaches the API from here on: replies must be found by looking.
        await sim_post(simulator, "/_sim/config", {"webhookUrl": ""}, method="PUT")
        await ensure_reply_watcher(
            client,
            task_queue=task_queue,
            interval_seconds=WATCH_INTERVAL_SECONDS,
            batch_size=100,
        )
        try:
            yield stack
        finally:
            await terminate_watcher(client, task_queue)


async def test_reply_without_any_webhook_stops_the_campaign_on_the_dev_server(
    stack_without_webhooks: ApiStack,
) -> None:
    api = stack_without_webhooks
    async with api.client() as http:
        assert (await http.put(CAMPAIGN, json=ONE_EMAIL)).status_code == 201

        async def sent_first() -> bool:
            return len(await sent_messages(api.simulator, MILAN)) == 1

        await eventually(sent_first, timeout=30)
        replied_at = time.monotonic()
        reply = await sim_post(
            api.simulator,
            f"/_sim/candidates/{MILAN}/reply",
            {"channelId": ANDREAS["email_channel"], "body": "Interested!"},
        )
        assert reply["webhook"]["delivered"] is False

        async def replied() -> dict | None:
            view = (await http.get(CAMPAIGN)).json()
            return view if view["status"] == "REPLIED" else None

        view = await eventually(replied, timeout=60, interval=0.2)
        detected_after = time.monotonic() - replied_at

    assert view["endReason"] == "REPLIED"
    assert view["reply"]["source"] == "reply check"
    assert view["reply"]["messageId"] == reply["message"]["id"]
    assert view["reply"]["body"] == "Interested!"
    # Within one sweep interval plus the sweep itself and the recording (generous on a busy
    # machine); the figure itself is measured by `make bench`-style runs, not asserted here.
    assert detected_after < WATCH_INTERVAL_SECONDS + 30
    assert len(await sent_messages(api.simulator, MILAN)) == 1
