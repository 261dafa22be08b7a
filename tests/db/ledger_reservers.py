"""A second process that reserves send slots, for the ledger's cross-process test.

`python -m tests.db.ledger_reservers URL USER_ID CAMPAIGN_PREFIX COUNT NOW` reserves COUNT
email slots for USER_ID at once, each for its own campaign, and prints how many it got.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime

from campaigns.definition import MessageChannel
from campaigns.sending_limits import ReserveRequest
from db.engine import create_engine, create_session_factory
from db.send_ledger import reserve


async def main(url: str, user_id: int, prefix: str, count: int, now: datetime) -> None:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    try:
        answers = await asyncio.gather(
            *(
                reserve(
                    sessions,
                    ReserveRequest(
                        campaign_id=f"{prefix}-{n}",
                        node_id=1,
                        user_id=user_id,
                        channel=MessageChannel.EMAIL,
                    ),
                    now=now,
                )
                for n in range(count)
            )
        )
    finally:
        await engine.dispose()
    sys.stdout.write(json.dumps([answer.status.value for answer in answers]) + "\n")


if __name__ == "__main__":
    url, user_id, prefix, count, now = sys.argv[1:6]
    asyncio.run(main(url, int(user_id), prefix, int(count), datetime.fromisoformat(now)))
