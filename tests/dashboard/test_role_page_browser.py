"""The role page a recruiter with many candidates uses, in Chromium over the real stack: search
and pages, filters kept in the URL, bulk pause and cancel after one confirmation, the CSV
export, the channel alert, focus kept across a live update, and the rows that say what really
happens (nothing left to send; a campaign running in another role)."""

from __future__ import annotations

import csv
import io
import re

from playwright.async_api import Page, expect

from api.dashboard.role_page import spreadsheet_safe
from tests.api.conftest import ApiStack
from tests.dashboard.helpers import Campaigns, requires_chromium, sign_in
from tests.support.campaigns import ANDREAS, MILAN, NO_EMAIL, ROLE_SWE, sim_post
from tests.support.sending import send_without_pacing

pytestmark = requires_chromium

BULK_ROLE = 12  # 300 generated candidates, ids 5000-5299
MANAGER_ROLE = 11
LEA = 1006  # a candidate of both ROLE_SWE and MANAGER_ROLE
LINKEDIN = ANDREAS["linkedin_channel"]


async def _set_channel(stack: ApiStack, channel_id: int, status: str) -> None:
    await sim_post(
        stack.simulator, f"/_sim/channels/{channel_id}/status", {"status": status}, "PUT"
    )


async def test_search_by_name_and_pages_survive_a_reload(page: Page, stack: ApiStack) -> None:
    await sign_in(page, f"{stack.url}/dashboard/roles/{BULK_ROLE}?status=ALL")
    rows = page.locator("tbody tr")
    await expect(page.get_by_text("1–50 of 300 candidates")).to_be_visible()
    await expect(rows).to_have_count(50)

    await page.get_by_role("link", name="Next 50").click()
    await expect(page.get_by_text("51–100 of 300 candidates")).to_be_visible()
    await expect(page.get_by_text("Page 2 of 6")).to_be_visible()
    await expect(rows.first).to_contain_text("Kai Castell")  # candidate 5050
    assert "page=2" in page.url and "status=all" in page.url

    await page.get_by_label("Search by name").fill("alex")
    await page.get_by_label("Search by name").press("Enter")
    await expect(page.get_by_text("1–15 of 15 candidates matching “alex”")).to_be_visible()
    await expect(rows).to_have_count(15)
    for name in await rows.locator("th a").all_inner_texts():
        assert name.startswith("Alex "), name
    assert "q=alex" in page.url and "status=all" in page.url and "page=" not in page.url

    await page.reload()
    await expect(page.get_by_text("1–15 of 15 candidates matching “alex”")).to_be_visible()
    await expect(page.get_by_label("Search by name")).to_have_value("alex")
    await expect(
        page.get_by_role("link", name=re.compile(r"^All candidates\s+300$"))
    ).to_have_attribute("aria-current", "page")

    # A filter keeps the search: nobody has a campaign, so "With a campaign" lists none.
    await page.get_by_role("link", name=re.compile(r"^With a campaign\s+0$")).click()
    await expect(page.get_by_text("No candidate of this role matches this search")).to_be_visible()
    assert "q=alex" in page.url


async def test_bulk_pause_and_cancel_take_one_confirmation_and_say_how_many(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    await send_without_pacing(stack.sessions, ANDREAS["id"])
    started = (5001, 5002, 5003)
    for candidate_id in started:
        await campaigns.start(BULK_ROLE, candidate_id)
    for candidate_id in started:
        await campaigns.until(BULK_ROLE, candidate_id, "RUNNING", steps_done=2)
    await sign_in(page, f"{stack.url}/dashboard/roles/{BULK_ROLE}")
    await expect(page.get_by_text("1–3 of 3 candidates")).to_be_visible()

    await page.get_by_label("Select Billie Abbott").check()  # 5001
    await page.get_by_label("Select Casey Abbott").check()  # 5002
    await expect(page.get_by_text("2 selected")).to_be_visible()
    await page.get_by_role("button", name="Pause…").click()
    dialog = page.get_by_role("dialog", name="Pause campaigns?")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("The 2 selected candidates")).to_be_checked()
    await dialog.get_by_role("button", name="Pause campaigns").click()

    await expect(page.get_by_role("status")).to_have_text("Paused 2 campaigns.")
    for candidate_id, status in ((5001, "PAUSED"), (5002, "PAUSED"), (5003, "RUNNING")):
        view = await campaigns.view(BULK_ROLE, candidate_id)
        assert view is not None and view["status"] == status, (candidate_id, view)
    await expect(page.get_by_role("link", name=re.compile(r"^Paused\s+2$"))).to_be_visible()

    # Every campaign the filter matches, on every page: nothing has to be ticked.
    await page.get_by_role("button", name="Cancel…").click()
    dialog = page.get_by_role("dialog", name="Cancel campaigns?")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label(re.compile(r"All 3 campaigns this filter matches")).check()
    await dialog.get_by_role("button", name="Cancel campaigns").click()

    await expect(page.get_by_role("status")).to_have_text("Cancelled 3 campaigns.")
    for candidate_id in started:
        view = await campaigns.view(BULK_ROLE, candidate_id)
        assert view is not None and view["status"] == "CANCELLED", (candidate_id, view)

    # Nothing is left to pause: the selected rows are counted as skipped.
    await page.get_by_label("Select Billie Abbott").check()
    await page.get_by_role("button", name="Pause…").click()
    await (
        page.get_by_role("dialog", name="Pause campaigns?")
        .get_by_role("button", name="Pause campaigns")
        .click()
    )
    await expect(page.get_by_role("status")).to_have_text(
        "Paused 0 campaigns; 1 skipped (no campaign in a state this changes)."
    )

    # The export is the filtered list (every page), as a spreadsheet reads it.
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Export CSV").click()
    download = await download_info.value
    assert download.suggested_filename == f"role-{BULK_ROLE}-with-campaign.csv"
    text = open(await download.path(), encoding="utf-8").read()  # noqa: ASYNC230, SIM115
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:6] == [
        "Candidate ID",
        "First name",
        "Last name",
        "Has email",
        "Has LinkedIn",
        "Status",
    ]
    assert [line[:3] + line[5:6] for line in lines[1:]] == [
        ["5001", "Billie", "Abbott", "Cancelled"],
        ["5002", "Casey", "Abbott", "Cancelled"],
        ["5003", "Dana", "Abbott", "Cancelled"],
    ]


def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe() -> None:
    assert [spreadsheet_safe(v) for v in ("=1+2", "+31 6", "-x", "@SUM(A1)", "Ann", None)] == [
        "'=1+2",
        "'+31 6",
        "'-x",
        "'@SUM(A1)",
        "Ann",
        "",
    ]


async def test_a_logged_out_channel_is_raised_once_and_a_live_update_keeps_focus(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    await _set_channel(stack, LINKEDIN, "ERROR_CREDENTIALS")
    await campaigns.start(ROLE_SWE, MILAN)
    await campaigns.until(ROLE_SWE, MILAN, "WAITING_FOR_CHANNEL")
    await sign_in(page, f"{stack.url}/dashboard/roles/{ROLE_SWE}")

    alert = page.get_by_role("alert")
    await expect(alert).to_have_count(1)
    await expect(alert).to_contain_text("LinkedIn is logged out: 1 campaign is waiting")
    await expect(alert).to_contain_text("Reconnect LinkedIn on the recruiting platform")
    await expect(alert).to_contain_text("later steps, on other channels too, are held")

    # Keyboard focus on the candidate's link, their box ticked, and a mark on the element
    # itself: a swapped element would lose all three.
    await page.get_by_label("Select Milan Peeters").check()
    link = page.get_by_role("link", name="Milan Peeters")
    await link.focus()
    await link.evaluate("element => { element.keptMark = 'kept' }")
    milan = page.get_by_role("row").filter(has_text="Milan Peeters")
    await expect(milan).to_contain_text("Waiting for a channel")

    await _set_channel(stack, LINKEDIN, "OK")  # the platform's webhook wakes the campaign
    await expect(milan).to_contain_text("Running")
    await expect(milan).to_contain_text("2 of 4 messages sent")
    await expect(alert).to_have_count(0)
    focused = await page.evaluate(
        "() => [document.activeElement.id, document.activeElement.keptMark]"
    )
    assert focused == [f"open-{MILAN}", "kept"]
    await expect(page.get_by_label("Select Milan Peeters")).to_be_checked()
    await expect(page.get_by_text("1 selected")).to_be_visible()


async def test_rows_say_when_nothing_is_left_to_send_and_when_a_campaign_runs_elsewhere(
    page: Page, stack: ApiStack, campaigns: Campaigns
) -> None:
    await campaigns.start(ROLE_SWE, NO_EMAIL)  # LinkedIn first, then only emails
    await campaigns.start(MANAGER_ROLE, LEA)
    await campaigns.until(ROLE_SWE, NO_EMAIL, "RUNNING", steps_done=2)
    await sign_in(page, f"{stack.url}/dashboard/roles/{ROLE_SWE}?status=ALL")

    tomas = page.get_by_role("row").filter(has_text="Tomas Varga")
    await expect(tomas).to_contain_text(
        "No more messages can be sent: the candidate has no email address."
    )
    await expect(tomas).to_contain_text("Watching for a reply until")
    await expect(tomas).not_to_contain_text("Send Email")

    lea = page.get_by_role("row").filter(has_text="Lea Dubois")
    await expect(lea).not_to_contain_text("No campaign")
    await lea.get_by_role("link", name="Campaign running in role Engineering Manager").click()
    await expect(page.get_by_role("heading", name="Lea Dubois")).to_be_visible()
    assert f"/dashboard/roles/{MANAGER_ROLE}/candidates/{LEA}" in page.url

    await page.goto(f"{stack.url}/dashboard/roles/{ROLE_SWE}/candidates/{NO_EMAIL}")
    await expect(
        page.get_by_text("No more messages can be sent: the candidate has no email")
    ).to_be_visible()
