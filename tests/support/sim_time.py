"""Posts that carry the campaign's clock to the simulator, for tests on the time-skipping server.

There, days pass in seconds: the ledger books sends days apart on Temporal's clock while the
simulator would stamp them seconds apart on the wall clock and count them all in one window.
`SimTimeTransport` adds `X-Sim-Time` (the ledger's `now` inside an activity) to every post,
so the simulator (with `PUT /_sim/clock {"acceptTimeHeader": true}`) stamps and counts each
message when the campaign sent it. Give it to the worker's `PlatformClient(transport=...)`.
"""

from __future__ import annotations

import httpx
from temporalio import activity

from db.send_ledger import ledger_now
from recruiting_platform.aiohttp_transport import AiohttpTransport


class SimTimeTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or AiohttpTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and activity.in_activity():
            scheduled = activity.info().current_attempt_scheduled_time
            request.headers["X-Sim-Time"] = ledger_now(scheduled).isoformat()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
