"""The command line and environment of each process `make dev` starts (no side effects)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from devstack.options import LaunchOptions
from devstack.ports import HOST
from workflows.search_attributes import cli_flags

# The API's codec endpoint (api/routes/codec.py), which the Web UI decodes payloads with.
CODEC_PATH = "/codec"
# Requests still open at Ctrl-C (a browser's keep-alive, a slow call) must not stall the stop.
GRACEFUL_SHUTDOWN_SECONDS = "3"


@dataclass(frozen=True)
class ChildSpec:
    name: str
    command: list[str]
    env: dict[str, str]
    # Keep (not show) what it prints once asked to stop: the dev server logs a warning for
    # every connection its own internal services lose while shutting down.
    quiet_when_stopping: bool = False


def venv_binary(name: str) -> str:
    """A binary a PyPI package installed beside this interpreter (or one on PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: run `make install` (requirements-dev.txt)")
    return found


def url(port: int) -> str:
    return f"http://{HOST}:{port}"


def temporal_spec(options: LaunchOptions, environ: Mapping[str, str], binary: str) -> ChildSpec:
    command = [
        binary,
        "server",
        "start-dev",
        "--db-filename",
        str(options.temporal_db),
        "--ip",
        HOST,
        "--port",
        str(options.ports.temporal),
        "--ui-port",
        str(options.ports.temporal_ui),
        "--log-level",
        "warn",
        # The UI would otherwise fetch a newsfeed from the internet on every page.
        "--ui-disable-news-fetch",
        # Payloads are encrypted (payload_codec.py): the UI decodes them through our API.
        "--ui-codec-endpoint",
        url(options.ports.api) + CODEC_PATH,
        *cli_flags(),
    ]
    namespace = options.settings.temporal_namespace
    if namespace != "default":  # the dev server always has "default"; others must be asked for
        command += ["--namespace", namespace]
    return ChildSpec("temporal", command, dict(environ), quiet_when_stopping=True)


def _uvicorn(
    app: str, port: int, *, factory: bool = False, log_config: str | None = None
) -> list[str]:
    """`factory`: `app` names a function that builds the app (`uvicorn --factory`)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        *(["--factory"] if factory else []),
        *(["--log-config", log_config] if log_config else []),
        "--host",
        HOST,
        "--port",
        str(port),
        "--timeout-graceful-shutdown",
        GRACEFUL_SHUTDOWN_SECONDS,
    ]


def simulator_spec(options: LaunchOptions, environ: Mapping[str, str]) -> ChildSpec:
    env = {
        **environ,
        "PYTHONUNBUFFERED": "1",
        "SIMULATOR_WEBHOOK_URL": url(options.ports.api),
        "SIMULATOR_WEBHOOK_SECRET": options.settings.webhook_secret,
        "SIMULATOR_SERVICE_TOKEN": options.settings.platform_service_token,
    }
    return ChildSpec("simulator", _uvicorn("simulator.app:app", options.ports.simulator), env)


def service_env(options: LaunchOptions, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the worker and the API: every address points into this stack."""
    ports = options.ports
    env = {
        **environ,
        "PYTHONUNBUFFERED": "1",
        "TEMPORAL_ADDRESS": f"{HOST}:{ports.temporal}",
        "TEMPORAL_UI_URL": url(ports.temporal_ui),
        "PLATFORM_BASE_URL": url(ports.simulator),
        "DATABASE_URL": options.database_url,
        "API_PORT": str(ports.api),
        # The Web UI, under either name of this host, may call the codec endpoint.
        "CODEC_CORS_ORIGINS": f"{url(ports.temporal_ui)},http://localhost:{ports.temporal_ui}",
        # Read on the terminal behind the launcher's prefixes (LOG_FORMAT set in the
        # environment wins).
        "LOG_FORMAT": environ.get("LOG_FORMAT", "text"),
    }
    if options.demo_time_scale is not None:
        env["CAMPAIGN_TIME_SCALE"] = options.demo_time_scale
    return env


def worker_spec(options: LaunchOptions, environ: Mapping[str, str]) -> ChildSpec:
    return ChildSpec("worker", [sys.executable, "worker.py"], service_env(options, environ))


def api_spec(options: LaunchOptions, environ: Mapping[str, str]) -> ChildSpec:
    return ChildSpec(
        "api",
        _uvicorn(
            "api.app:create_app",
            options.ports.api,
            factory=True,
            log_config="observability/logging.json",
        ),
        service_env(options, environ),
    )
