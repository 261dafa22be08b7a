"""Abuse contained, over HTTP against the real app: the body size limit (with and without
Content-Length, before the body is read), authentication before the body is parsed, the rate
limits (per user, per IP, sign-in), the rejected-token cache (counted at the simulator) and
malformed credentials."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from db.engine import create_engine, create_session_factory
from tests.api.conftest import ApiStack, api_stack_on
from tests.conftest import fresh_database

LIMIT = 64 * 1024
StackFactory = Callable[..., AbstractAsyncContextManager[ApiStack]]


@pytest.fixture
def stack_with(
    dev_temporal_env: WorkflowEnvironment, simulator: str, task_queue: str, tmp_path: Path
) -> StackFactory:
    """The real app over HTTP on SQLite with these settings changed."""

    @asynccontextmanager
    async def start(**changes: Any) -> AsyncIterator[ApiStack]:
        async with fresh_database("sqlite", tmp_path) as database_url:
            engine = create_engine(database_url)
            try:
                async with api_stack_on(
                    dev_temporal_env.client,
                    database_url,
                    simulator,
                    task_queue,
                    create_session_factory(engine),
                    settings_changes=changes,
                ) as stack:
                    yield stack
            finally:
                await engine.dispose()

    return start


async def _raw_request(url: str, head: str, body_chunks: AsyncIterator[bytes]) -> bytes:
    """Send a request over a plain socket, its body a chunk at a time, and stop sending as soon
    as the server answers; returns the answer as received."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(head.encode("latin-1"))
        answer = asyncio.ensure_future(reader.read(65536))
        async for chunk in body_chunks:
            if answer.done():
                break
            try:
                writer.write(chunk)
                await writer.drain()
            except ConnectionError:
                break
        return await asyncio.wait_for(answer, timeout=30)
    finally:
        writer.close()


def _json_body(raw: bytes) -> dict[str, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        size, _, rest = body.partition(b"\r\n")
        body = rest[: int(size, 16)]
    return json.loads(body)


async def _bytes_sent(counter: list[int], total: int, chunk: int) -> AsyncIterator[bytes]:
    while counter[0] < total:
        counter[0] += chunk
        yield b"x" * chunk


async def _chunked(counter: list[int], total: int, chunk: int) -> AsyncIterator[bytes]:
    async for piece in _bytes_sent(counter, total, chunk):
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"


def _head(method: str, path: str, headers: dict[str, str]) -> str:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


async def test_a_declared_oversized_body_is_refused_before_any_of_it_is_read(
    stack_with: StackFactory,
) -> None:
    async with stack_with(max_request_body_bytes=LIMIT) as stack:
        for path, headers in (
            ("/webhooks/reply", {}),
            ("/role/10/candidate/1001/campaign", {"Authorization": "Bearer tok-andreas"}),
        ):
            sent = [0]
            head = _head(
                "PUT" if "campaign" in path else "POST",
                path,
                {"Content-Type": "application/json", "Content-Length": "100000000", **headers},
            )
            # No byte of the body goes out before the answer: the server decided on the header.
            raw = await _raw_request(stack.url, head, _bytes_sent(sent, 0, 1))
            assert raw.startswith(b"HTTP/1.1 413"), raw[:200]
            assert _json_body(raw)["error"]["code"] == "BODY_TOO_LARGE"


async def test_a_chunked_oversized_body_is_refused_once_it_crosses_the_limit(
    stack_with: StackFactory,
) -> None:
    async with stack_with(max_request_body_bytes=LIMIT) as stack:
        for method, path, headers in (
            ("POST", "/webhooks/reply", {}),
            ("PUT", "/role/10/candidate/1001/campaign", {"Authorization": "Bearer tok-andreas"}),
        ):
            sent = [0]
            head = _head(
                method,
                path,
                {"Content-Type": "application/json", "Transfer-Encoding": "chunked", **headers},
            )
            raw = await _raw_request(stack.url, head, _chunked(sent, 100 * 1024 * 1024, 8192))
            assert raw.startswith(b"HTTP/1.1 413"), raw[:200]
            assert _json_body(raw)["error"]["code"] == "BODY_TOO_LARGE"
            # Answered long before the 100 MB were sent (socket buffers hold a few MB at most).
            assert sent[0] < 16 * 1024 * 1024


async def test_a_put_with_a_bad_token_is_refused_before_its_body_is_parsed(
    stack_with: StackFactory,
) -> None:
    async with stack_with() as stack, stack.client(f"tok-bad-{uuid.uuid4()}") as http:
        response = await http.put(
            "/role/10/candidate/1001/campaign",
            content=b"{this is not json",
            headers={"Content-Type": "application/json"},
        )
        # Parsing first would have answered 422 (JSON decode error).
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"


async def test_the_api_answers_429_with_retry_after_over_the_per_user_limit(
    stack_with: StackFactory,
) -> None:
    async with (
        stack_with(rate_limit_per_user="5/minute") as stack,
        stack.client("tok-andreas") as andreas,
        stack.client("tok-bea") as bea,
    ):
        for _ in range(5):
            assert (await andreas.get("/role/10/campaigns")).status_code == 200
        refused = await andreas.get("/role/10/campaigns")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "RATE_LIMITED"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Another user on the same machine still gets through.
        assert (await bea.get("/role/20/campaigns")).status_code == 200


async def test_the_api_answers_429_with_retry_after_over_the_per_ip_limit(
    stack_with: StackFactory,
) -> None:
    async with (
        stack_with(rate_limit_per_ip="4/minute") as stack,
        stack.client("tok-andreas") as andreas,
        stack.client(f"tok-bad-{uuid.uuid4()}") as stranger,
    ):
        for _ in range(3):
            assert (await andreas.get("/role/10/campaigns")).status_code == 200
        assert (await stranger.get("/role/10/campaigns")).status_code == 401
        # A bad token counts too: the IP's budget is spent before the token is checked.
        for http in (stranger, andreas):
            refused = await http.get("/role/10/campaigns")
            assert refused.status_code == 429
            assert int(refused.headers["Retry-After"]) >= 1


async def test_the_sign_in_answers_429_with_retry_after_over_its_limit(
    stack_with: StackFactory,
) -> None:
    async with (
        stack_with(rate_limit_sign_in="3/minute") as stack,
        httpx.AsyncClient(base_url=stack.url, timeout=30) as browser,
    ):
        for _ in range(3):
            response = await browser.post("/dashboard/login", data={"token": "tok-wrong"})
            assert response.status_code == 401
        refused = await browser.post("/dashboard/login", data={"token": "tok-andreas"})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "Too many" in refused.text


async def test_a_rejected_token_costs_one_platform_call_per_cache_period(
    stack_with: StackFactory,
) -> None:
    token = f"tok-bad-{uuid.uuid4()}"
    async with stack_with() as stack, stack.client(token) as http:
        together = await asyncio.gather(*(http.get("/role/10/campaigns") for _ in range(200)))
        one_by_one = [await http.get("/sending-settings") for _ in range(100)]
        assert {r.status_code for r in together + one_by_one} == {401}
        async with httpx.AsyncClient(base_url=stack.simulator, timeout=30) as sim:
            counted = (await sim.get("/_sim/requests", params={"token": token})).json()
        assert counted == {"GET /user/me": 1}


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer tök-andreas".encode(),
        b"Bearer tok andreas",
        b"Bearer \xff\xfe",
        b"Bearer " + b"a" * 5000,
    ],
    ids=["non-ascii", "space", "latin-1-bytes", "too-long"],
)
async def test_a_malformed_bearer_token_is_401_not_500(
    stack_with: StackFactory, authorization: bytes
) -> None:
    async with stack_with() as stack, httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        response = await http.get("/role/10/campaigns", headers={"Authorization": authorization})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"


async def test_a_non_ascii_token_at_the_dashboard_sign_in_is_401_not_500(
    stack_with: StackFactory,
) -> None:
    async with stack_with() as stack, httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        response = await http.post("/dashboard/login", data={"token": "tök-andreas"})
        assert response.status_code == 401
        assert "did not accept this token" in response.text
