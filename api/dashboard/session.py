"""The dashboard's session cookie and CSRF tokens, signed with HMAC-SHA256 (stdlib only).

The cookie holds the user's platform token (the same token the API takes as a Bearer token),
when it was issued and a random nonce, signed with `settings.session_secret`. It is HTTP-only
(page scripts cannot read it) and SameSite=Lax (other sites' forms and scripts do not send it).
The token is checked with the platform on every request (cached briefly by
`api.platform_access.resolve_user`), so a token the platform revokes stops working at once; the
signature only proves the cookie is ours.

A form that changes something carries a CSRF token: an HMAC of the session cookie under a
different purpose label, so it changes with every sign-in and cannot be forged without the
secret. A POST whose token does not match the cookie is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

COOKIE_NAME = "ce_session"
SESSION_MAX_AGE_SECONDS = 12 * 3600
_VERSION = "v1"
_CLOCK_SKEW_SECONDS = 60
_SESSION_PURPOSE = b"campaign-executor/dashboard-session\x00"
_CSRF_PURPOSE = b"campaign-executor/dashboard-csrf\x00"


def _mac(secret: str, purpose: bytes, message: str) -> bytes:
    return hmac.new(secret.encode(), purpose + message.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_session(secret: str, token: str, *, now: float | None = None) -> str:
    """The cookie value for a signed-in user: `v1.<token>.<issued>.<nonce>.<signature>`.

    The random nonce makes every sign-in a different session with its own CSRF token."""
    issued = int(time.time() if now is None else now)
    payload = f"{_VERSION}.{_b64(token.encode())}.{issued}.{_b64(secrets.token_bytes(12))}"
    return f"{payload}.{_b64(_mac(secret, _SESSION_PURPOSE, payload))}"


def read_session(
    secret: str,
    cookie: str | None,
    *,
    max_age_seconds: int = SESSION_MAX_AGE_SECONDS,
    now: float | None = None,
) -> str | None:
    """The platform token in a cookie we signed and that is not too old; None otherwise."""
    if not cookie:
        return None
    payload, _, signature = cookie.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 4 or parts[0] != _VERSION or not parts[1] or not parts[2].isdigit():
        return None
    _, encoded_token, issued_text, _ = parts
    try:
        if not hmac.compare_digest(_unb64(signature), _mac(secret, _SESSION_PURPOSE, payload)):
            return None
        token = _unb64(encoded_token).decode()
    except (binascii.Error, ValueError):
        return None
    age = (time.time() if now is None else now) - int(issued_text)
    if not -_CLOCK_SKEW_SECONDS <= age <= max_age_seconds or not token:
        return None
    return token


def csrf_token(secret: str, cookie: str) -> str:
    """The token the session's forms must send back."""
    return _b64(_mac(secret, _CSRF_PURPOSE, cookie))


def csrf_matches(secret: str, cookie: str | None, submitted: str | None) -> bool:
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret, cookie), submitted)
