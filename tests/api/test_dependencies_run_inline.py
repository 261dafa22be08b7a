"""Every dependency of every route is a coroutine: FastAPI runs a plain `def` dependency in its
thread pool, a thread hop per request (api/deps.py)."""

from __future__ import annotations

from api.app import create_app
from tests.support.route_dependencies import dependencies_called, routes_of, runs_in_thread_pool


def test_no_route_depends_on_a_plain_function() -> None:
    routes = routes_of(create_app())
    assert len(routes) > 30  # the API's and the dashboard's, not an empty walk
    called = dependencies_called(routes)
    assert len(called) >= 8
    assert [
        getattr(call, "__qualname__", repr(call)) for call in called if runs_in_thread_pool(call)
    ] == []
