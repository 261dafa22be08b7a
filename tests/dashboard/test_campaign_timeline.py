"""The campaign page's timeline in a real Chromium: true time order, channel waits as entries of
their own, and the reply with its channel, time and text."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.api.conftest import ApiStack
from tests.dashboard.helpers import Campaigns, requires_chromium, sign_in
from tests.support.campaigns import ANDREAS, MILAN, ROLE_SWE, sim_post

pytestmark = requires_chromium

REPLY_TEXT = "Tuesday at 10 works for me."


async def test_timeline_shows_the_channel_wait_and_the_reply_where_they_happened(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    linkedin = ANDREAS["linkedin_channel"]
    await sim_post(
        stack.simulator,
        f"/_sim/channels/{linkedin}/status",
        {"status": "ERROR_CREDENTIALS", "deliverWebhook": False},
        method="PUT",
    )
    await campaigns.start(ROLE_SWE, MILAN)
    await campaigns.until(ROLE_SWE, MILAN, "WAITING_FOR_CHANNEL")

    await sign_in(page, f"{stack.url}/dashboard/roles/{ROLE_SWE}/candidates/{MILAN}")
    timeline = page.locator("ol.timeline")
    entries = timeline.get_by_role("listitem")
    waiting = entries.filter(has_text="Waiting for LinkedIn")
    await expect(waiting).to_contain_text("LinkedIn logged out — reconnect")

    # The user reconnects LinkedIn (the platform's webhook wakes the campaign), the two first
    # messages go out, then the candidate answers by email.
    await sim_post(stack.simulator, f"/_sim/channels/{linkedin}/status", {"status": "OK"}, "PUT")
    await campaigns.until(ROLE_SWE, MILAN, "RUNNING", steps_done=2)
    await sim_post(
        stack.simulator,
        f"/_sim/candidates/{MILAN}/reply",
        {"channelId": ANDREAS["email_channel"], "subject": "Re: Hi", "body": REPLY_TEXT},
    )

    reply = entries.filter(has_text="Candidate replied on Email")
    await expect(reply).to_contain_text(REPLY_TEXT)  # the page refreshes by itself
    await expect(reply).to_contain_text("Sent")
    await expect(entries.filter(has_text="LinkedIn is usable again")).to_be_visible()

    titles = [
        (await entry.locator(".timeline__title").inner_text()).strip()
        for entry in await entries.all()
    ]
    position = {title: index for index, title in enumerate(titles)}

    def index_of(start: str) -> int:
        return next(i for t, i in position.items() if t.startswith(start))

    # True time order: wait → restored → sent messages → reply, then what never happened.
    assert index_of("Waiting for LinkedIn") < index_of("LinkedIn is usable again")
    assert index_of("LinkedIn is usable again") < index_of("1. LinkedIn message")
    assert index_of("1. LinkedIn message") < index_of("2. Email (Gmail)")
    assert index_of("2. Email (Gmail)") < index_of("Candidate replied")
    assert index_of("Candidate replied") < index_of("4. Email (Gmail)")
    assert titles[-1] == "Campaign ended"
