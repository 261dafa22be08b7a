"""Pause and resume from the campaign's page, in Chromium over the real stack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from tests.api.conftest import ApiStack
from tests.dashboard.helpers import Campaigns, requires_chromium, sign_in
from tests.support.campaigns import ANDREAS, MILAN, NO_LINKEDIN, ROLE_SWE
from tests.support.sending import send_without_pacing

pytestmark = requires_chromium


async def test_a_recruiter_pauses_a_campaign_until_a_date_and_resumes_it_by_hand(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    await campaigns.start(ROLE_SWE, MILAN)
    await campaigns.until(ROLE_SWE, MILAN, "RUNNING", steps_done=2)
    await sign_in(page, f"{stack.url}/dashboard/roles/{ROLE_SWE}/candidates/{MILAN}")

    dialog = page.get_by_role("dialog", name="Pause the campaign for Milan Peeters?")
    await page.get_by_role("button", name="Pause campaign").click()
    await expect(dialog).to_be_visible()
    resume_on = (datetime.now(UTC) + timedelta(days=3)).date()
    await dialog.get_by_label("Resume by itself on (optional)").fill(resume_on.isoformat())
    await dialog.get_by_role("button", name="Pause campaign").click()

    await expect(page.get_by_role("status")).to_have_text(
        "Campaign paused. It resumes by itself on the date you chose."
    )
    await expect(page.get_by_text("Paused", exact=True)).to_be_visible()
    await expect(page.get_by_text("Resumes", exact=False).first).to_be_visible()
    view = await campaigns.view(ROLE_SWE, MILAN)
    assert view is not None and view["status"] == "PAUSED"
    assert view["nextActionAt"].startswith(resume_on.isoformat())  # midnight UTC (the default)

    await page.get_by_role("button", name="Resume campaign").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Campaign resumed. A message that fell due meanwhile goes out first."
    )
    await expect(page.get_by_text("Running", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="Pause campaign")).to_be_visible()


async def test_a_recruiter_going_away_pauses_all_campaigns_and_resumes_them(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    await send_without_pacing(stack.sessions, ANDREAS["id"])
    for candidate in (MILAN, NO_LINKEDIN):
        await campaigns.start(ROLE_SWE, candidate)
    for candidate in (MILAN, NO_LINKEDIN):
        await campaigns.until(ROLE_SWE, candidate, "RUNNING", steps_done=2)
    await sign_in(page, f"{stack.url}/dashboard")

    await page.get_by_text("Away? Pause all your campaigns").click()
    await page.get_by_role("button", name="Pause all campaigns").click()
    await expect(page.get_by_role("status")).to_have_text(
        "All your running campaigns are paused. Nothing is sent until you resume them."
    )
    for candidate in (MILAN, NO_LINKEDIN):
        view = await campaigns.view(ROLE_SWE, candidate)
        assert view is not None and view["status"] == "PAUSED"

    await page.get_by_text("Away? Pause all your campaigns").click()
    await page.get_by_role("button", name="Resume all paused campaigns").click()
    await expect(page.get_by_role("status")).to_have_text("All your paused campaigns are resumed.")
    for candidate in (MILAN, NO_LINKEDIN):
        view = await campaigns.view(ROLE_SWE, candidate)
        assert view is not None and view["status"] == "RUNNING"
