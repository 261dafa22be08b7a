"""The role page's reads on SQLite and PostgreSQL: counts from one grouped query over each
candidate's latest campaign, the narrow filter read, the channel holds, and paging and search
through the real app and simulator (role 12: 300 generated candidates, ids 5000-5299)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.dashboard import role_page
from db import role_page_queries
from db.engine import SessionFactory
from db.role_page_queries import LatestStates
from tests.api.conftest import make_settings
from tests.dashboard.helpers import csrf_of
from tests.dashboard.role_seed import SeedCampaign, seed
from tests.support.api_server import serve
from tests.support.read_only_services import read_only_services

ROLE, OTHER_ROLE = 12, 10
FIRST = 5000


async def test_counts_come_from_each_candidates_latest_campaign_of_the_user(
    engine: AsyncEngine, sessions: SessionFactory
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=40)
    await seed(
        engine,
        [
            # An old cancelled campaign and a newer running one: only the newer counts.
            SeedCampaign(FIRST, "CANCELLED", ROLE, created_at=long_ago),
            SeedCampaign(FIRST, "RUNNING", ROLE),
            SeedCampaign(FIRST + 1, "RUNNING", ROLE),
            SeedCampaign(
                FIRST + 2,
                "WAITING_FOR_CHANNEL",
                ROLE,
                waiting_channel_type="LINKEDIN",
                waiting_cause="LOGGED_OUT",
            ),
            SeedCampaign(
                FIRST + 3,
                "WAITING_FOR_CHANNEL",
                ROLE,
                waiting_channel_type="LINKEDIN",
                waiting_cause="LOGGED_OUT",
            ),
            SeedCampaign(FIRST + 4, "REPLIED", ROLE),
            # Another user's latest campaign: the candidate has none of the caller's.
            SeedCampaign(FIRST + 5, "COMPLETED", ROLE, created_at=long_ago),
            SeedCampaign(FIRST + 5, "RUNNING", ROLE, owner_user_id=2),
            # Another role of the same user: not this role's.
            SeedCampaign(1001, "RUNNING", OTHER_ROLE),
        ],
    )
    async with sessions() as session:
        counts = await role_page_queries.status_counts(session, ROLE, 1)
        running = await role_page_queries.latest_states(session, ROLE, 1, ["RUNNING"])
        everything = await role_page_queries.latest_states(session, ROLE, 1)
        second_page = await role_page_queries.latest_states(session, ROLE, 1, page=(2, 2))
        of_some = await role_page_queries.latest_states(
            session, ROLE, 1, candidate_ids=[FIRST, FIRST + 5, FIRST + 6]
        )
        holds = await role_page_queries.channel_holds(session, ROLE, 1)
        elsewhere = await role_page_queries.active_in_other_roles(
            session, 1, ROLE, [1001, FIRST + 6]
        )

    assert counts == {"RUNNING": 2, "WAITING_FOR_CHANNEL": 2, "REPLIED": 1}
    assert sorted(running.statuses) == [FIRST, FIRST + 1]
    assert sorted(everything.statuses) == [FIRST + i for i in range(5)]
    assert everything.statuses[FIRST] == "RUNNING"  # the newer campaign, not the cancelled one
    assert list(second_page.statuses.items()) == [
        (FIRST + 2, "WAITING_FOR_CHANNEL"),
        (FIRST + 3, "WAITING_FOR_CHANNEL"),
    ]
    assert list(of_some.statuses) == [FIRST]  # FIRST + 5's latest is another user's
    assert [(h.channel_type, h.cause, h.campaigns) for h in holds] == [
        ("LINKEDIN", "LOGGED_OUT", 2)
    ]
    assert elsewhere == {1001: OTHER_ROLE}


async def test_the_database_pages_by_next_action_soonest_first_and_none_last(
    engine: AsyncEngine, sessions: SessionFactory
) -> None:
    await seed(
        engine,
        [
            SeedCampaign(FIRST, "RUNNING", ROLE, next_in_minutes=30),
            SeedCampaign(FIRST + 1, "COMPLETED", ROLE, next_in_minutes=None),
            SeedCampaign(FIRST + 2, "RUNNING", ROLE, next_in_minutes=10),
            SeedCampaign(FIRST + 3, "RUNNING", ROLE, next_in_minutes=30),  # ties: by candidate
            SeedCampaign(FIRST + 4, "PAUSED", ROLE, next_in_minutes=None),
            SeedCampaign(FIRST + 5, "RUNNING", ROLE, next_in_minutes=-5),  # overdue: first
        ],
    )
    async with sessions() as session:

        async def page(offset: int, statuses: list[str] | None = None) -> LatestStates:
            return await role_page_queries.latest_states(
                session, ROLE, 1, statuses, page=(offset, 3), by_next_action=True
            )

        first, second, running = await page(0), await page(3), await page(0, ["RUNNING"])

    assert list(first.statuses) == [FIRST + 5, FIRST + 2, FIRST]
    assert list(second.statuses) == [FIRST + 3, FIRST + 1, FIRST + 4]
    assert second.next_action_at[FIRST + 1] is None
    assert first.next_action_at[FIRST + 5] < first.next_action_at[FIRST + 2]
    assert list(running.statuses) == [FIRST + 5, FIRST + 2, FIRST]


@pytest.fixture
async def role_app(database_url: str, engine: AsyncEngine, simulator: str) -> AsyncIterator[str]:
    """The app over HTTP on this test's database; no worker (these pages only read)."""
    settings = make_settings(database_url, simulator, "unused")
    services = await read_only_services(settings, engine, simulator, platform_timeout=30)
    try:
        async with serve(create_app(settings, services)) as url:
            yield url
    finally:
        await services.platform.aclose()


def _candidate_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'id="pick-(\d+)"', html)]


async def test_pages_filters_and_search_on_the_server(
    role_app: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 120 campaigns: every even candidate 5000..5238 running, every 8th candidate replied.
    await seed(
        engine,
        [
            SeedCampaign(
                FIRST + i, "REPLIED" if i % 8 == 0 else "RUNNING", ROLE, next_in_minutes=300 - i
            )
            for i in range(0, 240, 2)
        ],
    )
    async with httpx.AsyncClient(base_url=role_app, timeout=30) as http:
        signed = await http.post("/dashboard/login", data={"token": "tok-andreas"})
        assert signed.status_code == 303, signed.text
        first = await http.get(f"/dashboard/roles/{ROLE}")
        assert first.status_code == 200, first.text
        # Default: with a campaign, 50 a page, by candidate.
        assert _candidate_ids(first.text) == [FIRST + i for i in range(0, 100, 2)]
        assert "1–50 of 120 candidates" in first.text
        assert re.search(r"With a campaign <span class=\"chip__count\">120<", first.text)
        assert re.search(r"Not contacted <span class=\"chip__count\">180<", first.text)
        assert re.search(r"Replied <span class=\"chip__count\">30<", first.text)

        third = await http.get(f"/dashboard/roles/{ROLE}", params={"page": "3"})
        assert _candidate_ids(third.text) == [FIRST + i for i in range(200, 240, 2)]
        assert "Page 3 of 3" in third.text

        everyone = await http.get(f"/dashboard/roles/{ROLE}", params={"status": "ALL", "page": "2"})
        assert _candidate_ids(everyone.text) == [FIRST + i for i in range(50, 100)]
        assert "51–100 of 300 candidates" in everyone.text
        past_the_end = await http.get(f"/dashboard/roles/{ROLE}", params={"page": "9"})
        assert _candidate_ids(past_the_end.text) == [FIRST + i for i in range(200, 240, 2)]

        # By next action (soonest first): the database pages it, like the default order.
        for number, newest in ((1, 238), (2, 138), (3, 38)):
            by_next = await http.get(
                f"/dashboard/roles/{ROLE}", params={"sort": "next_action", "page": str(number)}
            )
            assert _candidate_ids(by_next.text) == [
                FIRST + i for i in range(newest, max(newest - 100, -1), -2)
            ], number
        # With a search it is sorted among the matches; those without a campaign come last.
        alex_by_next = await http.get(
            f"/dashboard/roles/{ROLE}", params={"status": "ALL", "q": "alex", "sort": "next_action"}
        )
        assert _candidate_ids(alex_by_next.text) == [
            *(FIRST + i for i in range(220, -1, -20)),
            *(FIRST + i for i in (240, 260, 280)),
        ]

        replied = await http.get(f"/dashboard/roles/{ROLE}", params={"status": "REPLIED"})
        assert _candidate_ids(replied.text) == [FIRST + i for i in range(0, 240, 8)]

        not_contacted = [FIRST + i for i in range(300) if i % 2 or i >= 240]
        pages = []
        for number in range(1, 5):
            answer = await http.get(
                f"/dashboard/roles/{ROLE}", params={"status": "NONE", "page": str(number)}
            )
            pages += _candidate_ids(answer.text)
        assert pages == not_contacted

        # The generated names cycle through 20 first names: "Alex" is every 20th candidate.
        alex = await http.get(f"/dashboard/roles/{ROLE}", params={"status": "ALL", "q": "alex"})
        assert _candidate_ids(alex.text) == [FIRST + i for i in range(0, 300, 20)]
        # A search matching many names reads every candidate's state instead of the matches'
        # only: the same rows either way.
        searches = [
            {"status": "ALL", "q": "alex"},
            {"status": "ALL", "q": "alex", "sort": "next_action"},
            {"status": "NONE", "q": "alex"},
            {"status": "RUNNING", "q": "alex"},
        ]
        few = [await http.get(f"/dashboard/roles/{ROLE}", params=p) for p in searches]
        monkeypatch.setattr(role_page, "SEARCH_READ_LIMIT", 5)
        many = [await http.get(f"/dashboard/roles/{ROLE}", params=p) for p in searches]
        assert [_candidate_ids(a.text) for a in many] == [_candidate_ids(a.text) for a in few]
        assert _candidate_ids(few[2].text) == [FIRST + i for i in (240, 260, 280)]
        assert _candidate_ids(few[3].text) == [FIRST + i for i in range(20, 240, 40)]

        exported = await http.get(
            f"/dashboard/roles/{ROLE}/export.csv", params={"status": "REPLIED"}
        )
        assert exported.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(exported.text)))
        assert lines[0][:3] == ["Candidate ID", "First name", "Last name"]
        assert [int(line[0]) for line in lines[1:]] == [FIRST + i for i in range(0, 240, 8)]
        assert {line[5] for line in lines[1:]} == {"Replied"}

        # Bulk actions: a POST without the page's CSRF token, or with a bad field, changes
        # nothing and says which field.
        bulk = f"/dashboard/roles/{ROLE}/bulk"
        forged = await http.post(bulk, data={"action": "cancel", "scope": "filter"})
        assert forged.status_code == 403
        token = csrf_of(first)
        for form, field in (
            ({"action": "explode", "scope": "filter"}, "action"),
            ({"action": "cancel", "scope": "everything"}, "scope"),
            ({"action": "cancel", "scope": "selected"}, "candidate"),
            ({"action": "cancel", "scope": "selected", "candidate": "x1"}, "candidate"),
        ):
            refused = await http.post(bulk, data={"csrf": token, **form})
            assert refused.status_code == 422, form
            assert f"{field}: " in refused.text, form
        after = await http.get(f"/dashboard/roles/{ROLE}")
        assert re.search(r"With a campaign <span class=\"chip__count\">120<", after.text)

        for bad, field in (
            ({"status": "NOPE"}, "status"),
            ({"page": "0"}, "page"),
            ({"sort": "name"}, "sort"),
            ({"q": "x" * 101}, "q"),
        ):
            refused = await http.get(f"/dashboard/roles/{ROLE}", params=bad)
            assert refused.status_code == 422, bad
            assert f"{field}: " in refused.text
