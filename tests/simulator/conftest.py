from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.simulator.webhook_receiver import WebhookReceiver
from tests.support.simulator_process import SimulatorProcess, start_simulator

WEBHOOK_SECRET = "test-webhook-secret"
SERVICE_TOKEN = "test-service-token"
# Requests that are meant to succeed: generous, a busy machine answers slowly.
CONTROL_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret=WEBHOOK_SECRET)
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def simulator_server(webhook_receiver: WebhookReceiver) -> Iterator[SimulatorProcess]:
    """This folder's own simulator, started with webhooks pointing at the receiver."""
    with start_simulator(
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        service_token=SERVICE_TOKEN,
    ) as process:
        yield process


@pytest.fixture(autouse=True)
def fresh_simulator(simulator_server: SimulatorProcess, webhook_receiver: WebhookReceiver) -> None:
    """Every test starts from the seed, with webhooks going to the receiver."""
    httpx.post(f"{simulator_server.url}/_sim/reset", timeout=CONTROL_TIMEOUT).raise_for_status()
    httpx.put(
        f"{simulator_server.url}/_sim/config",
        json={"webhookUrl": webhook_receiver.url, "webhookSecret": WEBHOOK_SECRET},
        timeout=CONTROL_TIMEOUT,
    ).raise_for_status()
    webhook_receiver.reset()


@pytest.fixture
def client_for(simulator_server: SimulatorProcess) -> Iterator[Callable[..., httpx.Client]]:
    """Build HTTP clients for the simulator with the given headers; closed after the test."""
    clients: list[httpx.Client] = []

    def build(
        headers: dict[str, str] | None = None, timeout: float = CONTROL_TIMEOUT
    ) -> httpx.Client:
        client = httpx.Client(base_url=simulator_server.url, headers=headers or {}, timeout=timeout)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def control(client_for: Callable[..., httpx.Client]) -> httpx.Client:
    """The unauthenticated `/_sim` control API."""
    return client_for()


@pytest.fixture
def andreas(client_for: Callable[..., httpx.Client]) -> httpx.Client:
    """User 1: roles 10, 11, 12; channels 100 (EMAIL) and 101 (LINKEDIN)."""
    return client_for({"Authorization": "Bearer tok-andreas"})


@pytest.fixture
def bea(client_for: Callable[..., httpx.Client]) -> httpx.Client:
    """User 2: role 20; channels 200 (EMAIL) and 201 (LINKEDIN)."""
    return client_for({"Authorization": "Bearer tok-bea"})
