"""The dashboard over the real stack (app, worker, simulator, Temporal) on SQLite only, and
Chromium driven by Playwright. The API's own suite covers PostgreSQL; the dashboard reads
through the same CampaignService, so one database keeps these tests fast."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect
from temporalio.testing import WorkflowEnvironment

from db.engine import create_engine, create_session_factory
from tests.api.conftest import ApiStack, api_stack_on
from tests.conftest import fresh_database
from tests.dashboard.helpers import CHROMIUM, CHROMIUM_ARGS, Campaigns

# Every expectation waits this long at most. A page polls every 3 s and a workflow step takes
# a moment; the rest is room for a busy machine (a passing expectation never waits for it).
EXPECT_TIMEOUT_MS = 60_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture
async def stack(
    dev_temporal_env: WorkflowEnvironment, simulator: str, task_queue: str, tmp_path: Path
) -> AsyncIterator[ApiStack]:
    """The real app (API and dashboard) over HTTP with a worker, on a fresh SQLite file, on the
    test's own dev server: the timestamps the pages show are wall-clock times, the reply
    webhooks' `sentAt` compares with the campaigns' start on the same clock, and a cancel that
    races a send's completion is handled as a real server does."""
    async with fresh_database("sqlite", tmp_path) as database_url:
        engine = create_engine(database_url)
        try:
            async with api_stack_on(
                dev_temporal_env.client,
                database_url,
                simulator,
                task_queue,
                create_session_factory(engine),
            ) as api:
                yield api
        finally:
            await engine.dispose()


@pytest.fixture
async def campaigns(stack: ApiStack) -> AsyncIterator[Campaigns]:
    started = Campaigns(stack)
    yield started
    await started.end_all()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser test skipped: {CHROMIUM} is missing (`make browser` installs it)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser profile (no cookies) in a time zone far from UTC."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Asia/Tokyo"
    )
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def console(message: ConsoleMessage) -> None:
        # An answer's status (the 401 of a refused sign-in) is the tests' business.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    page.on("console", console)
    yield page
    await context.close()
    assert problems == [], "the pages logged errors (a script failed or CSP blocked something)"
