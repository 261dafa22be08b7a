from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from recruiting_platform import (
    CandidateUnreachable,
    ChannelLoggedOut,
    ChannelUnavailable,
    OnBehalfOf,
    PlatformClient,
    PlatformError,
    PlatformNotFound,
    PlatformRejected,
    PlatformTimeout,
    PlatformTransient,
    PlatformUnauthorized,
    PostMessageBody,
    RateLimited,
    UserToken,
    parse_retry_after,
)
from tests.conftest import PLATFORM_TIMEOUT_SECONDS
from tests.platform_client.conftest import set_channel_status, set_faults
from tests.support.campaigns import eventually
from tests.support.simulator_process import free_port

ANDREAS = OnBehalfOf(1)
EMAIL = 100
LINKEDIN = 101
MILAN = 1001
SECRET_TEXT = "Hi Milan, this text must never appear in an error"


async def send(
    platform: PlatformClient,
    *,
    channel_id: int = EMAIL,
    candidate_id: int = MILAN,
    text: str = SECRET_TEXT,
    idempotency_key: str | None = None,
    creds: OnBehalfOf | UserToken = ANDREAS,
) -> int:
    response = await platform.post_message(
        creds,
        channel_id=channel_id,
        candidate_id=candidate_id,
        body=PostMessageBody(body=text, subject="Open to new opportunities?"),
        idempotency_key=idempotency_key,
    )
    return response.messageId


def assert_safe_to_log(error: PlatformError) -> None:
    text = str(error)
    assert SECRET_TEXT not in text
    assert "example.com" not in text and "Milan" not in text


async def test_unknown_credentials_are_unauthorized(platform: PlatformClient) -> None:
    with pytest.raises(PlatformUnauthorized) as bad_token:
        await platform.get_me(UserToken("tok-nobody"))
    with pytest.raises(PlatformUnauthorized):
        await platform.list_roles(OnBehalfOf(999))
    assert bad_token.value.status_code == 401


async def test_wrong_service_token_is_unauthorized(simulator: str) -> None:
    async with PlatformClient(simulator, "not-the-service-token") as client:
        with pytest.raises(PlatformUnauthorized):
            await client.get_me(ANDREAS)


async def test_other_users_resources_are_not_found(platform: PlatformClient) -> None:
    with pytest.raises(PlatformNotFound) as role:
        await platform.get_role(OnBehalfOf(2), 10)
    with pytest.raises(PlatformNotFound):
        await send(platform, creds=OnBehalfOf(2), channel_id=EMAIL, candidate_id=2001)
    with pytest.raises(PlatformNotFound):
        await platform.list_messages(OnBehalfOf(2), channel_id=EMAIL, candidate_id=MILAN)
    assert role.value.code == "NOT_FOUND"


async def test_channel_in_error_is_unavailable(
    platform: PlatformClient, control: httpx.AsyncClient
) -> None:
    await set_channel_status(control, EMAIL, "ERROR")
    with pytest.raises(ChannelUnavailable) as caught:
        await send(platform)
    assert (caught.value.status_code, caught.value.code) == (503, "CHANNEL_ERROR")
    assert_safe_to_log(caught.value)


async def test_logged_out_channel_raises_channel_logged_out(
    platform: PlatformClient, control: httpx.AsyncClient
) -> None:
    await set_channel_status(control, LINKEDIN, "ERROR_CREDENTIALS")
    with pytest.raises(ChannelLoggedOut) as caught:
        await send(platform, channel_id=LINKEDIN)
    assert caught.value.code == "CHANNEL_ERROR_CREDENTIALS"


async def test_candidate_without_address_is_unreachable(platform: PlatformClient) -> None:
    with pytest.raises(CandidateUnreachable) as caught:
        await send(platform, channel_id=EMAIL, candidate_id=1003)
    assert_safe_to_log(caught.value)


async def test_invalid_message_is_rejected_with_its_code(platform: PlatformClient) -> None:
    with pytest.raises(PlatformRejected) as caught:
        await send(platform, text="  ")
    assert (caught.value.status_code, caught.value.code) == (422, "INVALID_MESSAGE")


async def test_other_client_errors_are_rejected(
    platform: PlatformClient, control: httpx.AsyncClient
) -> None:
    await set_faults(control, errorCount=1, errorStatus=400)
    with pytest.raises(PlatformRejected) as caught:
        await send(platform)
    assert caught.value.status_code == 400


async def test_rate_limit_carries_retry_after(
    platform: PlatformClient, control: httpx.AsyncClient
) -> None:
    await set_faults(control, rateLimitCount=1, retryAfterSeconds=7)
    with pytest.raises(RateLimited) as caught:
        await send(platform)
    assert caught.value.retry_after_seconds == 7.0


async def test_server_errors_are_transient(
    platform: PlatformClient, control: httpx.AsyncClient
) -> None:
    await set_faults(control, errorCount=1, errorStatus=500)
    with pytest.raises(PlatformTransient) as caught:
        await send(platform)
    assert type(caught.value) is PlatformTransient
    assert_safe_to_log(caught.value)


async def test_injected_503_is_transient_not_a_channel_error(
    platform: PlatformClient, control: httpx.AsyncClient
) -> None:
    await set_faults(control, errorCount=1)
    with pytest.raises(PlatformTransient):
        await send(platform)


async def test_malformed_answer_is_transient(
    platform: PlatformClient, control: httpx.AsyncClient
) -> None:
    await set_faults(control, malformedResponseCount=1)
    with pytest.raises(PlatformTransient) as caught:
        await send(platform)
    assert "unreadable answer" in str(caught.value)


async def test_connection_refused_is_transient() -> None:
    async with PlatformClient(f"http://127.0.0.1:{free_port()}", "token") as client:
        with pytest.raises(PlatformTransient) as caught:
            await client.get_me(ANDREAS)
    assert not isinstance(caught.value, PlatformTimeout)


async def test_slow_answer_is_a_timeout(
    platform_with_timeout: Callable[[float], PlatformClient], control: httpx.AsyncClient
) -> None:
    impatient = platform_with_timeout(0.2)
    await set_faults(control, latencyMs=600)
    with pytest.raises(PlatformTimeout) as caught:
        await send(impatient, creds=UserToken("tok-andreas"))
    assert isinstance(caught.value, PlatformTransient)


async def test_timeout_after_acceptance_then_keyed_retry_gets_the_same_message(
    platform_with_timeout: Callable[[float], PlatformClient], control: httpx.AsyncClient
) -> None:
    impatient = platform_with_timeout(0.3)
    patient = platform_with_timeout(PLATFORM_TIMEOUT_SECONDS)
    andreas = UserToken("tok-andreas")
    await set_faults(control, acceptThenTimeoutCount=1, hangSeconds=1.0)

    with pytest.raises(PlatformTimeout):
        await send(impatient, creds=andreas, idempotency_key="campaign-7/node-1")

    async def accepted() -> list[dict]:
        return (await control.get("/_sim/messages")).json()

    # The client gave up; the simulator records the post when it gets to it.
    await eventually(accepted)
    message_id = await send(patient, creds=andreas, idempotency_key="campaign-7/node-1")

    delivered = (await control.get("/_sim/messages")).json()
    assert [m["id"] for m in delivered] == [message_id]


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
