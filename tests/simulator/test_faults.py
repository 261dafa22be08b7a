import time
from collections.abc import Callable

import httpx
import pytest

from tests.simulator.helpers import EMAIL, LINKEDIN, MILAN, post, set_faults
from tests.support.campaigns import wait_until

# A post the client gives up on: the simulator waits longer than the client, so the client
# always times out; the client waits long enough for a busy simulator to have taken the post,
# and the rest of the wait is time for what the test does next (a reset) while the post waits.
ABANDONED_POST_LATENCY_MS = 4000
IMPATIENT_TIMEOUT_SECONDS = 1.0

NO_FAULTS = {
    "errorCount": 0,
    "errorStatus": 503,
    "errorRate": 0.0,
    "latencyMs": 0,
    "readLatencyMs": 0,
    "acceptThenTimeoutCount": 0,
    "hangSeconds": 10.0,
    "rateLimitCount": 0,
    "retryAfterSeconds": 1,
    "malformedResponseCount": 0,
    "channelId": None,
}


def test_put_faults_resets_fields_left_out(control: httpx.Client) -> None:
    set_faults(control, errorCount=3, latencyMs=50)
    current = set_faults(control, rateLimitCount=1)
    assert current == {**NO_FAULTS, "rateLimitCount": 1}
    assert control.get("/_sim/faults").json() == current
    assert control.delete("/_sim/faults").json() == NO_FAULTS


def test_invalid_fault_settings_are_rejected(control: httpx.Client) -> None:
    response = control.put("/_sim/faults", json={"errorRate": 1.5})
    assert response.status_code == 422
    assert response.json()["error"] == "INVALID_REQUEST"


def test_error_count_fails_the_next_posts_without_recording_them(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_faults(control, errorCount=2)
    statuses = [post(andreas, EMAIL, MILAN).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert control.get("/_sim/faults").json()["errorCount"] == 0
    assert len(control.get("/_sim/messages").json()) == 1


def test_injected_503_is_not_a_channel_error(andreas: httpx.Client, control: httpx.Client) -> None:
    set_faults(control, errorCount=1)
    assert post(andreas, EMAIL, MILAN).json()["error"] == "SERVICE_UNAVAILABLE"


def test_error_rate_one_fails_every_post_with_the_chosen_status(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_faults(control, errorRate=1.0, errorStatus=500)
    for _ in range(3):
        response = post(andreas, EMAIL, MILAN)
        assert response.status_code == 500
        assert response.json()["error"] == "INTERNAL_SERVER_ERROR"
    assert control.get("/_sim/messages").json() == []


def test_error_rate_replays_identically_for_the_same_configuration(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    def outcomes() -> list[int]:
        set_faults(control, errorRate=0.5)
        return [post(andreas, EMAIL, MILAN).status_code for _ in range(12)]

    first = outcomes()
    assert set(first) == {200, 503}
    assert outcomes() == first


def test_faults_do_not_touch_reads(andreas: httpx.Client, control: httpx.Client) -> None:
    set_faults(control, errorCount=1, latencyMs=2000)
    assert andreas.get(f"/channel/{EMAIL}/chat/{MILAN}/message").status_code == 200
    assert control.get("/_sim/faults").json()["errorCount"] == 1


def test_latency_delays_every_post(andreas: httpx.Client, control: httpx.Client) -> None:
    set_faults(control, latencyMs=300)
    started = time.monotonic()
    assert post(andreas, EMAIL, MILAN).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_accept_then_timeout_delivers_once_and_a_keyed_retry_gets_the_same_id(
    client_for: Callable[..., httpx.Client], control: httpx.Client, andreas: httpx.Client
) -> None:
    impatient = client_for({"Authorization": "Bearer tok-andreas"}, timeout=0.3)
    set_faults(control, acceptThenTimeoutCount=1, hangSeconds=1.0)

    with pytest.raises(httpx.ReadTimeout):
        post(impatient, EMAIL, MILAN, idempotency_key="send-1")

    # The client gave up; the simulator records the post when it gets to it.
    delivered = wait_until(lambda: control.get("/_sim/messages").json())
    assert [m["idempotencyKey"] for m in delivered] == ["send-1"]
    retry = post(andreas, EMAIL, MILAN, idempotency_key="send-1")
    assert retry.status_code == 200
    assert retry.json()["messageId"] == delivered[0]["id"]
    assert len(control.get("/_sim/messages").json()) == 1


def test_rate_limit_answers_429_with_retry_after(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_faults(control, rateLimitCount=1, retryAfterSeconds=7)
    limited = post(andreas, EMAIL, MILAN)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.json()["error"] == "RATE_LIMITED"
    assert post(andreas, EMAIL, MILAN).status_code == 200


def test_channel_restricted_faults_spare_other_channels(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_faults(control, errorCount=1, channelId=LINKEDIN)
    assert post(andreas, EMAIL, MILAN).status_code == 200
    assert control.get("/_sim/faults").json()["errorCount"] == 1
    assert post(andreas, LINKEDIN, MILAN, subject=None).status_code == 503
    assert post(andreas, LINKEDIN, MILAN, subject=None).status_code == 200


def test_malformed_response_is_a_non_json_200_that_records_nothing(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_faults(control, malformedResponseCount=1)
    response = post(andreas, EMAIL, MILAN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert control.get("/_sim/messages").json() == []


def abandon_a_slow_post(client_for: Callable[..., httpx.Client], control: httpx.Client) -> None:
    """Post with a latency fault and give up before the simulator answers."""
    impatient = client_for(
        {"Authorization": "Bearer tok-andreas"}, timeout=IMPATIENT_TIMEOUT_SECONDS
    )
    set_faults(control, latencyMs=ABANDONED_POST_LATENCY_MS)
    with pytest.raises(httpx.ReadTimeout):
        post(impatient, EMAIL, MILAN)


def test_post_abandoned_during_latency_is_still_applied(
    client_for: Callable[..., httpx.Client], control: httpx.Client
) -> None:
    abandon_a_slow_post(client_for, control)
    delivered = wait_until(lambda: control.get("/_sim/messages").json())
    assert len(delivered) == 1


def test_reset_drops_posts_still_waiting_out_their_latency(
    client_for: Callable[..., httpx.Client], control: httpx.Client, andreas: httpx.Client
) -> None:
    abandon_a_slow_post(client_for, control)
    control.post("/_sim/reset").raise_for_status()
    # A post made now with the same latency is answered after the abandoned one's wait is
    # over, so by then that one has landed or been dropped.
    set_faults(control, latencyMs=ABANDONED_POST_LATENCY_MS)
    marker = post(andreas, EMAIL, MILAN, body="after the reset")
    assert marker.status_code == 200
    assert [m["body"] for m in control.get("/_sim/messages").json()] == ["after the reset"]


def test_read_latency_slows_reads_but_not_posts(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_faults(control, readLatencyMs=400)
    started = time.monotonic()
    assert andreas.get(f"/channel/{EMAIL}/chat/{MILAN}/message").status_code == 200
    assert andreas.get("/channel").status_code == 200
    assert time.monotonic() - started >= 0.8
    # A read latency far beyond the client's timeout does not hold a post back.
    set_faults(control, readLatencyMs=120_000)
    assert post(andreas, EMAIL, MILAN).status_code == 200
