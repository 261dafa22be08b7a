"""The dashboard's server-side sessions over HTTP on the real app: a copied cookie stops working
at sign-out, the token is stored encrypted, and expired sessions are deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from api.dashboard.session import COOKIE_NAME
from db.models import DashboardSession
from tests.api.conftest import ApiStack
from tests.dashboard.helpers import csrf_of, http_browser, signed_in


async def test_a_copied_cookie_gets_the_sign_in_page_after_sign_out(stack: ApiStack) -> None:
    async with signed_in(stack) as http:
        page = await http.get("/dashboard")
        assert page.status_code == 200
        copied = http.cookies[COOKIE_NAME]
        signed_out = await http.post("/dashboard/logout", data={"csrf": csrf_of(page)})
        assert signed_out.status_code == 303
    async with http_browser(stack) as thief:
        thief.cookies.set(COOKIE_NAME, copied)
        again = await thief.get("/dashboard")
        assert (again.status_code, again.headers["location"]) == (303, "/dashboard/login")
        sign_in_page = await thief.get("/dashboard/login")
        assert sign_in_page.status_code == 200 and "Your platform token" in sign_in_page.text
        live = await thief.get("/dashboard/roles/10/live", headers={"X-Dashboard-Live": "1"})
        assert live.status_code == 401


async def test_the_session_row_holds_the_token_encrypted_and_the_cookie_holds_neither(
    stack: ApiStack,
) -> None:
    async with signed_in(stack) as http:
        cookie = http.cookies[COOKIE_NAME]
    async with stack.sessions() as session:
        rows = (await session.execute(sa.select(DashboardSession))).scalars().all()
    assert len(rows) == 1
    assert rows[0].user_id == 1
    assert "tok-andreas" not in rows[0].token_ciphertext
    assert "tok-andreas" not in cookie and rows[0].id_hash not in cookie


async def test_expired_sessions_are_deleted_at_the_next_sign_in(stack: ApiStack) -> None:
    now = datetime.now(UTC)
    async with stack.sessions() as session:
        session.add(
            DashboardSession(
                id_hash="0" * 64,
                user_id=1,
                token_ciphertext="expired",
                created_at=now - timedelta(days=2),
                expires_at=now - timedelta(days=1),
            )
        )
        await session.commit()
    async with signed_in(stack):
        pass
    async with stack.sessions() as session:
        hashes = (await session.execute(sa.select(DashboardSession.id_hash))).scalars().all()
    assert "0" * 64 not in hashes and len(hashes) == 1


async def test_every_sign_in_is_its_own_session(stack: ApiStack) -> None:
    async with signed_in(stack) as first, signed_in(stack) as second:
        page = await first.get("/dashboard")
        await first.post("/dashboard/logout", data={"csrf": csrf_of(page)})
        assert (await second.get("/dashboard")).status_code == 200
