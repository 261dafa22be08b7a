"""Who may see and change what on the dashboard, over plain HTTP against the real stack."""

from __future__ import annotations

from urllib.parse import unquote

from api.dashboard.session import COOKIE_NAME, SessionKeys
from tests.api.conftest import ApiStack
from tests.dashboard.helpers import Campaigns, csrf_of, http_browser, signed_in
from tests.support.campaigns import MILAN, ROLE_SWE

DETAIL = f"/dashboard/roles/{ROLE_SWE}/candidates/{MILAN}"


async def test_pages_send_visitors_without_a_valid_session_to_sign_in(stack: ApiStack) -> None:
    async with http_browser(stack) as http:
        front = await http.get("/")
        home = await http.get("/dashboard")
        deep = await http.get(f"/dashboard/roles/{ROLE_SWE}?status=RUNNING")
        live = await http.get(
            f"/dashboard/roles/{ROLE_SWE}/live", headers={"X-Dashboard-Live": "1"}
        )
        forger = SessionKeys("not-our-secret", stack.settings.session_encryption_keys)
        http.cookies.set(COOKIE_NAME, forger.new_session().cookie)
        forged = await http.get("/dashboard")
    assert (front.status_code, front.headers["location"]) == (307, "/dashboard")
    assert (home.status_code, home.headers["location"]) == (303, "/dashboard/login")
    assert deep.status_code == 303
    assert unquote(deep.headers["location"]) == (
        f"/dashboard/login?next=/dashboard/roles/{ROLE_SWE}?status=RUNNING"
    )
    assert live.status_code == 401
    assert forged.status_code == 303
    assert f'{COOKIE_NAME}=""' in forged.headers["set-cookie"]  # the bad cookie is dropped


async def test_sign_in_keeps_the_session_id_in_an_http_only_lax_cookie(stack: ApiStack) -> None:
    async with http_browser(stack) as http:
        refused = await http.post("/dashboard/login", data={"token": "tok-nobody"})
        cross_site = await http.post(
            "/dashboard/login",
            data={"token": "tok-andreas"},
            headers={"Origin": "https://evil.example"},
        )
        accepted = await http.post(
            "/dashboard/login",
            data={"token": "tok-andreas", "next": "https://evil.example/"},
            headers={"Origin": stack.url},
        )
        roles = await http.get("/dashboard")
    assert refused.status_code == 401
    assert "did not accept this token" in refused.text
    assert "set-cookie" not in refused.headers
    assert cross_site.status_code == 403 and "set-cookie" not in cross_site.headers
    assert (accepted.status_code, accepted.headers["location"]) == (303, "/dashboard")
    cookie = accepted.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=") and "tok-andreas" not in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/;" in cookie
    assert roles.status_code == 200 and "Your roles" in roles.text
    assert roles.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in roles.headers["content-security-policy"]


async def test_cancel_needs_the_csrf_token_of_the_session(
    stack: ApiStack, campaigns: Campaigns
) -> None:
    await campaigns.start(ROLE_SWE, MILAN)
    async with signed_in(stack) as andreas, signed_in(stack) as other_session:
        page = await andreas.get(DETAIL)
        stale = csrf_of(await other_session.get(DETAIL))
        missing = await andreas.post(f"{DETAIL}/cancel")
        wrong = await andreas.post(f"{DETAIL}/cancel", data={"csrf": stale})
        assert (missing.status_code, wrong.status_code) == (403, 403)
        assert (await campaigns.view(ROLE_SWE, MILAN))["status"] == "RUNNING"

        cancelled = await andreas.post(f"{DETAIL}/cancel", data={"csrf": csrf_of(page)})
        shown = await andreas.get(cancelled.headers["location"])
        reloaded = await andreas.get(cancelled.headers["location"])
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == DETAIL  # the notice is not in the URL…
    assert "Campaign cancelled." in shown.text  # …but shown once after the redirect
    assert "Campaign cancelled." not in reloaded.text
    assert (await campaigns.view(ROLE_SWE, MILAN))["status"] == "CANCELLED"


async def test_users_never_see_or_cancel_each_others_campaigns(
    stack: ApiStack, campaigns: Campaigns
) -> None:
    await campaigns.start(ROLE_SWE, MILAN)
    async with signed_in(stack, "tok-bea") as bea:
        roles = await bea.get("/dashboard")
        role = await bea.get(f"/dashboard/roles/{ROLE_SWE}")
        detail = await bea.get(DETAIL)
        own_role = await bea.get("/dashboard/roles/20")
        cancel = await bea.post(f"{DETAIL}/cancel", data={"csrf": csrf_of(own_role)})
    assert "Data Scientist" in roles.text and "Software Engineer" not in roles.text
    assert (role.status_code, detail.status_code, cancel.status_code) == (404, 404, 404)
    assert "Not found" in role.text
    assert "Milan" not in own_role.text
    assert (await campaigns.view(ROLE_SWE, MILAN))["status"] == "RUNNING"


async def test_sign_out_needs_the_csrf_token_and_forgets_the_session(stack: ApiStack) -> None:
    async with signed_in(stack) as http:
        page = await http.get("/dashboard")
        refused = await http.post("/dashboard/logout")
        signed_out = await http.post("/dashboard/logout", data={"csrf": csrf_of(page)})
        after = await http.get("/dashboard")
    assert refused.status_code == 403
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/dashboard/login")
    assert after.status_code == 303


async def test_an_unchanged_live_fragment_costs_a_304_without_a_body(stack: ApiStack) -> None:
    live = {"X-Dashboard-Live": "1"}
    async with signed_in(stack) as http:
        # Every candidate: the default lists only those with a campaign, and none has one.
        first = await http.get(f"/dashboard/roles/{ROLE_SWE}/live?status=ALL", headers=live)
        again = await http.get(
            f"/dashboard/roles/{ROLE_SWE}/live?status=ALL",
            headers={**live, "If-None-Match": first.headers["etag"]},
        )
    assert first.status_code == 200 and "Milan Peeters" in first.text
    assert first.headers["cache-control"] == "private, no-cache"
    assert (again.status_code, again.content) == (304, b"")
