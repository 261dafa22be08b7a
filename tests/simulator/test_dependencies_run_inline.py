"""The simulator's route dependencies are coroutines too (simulator/deps.py): a thread hop per
dependency and request was most of the simulator's CPU per request, on the machine the
benchmarks measure Campaign Executor on."""

from __future__ import annotations

from simulator.app import create_app
from tests.support.route_dependencies import dependencies_called, routes_of, runs_in_thread_pool


def test_no_simulator_route_depends_on_a_plain_function() -> None:
    routes = routes_of(create_app())
    assert len(routes) > 25  # the platform's, the control API's and the events inbox's
    called = dependencies_called(routes)
    assert {call.__name__ for call in called} >= {"get_state", "current_user"}
    assert [call.__qualname__ for call in called if runs_in_thread_pool(call)] == []
