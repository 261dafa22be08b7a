"""The benchmarks' PUT burst: a PUT whose connection broke is tried again, never dropped silently
(a part would then wait for the messages of a campaign that was never started)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bench.load import PUT_ATTEMPTS, put_campaigns
from bench.stack import BenchUser, Slot

USER = BenchUser(
    user_id=1000,
    token="tok-bench-0",
    role_id=1000,
    email_channel=100_000,
    linkedin_channel=100_001,
    first_candidate=1_000_000,
)


async def api_dropping_first(drops: int) -> tuple[asyncio.Server, list[str]]:
    """A server that closes the first `drops` connections unanswered, then answers 201."""
    seen: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        await reader.readexactly(length)
        seen.append(head.split(b"\r\n")[0].decode())
        if len(seen) <= drops:
            writer.close()
            return
        writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), seen


@pytest.fixture
async def servers() -> AsyncIterator[list[asyncio.Server]]:
    started: list[asyncio.Server] = []
    yield started
    for server in started:
        server.close()


async def test_a_put_whose_connection_broke_is_tried_again(servers) -> None:
    server, seen = await api_dropping_first(1)
    servers.append(server)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    burst = await put_campaigns([url], [Slot(USER, 1_000_000)], {"nodes": []}, 1)

    assert burst.failures == 0 and burst.retries == 1
    assert seen == ["PUT /role/1000/candidate/1000000/campaign HTTP/1.1"] * 2


async def test_a_put_that_never_got_through_fails_the_burst(servers) -> None:
    server, seen = await api_dropping_first(PUT_ATTEMPTS)
    servers.append(server)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    with pytest.raises(RuntimeError, match="1 PUTs failed"):
        await put_campaigns([url], [Slot(USER, 1_000_000)], {"nodes": []}, 1)
    assert len(seen) == PUT_ATTEMPTS
