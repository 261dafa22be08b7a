"""The opaque `cursor` of paged listings: an offset, base64url-encoded so clients don't make
their own."""

from __future__ import annotations

import base64

from api.errors import ApiError


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The offset a cursor stands for (0 for none); 422 for one this API did not return."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        offset = int(value)
        if kind != "o" or offset < 0:
            raise ValueError(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            422,
            "INVALID_REQUEST",
            "cursor: not a cursor this API returned",
            [{"field": "cursor", "reason": "not a cursor this API returned"}],
        ) from None
    return offset
