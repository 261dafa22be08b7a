"""Client tests run against the shared simulator (`simulator`, `platform` in tests/conftest.py)."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from recruiting_platform import PlatformClient


@pytest.fixture
async def control(simulator: str) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator's `/_sim` control API, to provoke statuses and faults."""
    async with httpx.AsyncClient(base_url=simulator, timeout=30) as http:
        yield http


@pytest.fixture
async def platform_with_timeout(
    simulator: str,
) -> AsyncIterator[Callable[[float], PlatformClient]]:
    """Build clients with a short timeout (they use user tokens, so no service token)."""
    clients: list[PlatformClient] = []

    def build(timeout_seconds: float) -> PlatformClient:
        client = PlatformClient(simulator, "no-service-token", timeout_seconds=timeout_seconds)
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


async def set_faults(control: httpx.AsyncClient, **faults: object) -> None:
    (await control.put("/_sim/faults", json=faults)).raise_for_status()


async def set_channel_status(control: httpx.AsyncClient, channel_id: int, status: str) -> None:
    response = await control.put(
        f"/_sim/channels/{channel_id}/status", json={"status": status, "deliverWebhook": False}
    )
    response.raise_for_status()
