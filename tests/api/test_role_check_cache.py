"""A burst of PUTs for one role lists the role once: the ownership check shares the platform
call and accepts an answer up to `role_check_cache_seconds` old (counted at the simulator's
`GET /_sim/requests`)."""

from __future__ import annotations

import asyncio

import httpx
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionFactory
from tests.api.conftest import ApiStack, api_stack_on
from tests.support.campaigns import BRIEF_EXAMPLE

BULK_ROLE = 12  # Andreas's generated role (simulator/seed.json), candidates from 5000
CANDIDATES = range(5000, 5010)
ROLE_LISTING = f"GET /role/{BULK_ROLE}/candidate"


async def _role_listings(stack: ApiStack) -> int:
    async with httpx.AsyncClient(base_url=stack.simulator, timeout=30) as sim:
        counted = (await sim.get("/_sim/requests", params={"token": "tok-andreas"})).json()
    return counted.get(ROLE_LISTING, 0)


async def _cancel_all(http: httpx.AsyncClient, candidates: list[int]) -> None:
    for candidate in candidates:
        await http.delete(f"/role/{BULK_ROLE}/candidate/{candidate}/campaign")


async def test_concurrent_puts_for_one_role_list_it_once(
    dev_temporal_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    simulator: str,
    task_queue: str,
) -> None:
    async with (
        api_stack_on(
            dev_temporal_env.client,
            database_url,
            simulator,
            task_queue,
            sessions,
            # Generous: on a busy machine the burst must still fall in one window.
            settings_changes={"role_check_cache_seconds": 30},
        ) as stack,
        stack.client() as http,
    ):
        before = await _role_listings(stack)  # the simulator counts for its whole life
        answers = await asyncio.gather(
            *(
                http.put(f"/role/{BULK_ROLE}/candidate/{c}/campaign", json=BRIEF_EXAMPLE)
                for c in CANDIDATES
            )
        )
        try:
            assert [a.status_code for a in answers] == [201] * len(CANDIDATES)
            assert await _role_listings(stack) - before == 1
            # Not a candidate of the role: still 404 from the shared answer.
            missing = await http.put(
                f"/role/{BULK_ROLE}/candidate/1001/campaign", json=BRIEF_EXAMPLE
            )
            assert missing.status_code == 404
        finally:
            await _cancel_all(http, list(CANDIDATES))


async def test_without_the_window_every_put_asks_the_platform(
    dev_temporal_env: WorkflowEnvironment,
    database_url: str,
    sessions: SessionFactory,
    simulator: str,
    task_queue: str,
) -> None:
    async with (
        api_stack_on(
            dev_temporal_env.client,
            database_url,
            simulator,
            task_queue,
            sessions,
            settings_changes={"role_check_cache_seconds": 0},
        ) as stack,
        stack.client() as http,
    ):
        started = [CANDIDATES[0], CANDIDATES[1]]
        before = await _role_listings(stack)
        try:
            for candidate in started:
                answer = await http.put(
                    f"/role/{BULK_ROLE}/candidate/{candidate}/campaign", json=BRIEF_EXAMPLE
                )
                assert answer.status_code == 201
            assert await _role_listings(stack) - before == 2
        finally:
            await _cancel_all(http, started)
