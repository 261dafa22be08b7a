"""The read model and Temporal agree after a crash at any point of a PUT.

Write order: campaign id made → workflow started with it → API upserts the row, and the
workflow's first activity upserts the same row. Each test breaks one point of that order."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.campaign_service import CampaignService
from db.engine import SessionFactory
from db.models import Campaign
from tests.api.conftest import ApiStack, api_stack_on
from tests.conftest import DATA_CONVERTER
from tests.support.campaigns import BRIEF_EXAMPLE, MILAN, ROLE_SWE, campaign_input, eventually
from tests.support.simulator_process import free_port

CAMPAIGN = f"/role/{ROLE_SWE}/candidate/{MILAN}/campaign"


async def _rows_for(sessions: SessionFactory, campaign_id: str) -> Campaign | None:
    async with sessions() as session:
        return await session.get(Campaign, campaign_id)


async def _count(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Campaign)) or 0)


async def test_crash_after_the_workflow_started_leaves_a_row_written_by_the_workflow(
    api: ApiStack,
) -> None:
    """The API died between starting the workflow and writing its row."""
    campaign = campaign_input()
    service = CampaignService(api.services)
    await service._start_workflow(
        campaign, campaign.definition.fingerprint()
    )  # the start alone, no row

    row = await eventually(lambda: _rows_for(api.sessions, campaign.campaign_id))
    assert row.status == "RUNNING" and row.candidate_id == MILAN

    # And the platform retrying its PUT gets the same campaign, not a second one.
    async with api.client() as http:
        again = await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)
        await http.delete(CAMPAIGN)
    assert again.status_code == 200
    assert again.json()["campaignId"] == campaign.campaign_id


@pytest.fixture
async def temporal_down() -> AsyncIterator[Client]:
    client = await Client.connect(
        f"127.0.0.1:{free_port()}", data_converter=DATA_CONVERTER, lazy=True
    )
    yield client


async def test_temporal_unreachable_answers_503_and_writes_nothing(
    dev_temporal_env: WorkflowEnvironment,
    temporal_down: Client,
    database_url: str,
    sessions: SessionFactory,
    simulator: str,
    task_queue: str,
) -> None:
    before = await _count(sessions)
    async with (
        api_stack_on(
            dev_temporal_env.client,
            database_url,
            simulator,
            task_queue,
            sessions,
            api_temporal=temporal_down,
        ) as stack,
        stack.client() as http,
    ):
        response = await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)
        ready = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "TEMPORAL_UNAVAILABLE"
    assert await _count(sessions) == before
    assert ready.status_code == 503
    assert "temporal" in ready.json()["error"]["message"]


async def test_database_down_at_start_still_lists_the_campaign_once_the_workflow_records_it(
    dev_temporal_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    simulator: str,
    task_queue: str,
) -> None:
    unreachable = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"
    async with (
        api_stack_on(
            dev_temporal_env.client,
            database_url,
            simulator,
            task_queue,
            sessions,
            api_database_url=unreachable,
        ) as stack,
        stack.client() as http,
    ):
        response = await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)
        ready = await http.get("/readyz")
        reading = await http.get(CAMPAIGN)
        assert reading.status_code == 503
        assert reading.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
        assert response.status_code == 201
        campaign_id = response.json()["campaignId"]
        row = await eventually(lambda: _rows_for(sessions, campaign_id))
        assert row.status in {"RUNNING", "WAITING_FOR_CHANNEL"}
        running = await CampaignService(stack.services).running_campaign(MILAN)
        assert running is not None
        await running.handle.cancel()
    assert ready.status_code == 503
    assert ready.json()["error"]["message"] == "Unreachable: database"
