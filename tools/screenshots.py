"""Render the dashboard wireframe: PNG screenshots of the real pages from a seeded demo.

    .venv/bin/python tools/screenshots.py [--out docs/wireframe]

It starts its own stack (the time-skipping Temporal test server, the platform simulator, a
SQLite read model in a temporary folder, a worker, and the app served in-process, all with the
test helpers), starts campaigns through the real API and moves them with the simulator's control
API, then has Chromium sign in and capture:

- roles.png                the signed-in user's roles with campaign counts
- role-overview.png        role 10: replied, running with a skipped step (no email), waiting
                           for a logged-out LinkedIn channel, and cancelled
- role-overview-phone.png  the same page 390 px wide
- campaign-detail.png      the timeline of the campaign with a skipped step
- campaign-detail-replied.png  the timeline of a campaign the candidate replied to
"""

# ruff: noqa: E402 - the repository root goes on sys.path first, for `python tools/…`.

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import argparse
import asyncio
import logging
import tempfile
import uuid
from typing import Any

import httpx
from playwright.async_api import Browser, Page, async_playwright
from temporalio.testing import WorkflowEnvironment

from db.engine import create_engine, create_session_factory
from temporal_client import register_search_attributes
from tests.api.conftest import ApiStack, api_stack_on
from tests.conftest import (
    DATA_CONVERTER,
    SERVICE_TOKEN,
    WEBHOOK_SECRET,
    fresh_database,
    venv_binary,
)
from tests.support.campaigns import ANDREAS, DAY, eventually, sim_post
from tests.support.sending import send_without_pacing
from tests.support.simulator_process import start_simulator

logger = logging.getLogger("screenshots")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_OUT = REPO_ROOT / "docs" / "wireframe"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIME_ZONE = "Europe/Brussels"

ROLE_SWE, ROLE_EM, ROLE_BULK = 10, 11, 12
MILAN, SARA, TOMAS, LEA, INGRID, JONAS = 1001, 1002, 1003, 1006, 1004, 1005
ROLE_TITLES = {
    ROLE_SWE: "Software Engineer with Startup Experience",
    ROLE_EM: "Engineering Manager",
    ROLE_BULK: "Support Engineer",
}


def outreach(first_name: str, role_id: int) -> dict[str, Any]:
    """The brief's template, personalised the way the platform would."""
    role = ROLE_TITLES[role_id]
    return {
        "nodes": [
            {
                "id": 1,
                "type": "message",
                "channel": "LINKEDIN_MESSAGE",
                "message": f"Hi {first_name},\nI'm interested in your background. I'm looking "
                f"for people like you for our {role} role.\nWould love to connect.",
            },
            {
                "id": 2,
                "type": "message",
                "channel": "GMAIL",
                "subject_line": "Open to new opportunities?",
                "message": f"Hi {first_name},\nI came across your profile and was impressed "
                f"with your work. We're hiring for a {role} role in our team.\nWould you be "
                "open to discussing this opportunity?\n\nBest,\nAndreas",
            },
            {"id": 3, "type": "delay-step", "delaySeconds": 2 * DAY},
            {
                "id": 4,
                "type": "message",
                "channel": "GMAIL",
                "subject_line": "Re: Open to new opportunities?",
                "message": f"Hi {first_name},\nI wanted to follow up on my previous email. "
                "Could we arrange a short call?\n\nBest,\nAndreas",
            },
            {"id": 5, "type": "delay-step", "delaySeconds": 5 * DAY},
            {
                "id": 6,
                "type": "message",
                "channel": "GMAIL",
                "subject_line": "Re: Open to new opportunities?",
                "message": f"Hi {first_name},\nHope you're well. We're finalising our shortlist "
                "soon. Are you available for a quick chat this week?\n\nBest,\nAndreas",
            },
        ]
    }


class Demo:
    """Starts campaigns through the real API and waits until they reach a state."""

    def __init__(self, stack: ApiStack, http: httpx.AsyncClient) -> None:
        self.stack = stack
        self.http = http

    @staticmethod
    def path(role_id: int, candidate_id: int) -> str:
        return f"/role/{role_id}/candidate/{candidate_id}/campaign"

    async def start(self, role_id: int, candidate_id: int, first_name: str) -> None:
        response = await self.http.put(
            self.path(role_id, candidate_id), json=outreach(first_name, role_id)
        )
        response.raise_for_status()

    async def view(self, role_id: int, candidate_id: int) -> dict[str, Any]:
        response = await self.http.get(self.path(role_id, candidate_id))
        response.raise_for_status()
        return response.json()

    async def until(self, role_id: int, candidate_id: int, status: str, steps_done: int) -> None:
        async def reached() -> bool:
            view = await self.view(role_id, candidate_id)
            return view["status"] == status and view["stepsDone"] >= steps_done

        await eventually(reached, timeout=30)

    async def reply(self, candidate_id: int, channel_id: int) -> None:
        await sim_post(
            self.stack.simulator,
            f"/_sim/candidates/{candidate_id}/reply",
            {"channelId": channel_id},
        )


async def seed(stack: ApiStack) -> None:
    # The demo's campaigns start together and the time-skipping server does not skip while the
    # tool polls over HTTP: without pacing their first messages go out at once, not minutes apart.
    await send_without_pacing(stack.sessions, ANDREAS["id"])
    async with stack.client(ANDREAS["token"]) as http:
        demo = Demo(stack, http)
        # Cancelled first: a cancel waits for the workflow's end, which lets the time-skipping
        # server jump to the next timer of any other running campaign.
        await demo.start(ROLE_SWE, SARA, "Sara")
        await demo.until(ROLE_SWE, SARA, "RUNNING", 2)
        (await http.delete(demo.path(ROLE_SWE, SARA))).raise_for_status()

        bulk = [(ROLE_BULK, 5000 + n, None) for n in range(10)]
        started = [
            (ROLE_SWE, MILAN, "Milan"),
            (ROLE_SWE, TOMAS, "Tomas"),
            (ROLE_EM, INGRID, "Ingrid"),
            (ROLE_EM, JONAS, "Jonas"),
            *bulk,
        ]
        for role_id, candidate_id, name in started:
            await demo.start(role_id, candidate_id, name or "there")
        for role_id, candidate_id, _ in started:
            await demo.until(role_id, candidate_id, "RUNNING", 2)

        replies = ((ROLE_SWE, MILAN, 100), (ROLE_EM, JONAS, 100), (ROLE_BULK, 5003, 101))
        replies += ((ROLE_BULK, 5006, 100),)
        for _, candidate_id, channel_id in replies:
            await demo.reply(candidate_id, channel_id)
        for role_id, candidate_id, _ in replies:
            await demo.until(role_id, candidate_id, "REPLIED", 6)

        # Andreas is logged out of LinkedIn: new campaigns wait for him to reconnect.
        await sim_post(
            stack.simulator,
            f"/_sim/channels/{ANDREAS['linkedin_channel']}/status",
            {"status": "ERROR_CREDENTIALS"},
            "PUT",
        )
        for role_id, candidate_id, name in ((ROLE_SWE, LEA, "Lea"), (ROLE_BULK, 5010, None)):
            await demo.start(role_id, candidate_id, name or "there")
            await demo.until(role_id, candidate_id, "WAITING_FOR_CHANNEL", 0)
    logger.info("Demo campaigns are in place")


async def sign_in(page: Page, url: str) -> None:
    await page.goto(f"{url}/dashboard")
    await page.get_by_label("Platform token").fill(ANDREAS["token"])
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Your roles").wait_for()


async def capture(browser: Browser, url: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    desktop = await browser.new_context(
        viewport=DESKTOP, device_scale_factor=1, locale="en-GB", timezone_id=TIME_ZONE
    )
    page = await desktop.new_page()
    await sign_in(page, url)
    await page.screenshot(path=out / "roles.png", full_page=True)

    await page.get_by_role("link", name=ROLE_TITLES[ROLE_SWE]).click()
    await page.get_by_role("link", name="Tomas Varga").wait_for()
    await page.screenshot(path=out / "role-overview.png", full_page=True)

    await page.get_by_role("link", name="Tomas Varga").click()
    await page.get_by_role("heading", name="Timeline").wait_for()
    await page.screenshot(path=out / "campaign-detail.png", full_page=True)

    await page.goto(f"{url}/dashboard/roles/{ROLE_SWE}/candidates/{MILAN}")
    await page.get_by_text("Candidate replied on Email").wait_for()
    await page.screenshot(path=out / "campaign-detail-replied.png", full_page=True)
    await desktop.close()

    phone = await browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id=TIME_ZONE,
    )
    page = await phone.new_page()
    await sign_in(page, url)
    await page.goto(f"{url}/dashboard/roles/{ROLE_SWE}")
    await page.get_by_role("link", name="Tomas Varga").wait_for()
    await page.screenshot(path=out / "role-overview-phone.png", full_page=True)
    await phone.close()


async def render(out: Path) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=DATA_CONVERTER,
    )
    try:
        await register_search_attributes(env.client, env.client.namespace)
        with (
            start_simulator(service_token=SERVICE_TOKEN, webhook_secret=WEBHOOK_SECRET) as sim,
            tempfile.TemporaryDirectory() as folder,
        ):
            async with fresh_database("sqlite", Path(folder)) as database_url:
                engine = create_engine(database_url)
                try:
                    async with (
                        api_stack_on(
                            env.client,
                            database_url,
                            sim.url,
                            f"screenshots-{uuid.uuid4()}",
                            create_session_factory(engine),
                        ) as stack,
                        async_playwright() as playwright,
                    ):
                        await seed(stack)
                        browser = await playwright.chromium.launch(
                            executable_path=CHROMIUM, args=CHROMIUM_ARGS
                        )
                        try:
                            await capture(browser, stack.url, out)
                        finally:
                            await browser.close()
                finally:
                    await engine.dispose()
    finally:
        await env.shutdown()
    logger.info("Screenshots written to %s", out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for chatty in ("httpx", "temporalio"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    asyncio.run(render(arguments.out.resolve()))


if __name__ == "__main__":
    main()
