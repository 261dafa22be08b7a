"""The sending page as a recruiter uses it, in Chromium, against the real stack: the ledger's
rows are booked through its own API (`db.send_ledger.reserve`), settings are read back over
`GET /sending-settings`."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.async_api import Page, expect

from campaigns.definition import MessageChannel
from campaigns.sending_limits import ReserveRequest
from db.send_ledger import reserve
from tests.api.conftest import ApiStack
from tests.dashboard.helpers import Campaigns, requires_chromium, sign_in
from tests.dashboard.test_sending import full_day_and_a_wait
from tests.support.campaigns import ANDREAS, MILAN, ROLE_SWE

pytestmark = requires_chromium

FULL_DAY = "20 / 20 connection requests in the last 24 h"


async def saved_settings(stack: ApiStack) -> dict[str, object]:
    async with stack.client() as http:
        response = await http.get("/sending-settings")
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_full_daily_limit_and_its_waiting_send_show_and_the_use_updates_by_itself(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    started = await campaigns.start(ROLE_SWE, MILAN)
    booked = await full_day_and_a_wait(stack, started["campaignId"])
    assert booked.description

    await sign_in(page, f"{stack.url}/dashboard")
    await page.get_by_role("navigation", name="Pages").get_by_role("link", name="Sending").click()
    await expect(page.get_by_role("heading", name="Sending", exact=True)).to_be_visible()
    await expect(page.get_by_text("Every day at any hour (Europe/Brussels)")).to_be_visible()

    linkedin = page.get_by_role("table", name="LinkedIn limits")
    full = linkedin.get_by_role("row").filter(has_text=FULL_DAY)
    await expect(full).to_contain_text("1 queued")
    await expect(full).to_contain_text(
        re.compile(r"Limit reached — next free \w{3} \d\d:\d\d \(Europe/Brussels\)")
    )
    await expect(full.get_by_role("meter", name=FULL_DAY)).to_be_visible()

    waits = page.get_by_role("table", name="Waiting sends")
    wait = waits.get_by_role("row").filter(has_text="LinkedIn connection request")
    await expect(wait).to_contain_text(booked.description)
    assert booked.description.startswith("LinkedIn daily connection request limit reached")

    # An email booked while the page is open shows without a reload.
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    email = ReserveRequest(
        campaign_id="sending-browser-email",
        node_id=1,
        user_id=ANDREAS["id"],
        channel=MessageChannel.EMAIL,
    )
    await reserve(stack.sessions, email, now=datetime.now(UTC))
    emails = page.get_by_role("table", name="Email limits")
    await expect(emails).to_contain_text("1 / 100 emails in the last 24 h")
    assert navigations == [], "the page updated itself without reloading"

    await wait.get_by_role("link", name="Open campaign").click()
    await expect(page.get_by_role("heading", name="Milan Peeters")).to_be_visible()


async def test_the_form_refuses_invalid_settings_naming_the_field_and_saves_valid_ones(
    page: Page, stack: ApiStack
) -> None:
    await sign_in(page, f"{stack.url}/dashboard/sending")
    await expect(page.get_by_text("Every day at any hour (UTC)")).to_be_visible()
    await expect(page.get_by_text("Defaults", exact=True)).to_be_visible()

    await page.get_by_label("Time zone").fill("Europe/Bruxelles")
    await page.get_by_label("Emails per day").fill("40")
    await page.get_by_role("button", name="Save settings").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Nothing was saved.")
    await expect(alert).to_contain_text(
        "Time zone: unknown time zone 'Europe/Bruxelles'; use an IANA name such as Europe/Brussels"
    )
    time_zone = page.get_by_label("Time zone")
    await expect(time_zone).to_have_value("Europe/Bruxelles")
    await expect(time_zone).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Emails per day")).to_have_value("40")  # kept, not saved
    assert (await saved_settings(stack))["saved"] is False

    await time_zone.fill("Europe/Brussels")
    await page.get_by_label("Sun").uncheck()
    await page.get_by_label("Start", exact=True).fill("09:00")
    await page.get_by_label("End", exact=True).fill("17:00")
    await page.get_by_label("Skip dates").fill("2030-12-25\n2030-12-26")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status")).to_contain_text("Sending settings saved.")
    await expect(
        page.get_by_text("Mon–Sat 09:00–17:00 Europe/Brussels, except 2030-12-25, 2030-12-26")
    ).to_be_visible()
    await expect(page.get_by_text("Emails: at most 40 in any 24 hours")).to_be_visible()
    body = await saved_settings(stack)
    assert body["saved"] is True
    assert body["schedule"]["timeZone"] == "Europe/Brussels"
    assert body["schedule"]["weekdays"] == ["MON", "TUE", "WED", "THU", "FRI", "SAT"]
    assert body["schedule"]["skipDates"] == ["2030-12-25", "2030-12-26"]
    assert body["limits"]["emailsPerDay"] == 40
