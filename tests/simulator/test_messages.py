from datetime import datetime

import httpx

from tests.simulator.helpers import EMAIL, LINKEDIN, MILAN, SARA, TOMAS, post, set_channel_status


def test_posted_message_appears_in_the_chat_from_user_to_candidate(
    andreas: httpx.Client,
) -> None:
    response = post(andreas, EMAIL, MILAN, body="Hi Milan", subject="Role")
    assert response.status_code == 200
    message_id = response.json()["messageId"]

    chat = andreas.get(f"/channel/{EMAIL}/chat/{MILAN}/message").json()
    assert len(chat) == 1
    message = chat[0]
    assert message["id"] == message_id
    assert (message["from"], message["to"]) == (1, MILAN)
    assert (message["subject"], message["body"]) == ("Role", "Hi Milan")
    assert message["openedAt"] is None
    assert datetime.fromisoformat(message["sentAt"]).utcoffset().total_seconds() == 0


def test_message_ids_increase_across_channels_and_users(
    andreas: httpx.Client, bea: httpx.Client
) -> None:
    ids = [
        post(andreas, EMAIL, MILAN).json()["messageId"],
        post(andreas, LINKEDIN, MILAN, subject=None).json()["messageId"],
        post(bea, 200, 2001).json()["messageId"],
    ]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_chat_is_per_channel(andreas: httpx.Client) -> None:
    post(andreas, EMAIL, MILAN)
    assert andreas.get(f"/channel/{LINKEDIN}/chat/{MILAN}/message").json() == []


def test_channel_in_error_answers_503_and_records_nothing(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    set_channel_status(control, EMAIL, "ERROR")
    response = post(andreas, EMAIL, MILAN)
    assert response.status_code == 503
    assert response.json()["error"] == "CHANNEL_ERROR"
    assert control.get("/_sim/messages").json() == []


def test_logged_out_channel_answers_409(andreas: httpx.Client, control: httpx.Client) -> None:
    set_channel_status(control, LINKEDIN, "ERROR_CREDENTIALS")
    response = post(andreas, LINKEDIN, MILAN)
    assert response.status_code == 409
    assert response.json()["error"] == "CHANNEL_ERROR_CREDENTIALS"
    assert andreas.get("/channel").json()[1]["status"] == "ERROR_CREDENTIALS"


def test_candidate_without_address_on_the_channel_is_unreachable(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    no_linkedin = post(andreas, LINKEDIN, SARA)
    no_email = post(andreas, EMAIL, TOMAS)
    for response in (no_linkedin, no_email):
        assert response.status_code == 422
        assert response.json()["error"] == "CANDIDATE_UNREACHABLE"
    assert post(andreas, EMAIL, SARA).status_code == 200
    assert post(andreas, LINKEDIN, TOMAS).status_code == 200
    assert len(control.get("/_sim/messages").json()) == 2


def test_empty_or_missing_body_is_an_invalid_message(andreas: httpx.Client) -> None:
    responses = [
        post(andreas, EMAIL, MILAN, body="   "),
        andreas.post(f"/channel/{EMAIL}/chat/{MILAN}/message", json={"subject": "no body"}),
        andreas.post(f"/channel/{EMAIL}/chat/{MILAN}/message", json={"body": 42}),
    ]
    for response in responses:
        assert response.status_code == 422
        assert response.json()["error"] == "INVALID_MESSAGE"
    assert andreas.get(f"/channel/{EMAIL}/chat/{MILAN}/message").json() == []


def test_repeated_idempotency_key_returns_the_first_message_and_creates_nothing(
    andreas: httpx.Client, control: httpx.Client
) -> None:
    first = post(andreas, EMAIL, MILAN, idempotency_key="campaign-1/node-2")
    again = post(andreas, EMAIL, MILAN, idempotency_key="campaign-1/node-2")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    messages = control.get("/_sim/messages").json()
    assert len(messages) == 1
    assert messages[0]["idempotencyKey"] == "campaign-1/node-2"


def test_idempotency_keys_are_per_user(andreas: httpx.Client, bea: httpx.Client) -> None:
    first = post(andreas, EMAIL, MILAN, idempotency_key="same-key")
    other = post(bea, 200, 2001, idempotency_key="same-key")
    assert first.json()["messageId"] != other.json()["messageId"]


def test_idempotency_key_reused_for_another_chat_is_rejected(andreas: httpx.Client) -> None:
    post(andreas, EMAIL, MILAN, idempotency_key="k-1")
    response = post(andreas, EMAIL, SARA, idempotency_key="k-1")
    assert response.status_code == 422
    assert response.json()["error"] == "IDEMPOTENCY_KEY_REUSED"


def test_messages_without_key_are_each_recorded(andreas: httpx.Client) -> None:
    post(andreas, EMAIL, MILAN)
    post(andreas, EMAIL, MILAN)
    assert len(andreas.get(f"/channel/{EMAIL}/chat/{MILAN}/message").json()) == 2
