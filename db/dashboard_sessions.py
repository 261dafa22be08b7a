"""The dashboard's server-side sessions (`DashboardSession` rows): create, find, end, clean up.

Keyword-only functions over an `AsyncSession`; what the row holds (an id's hash, an encrypted
token) is decided by `api.dashboard.session`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DashboardSession


async def create(
    session: AsyncSession,
    *,
    id_hash: str,
    user_id: int,
    token_ciphertext: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Store a new session, and delete every expired one while at it (sign-ins are rare)."""
    await delete_expired(session, now=now)
    session.add(
        DashboardSession(
            id_hash=id_hash,
            user_id=user_id,
            token_ciphertext=token_ciphertext,
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.commit()


async def find(session: AsyncSession, *, id_hash: str, now: datetime) -> DashboardSession | None:
    """The session if it exists and has not expired."""
    row = await session.get(DashboardSession, id_hash)
    return row if row is not None and row.expires_at > now else None


async def end(session: AsyncSession, *, id_hash: str) -> None:
    await session.execute(sa.delete(DashboardSession).where(DashboardSession.id_hash == id_hash))
    await session.commit()


async def delete_expired(session: AsyncSession, *, now: datetime) -> int:
    result = await session.execute(
        sa.delete(DashboardSession).where(DashboardSession.expires_at <= now)
    )
    return result.rowcount or 0
