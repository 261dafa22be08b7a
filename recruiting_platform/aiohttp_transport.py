"""The platform client's transport: httpx's API, aiohttp's connection pool underneath.

httpx's own transport (httpcore 1.0.9) spent 1.4-3.3 ms of CPU on every request with tens in
flight, most of it bookkeeping: on each request, and again when its answer has been read, it
walks every pooled connection, polls each idle socket through anyio, and counts the idle ones
once per idle connection (quadratic in the pool; encode/httpcore#1035). That was 14 % of the
worker's CPU at a burst of starts (py-spy, docs/performance.md). aiohttp keeps a host's idle
connections in a queue and parses HTTP in C: 0.5 ms a request in the same run.

`PlatformClient` still speaks httpx (requests, responses, errors, redirects, test transports);
only the bytes travel through aiohttp, through the proxy the environment names if any (httpx
ignores the environment's proxies once a transport is given, so this transport reads them).
Errors come back as httpx's: a timeout as `httpx.TimeoutException`, any other failure as
`httpx.TransportError`, which the client turns into `PlatformTimeout` and `PlatformTransient`.
"""

from __future__ import annotations

from typing import NamedTuple

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

# An idle connection is closed after this long: a little under the 5 s many servers keep one
# (uvicorn's default), so the client lets go first and a request seldom meets a connection the
# server is closing. aiohttp sends a GET again then, not a POST: that send fails as transient
# and is retried later, safely (idempotency key, chat read), but later.
KEEPALIVE_SECONDS = 4.0


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_connections: int = 100) -> None:
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str, int | None], _Proxy] = {}

    def _open_session(self) -> aiohttp.ClientSession:
        # Made on the first request, inside the event loop that will use it (aiohttp binds a
        # session to its loop).
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=KEEPALIVE_SECONDS,
                ssl=httpx.create_ssl_context(),  # httpx's certificate bundle, as before
            ),
            # httpx decodes the body by its Content-Encoding. One client serves every user, so
            # no cookie may travel from one request to the next: not kept here either.
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        limits = request.extensions.get("timeout", {})
        pool, connect = limits.get("pool"), limits.get("connect")
        # httpx's pool timeout bounds the wait for a free connection; aiohttp's `connect`
        # bounds that wait and the connecting together.
        return aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=limits.get("read"),
        )

    def _proxy(self, url: httpx.URL) -> _Proxy:
        """The proxy the environment names for this origin (HTTP(S)_PROXY, NO_PROXY), as
        httpx honoured it for its own transport; read once per origin, like httpx, since
        reading the environment costs ~0.14 ms, a quarter of a request."""
        origin = (url.scheme, url.host, url.port)
        proxy = self._proxies.get(origin)
        if proxy is None:
            try:
                proxy = _Proxy(*get_env_proxy_for_url(URL(str(url))))
            except LookupError:
                proxy = _Proxy(None, None)
            self._proxies[origin] = proxy
        return proxy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open_session()
        body = await request.aread()
        proxy = self._proxy(request.url)
        try:
            async with self._session.request(
                request.method,
                str(request.url),
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,  # httpx decides about redirects
                timeout=self._timeout(request),
                proxy=proxy.url,
                proxy_auth=proxy.auth,
            ) as answer:
                content = await answer.read()
        except TimeoutError as error:  # aiohttp's own timeouts are TimeoutErrors too
            if isinstance(error, aiohttp.ConnectionTimeoutError):
                raise httpx.ConnectTimeout(str(error) or "connect timeout") from error
            raise httpx.ReadTimeout(str(error) or "read timeout") from error
        except aiohttp.ClientConnectorError as error:
            raise httpx.ConnectError(str(error)) from error
        except aiohttp.ClientError as error:
            # The connection broke after the request began: the platform may have acted on it.
            raise httpx.ReadError(f"{type(error).__name__}: {error}") from error
        return httpx.Response(
            status_code=answer.status,
            headers=answer.raw_headers,
            content=content,
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (answer.reason or "").encode("ascii", "replace"),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _Proxy(NamedTuple):
    url: URL | None
    auth: aiohttp.BasicAuth | None
