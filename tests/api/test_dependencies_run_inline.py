"""Every dependency of every route is a coroutine: FastAPI runs a plain `def` dependency in its
thread pool, a thread hop per request (api/deps.py)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.app import create_app


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.130)
            yield from _routes(route.original_router.routes)


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependencies(sub)


def _runs_inline(call: Any) -> bool:
    function = call if inspect.isroutine(call) else type(call).__call__  # or a callable object
    return inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)


def test_no_route_depends_on_a_plain_function() -> None:
    routes = list(_routes(create_app().routes))
    assert len(routes) > 30  # the API's and the dashboard's, not an empty walk
    called = {call for route in routes for call in _dependencies(route.dependant)}
    assert len(called) >= 8
    assert [
        getattr(call, "__qualname__", repr(call)) for call in called if not _runs_inline(call)
    ] == []
