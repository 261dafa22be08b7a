"""The session cookie and CSRF tokens (itsdangerous, Fernet), and where sign-in may send the
browser. The server-side store behind the cookie: test_server_sessions.py."""

from __future__ import annotations

import pytest
from itsdangerous import TimestampSigner

from api.dashboard.access import safe_next
from api.dashboard.session import SESSION_MAX_AGE_SECONDS, SessionKeys
from config import DEV_SESSION_ENCRYPTION_KEY

SECRET = "test-session-secret"
OTHER_KEY = "b3RoZXIta2V5LWZvci10aGUtc2Vzc2lvbnMtdGVzdHM="
NOW = 1_750_000_000


def test_a_signed_cookie_names_its_session_and_nothing_else() -> None:
    keys = SessionKeys(SECRET, DEV_SESSION_ENCRYPTION_KEY)
    first, second = keys.new_session(), keys.new_session()
    assert keys.id_hash(first.cookie) == first.id_hash
    assert first.id_hash != second.id_hash
    # The cookie is the id and its signature: no token, no user in it.
    assert "tok" not in first.cookie and first.id_hash not in first.cookie


def test_a_cookie_signed_with_another_secret_or_edited_is_refused() -> None:
    keys = SessionKeys(SECRET, DEV_SESSION_ENCRYPTION_KEY)
    cookie = keys.new_session().cookie
    assert SessionKeys("another-secret", DEV_SESSION_ENCRYPTION_KEY).id_hash(cookie) is None
    session_id, stamp, signature = cookie.split(".")
    for edited in (
        f"{_edit_last(session_id)}.{stamp}.{signature}",
        f"{session_id}.{_edit_last(stamp)}.{signature}",
        f"{session_id}.{stamp}.{signature[:-2]}",
        None,
        "",
        "garbage",
        "a.b.c",
    ):
        assert keys.id_hash(edited) is None


def _edit_last(part: str) -> str:
    """`part` with its last character changed (to one it is not: an edit that changes nothing
    would leave a valid cookie)."""
    return part[:-1] + ("B" if part.endswith("A") else "A")


def test_an_old_cookie_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = SessionKeys(SECRET, DEV_SESSION_ENCRYPTION_KEY)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: NOW)
    started = keys.new_session()
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: NOW + SESSION_MAX_AGE_SECONDS
    )
    assert keys.id_hash(started.cookie) == started.id_hash
    monkeypatch.setattr(
        TimestampSigner, "get_timestamp", lambda self: NOW + SESSION_MAX_AGE_SECONDS + 1
    )
    assert keys.id_hash(started.cookie) is None


def test_tokens_are_encrypted_and_keys_rotate() -> None:
    old = SessionKeys(SECRET, DEV_SESSION_ENCRYPTION_KEY)
    ciphertext = old.encrypt("tok-andreas")
    assert "tok-andreas" not in ciphertext
    rotated = SessionKeys(SECRET, f"{OTHER_KEY},{DEV_SESSION_ENCRYPTION_KEY}")
    assert rotated.decrypt(ciphertext) == "tok-andreas"  # the old key still decrypts
    assert SessionKeys(SECRET, OTHER_KEY).decrypt(ciphertext) is None  # once retired, no longer


def test_csrf_token_belongs_to_one_session() -> None:
    keys = SessionKeys(SECRET, DEV_SESSION_ENCRYPTION_KEY)
    first, second = keys.new_session(), keys.new_session()
    assert keys.csrf_matches(first.id_hash, keys.csrf_token(first.id_hash))
    assert not keys.csrf_matches(second.id_hash, keys.csrf_token(first.id_hash))
    assert not keys.csrf_matches(first.id_hash, "")
    assert not keys.csrf_matches(None, keys.csrf_token(first.id_hash))
    forged = SessionKeys("another-secret", DEV_SESSION_ENCRYPTION_KEY).csrf_token(first.id_hash)
    assert not keys.csrf_matches(first.id_hash, forged)


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
