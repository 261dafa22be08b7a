"""The codec endpoint the Temporal Web UI calls: decrypts only for a signed-in user, and answers
cross-origin requests only from the Web UI's origin."""

from __future__ import annotations

from typing import Any

import httpx
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload

from tests.api.conftest import ApiStack
from tests.conftest import DATA_CONVERTER
from tests.dashboard.helpers import signed_in

UI_ORIGIN = "http://127.0.0.1:8233"
SECRET_TEXT = "impressed with your work as a Senior Software Engineer at Showpad"
# What the Web UI sends besides the body (its codec fetch): the namespace header, JSON.
UI_HEADERS = {"Origin": UI_ORIGIN, "X-Namespace": "default", "Content-Type": "application/json"}


async def _encrypted_body(value: Any = SECRET_TEXT) -> dict[str, Any]:
    payloads = await DATA_CONVERTER.encode([value])
    return {"payloads": [json_format.MessageToDict(p) for p in payloads]}


async def _decoded_value(response: httpx.Response) -> Any:
    payloads = [json_format.ParseDict(p, Payload()) for p in response.json()["payloads"]]
    return DATA_CONVERTER.payload_converter.from_payloads(payloads)[0]


async def test_decode_gives_a_signed_in_user_the_plain_payload(api: ApiStack) -> None:
    body = await _encrypted_body()
    assert SECRET_TEXT not in str(body)
    async with api.client() as http:
        response = await http.post("/codec/decode", json=body, headers={"X-Namespace": "default"})
    assert response.status_code == 200, response.text
    assert await _decoded_value(response) == SECRET_TEXT


async def test_encode_then_decode_round_trips(api: ApiStack) -> None:
    plain = DATA_CONVERTER.payload_converter.to_payloads([{"signal": SECRET_TEXT}])
    body = {"payloads": [json_format.MessageToDict(p) for p in plain]}
    async with api.client() as http:
        encoded = await http.post("/codec/encode", json=body)
        assert SECRET_TEXT not in encoded.text
        decoded = await http.post("/codec/decode", json=encoded.json())
    assert await _decoded_value(decoded) == {"signal": SECRET_TEXT}


async def test_decode_refuses_callers_without_a_token_or_with_a_rejected_one(
    api: ApiStack,
) -> None:
    body = await _encrypted_body()
    for token in (None, "tok-nobody"):
        async with api.client(token) as http:
            response = await http.post("/codec/decode", json=body, headers=UI_HEADERS)
        assert response.status_code == 401
        assert SECRET_TEXT not in response.text


async def test_the_web_ui_decodes_with_the_dashboard_session_cookie(api: ApiStack) -> None:
    """The Web UI's "Include cross-origin credentials" sends our session cookie."""
    body = await _encrypted_body()
    async with signed_in(api) as browser:
        response = await browser.post("/codec/decode", json=body, headers=UI_HEADERS)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == UI_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert await _decoded_value(response) == SECRET_TEXT


async def test_a_tampered_payload_answers_422_and_no_text(api: ApiStack) -> None:
    body = await _encrypted_body()
    data = body["payloads"][0]["data"]
    body["payloads"][0]["data"] = ("A" if data[0] != "A" else "B") + data[1:]
    async with api.client() as http:
        response = await http.post("/codec/decode", json=body)
        garbage = await http.post("/codec/decode", content=b"{not json", headers=UI_HEADERS)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "UNDECRYPTABLE_PAYLOAD"
    assert garbage.status_code == 400


async def test_preflight_is_allowed_for_the_web_ui_origin_only(api: ApiStack) -> None:
    """The exact preflight Chromium sends before the Web UI's credentialed codec fetch."""
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:
        ui = await http.options("/codec/decode", headers={**preflight, "Origin": UI_ORIGIN})
        other = await http.options(
            "/codec/decode", headers={**preflight, "Origin": "https://evil.example"}
        )
        api_route = await http.options(
            "/role/10/candidate/1001/campaign", headers={**preflight, "Origin": UI_ORIGIN}
        )
    assert ui.status_code == 200
    assert ui.headers["access-control-allow-origin"] == UI_ORIGIN
    assert ui.headers["access-control-allow-credentials"] == "true"
    assert "x-namespace" in ui.headers["access-control-allow-headers"].lower()
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in api_route.headers


async def test_another_origin_cannot_read_a_decode_answer(api: ApiStack) -> None:
    body = await _encrypted_body()
    async with api.client() as http:
        response = await http.post(
            "/codec/decode", json=body, headers={"Origin": "https://evil.example"}
        )
    assert "access-control-allow-origin" not in response.headers
