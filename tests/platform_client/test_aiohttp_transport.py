"""The platform client's transport keeps httpx's behaviour while aiohttp carries the bytes.

Each test runs a small HTTP server on a real socket (tests/support/recording_server.py) that
records what arrived and answers as the test tells it.
"""

from __future__ import annotations

import asyncio
import gzip
import json

import httpx
import pytest

from recruiting_platform import (
    OnBehalfOf,
    PlatformClient,
    PlatformTimeout,
    PlatformTransient,
    PostMessageBody,
    UserToken,
)
from recruiting_platform.aiohttp_transport import AiohttpTransport
from tests.support.recording_server import Received, answer_with


async def test_a_post_arrives_with_its_headers_and_body(serve) -> None:
    server = await serve(
        answer_with("201 Created", b'{"messageId": 77}', "Content-Type: application/json")
    )
    async with PlatformClient(server.url, "service-token") as client:
        posted = await client.post_message(
            OnBehalfOf(1),
            channel_id=100,
            candidate_id=1001,
            body=PostMessageBody(body="Hello"),
            idempotency_key="campaign-7-node-2",
        )

    assert posted.messageId == 77
    (got,) = server.received
    assert got.request_line.startswith("POST /") and got.request_line.endswith(" HTTP/1.1")
    assert got.headers["idempotency-key"] == "campaign-7-node-2"
    assert got.headers["authorization"] == "Bearer service-token"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["accept"] == "application/json"
    assert json.loads(got.body)["body"] == "Hello"


async def test_a_compressed_answer_is_read_decompressed(serve) -> None:
    server = await serve(
        answer_with(
            "200 OK",
            gzip.compress(b'[{"id": 1}]'),
            "Content-Type: application/json",
            "Content-Encoding: gzip",
        )
    )
    async with httpx.AsyncClient(base_url=server.url, transport=AiohttpTransport()) as http:
        response = await http.get("/roles")
    assert response.json() == [{"id": 1}]
    assert response.reason_phrase == "OK"


async def test_cookies_set_for_one_user_are_not_sent_for_the_next(serve) -> None:
    # One client serves every user: the transport must never carry a cookie between requests.
    server = await serve(answer_with("200 OK", b"{}", "Set-Cookie: session=of-user-1; Path=/"))
    transport = AiohttpTransport()
    try:
        for _ in range(2):
            # By name: aiohttp's own cookie jar would ignore cookies from an IP address.
            request = httpx.Request("GET", server.url.replace("127.0.0.1", "localhost") + "/me")
            await transport.handle_async_request(request)
    finally:
        await transport.aclose()
    assert [got.headers.get("cookie") for got in server.received] == [None, None]


async def test_the_client_never_sends_one_users_cookie_with_anothers_request(serve) -> None:
    server = await serve(answer_with("200 OK", b"[]", "Set-Cookie: session=of-user-1; Path=/"))
    async with PlatformClient(server.url.replace("127.0.0.1", "localhost"), "token") as client:
        await client.list_roles(UserToken("token-of-user-1"))
        await client.list_roles(OnBehalfOf(2))
    assert [got.headers.get("cookie") for got in server.received] == [None, None]
    assert [got.headers["authorization"] for got in server.received] == [
        "Bearer token-of-user-1",
        "Bearer token",
    ]


async def test_connections_are_reused_and_never_exceed_the_limit(serve) -> None:
    async def slowly(got: Received, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.05)
        await answer_with("200 OK", b"[]")(got, writer)

    server = await serve(slowly)
    async with PlatformClient(server.url, "token", max_connections=2) as client:
        await asyncio.gather(*(client.list_roles(OnBehalfOf(1)) for _ in range(12)))
        await client.list_roles(OnBehalfOf(1))

    assert len(server.received) == 13
    assert server.most_open == 2
    assert server.connections == 2


async def test_a_platform_that_does_not_answer_in_time_is_a_timeout(serve) -> None:
    async def never(_: Received, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await serve(never)
    async with PlatformClient(server.url, "token", timeout_seconds=0.3) as client:
        with pytest.raises(PlatformTimeout, match="ReadTimeout"):
            await client.list_roles(OnBehalfOf(1))


async def test_a_connection_dropped_mid_answer_is_a_transient_failure(serve) -> None:
    async def cut_off(_: Received, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[{")
        await writer.drain()
        writer.close()

    server = await serve(cut_off)
    async with PlatformClient(server.url, "token") as client:
        with pytest.raises(PlatformTransient, match="ReadError"):
            await client.list_roles(OnBehalfOf(1))


async def test_a_closed_transport_opens_a_fresh_pool_if_used_again(serve) -> None:
    server = await serve(answer_with("200 OK", b"[]"))
    transport = AiohttpTransport()
    await transport.handle_async_request(httpx.Request("GET", f"{server.url}/roles"))
    await transport.aclose()
    await transport.aclose()  # closing twice is harmless
    response = await transport.handle_async_request(httpx.Request("GET", f"{server.url}/roles"))
    await transport.aclose()
    assert response.status_code == 200
    assert server.connections == 2


async def test_a_proxy_named_by_the_environment_carries_the_requests(serve, monkeypatch) -> None:
    # As with httpx's own transport: HTTP_PROXY (and NO_PROXY) from the environment.
    proxy = await serve(answer_with("200 OK", b"[]"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with PlatformClient("http://platform.example.invalid", "token") as client:
        assert await client.list_roles(OnBehalfOf(1)) == []
    (got,) = proxy.received
    assert got.request_line.startswith("GET http://platform.example.invalid/")
