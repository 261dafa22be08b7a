"""Small request helpers shared by the simulator tests."""

import httpx

EMAIL = 100
LINKEDIN = 101
MILAN = 1001  # email and LinkedIn, role 10
SARA = 1002  # email only
TOMAS = 1003  # LinkedIn only


def post(
    client: httpx.Client,
    channel_id: int,
    candidate_id: int,
    body: str = "Hello there",
    subject: str | None = "Open to new opportunities?",
    idempotency_key: str | None = None,
) -> httpx.Response:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return client.post(
        f"/channel/{channel_id}/chat/{candidate_id}/message",
        json={"body": body, "subject": subject},
        headers=headers,
    )


def set_channel_status(control: httpx.Client, channel_id: int, status: str) -> None:
    control.put(
        f"/_sim/channels/{channel_id}/status", json={"status": status, "deliverWebhook": False}
    ).raise_for_status()


def set_faults(control: httpx.Client, **faults: object) -> dict:
    response = control.put("/_sim/faults", json=faults)
    response.raise_for_status()
    return response.json()
