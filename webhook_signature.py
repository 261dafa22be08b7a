"""Signs and verifies webhooks: HMAC-SHA256 over `"{timestamp}." + raw body`. The platform's
webhooks to us are verified with it and our events to the platform signed with it (activities
and API both use it, so it belongs to neither)."""

from __future__ import annotations

import hashlib
import hmac
import time


class BadSignature(Exception):
    pass


def expected_signature(secret: str, timestamp: str, raw_body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    raw_body: bytes,
    *,
    max_age_seconds: int,
    now: float | None = None,
) -> None:
    """Raise `BadSignature` (with the reason) unless the signature is valid and recent."""
    if not timestamp or not signature:
        raise BadSignature("X-Signature-Timestamp and X-Signature headers are required")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise BadSignature("X-Signature-Timestamp is not a Unix time in seconds") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > max_age_seconds:
        raise BadSignature("the signature is too old (or from the future)")
    if not hmac.compare_digest(expected_signature(secret, timestamp, raw_body), signature):
        raise BadSignature("the signature does not match")
