"""Every dashboard page passes axe-core (no serious or critical violation) in Chromium, over
the real stack with campaigns in every state a recruiter meets: running, waiting for a
logged-out channel, paused, replied, cancelled, and ended with no reply in 30 days (on a stack
whose month lasts seconds). Also here: the roles page's tiles and counts, a notice that shows
once, and error pages that keep the header."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from temporalio.testing import WorkflowEnvironment

from db.engine import create_engine, create_session_factory
from tests.api.conftest import ApiStack, api_stack_on
from tests.conftest import fresh_database
from tests.dashboard.helpers import Campaigns, campaign_path, requires_chromium, sign_in
from tests.support.axe import assert_accessible, blocking_violations
from tests.support.campaigns import ANDREAS, sim_post
from tests.support.sending import send_without_pacing

pytestmark = requires_chromium

BULK_ROLE = 12
BULK_TITLE = "Support Engineer (bulk demo)"
BULK_CANDIDATES = 300
LINKEDIN = ANDREAS["linkedin_channel"]
EMAIL = ANDREAS["email_channel"]


@dataclass(frozen=True)
class Seeded:
    """Candidates of the bulk role, one per campaign state."""

    running: int = 5001
    replied: int = 5002
    cancelled: int = 5003
    paused: int = 5004
    waiting: int = 5005  # for LinkedIn, left logged out

    def campaign_page(self, stack: ApiStack, candidate_id: int) -> str:
        return f"{stack.url}/dashboard/roles/{BULK_ROLE}/candidates/{candidate_id}"


@pytest.fixture
async def seeded(stack: ApiStack, campaigns: Campaigns) -> AsyncIterator[Seeded]:
    """A running, a replied, a cancelled, a paused campaign, and one waiting for LinkedIn,
    which stays logged out."""
    seeded = Seeded()
    await send_without_pacing(stack.sessions, ANDREAS["id"])
    first_four = (seeded.running, seeded.replied, seeded.cancelled, seeded.paused)
    for candidate_id in first_four:
        await campaigns.start(BULK_ROLE, candidate_id)
    for candidate_id in first_four:
        await campaigns.until(BULK_ROLE, candidate_id, "RUNNING", steps_done=2)
    await sim_post(
        stack.simulator, f"/_sim/candidates/{seeded.replied}/reply", {"channelId": EMAIL}
    )
    async with stack.client() as http:
        path = campaign_path(BULK_ROLE, seeded.cancelled)
        assert (await http.delete(path)).status_code in (200, 202)
        paused = await http.post(f"{campaign_path(BULK_ROLE, seeded.paused)}/pause")
        assert paused.status_code == 200, paused.text
    await sim_post(
        stack.simulator, f"/_sim/channels/{LINKEDIN}/status", {"status": "ERROR_CREDENTIALS"}, "PUT"
    )
    await campaigns.start(BULK_ROLE, seeded.waiting)
    await campaigns.until(BULK_ROLE, seeded.waiting, "WAITING_FOR_CHANNEL")
    await campaigns.until(BULK_ROLE, seeded.replied, "REPLIED")
    await campaigns.until(BULK_ROLE, seeded.cancelled, "CANCELLED")
    await campaigns.until(BULK_ROLE, seeded.paused, "PAUSED")
    yield seeded


async def test_every_page_has_no_serious_or_critical_accessibility_violation(
    page: Page, stack: ApiStack, seeded: Seeded
) -> None:
    found: dict[str, list[str]] = {}

    async def check(name: str, ignore=None) -> None:
        await page.wait_for_load_state("load")
        violations = [v for v in await blocking_violations(page) if not (ignore and ignore(v))]
        if violations:
            found[name] = [str(v) for v in violations]

    await page.goto(f"{stack.url}/dashboard")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await check("sign-in")
    await page.get_by_label("Your platform token").fill("not-a-real-token")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await check("sign-in, refused")

    await sign_in(page, f"{stack.url}/dashboard")
    await expect(page.get_by_role("heading", name="Your roles")).to_be_visible()
    await page.get_by_text("Away? Pause all your campaigns").click()  # the open form too
    await check("roles")

    await page.goto(f"{stack.url}/dashboard/roles/{BULK_ROLE}")
    await expect(page.get_by_role("heading", name=BULK_TITLE)).to_be_visible()
    await check("role")
    # Every candidate, with the struck-out "No email" / "No LinkedIn" chips of those lacking one.
    await page.goto(f"{stack.url}/dashboard/roles/{BULK_ROLE}?status=all")
    await expect(page.locator(".channel--missing").first).to_be_visible()
    await check("role, all candidates")
    await page.locator("tbody input[type=checkbox]").first.check()
    await page.locator("#bulk-cancel").click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    await check("role, bulk confirmation")

    for state in ("running", "replied", "cancelled", "paused", "waiting"):
        await page.goto(seeded.campaign_page(stack, getattr(seeded, state)))
        await expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
        await check(f"campaign, {state}")
    await page.goto(seeded.campaign_page(stack, seeded.running))
    await page.get_by_role("button", name="Cancel campaign").click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    await check("campaign, cancel dialog")

    await page.goto(f"{stack.url}/dashboard/roles/{BULK_ROLE}/candidates/{BULK_CANDIDATES + 5001}")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await check("error page")

    await page.goto(f"{stack.url}/dashboard/sending")
    await expect(page.get_by_role("heading", name="Sending", exact=True)).to_be_visible()
    await check("sending")
    await page.get_by_label("Time zone").fill("Mars/Olympus")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await check("sending, refused form")

    # On a phone the role table becomes cards and the header tightens: the same checks.
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{stack.url}/dashboard")
    await check("roles, phone")
    await page.goto(f"{stack.url}/dashboard/roles/{BULK_ROLE}")
    await check("role, phone")
    await page.goto(seeded.campaign_page(stack, seeded.waiting))
    await check("campaign, waiting, phone")

    assert found == {}, "accessibility violations (serious or critical):\n" + "\n".join(
        f"{name}:\n" + "\n".join(f"  - {v}" for v in violations)
        for name, violations in found.items()
    )


async def test_roles_page_counts_each_roles_candidates_and_its_tiles_open_them(
    page: Page, stack: ApiStack, seeded: Seeded
) -> None:
    await sign_in(page, f"{stack.url}/dashboard")
    card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=BULK_TITLE))
    await expect(card.get_by_role("link", name="300 candidates")).to_have_attribute(
        "href", f"/dashboard/roles/{BULK_ROLE}"
    )
    not_contacted = card.get_by_role("link", name="295 not contacted")
    await expect(not_contacted).to_have_attribute(
        "href", f"/dashboard/roles/{BULK_ROLE}?status=not_contacted"
    )
    tiles = card.get_by_role("list", name=f"Candidates of {BULK_TITLE} by campaign status")
    expected = {
        "Running": (1, "running"),
        "Waiting for a channel": (1, "waiting"),
        "Paused": (1, "paused"),
        "Replied": (1, "replied"),
        "Ended — no reply in 30 days": (0, "completed"),
        "Cancelled": (1, "cancelled"),
    }
    for label, (count, query) in expected.items():
        tile = tiles.get_by_role("link", name=re.compile(rf"^{count}\s+{label}$"))
        await expect(tile).to_have_attribute("href", f"/dashboard/roles/{BULK_ROLE}?status={query}")

    await tiles.get_by_role("link", name=re.compile(r"Paused$")).click()
    await expect(page).to_have_url(f"{stack.url}/dashboard/roles/{BULK_ROLE}?status=paused")
    await expect(page.get_by_role("heading", name=BULK_TITLE)).to_be_visible()
    await expect(page.locator("#filter-PAUSED")).to_have_attribute("aria-current", "page")
    await expect(page.locator("#shown-count")).to_contain_text("of 1 candidate")
    await assert_accessible(page)


async def test_a_notice_shows_once_and_not_again_on_reload(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    await campaigns.start(BULK_ROLE, 5001)
    await campaigns.until(BULK_ROLE, 5001, "RUNNING", steps_done=1)
    await sign_in(page, f"{stack.url}/dashboard/roles/{BULK_ROLE}/candidates/5001")

    await page.get_by_role("button", name="Cancel campaign").click()
    await page.get_by_role("dialog").get_by_role("button", name="Yes, cancel campaign").click()
    notice = page.get_by_role("status").filter(has_text="Campaign cancelled.")
    await expect(notice).to_have_text("Campaign cancelled. No more messages will be sent.")
    assert "notice" not in page.url

    await page.reload()
    await expect(page.get_by_text("Cancelled", exact=True)).to_be_visible()
    await expect(notice).to_have_count(0)


async def test_error_pages_keep_the_header_of_a_signed_in_user(page: Page, stack: ApiStack) -> None:
    await sign_in(page, f"{stack.url}/dashboard/roles/999999")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    banner = page.get_by_role("banner")
    await expect(banner.get_by_text("Andreas Berg")).to_be_visible()
    await expect(banner.get_by_role("link", name="Sending")).to_be_visible()
    await assert_accessible(page)

    await page.goto(f"{stack.url}/dashboard/roles/not-a-number")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await expect(banner.get_by_text("Andreas Berg")).to_be_visible()
    await banner.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


# 30 days in about 26 s: a campaign that ends with no reply, as a recruiter sees it a month on.
FAST_MONTH = 100_000


@pytest.fixture
async def fast_stack(
    dev_temporal_env: WorkflowEnvironment, simulator: str, task_queue: str, tmp_path: Path
) -> AsyncIterator[ApiStack]:
    async with fresh_database("sqlite", tmp_path) as database_url:
        engine = create_engine(database_url)
        try:
            async with api_stack_on(
                dev_temporal_env.client,
                database_url,
                simulator,
                task_queue,
                create_session_factory(engine),
                settings_changes={"campaign_time_scale": FAST_MONTH},
            ) as api:
                yield api
        finally:
            await engine.dispose()


async def test_a_campaign_that_ran_out_of_time_says_so_and_not_cancelled(
    page: Page, fast_stack: ApiStack
) -> None:
    ended = Campaigns(fast_stack)
    await ended.start(BULK_ROLE, 5001)
    await ended.until(BULK_ROLE, 5001, "COMPLETED")

    await sign_in(page, f"{fast_stack.url}/dashboard")
    tiles = page.get_by_role("list", name=f"Candidates of {BULK_TITLE} by campaign status")
    tile = tiles.get_by_role("link", name=re.compile(r"^1\s+Ended — no reply in 30 days$"))
    await expect(tile).to_have_attribute("href", f"/dashboard/roles/{BULK_ROLE}?status=completed")
    await assert_accessible(page)

    await page.goto(f"{fast_stack.url}/dashboard/roles/{BULK_ROLE}/candidates/5001")
    summary = page.locator(".summary")
    await expect(summary.get_by_text("Ended — no reply in 30 days", exact=True)).to_be_visible()
    await expect(summary).to_contain_text("Ended on")
    await expect(summary).not_to_contain_text("Time left")
    await expect(page.get_by_text("Ended: 30 days passed without a reply")).to_be_visible()
    await expect(page.get_by_role("button", name="Cancel campaign")).to_have_count(0)
    await assert_accessible(page)
