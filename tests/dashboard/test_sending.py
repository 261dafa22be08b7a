"""The sending page over plain HTTP against the real stack: the settings in words, each
connected account's use of its limits from the real ledger, the waits with their campaign's
link, and the settings form (CSRF, validation by `SendingSettings`, saving)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import httpx

from api.app import create_app
from api.dashboard import sending
from api.dashboard.session import COOKIE_NAME
from api.platform_access import token_key
from api.services import AppServices
from campaigns.definition import MessageChannel
from campaigns.send_window import SendSchedule
from campaigns.sending_limits import Reservation, ReserveRequest, SendingSettings
from db.send_ledger import reserve
from recruiting_platform import PlatformClient, User
from tests.api.conftest import ApiStack
from tests.dashboard.helpers import Campaigns, csrf_of, signed_in
from tests.support.api_server import serve
from tests.support.campaigns import ANDREAS, MILAN, ROLE_SWE, eventually, sent_messages
from tests.support.simulator_process import free_port

PAGE = "/dashboard/sending"
ANY_TIME_IN_BRUSSELS = {
    "schedule": {
        "timeZone": "Europe/Brussels",
        "weekdays": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
        "start": "00:00",
        "end": "24:00",
    },
    "pacing": {"linkedinMinGapSeconds": 0, "linkedinJitterSeconds": 0},
}


def text_of(page: httpx.Response) -> str:
    """The page's words, tags removed and white space folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))


async def put_settings(stack: ApiStack, body: dict[str, object]) -> None:
    async with stack.client() as http:
        response = await http.put("/sending-settings", json=body)
    assert response.status_code == 200, response.text


async def fill_daily_connection_requests(stack: ApiStack, now: datetime) -> None:
    """Andreas's 20 connection requests of the day, booked through the ledger's own API."""
    for number in range(20):
        request = ReserveRequest(
            campaign_id=f"sending-page-filler-{number}",
            node_id=1,
            user_id=ANDREAS["id"],
            channel=MessageChannel.LINKEDIN_CONNECTION_REQUEST,
        )
        assert (await reserve(stack.sessions, request, now=now)).status == "READY"


async def full_day_and_a_wait(stack: ApiStack, campaign_id: str) -> Reservation:
    """Andreas's day of connection requests full, and one more for `campaign_id` waiting."""
    await put_settings(stack, ANY_TIME_IN_BRUSSELS)
    now = datetime.now(UTC)
    await fill_daily_connection_requests(stack, now)
    waiting = ReserveRequest(
        campaign_id=campaign_id,
        node_id=9,
        user_id=ANDREAS["id"],
        channel=MessageChannel.LINKEDIN_CONNECTION_REQUEST,
    )
    booked = await reserve(stack.sessions, waiting, now=now)
    assert booked.status == "WAIT" and booked.send_at and booked.description
    return booked


def form_fields(settings: SendingSettings) -> dict[str, object]:
    """What the browser posts for `settings` (the form's own reading of them)."""
    form = sending.SettingsForm.of(settings)
    return {
        **form.text,
        **form.numbers,
        "schedule.weekdays": form.weekdays,
        "schedule.skipDates": form.skip_dates,
    }


async def test_the_page_says_the_default_settings_in_words_and_each_connected_accounts_use(
    stack: ApiStack,
) -> None:
    async with signed_in(stack) as http:
        page = await http.get(PAGE)
        roles = await http.get("/dashboard")
    assert page.status_code == 200, page.text
    words = text_of(page)
    assert "Every day at any hour (UTC)" in words
    assert "Defaults" in words and "You have not saved your own yet." in words
    assert "LinkedIn connection requests: at most 20 in any 24 hours and 80 in any 7 days" in words
    assert "LinkedIn: at least 2 min between sends, plus up to 2 min at random" in words
    for line in (
        "0 / 20 connection requests in the last 24 h",
        "0 / 80 connection requests in the last 7 days",
        "0 / 50 LinkedIn messages in the last 24 h",
        "0 / 100 emails in the last 24 h",
    ):
        assert line in words
    assert "No send is waiting" in words
    assert 'data-live="/dashboard/sending/live"' in page.text
    assert '<a href="/dashboard/sending">Sending</a>' in roles.text  # in the page header

    async with signed_in(stack, "tok-chris") as http:  # a mailbox, no LinkedIn
        chris = text_of(await http.get(PAGE))
    assert "0 / 100 emails in the last 24 h" in chris
    assert "connection requests in the last 24 h" not in chris


async def test_a_full_daily_limit_shows_when_the_next_is_free_and_the_wait_links_its_campaign(
    stack: ApiStack, campaigns: Campaigns
) -> None:
    started = await campaigns.start(ROLE_SWE, MILAN)
    # Its first message and email go through the ledger too: sent before the page is read twice.
    await campaigns.until(ROLE_SWE, MILAN, "RUNNING", steps_done=2)
    booked = await full_day_and_a_wait(stack, started["campaignId"])
    assert booked.send_at and booked.description
    now = datetime.now(UTC)

    async with signed_in(stack) as http:
        page = await http.get(PAGE)
        live = await http.get(f"{PAGE}/live", headers={"X-Dashboard-Live": "1"})
        unchanged = await http.get(
            f"{PAGE}/live", headers={"X-Dashboard-Live": "1", "If-None-Match": live.headers["etag"]}
        )
    words = text_of(page)
    assert "Every day at any hour (Europe/Brussels)" in words
    assert "Saved" in words
    next_free = sending.zone_label(
        booked.send_at, SendSchedule.model_validate(ANY_TIME_IN_BRUSSELS["schedule"]), now
    )
    row = re.search(r"20 / 20 connection requests in the last 24 h</th>(.*?)</tr>", page.text, re.S)
    assert row, words
    row_words = text_of(httpx.Response(200, text=row.group(1)))
    assert "1 queued" in row_words
    assert f"Limit reached — next free {next_free}" in row_words
    assert 'value="20"' in row.group(1) and 'max="20"' in row.group(1)  # the meter
    assert booked.description.startswith(
        "LinkedIn daily connection request limit reached — next slot "
    )
    assert booked.description in words
    assert f'href="/dashboard/roles/{ROLE_SWE}/candidates/{MILAN}">Open campaign' in page.text
    assert live.status_code == 200 and "20 / 20 connection requests" in live.text
    assert unchanged.status_code == 304


async def test_invalid_settings_are_shown_again_with_field_and_reason_and_nothing_is_saved(
    stack: ApiStack,
) -> None:
    fields = form_fields(SendingSettings())
    fields |= {
        "schedule.timeZone": "Europe/Bruxelles",
        "schedule.skipDates": "2030-12-25\n2030-13-01",
        "limits.emailsPerDay": "5000",
    }
    async with signed_in(stack) as http:
        csrf = csrf_of(await http.get(PAGE))
        refused = await http.post(PAGE, data={**fields, "csrf": csrf})
        forged = await http.post(PAGE, data=form_fields(SendingSettings()))
    assert refused.status_code == 422, refused.text
    words = text_of(refused)
    assert "Nothing was saved." in words
    assert (
        "Time zone: unknown time zone 'Europe/Bruxelles'; use an IANA name such as "
        "Europe/Brussels" in words.replace("&#39;", "'")
    )
    assert "Skip dates (“2030-13-01”): Input should be a valid date" in words
    assert "Emails per day: Input should be less than or equal to 2000" in words
    assert 'value="Europe/Bruxelles"' in refused.text  # what was typed stays
    assert 'id="time-zone" name="schedule.timeZone"' in refused.text
    assert 'aria-describedby="time-zone-error"' in refused.text
    assert forged.status_code == 403
    async with stack.client() as api:
        assert (await api.get("/sending-settings")).json()["saved"] is False


async def test_valid_settings_are_saved_and_the_page_says_so(stack: ApiStack) -> None:
    fields = form_fields(SendingSettings())
    fields |= {
        "schedule.timeZone": "Europe/Brussels",
        "schedule.weekdays": ["MON", "WED", "FRI"],
        "schedule.start": "08:30",
        "schedule.end": "17:00",
        "schedule.skipDates": "2030-12-25\n\n2030-12-24",
        "limits.linkedinConnectionRequestsPerDay": "12",
        "pacing.emailJitterSeconds": "0",
    }
    async with signed_in(stack) as http:
        csrf = csrf_of(await http.get(PAGE))
        saved = await http.post(PAGE, data={**fields, "csrf": csrf})
        page = await http.get(saved.headers["location"])
        reloaded = await http.get(saved.headers["location"])
    assert (saved.status_code, saved.headers["location"]) == (303, PAGE)
    words = text_of(page)
    assert "Sending settings saved." in words
    assert "Sending settings saved." not in text_of(reloaded)  # once, not on every reload
    assert "Mon, Wed, Fri 08:30–17:00 Europe/Brussels, except 2030-12-24, 2030-12-25" in words
    assert "at most 12 in any 24 hours" in words
    assert (
        "Email: at least 1 min between sends" in words
        and "Email: at least 1 min between sends, plus" not in words
    )
    async with stack.client() as api:
        body = (await api.get("/sending-settings")).json()
    assert body["saved"] is True
    assert body["schedule"] == {
        "timeZone": "Europe/Brussels",
        "weekdays": ["MON", "WED", "FRI"],
        "start": "08:30",
        "end": "17:00",
        "skipDates": ["2030-12-24", "2030-12-25"],
    }
    assert body["limits"]["linkedinConnectionRequestsPerDay"] == 12
    assert body["pacing"]["emailJitterSeconds"] == 0


async def test_an_unreachable_platform_says_so_instead_of_failing(stack: ApiStack) -> None:
    """The channel list cannot be had (the platform's address answers nothing): the page still
    shows the settings and the waits, and says why the use is missing."""
    platform = PlatformClient(f"http://127.0.0.1:{free_port()}", "token", timeout_seconds=5)
    services = AppServices(
        settings=stack.settings,
        temporal=stack.services.temporal,
        engine=stack.services.engine,
        sessions=stack.sessions,
        platform=platform,
    )
    # Signed in a moment ago: the user is known, and only the channel list is asked for.
    me = User(id=ANDREAS["id"], firstName="Andreas", lastName="Berg", email="a@example.com")
    services.users[token_key("tok-andreas")] = me
    async with signed_in(stack) as browser:  # the session is in the database both apps share
        cookie = browser.cookies[COOKIE_NAME]
    try:
        async with (
            serve(create_app(stack.settings, services)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as http,
        ):
            http.cookies.set(COOKIE_NAME, cookie)
            page = await http.get(PAGE)
            live = await http.get(f"{PAGE}/live", headers={"X-Dashboard-Live": "1"})
    finally:
        await platform.aclose()
    assert page.status_code == 200, page.text
    assert "The recruiting platform did not answer" in page.text
    assert "Every day at any hour (UTC)" in text_of(page)
    assert live.status_code == 200 and "did not answer" in live.text


async def test_a_campaign_outside_the_send_window_waits_shows_why_and_sends_nothing(
    stack: ApiStack, campaigns: Campaigns
) -> None:
    # Andreas's window is closed today and tomorrow in Brussels (two holidays).
    today = datetime.now(UTC).astimezone(SendSchedule(time_zone="Europe/Brussels").zone).date()
    holidays = [today.isoformat(), date.fromordinal(today.toordinal() + 1).isoformat()]
    schedule = {**ANY_TIME_IN_BRUSSELS["schedule"], "skipDates": holidays}
    await put_settings(stack, {"schedule": schedule})

    await campaigns.start(ROLE_SWE, MILAN)

    async def waiting() -> dict[str, object] | None:
        view = await campaigns.view(ROLE_SWE, MILAN)
        return view if view and view["waitingCause"] == "WINDOW_CLOSED" else None

    view = await eventually(waiting)
    assert view["status"] == "RUNNING"
    assert str(view["waitingReason"]).startswith("Waiting for the send window — opens ")
    assert str(view["waitingReason"]).endswith("00:00 (Europe/Brussels)")
    assert [step["status"] for step in view["steps"]][:2] == ["WAITING_FOR_SLOT", "PENDING"]
    async with signed_in(stack) as http:
        page = text_of(await http.get(f"/dashboard/roles/{ROLE_SWE}/candidates/{MILAN}"))
    assert "Scheduled" in page and str(view["waitingReason"]) in page
    assert await sent_messages(stack.simulator, MILAN) == []
