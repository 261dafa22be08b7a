"""Campaign definitions and helpers shared by the tests."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from campaigns.contracts import CampaignInput, CampaignProgress, workflow_id_for
from campaigns.definition import CampaignDefinition
from db.engine import SessionFactory
from db.models import CampaignEventRow
from workflows.campaign import CampaignWorkflow, execution_timeout_for, search_attributes_for

DAY = 86_400
# Control calls to the simulator: generous, a busy machine answers slowly.
SIMULATOR_TIMEOUT = 30.0
# How long `eventually` and `wait_until` wait for a condition. Generous on purpose: a passing
# test goes on as soon as its condition holds, so a long deadline costs nothing on a quiet
# machine and keeps a busy one (a loaded CI runner, a laptop compiling beside the suite) from
# failing for a reason unrelated to the change.
CONDITION_DEADLINE_SECONDS = 60.0

# The brief's example: LinkedIn message and email at once, follow-ups after 2 and 5 more days.
BRIEF_EXAMPLE: dict[str, Any] = {
    "nodes": [
        {
            "id": 1,
            "type": "message",
            "channel": "LINKEDIN_MESSAGE",
            "message": "Hi Milan, \nI'm interested in your background. Would love to connect.",
        },
        {
            "id": 2,
            "type": "message",
            "channel": "GMAIL",
            "subject_line": "Open to new opportunities?",
            "message": "Hi Milan,\nWould you be open to discussing this role?\n\nBest,Andreas",
        },
        {"id": 3, "type": "delay-step", "delaySeconds": 2 * DAY},
        {
            "id": 4,
            "type": "message",
            "channel": "GMAIL",
            "subject_line": "Re: Open to new opportunities?",
            "message": "Hi Milan,\nI wanted to follow up on my previous email.\n\nBest,Andreas",
        },
        {"id": 5, "type": "delay-step", "delaySeconds": 5 * DAY},
        {
            "id": 6,
            "type": "message",
            "channel": "GMAIL",
            "subject_line": "Re: Open to new opportunities?",
            "message": "Hi Milan,\nHope you're well. Are you available for a chat?\n\nBest,Andreas",
        },
    ]
}

# Seeded simulator data (simulator/seed.json).
ANDREAS = {"id": 1, "token": "tok-andreas", "email_channel": 100, "linkedin_channel": 101}
BEA = {"id": 2, "token": "tok-bea"}
ROLE_SWE = 10
MILAN = 1001  # email and LinkedIn
NO_LINKEDIN = 1002
NO_EMAIL = 1003


def definition(raw: dict[str, Any] = BRIEF_EXAMPLE) -> CampaignDefinition:
    return CampaignDefinition.model_validate(raw)


def campaign_input(
    raw: dict[str, Any] = BRIEF_EXAMPLE,
    *,
    candidate_id: int = MILAN,
    owner_user_id: int = 1,
    role_id: int = ROLE_SWE,
    time_scale: float = 1.0,
) -> CampaignInput:
    return CampaignInput(
        campaign_id=str(uuid.uuid4()),
        owner_user_id=owner_user_id,
        role_id=role_id,
        candidate_id=candidate_id,
        definition=definition(raw),
        time_scale=time_scale,
    )


async def start_campaign(
    client: Client, campaign: CampaignInput, task_queue: str
) -> WorkflowHandle[CampaignWorkflow, CampaignProgress]:
    return await client.start_workflow(
        CampaignWorkflow.run,
        campaign,
        id=workflow_id_for(campaign.candidate_id),
        task_queue=task_queue,
        execution_timeout=execution_timeout_for(campaign),
        search_attributes=search_attributes_for(campaign),
        static_summary=f"Campaign {campaign.campaign_id} for candidate {campaign.candidate_id}",
    )


async def sent_messages(
    simulator_url: str,
    candidate_id: int | None = None,
    *,
    since: datetime | None = None,
    timeout: float = SIMULATOR_TIMEOUT,
) -> list[dict[str, Any]]:
    """Outbound messages the simulator received (to one candidate, since a moment, if given),
    oldest first; the simulator filters them, so a poller is not sent its whole log."""
    params: dict[str, str | int] = {"direction": "outbound"}
    if candidate_id is not None:
        params["candidateId"] = candidate_id
    if since is not None:
        params["sentSince"] = since.isoformat()
    async with httpx.AsyncClient(base_url=simulator_url, timeout=timeout) as http:
        response = await http.get("/_sim/messages", params=params)
        response.raise_for_status()
    return response.json()


async def eventually(
    check: Callable[[], Awaitable[Any]],
    *,
    timeout: float = CONDITION_DEADLINE_SECONDS,
    interval: float = 0.1,
) -> Any:
    """Poll an async `check` until it returns something truthy (real time); fail on timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: Any = None
    while asyncio.get_running_loop().time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s; last value: {last!r}")


def wait_until(
    check: Callable[[], Any], *, timeout: float = CONDITION_DEADLINE_SECONDS, interval: float = 0.05
) -> Any:
    """`eventually` for synchronous tests: poll `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s; last value: {last!r}")


async def sim_post(simulator_url: str, path: str, json: Any = None, method: str = "POST") -> Any:
    async with httpx.AsyncClient(base_url=simulator_url, timeout=SIMULATOR_TIMEOUT) as http:
        response = await http.request(method, path, json=json)
        response.raise_for_status()
        return response.json()


async def send_phase_is(env: WorkflowEnvironment, handle: WorkflowHandle, phase: str) -> bool:
    """The send activity's last heartbeat says which phase it is in ("checking", "posting")."""
    pending = (await handle.describe()).raw_description.pending_activities
    if not pending or not pending[0].heartbeat_details.payloads:
        return False
    details = await env.client.data_converter.decode(pending[0].heartbeat_details.payloads)
    return details == [phase]


async def event_kinds(sessions: SessionFactory, campaign_id: str) -> list[str]:
    """The kinds of a campaign's events in the read model, in their order."""
    async with sessions() as session:
        rows = await session.scalars(
            select(CampaignEventRow.kind)
            .where(CampaignEventRow.campaign_id == campaign_id)
            .order_by(CampaignEventRow.seq)
        )
        return list(rows)
