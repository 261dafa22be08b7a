"""The dependencies a FastAPI app's routes call, and whether FastAPI runs each inline: it runs a
plain `def` dependency in its thread pool, a thread hop per request (api/deps.py)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


def routes_of(app: FastAPI) -> list[APIRoute]:
    return list(_routes(app.routes))


def dependencies_called(routes: list[APIRoute]) -> set[Any]:
    return {call for route in routes for call in _dependencies(route.dependant)}


def runs_in_thread_pool(call: Any) -> bool:
    function = call if inspect.isroutine(call) else type(call).__call__  # or a callable object
    return not (inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function))


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
