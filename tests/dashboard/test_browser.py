"""The dashboard as a recruiter uses it, in Chromium, against the real stack.

Campaigns start through the API's PUT (as the platform starts them) and move through the
simulator's control API (sends, a logged-out channel, a reply). The tests read only what a
person sees: roles, names, labels and visible text."""

from __future__ import annotations

import re

from playwright.async_api import Page, Route, expect

from tests.api.conftest import ApiStack
from tests.dashboard.helpers import Campaigns, requires_chromium, sign_in
from tests.support.campaigns import ANDREAS, MILAN, NO_EMAIL, NO_LINKEDIN, ROLE_SWE, sim_post
from tests.support.sending import send_without_pacing

pytestmark = requires_chromium

ROLE_TITLE = "Software Engineer with Startup Experience"
BULK_ROLE = 12
LINKEDIN = ANDREAS["linkedin_channel"]


async def _set_channel(stack: ApiStack, channel_id: int, status: str) -> None:
    await sim_post(
        stack.simulator, f"/_sim/channels/{channel_id}/status", {"status": status}, "PUT"
    )


async def test_recruiter_signs_in_and_sees_only_their_roles_with_campaign_counts(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    await campaigns.start(ROLE_SWE, MILAN)
    await campaigns.until(ROLE_SWE, MILAN, "RUNNING", steps_done=2)

    await sign_in(page, stack.url, token="not-a-real-token")
    await expect(page.get_by_role("alert")).to_have_text(
        "The recruiting platform did not accept this token."
    )
    await page.get_by_label("Platform token").fill("tok-andreas")
    await page.get_by_role("button", name="Sign in").click()

    await expect(page.get_by_role("heading", name="Your roles")).to_be_visible()
    await expect(page.get_by_text("Andreas Berg")).to_be_visible()
    for title in (ROLE_TITLE, "Engineering Manager", "Support Engineer (bulk demo)"):
        await expect(page.get_by_role("link", name=title)).to_be_visible()
    await expect(page.get_by_text("Data Scientist")).to_have_count(0)  # Bea's role
    counts = page.get_by_role("list", name=f"Candidates of {ROLE_TITLE} by campaign status")
    await expect(counts.get_by_role("listitem").filter(has_text="Running")).to_have_text(
        re.compile(r"1\s*Running")
    )
    await expect(counts.get_by_role("listitem").filter(has_text="Replied")).to_have_text(
        re.compile(r"0\s*Replied")
    )

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.goto(f"{stack.url}/dashboard")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_role_overview_updates_by_itself_as_messages_go_out_and_the_candidate_replies(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    await _set_channel(stack, LINKEDIN, "ERROR_CREDENTIALS")
    await campaigns.start(ROLE_SWE, MILAN)
    await campaigns.until(ROLE_SWE, MILAN, "WAITING_FOR_CHANNEL")

    await sign_in(page, f"{stack.url}/dashboard/roles/{ROLE_SWE}?status=ALL")
    await expect(page.get_by_role("heading", name=ROLE_TITLE)).to_be_visible()
    milan = page.get_by_role("row").filter(has_text="Milan Peeters")
    await expect(milan).to_contain_text("Waiting for a channel")
    await expect(milan).to_contain_text("LinkedIn logged out — reconnect")
    await expect(milan).to_contain_text("0 of 4 messages sent")
    await expect(page.get_by_role("row").filter(has_text="Sara Lindqvist")).to_contain_text(
        "Not contacted"
    )

    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    await _set_channel(stack, LINKEDIN, "OK")  # the platform's webhook wakes the campaign
    await expect(milan).to_contain_text("Running")
    await expect(milan).to_contain_text("2 of 4 messages sent")
    await expect(milan).to_contain_text("Email (Gmail) sent")
    await expect(milan).to_contain_text(re.compile(r"Send Email \(Gmail\)\s+in 1 d 23 h"))
    await expect(milan).to_contain_text("29 d left")
    await expect(milan).not_to_contain_text("LinkedIn logged out")

    await sim_post(stack.simulator, f"/_sim/candidates/{MILAN}/reply", {"channelId": 100})
    await expect(milan).to_contain_text("Replied")
    await expect(milan).to_contain_text("Candidate replied")
    await expect(milan).to_contain_text("Ended on")
    assert navigations == [], "the page updated itself without reloading"


async def test_campaign_detail_shows_the_timeline_and_cancel_asks_for_confirmation(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    started = await campaigns.start(ROLE_SWE, NO_EMAIL)
    await campaigns.until(ROLE_SWE, NO_EMAIL, "RUNNING", steps_done=2)

    await sign_in(page, f"{stack.url}/dashboard")
    await page.get_by_role("link", name=ROLE_TITLE).click()
    await page.get_by_role("link", name="Tomas Varga").click()

    await expect(page.get_by_role("heading", name="Tomas Varga")).to_be_visible()
    timeline = page.get_by_role("list").filter(has_text="Campaign started")
    steps = timeline.get_by_role("listitem")
    await expect(steps.filter(has_text="LinkedIn message")).to_contain_text("Sent")
    await expect(steps.filter(has_text="LinkedIn message")).to_contain_text(
        "I'm interested in your background"
    )
    skipped = steps.filter(has_text="2. Email (Gmail)")
    await expect(skipped).to_contain_text("Skipped")
    await expect(skipped).to_contain_text("The candidate has no email address")
    await expect(skipped).to_contain_text("Open to new opportunities?")
    await expect(steps.filter(has_text="Wait 2 d")).to_contain_text(
        re.compile(r"Ends .*in 1 d 23 h")
    )
    await expect(steps.filter(has_text="4. Email (Gmail)")).to_contain_text("Pending")
    await expect(page.get_by_text("1 of 4 messages sent · 1 skipped")).to_be_visible()
    # One segment per message, as the words count them (the two delays are not steps to send).
    bar = page.get_by_role("img", name="Messages: 1 of 4 messages sent · 1 skipped")
    await expect(bar.locator(".seg")).to_have_count(4)

    # The Temporal Web UI link opens this campaign's workflow (the UI itself is stubbed).
    async def temporal_ui(route: Route) -> None:
        await route.fulfill(body="<h1>Temporal Web UI</h1>", content_type="text/html")

    await page.context.route(re.compile(r"^http://127\.0\.0\.1:8233/.*"), temporal_ui)
    async with page.expect_popup() as popup_info:
        await page.get_by_role("link", name="Open in Temporal Web UI").click()
    popup = await popup_info.value
    assert popup.url.startswith(
        f"http://127.0.0.1:8233/namespaces/default/workflows/{started['workflowId']}/"
    ), popup.url
    await popup.close()

    dialog = page.get_by_role("dialog", name="Cancel the campaign for Tomas Varga?")
    await page.get_by_role("button", name="Cancel campaign").click()
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Keep it running").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_text("Running", exact=True)).to_be_visible()

    await page.get_by_role("button", name="Cancel campaign").click()
    await dialog.get_by_role("button", name="Yes, cancel campaign").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Campaign cancelled. No more messages will be sent."
    )
    await expect(page.get_by_text("Cancelled", exact=True)).to_be_visible()
    await expect(page.get_by_text("Cancelled; no more messages are sent.")).to_be_visible()
    await expect(page.get_by_role("button", name="Cancel campaign")).to_have_count(0)
    assert (await campaigns.view(ROLE_SWE, NO_EMAIL))["status"] == "CANCELLED"


async def test_candidate_without_a_campaign_says_so_plainly(page: Page, stack: ApiStack) -> None:
    await sign_in(page, f"{stack.url}/dashboard/roles/{ROLE_SWE}/candidates/{NO_LINKEDIN}")
    await expect(page.get_by_role("heading", name="Sara Lindqvist")).to_be_visible()
    await expect(page.get_by_role("heading", name="No campaign yet")).to_be_visible()
    await expect(page.get_by_role("button", name="Cancel campaign")).to_have_count(0)


async def test_role_with_300_candidates_shows_those_with_a_campaign_and_pages_the_rest(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    await send_without_pacing(stack.sessions, ANDREAS["id"])  # both campaigns send at once
    for candidate_id in (5001, 5002):
        await campaigns.start(BULK_ROLE, candidate_id)
    for candidate_id in (5001, 5002):
        await campaigns.until(BULK_ROLE, candidate_id, "RUNNING", steps_done=2)
    await sign_in(page, f"{stack.url}/dashboard")

    # The role page's speed is measured by `make bench-role-page`; here it has to show the
    # rows within the expectations' deadline, not within a wall-time budget.
    await page.get_by_role("link", name="Support Engineer (bulk demo)").click()
    await expect(page.get_by_text("1–2 of 2 candidates")).to_be_visible()
    rows = page.get_by_role("row")
    await expect(rows).to_have_count(3)  # and the header row

    await page.get_by_role("link", name=re.compile(r"^All candidates\s+300$")).click()
    await expect(page.get_by_text("1–50 of 300 candidates")).to_be_visible()
    await expect(rows).to_have_count(51)
    await expect(page.get_by_text("Page 1 of 6")).to_be_visible()
    await page.get_by_role("link", name=re.compile(r"^Running\s+2$")).click()
    await expect(page.get_by_text("1–2 of 2 candidates")).to_be_visible()
    await page.get_by_role("link", name="Next action").click()
    await expect(rows).to_have_count(3)
    await expect(
        page.get_by_role("link", name=re.compile(r"^Not contacted\s+298$"))
    ).to_be_visible()
