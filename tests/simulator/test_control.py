from datetime import datetime

import httpx

from tests.simulator.conftest import WEBHOOK_SECRET
from tests.simulator.helpers import EMAIL, LINKEDIN, MILAN, post, set_faults
from tests.simulator.webhook_receiver import WebhookReceiver, signature_is_valid
from tests.support.simulator_process import free_port


def reply(control: httpx.Client, candidate_id: int, **fields: object) -> httpx.Response:
    return control.post(f"/_sim/candidates/{candidate_id}/reply", json=fields)


def test_healthz(control: httpx.Client) -> None:
    assert control.get("/_sim/healthz").json() == {"ok": True}


def test_users_lists_seed_users_with_tokens(control: httpx.Client) -> None:
    users = control.get("/_sim/users").json()
    assert [(u["id"], u["token"]) for u in users] == [
        (1, "tok-andreas"),
        (2, "tok-bea"),
        (3, "tok-chris"),
    ]


def test_reply_shows_in_the_chat_from_the_candidate(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    sent = post(andreas, EMAIL, MILAN).json()["messageId"]
    response = reply(control, MILAN, channelId=EMAIL, body="Sounds great", subject="Re: Role")
    assert response.status_code == 200
    answer = response.json()["message"]
    assert answer["id"] > sent

    chat = andreas.get(f"/channel/{EMAIL}/chat/{MILAN}/message").json()
    assert [(m["id"], m["from"], m["to"]) for m in chat] == [
        (sent, 1, MILAN),
        (answer["id"], MILAN, 1),
    ]
    assert chat[1]["body"] == "Sounds great"


def test_reply_webhook_is_delivered_and_correctly_signed(
    control: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    result = reply(control, MILAN, channelId=LINKEDIN).json()
    assert result["webhook"] == {"delivered": True, "statusCode": 204, "error": None}

    [delivery] = webhook_receiver.received
    assert delivery.path == "/webhooks/reply"
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.signature_valid
    assert delivery.payload == {
        "candidateId": MILAN,
        "channelId": LINKEDIN,
        "userId": 1,
        "messageId": result["message"]["id"],
        "sentAt": result["message"]["sentAt"],
    }
    assert not signature_is_valid("another-secret", delivery.headers, delivery.raw_body)
    assert not signature_is_valid(WEBHOOK_SECRET, delivery.headers, delivery.raw_body + b" ")


def test_reply_without_webhook_delivers_nothing(
    control: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    result = reply(control, MILAN, channelId=EMAIL, deliverWebhook=False).json()
    assert result["webhook"] == {"delivered": False, "statusCode": None, "error": None}
    assert webhook_receiver.received == []
    assert control.get("/_sim/webhooks").json() == []


def test_reply_to_a_candidate_the_channel_owner_cannot_see_is_not_found(
    control: httpx.Client,
) -> None:
    assert reply(control, 2001, channelId=EMAIL).status_code == 404
    assert reply(control, MILAN, channelId=999).status_code == 404
    assert control.get("/_sim/messages").json() == []


def test_channel_status_change_is_applied_and_announced(
    andreas: httpx.Client, control: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    response = control.put(f"/_sim/channels/{LINKEDIN}/status", json={"status": "ERROR"})
    result = response.json()
    assert result["channel"] == {"id": LINKEDIN, "type": "LINKEDIN", "status": "ERROR"}
    assert result["webhook"]["delivered"] is True
    assert andreas.get("/channel").json()[1]["status"] == "ERROR"

    [delivery] = webhook_receiver.received
    assert delivery.path == "/webhooks/channel"
    assert delivery.signature_valid
    payload = delivery.payload
    assert {k: payload[k] for k in ("channelId", "userId", "type", "status")} == {
        "channelId": LINKEDIN,
        "userId": 1,
        "type": "LINKEDIN",
        "status": "ERROR",
    }
    assert datetime.fromisoformat(payload["changedAt"]).utcoffset().total_seconds() == 0


def test_failed_webhook_deliveries_are_logged_not_raised(
    control: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.answer_status = 500
    rejected = reply(control, MILAN, channelId=EMAIL).json()["webhook"]
    assert rejected["delivered"] is False
    assert rejected["statusCode"] == 500

    control.put("/_sim/config", json={"webhookUrl": f"http://127.0.0.1:{free_port()}"})
    unreachable = reply(control, MILAN, channelId=EMAIL).json()["webhook"]
    assert unreachable["delivered"] is False
    assert unreachable["statusCode"] is None
    assert unreachable["error"]

    log = control.get("/_sim/webhooks").json()
    assert [(entry["kind"], entry["statusCode"], entry["delivered"]) for entry in log] == [
        ("reply", 500, False),
        ("reply", None, False),
    ]
    assert log[0]["payload"]["candidateId"] == MILAN


def test_config_without_webhook_url_skips_delivery(
    control: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    assert control.put("/_sim/config", json={"webhookUrl": ""}).json() == {"webhookUrl": ""}
    result = reply(control, MILAN, channelId=EMAIL).json()
    assert result["webhook"]["delivered"] is False
    assert webhook_receiver.received == []


def test_config_can_change_the_webhook_secret(
    control: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    control.put(
        "/_sim/config", json={"webhookUrl": webhook_receiver.url, "webhookSecret": "rotated"}
    )
    reply(control, MILAN, channelId=EMAIL)
    [delivery] = webhook_receiver.received
    assert not delivery.signature_valid
    assert signature_is_valid("rotated", delivery.headers, delivery.raw_body)
    assert "rotated" not in control.get("/_sim/config").text


def test_sim_messages_lists_both_directions_with_filters(
    andreas: httpx.Client, bea: httpx.Client, control: httpx.Client
) -> None:
    post(andreas, EMAIL, MILAN, idempotency_key="k1")
    reply(control, MILAN, channelId=EMAIL, deliverWebhook=False)
    post(bea, 200, 2001)

    everything = control.get("/_sim/messages").json()
    assert [(m["direction"], m["userId"], m["candidateId"]) for m in everything] == [
        ("outbound", 1, MILAN),
        ("inbound", 1, MILAN),
        ("outbound", 2, 2001),
    ]
    assert everything[0]["idempotencyKey"] == "k1"
    assert len(control.get("/_sim/messages", params={"candidateId": MILAN}).json()) == 2
    assert len(control.get("/_sim/messages", params={"channelId": 200}).json()) == 1
    outbound = control.get("/_sim/messages", params={"direction": "outbound"}).json()
    assert [m["candidateId"] for m in outbound] == [MILAN, 2001]


def test_sim_messages_since_a_moment_leaves_out_earlier_ones(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    reply(control, MILAN, channelId=EMAIL, deliverWebhook=False, sentAt="2031-02-03T04:05:06Z")
    reply(control, MILAN, channelId=EMAIL, deliverWebhook=False, sentAt="2031-02-03T04:05:08Z")

    since = control.get("/_sim/messages", params={"sentSince": "2031-02-03T04:05:07Z"}).json()
    assert [m["sentAt"][:19] for m in since] == ["2031-02-03T04:05:08"]
    at_the_moment = control.get(
        "/_sim/messages", params={"sentSince": "2031-02-03T05:05:06+01:00"}
    ).json()
    assert len(at_the_moment) == 2


def test_sim_messages_rejects_a_moment_without_a_timezone(control: httpx.Client) -> None:
    response = control.get("/_sim/messages", params={"sentSince": "2031-02-03T04:05:07"})
    assert response.status_code == 422
    assert "sentSince" in response.text
    bad_direction = control.get("/_sim/messages", params={"direction": "sideways"})
    assert bad_direction.status_code == 422


def test_reset_restores_the_seed(andreas: httpx.Client, control: httpx.Client) -> None:
    post(andreas, EMAIL, MILAN, idempotency_key="before-reset")
    control.put(f"/_sim/channels/{EMAIL}/status", json={"status": "ERROR_CREDENTIALS"})
    set_faults(control, errorCount=5)

    assert control.post("/_sim/reset").status_code == 200

    assert control.get("/_sim/messages").json() == []
    assert andreas.get(f"/channel/{EMAIL}/chat/{MILAN}/message").json() == []
    usage = {c["channelId"]: c for c in control.get("/_sim/limits").json()["channels"]}
    assert usage[EMAIL]["inWindow"] == usage[EMAIL]["peak"] == 0
    assert control.get("/_sim/webhooks").json() == []
    assert control.get("/_sim/faults").json()["errorCount"] == 0
    assert andreas.get("/channel").json()[0]["status"] == "OK"
    # The key is forgotten, but ids keep increasing so none is ever handed out twice.
    again = post(andreas, EMAIL, MILAN, idempotency_key="before-reset")
    assert again.status_code == 200
    assert again.json()["messageId"] > 1


def test_reply_can_be_placed_at_a_given_time(andreas: httpx.Client, control: httpx.Client) -> None:
    result = reply(
        control, MILAN, channelId=EMAIL, deliverWebhook=False, sentAt="2031-02-03T04:05:06Z"
    ).json()
    assert result["message"]["sentAt"].startswith("2031-02-03T04:05:06")
    chat = andreas.get(f"/channel/{EMAIL}/chat/{MILAN}/message").json()
    assert [m["sentAt"][:19] for m in chat] == ["2031-02-03T04:05:06"]
