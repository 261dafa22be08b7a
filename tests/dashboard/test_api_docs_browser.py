"""The API's Swagger UI in Chromium with no network beyond this machine: its assets come from
us, Authorize takes a platform token, and Try-it-out makes an authenticated call."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from playwright.async_api import Page, Route, expect

from tests.api.conftest import ApiStack
from tests.dashboard.helpers import requires_chromium

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@requires_chromium
async def test_swagger_try_it_out_makes_an_authenticated_call_offline(
    stack: ApiStack, page: Page
) -> None:
    left_the_machine: list[str] = []

    async def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            left_the_machine.append(route.request.url)
            await route.abort()

    await page.context.route("**/*", only_local)
    await page.goto(f"{stack.url}/docs")
    await expect(page.get_by_text("Campaign Executor", exact=False).first).to_be_visible()

    await page.locator("button.authorize").first.click()
    await page.locator(".auth-container input").fill("tok-andreas")
    await page.locator(".auth-btn-wrapper button.authorize").click()
    await page.locator(".auth-btn-wrapper button.btn-done").click()

    operation = page.locator(
        "#operations-campaigns-list_role_campaigns_role__roleId__campaigns_get"
    )
    await operation.locator(".opblock-summary").click()
    await operation.get_by_role("button", name="Try it out").click()
    await operation.locator('input[placeholder="roleId"]').fill("10")
    async with page.expect_response(lambda r: "/role/10/campaigns" in r.url) as answered:
        await operation.get_by_role("button", name="Execute").click()
    response = await answered.value
    assert response.status == 200
    assert (await response.request.all_headers())["authorization"] == "Bearer tok-andreas"
    await expect(
        operation.locator(".live-responses-table tbody .response-col_status")
    ).to_have_text("200")
    assert left_the_machine == []


async def test_the_openapi_document_declares_bearer_auth_webhook_bodies_and_error_codes(
    stack: ApiStack,
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        spec = (await http.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["PlatformToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["PlatformToken"]["description"],
    }
    put = spec["paths"]["/role/{roleId}/candidate/{candidateId}/campaign"]["put"]
    assert put["security"] == [{"PlatformToken": []}]
    conflicts = put["responses"]["409"]["content"]["application/json"]["examples"]
    assert {"CAMPAIGN_ACTIVE", "CANDIDATE_BUSY"} <= set(conflicts)
    assert "RATE_LIMITED" in put["responses"]["429"]["content"]["application/json"]["examples"]
    for path in ("/webhooks/reply", "/webhooks/channel"):
        body = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"]["properties"] and body["examples"]
        refs = [v.get("$ref") for v in body["schema"]["properties"].values() if "$ref" in v]
        assert all(ref.rsplit("/", 1)[1] in spec["components"]["schemas"] for ref in refs)
