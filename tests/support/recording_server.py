"""A small HTTP server on a real socket for tests of our HTTP clients: it records each request
that arrived (request line, headers, body) and answers as the test tells it, so a test checks
what crossed the wire, not what the code meant to send."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Received:
    request_line: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[Received, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RecordingServer:
    answer: Answer
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode().split("\r\n")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                got = Received(lines[0], headers, body)
                self.received.append(got)
                await self.answer(got, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open_now -= 1
            writer.close()


def answer_with(status: str, body: bytes, *extra_headers: str) -> Answer:
    async def answer(_: Received, writer: asyncio.StreamWriter) -> None:
        head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *extra_headers]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()

    return answer


async def start_recording_server(answer: Answer) -> tuple[RecordingServer, asyncio.Server]:
    """A server on a free port of 127.0.0.1; the caller closes the `asyncio.Server`."""
    recording = RecordingServer(answer)
    server = await asyncio.start_server(recording.handle, "127.0.0.1", 0)
    recording.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    return recording, server
