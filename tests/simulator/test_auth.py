from collections.abc import Callable

import httpx

from tests.simulator.conftest import SERVICE_TOKEN


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHORIZED"
    assert response.json()["detail"]


def test_missing_token_is_unauthorized(control: httpx.Client) -> None:
    assert_unauthorized(control.get("/user/me"))


def test_unknown_token_is_unauthorized(client_for: Callable[..., httpx.Client]) -> None:
    client = client_for({"Authorization": "Bearer tok-nobody"})
    assert_unauthorized(client.get("/user/me"))


def test_non_bearer_scheme_is_unauthorized(client_for: Callable[..., httpx.Client]) -> None:
    client = client_for({"Authorization": "Basic tok-andreas"})
    assert_unauthorized(client.get("/role"))


def test_user_token_acts_as_its_user(andreas: httpx.Client) -> None:
    me = andreas.get("/user/me").json()
    assert me == {
        "id": 1,
        "firstName": "Andreas",
        "lastName": "Berg",
        "email": "andreas.berg@example.com",
    }


def test_service_token_acts_on_behalf_of_the_named_user(
    client_for: Callable[..., httpx.Client],
) -> None:
    client = client_for({"Authorization": f"Bearer {SERVICE_TOKEN}", "X-On-Behalf-Of": "2"})
    assert client.get("/user/me").json()["id"] == 2
    assert [role["id"] for role in client.get("/role").json()] == [20]


def test_service_token_without_on_behalf_of_is_unauthorized(
    client_for: Callable[..., httpx.Client],
) -> None:
    client = client_for({"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert_unauthorized(client.get("/user/me"))


def test_service_token_on_behalf_of_unknown_or_garbled_user_is_unauthorized(
    client_for: Callable[..., httpx.Client],
) -> None:
    for on_behalf_of in ("999", "bea"):
        client = client_for(
            {"Authorization": f"Bearer {SERVICE_TOKEN}", "X-On-Behalf-Of": on_behalf_of}
        )
        assert_unauthorized(client.get("/user/me"))


def test_user_token_cannot_act_on_behalf_of_someone_else(
    client_for: Callable[..., httpx.Client],
) -> None:
    client = client_for({"Authorization": "Bearer tok-andreas", "X-On-Behalf-Of": "2"})
    assert_unauthorized(client.get("/user/me"))


def test_message_posting_requires_auth(control: httpx.Client) -> None:
    response = control.post("/channel/100/chat/1001/message", json={"body": "Hi", "subject": None})
    assert_unauthorized(response)
    assert control.get("/_sim/messages").json() == []
