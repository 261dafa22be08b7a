"""The dashboard's session cookie and CSRF tokens, on maintained libraries.

The cookie holds only a random session id, signed with `settings.session_secret`
(itsdangerous, timestamped: a cookie older than 12 h is refused before the database is asked).
The session itself is a row (`db.dashboard_sessions`) keyed by a SHA-256 of the id, holding the
user's platform token encrypted with Fernet (`settings.session_encryption_keys`, the first key
encrypts, every key decrypts). Sign-out deletes the row, so a copied cookie stops working at
once. The cookie is HTTP-only (page scripts cannot read it) and SameSite=Lax (other sites'
forms and scripts do not send it). The token is still checked with the platform on every request
(cached briefly by `api.platform_access.resolve_user`), so a token the platform revokes stops
working too.

A form that changes something carries a CSRF token: the session id's hash signed under another
salt, so it changes with every sign-in and cannot be forged without the secret. A POST whose
token does not match the cookie's session is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from itsdangerous import BadSignature, TimestampSigner, URLSafeSerializer

COOKIE_NAME = "ce_session"
SESSION_MAX_AGE_SECONDS = 12 * 3600
_SESSION_SALT = "campaign-executor/dashboard-session"
_CSRF_SALT = "campaign-executor/dashboard-csrf"


@dataclass(frozen=True)
class NewSession:
    cookie: str
    id_hash: str


class SessionKeys:
    """Signs cookies and CSRF tokens, and encrypts the tokens sessions keep."""

    def __init__(self, secret: str, encryption_keys: str) -> None:
        self._cookies = TimestampSigner(secret, salt=_SESSION_SALT)
        self._csrf = URLSafeSerializer(secret, salt=_CSRF_SALT)
        self._fernet = MultiFernet([Fernet(key) for key in encryption_keys.split(",")])

    def new_session(self) -> NewSession:
        session_id = secrets.token_urlsafe(32)
        return NewSession(self._cookies.sign(session_id).decode(), _hash(session_id))

    def id_hash(self, cookie: str | None) -> str | None:
        """The session row's key for a cookie we signed that is not too old; None otherwise."""
        if not cookie:
            return None
        try:
            session_id = self._cookies.unsign(cookie, max_age=SESSION_MAX_AGE_SECONDS)
        except BadSignature:  # also SignatureExpired
            return None
        return _hash(session_id.decode())

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, ciphertext: str) -> str | None:
        """The token, or None when no key of ours decrypts it (a key retired since)."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            return None

    def csrf_token(self, id_hash: str) -> str:
        return self._csrf.dumps(id_hash)

    def csrf_matches(self, id_hash: str | None, submitted: str | None) -> bool:
        if not id_hash or not submitted:
            return False
        try:
            signed_for = self._csrf.loads(submitted)
        except BadSignature:
            return False
        return isinstance(signed_for, str) and secrets.compare_digest(signed_for, id_hash)


@lru_cache(maxsize=8)
def session_keys(secret: str, encryption_keys: str) -> SessionKeys:
    """One `SessionKeys` per configuration (Fernet and signer setup are not free)."""
    return SessionKeys(secret, encryption_keys)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()
