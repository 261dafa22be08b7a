"""Helpers of the dashboard tests: the browser, signing in, and campaigns over the real API."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from tests.api.conftest import ApiStack
from tests.support.campaigns import BRIEF_EXAMPLE, eventually

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"browser test skipped: {CHROMIUM} is missing (`make browser` installs Debian's "
    "chromium package)",
)


def campaign_path(role_id: int, candidate_id: int) -> str:
    return f"/role/{role_id}/candidate/{candidate_id}/campaign"


class Campaigns:
    """Starts campaigns through the API's PUT, as the platform does, and ends them afterwards."""

    def __init__(self, api: ApiStack) -> None:
        self.api = api
        self._started: list[tuple[int, int]] = []

    async def start(
        self, role_id: int, candidate_id: int, definition: dict[str, Any] = BRIEF_EXAMPLE
    ) -> dict[str, Any]:
        async with self.api.client() as http:
            response = await http.put(campaign_path(role_id, candidate_id), json=definition)
        assert response.status_code == 201, response.text
        self._started.append((role_id, candidate_id))
        return response.json()

    async def view(self, role_id: int, candidate_id: int) -> dict[str, Any] | None:
        async with self.api.client() as http:
            response = await http.get(campaign_path(role_id, candidate_id))
        return response.json() if response.status_code == 200 else None

    async def until(
        self, role_id: int, candidate_id: int, status: str, steps_done: int = 0
    ) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            view = await self.view(role_id, candidate_id)
            if view and view["status"] == status and view["stepsDone"] >= steps_done:
                return view
            return None

        return await eventually(reached)

    async def end_all(self) -> None:
        """Cancel, as the platform would, what the test left running (its Temporal server
        ends with it anyway)."""
        async with self.api.client() as http:
            for role_id, candidate_id in self._started:
                await http.delete(campaign_path(role_id, candidate_id))


async def sign_in(page: Page, url: str, token: str = "tok-andreas") -> None:
    """Fill the sign-in form the page shows (after the redirect to it)."""
    await page.goto(url)
    await page.get_by_label("Platform token").fill(token)
    await page.get_by_role("button", name="Sign in").click()


def http_browser(stack: ApiStack) -> httpx.AsyncClient:
    """A plain HTTP client that keeps cookies and shows redirects, as a browser gets them."""
    return httpx.AsyncClient(base_url=stack.url, follow_redirects=False, timeout=30)


@asynccontextmanager
async def signed_in(
    stack: ApiStack, token: str = "tok-andreas"
) -> AsyncIterator[httpx.AsyncClient]:
    async with http_browser(stack) as http:
        response = await http.post("/dashboard/login", data={"token": token})
        assert response.status_code == 303, response.text
        yield http


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)
