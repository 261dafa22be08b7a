"""The session cookie and CSRF tokens (stdlib HMAC), and where sign-in may send the browser."""

from __future__ import annotations

from api.dashboard.access import safe_next
from api.dashboard.session import (
    SESSION_MAX_AGE_SECONDS,
    csrf_matches,
    csrf_token,
    read_session,
    sign_session,
)

SECRET = "test-session-secret"
NOW = 1_750_000_000.0


def test_a_signed_session_reads_back_its_token() -> None:
    cookie = sign_session(SECRET, "tok-andreas", now=NOW)
    assert read_session(SECRET, cookie, now=NOW + 60) == "tok-andreas"


def test_a_session_signed_with_another_secret_or_edited_is_refused() -> None:
    cookie = sign_session(SECRET, "tok-andreas", now=NOW)
    version, token, issued, nonce, signature = cookie.split(".")
    bea = sign_session(SECRET, "tok-bea", now=NOW).split(".")[1]
    assert read_session("another-secret", cookie, now=NOW) is None
    for edited in (
        f"{version}.{bea}.{issued}.{nonce}.{signature}",
        f"{version}.{token}.{int(NOW) + 9}.{nonce}.{signature}",
        f"{version}.{token}.{issued}.AAAA.{signature}",
        f"{version}.{token}.{issued}.{nonce}.{signature[:-2]}",
    ):
        assert read_session(SECRET, edited, now=NOW) is None


def test_an_old_session_expires() -> None:
    cookie = sign_session(SECRET, "tok-andreas", now=NOW)
    assert read_session(SECRET, cookie, now=NOW + SESSION_MAX_AGE_SECONDS) == "tok-andreas"
    assert read_session(SECRET, cookie, now=NOW + SESSION_MAX_AGE_SECONDS + 1) is None


def test_garbage_cookies_are_no_session() -> None:
    for cookie in (
        None,
        "",
        "v1",
        "v1....",
        "v2.dG9r.1.bm9uY2U.c2ln",
        "v1.!!!.1.bm9uY2U.@@",
        "v1.dG9r.x.bm9uY2U.c2ln",
        "v1.dG9r.1.c2ln",
    ):
        assert read_session(SECRET, cookie, now=NOW) is None


def test_csrf_token_belongs_to_one_session() -> None:
    first = sign_session(SECRET, "tok-andreas", now=NOW)
    second = sign_session(SECRET, "tok-andreas", now=NOW)  # the same user, the same second
    assert csrf_matches(SECRET, first, csrf_token(SECRET, first))
    assert not csrf_matches(SECRET, second, csrf_token(SECRET, first))
    assert not csrf_matches(SECRET, first, "")
    assert not csrf_matches(SECRET, None, csrf_token(SECRET, first))
    # The token is not the session's signature: one cannot stand in for the other.
    assert csrf_token(SECRET, first) != first.rsplit(".", 1)[1]


def test_sign_in_only_sends_the_browser_on_to_a_dashboard_page() -> None:
    assert safe_next("/dashboard/roles/10?status=RUNNING") == "/dashboard/roles/10?status=RUNNING"
    for target in (
        "",
        None,
        "https://evil.example/dashboard",
        "//evil.example/dashboard",
        "/\\evil.example",
        "/docs",
        "/dashboard/login",
    ):
        assert safe_next(target) == "/dashboard"
