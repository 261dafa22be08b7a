"""The platform's sending limits: a LinkedIn weekly and an email daily limit per channel over
rolling windows, answered with 429 + Retry-After or by restricting the channel, counting sends
made elsewhere; and the clock that places posts in time."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.simulator.helpers import EMAIL, LINKEDIN, MILAN, TOMAS, post
from tests.simulator.webhook_receiver import WebhookReceiver

BEA_EMAIL = 200
T0 = datetime(2030, 3, 4, 9, tzinfo=UTC)


def set_limits(control: httpx.Client, **limits: object) -> dict:
    response = control.put("/_sim/limits", json=limits)
    response.raise_for_status()
    return response.json()


def usage_of(control: httpx.Client, channel_id: int) -> dict:
    channels = control.get("/_sim/limits").json()["channels"]
    return next(c for c in channels if c["channelId"] == channel_id)


def post_at(client: httpx.Client, channel_id: int, at: datetime, key: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"X-Sim-Time": at.isoformat()}
    if key:
        headers["Idempotency-Key"] = key
    candidate = TOMAS if channel_id == LINKEDIN else MILAN
    return client.post(
        f"/channel/{channel_id}/chat/{candidate}/message",
        json={"body": "Hello", "subject": "Hi"},
        headers=headers,
    )


@pytest.fixture
def timed(control: httpx.Client) -> httpx.Client:
    """Posts may carry their own time, as a test on Temporal's time-skipping server needs."""
    control.put("/_sim/clock", json={"acceptTimeHeader": True}).raise_for_status()
    return control


def test_no_limits_by_default_and_reset_clears_them(control: httpx.Client) -> None:
    view = control.get("/_sim/limits").json()
    assert (view["linkedinPerWeek"], view["emailPerDay"], view["overLimit"]) == (
        None,
        None,
        "RATE_LIMIT",
    )
    set_limits(control, emailPerDay=1)
    control.post("/_sim/reset").raise_for_status()
    assert control.get("/_sim/limits").json()["emailPerDay"] is None


def test_the_email_daily_limit_answers_429_with_retry_after_and_records_nothing(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_limits(control, emailPerDay=2)
    assert [post(andreas, EMAIL, MILAN).status_code for _ in range(2)] == [200, 200]
    refused = post(andreas, EMAIL, MILAN)
    assert refused.status_code == 429
    assert refused.json()["error"] == "RATE_LIMITED"
    assert 86_000 < int(refused.headers["Retry-After"]) <= 86_400
    assert len(control.get("/_sim/messages", params={"channelId": EMAIL}).json()) == 2
    email = usage_of(control, EMAIL)
    assert (email["limit"], email["inWindow"], email["peak"], email["refused"]) == (2, 2, 2, 1)
    assert email["windowSeconds"] == 86_400
    # Other channels and users have their own count.
    assert post(andreas, LINKEDIN, TOMAS).status_code == 200


def test_an_idempotent_replay_is_not_a_new_send(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_limits(control, emailPerDay=1)
    first = post(andreas, EMAIL, MILAN, idempotency_key="k-1")
    again = post(andreas, EMAIL, MILAN, idempotency_key="k-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == again.json()


def test_the_windows_roll_a_day_for_email_and_a_week_for_linkedin(
    andreas: httpx.Client, timed: httpx.Client
) -> None:
    set_limits(timed, emailPerDay=1, linkedinPerWeek=2)
    assert post_at(andreas, EMAIL, T0).status_code == 200
    late = post_at(andreas, EMAIL, T0 + timedelta(hours=23))
    assert late.status_code == 429 and late.headers["Retry-After"] == "3600"
    assert post_at(andreas, EMAIL, T0 + timedelta(days=1)).status_code == 200

    assert post_at(andreas, LINKEDIN, T0).status_code == 200
    assert post_at(andreas, LINKEDIN, T0 + timedelta(days=3)).status_code == 200
    six_days = post_at(andreas, LINKEDIN, T0 + timedelta(days=6))
    assert six_days.status_code == 429 and six_days.headers["Retry-After"] == "86400"
    assert post_at(andreas, LINKEDIN, T0 + timedelta(days=7)).status_code == 200
    linkedin = usage_of(timed, LINKEDIN)
    assert (linkedin["peak"], linkedin["limit"], linkedin["windowSeconds"]) == (2, 2, 604_800)
    stamps = [
        m["sentAt"] for m in timed.get("/_sim/messages", params={"channelId": LINKEDIN}).json()
    ]
    assert stamps[0].startswith("2030-03-04T09:00:00")


def test_sends_made_elsewhere_count_against_the_limit(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_limits(control, linkedinPerWeek=3)
    elsewhere = control.post(f"/_sim/channels/{LINKEDIN}/external-sends", json={"count": 2})
    assert elsewhere.status_code == 200, elsewhere.text
    assert (elsewhere.json()["external"], elsewhere.json()["inWindow"]) == (2, 2)
    assert post(andreas, LINKEDIN, TOMAS).status_code == 200
    assert post(andreas, LINKEDIN, TOMAS).status_code == 429
    assert control.post("/_sim/channels/999/external-sends", json={}).status_code == 404


def test_restrict_mode_logs_the_channel_out_and_tells_campaign_executor(
    andreas: httpx.Client, control: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    set_limits(control, linkedinPerWeek=1, overLimit="RESTRICT")
    assert post(andreas, LINKEDIN, TOMAS).status_code == 200
    refused = post(andreas, LINKEDIN, TOMAS)
    assert refused.status_code == 409
    assert refused.json()["error"] == "CHANNEL_ERROR_CREDENTIALS"
    channels = {c["id"]: c["status"] for c in andreas.get("/channel").json()}
    assert channels[LINKEDIN] == "ERROR_CREDENTIALS"
    [delivery] = webhook_receiver.received
    assert delivery.path == "/webhooks/channel" and delivery.signature_valid
    assert delivery.payload["status"] == "ERROR_CREDENTIALS"
    assert delivery.payload["channelId"] == LINKEDIN
    # Restricted, the channel refuses like any logged-out one until the user reconnects.
    assert post(andreas, LINKEDIN, TOMAS).status_code == 409


def test_the_clock_can_be_moved_ahead_to_free_a_limit(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_limits(control, emailPerDay=1)
    assert post(andreas, EMAIL, MILAN).status_code == 200
    assert post(andreas, EMAIL, MILAN).status_code == 429
    clock = control.put("/_sim/clock", json={"offsetSeconds": 86_401}).json()
    assert clock["offsetSeconds"] == 86_401 and clock["acceptTimeHeader"] is False
    assert datetime.fromisoformat(clock["now"]) > datetime.now(UTC) + timedelta(hours=23)
    assert post(andreas, EMAIL, MILAN).status_code == 200


def test_the_time_header_is_ignored_unless_accepted_and_must_have_a_zone(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    assert post_at(andreas, EMAIL, T0).status_code == 200
    [message] = control.get("/_sim/messages", params={"channelId": EMAIL}).json()
    assert not message["sentAt"].startswith("2030")
    control.put("/_sim/clock", json={"acceptTimeHeader": True}).raise_for_status()
    naive = andreas.post(
        f"/channel/{EMAIL}/chat/{MILAN}/message",
        json={"body": "Hello", "subject": "Hi"},
        headers={"X-Sim-Time": "2030-03-04T09:00:00"},
    )
    assert naive.status_code == 422 and naive.json()["error"] == "INVALID_REQUEST"


def test_the_peak_reports_a_window_that_went_over_because_of_sends_elsewhere(
    andreas: httpx.Client, timed: httpx.Client
) -> None:
    set_limits(timed, emailPerDay=2)
    assert post_at(andreas, EMAIL, T0).status_code == 200
    assert post_at(andreas, EMAIL, T0 + timedelta(hours=1)).status_code == 200
    # The user sends from their mail app, inside the same day: the platform saw three.
    timed.post(
        f"/_sim/channels/{EMAIL}/external-sends",
        json={"sentAt": (T0 + timedelta(minutes=30)).isoformat()},
    ).raise_for_status()
    email = usage_of(timed, EMAIL)
    assert email["peak"] == 3 and email["limit"] == 2
    assert usage_of(timed, BEA_EMAIL)["peak"] == 0


def test_invalid_limits_are_rejected(control: httpx.Client) -> None:
    response = control.put("/_sim/limits", json={"emailPerDay": -1})
    assert response.status_code == 422
    response = control.put("/_sim/limits", json={"overLimit": "BAN"})
    assert response.status_code == 422
