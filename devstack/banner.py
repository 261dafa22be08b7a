"""The text `make dev` prints once everything answers: where to look and what to try."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from devstack.commands import url
from devstack.options import LaunchOptions

EXAMPLE_FILE = "devstack/brief_example.json"  # relative to the repository root


def _time_scale_line(scale: float) -> str:
    if scale == 1:
        return "1 (real time; DEMO_TIME_SCALE=1440 make dev makes a day last a minute)"
    return f"{scale:g} (a day of the campaign lasts {86_400 / scale:g} s)"


def render_banner(options: LaunchOptions, users: Sequence[dict[str, Any]]) -> str:
    ports = options.ports
    api = url(ports.api)
    token_lines = [
        f"    {user['token']:<14} {user['firstName']} {user['lastName']} (user {user['id']})"
        for user in users
    ]
    lines = [
        "",
        "=" * 78,
        "  Campaign Executor is running. Ctrl-C stops all of it.",
        "",
        f"  API              {api}   (docs {api}/docs, dashboard {api}/)",
        f"  Temporal Web UI  {url(ports.temporal_ui)}",
        f"  Simulator        {url(ports.simulator)}   (control API {url(ports.simulator)}/_sim)",
        f"  Temporal gRPC    127.0.0.1:{ports.temporal}",
        f"  Read model       {options.database_url}",
        f"  Time scale       {_time_scale_line(options.time_scale)}",
        "",
        "  Demo users (send `Authorization: Bearer <token>`):",
        *token_lines,
        "",
        "  Start the brief's example campaign for candidate 1001 in role 10:",
        f"    curl -X PUT {api}/role/10/candidate/1001/campaign \\",
        "      -H 'Authorization: Bearer tok-andreas' -H 'Content-Type: application/json' \\",
        f"      --data @{EXAMPLE_FILE}",
        "=" * 78,
        "",
    ]
    return "\n".join(lines)
