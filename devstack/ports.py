"""The launcher's four ports: read from the environment, checked free before anything starts."""

from __future__ import annotations

import errno
import socket
from collections.abc import Mapping
from dataclasses import dataclass

HOST = "127.0.0.1"

# (environment variable, default), in the order the processes start.
PORT_VARIABLES: dict[str, int] = {
    "TEMPORAL_PORT": 7233,
    "TEMPORAL_UI_PORT": 8233,
    "SIMULATOR_PORT": 8100,
    "API_PORT": 8000,
}


class PortError(ValueError):
    """A port variable holds a wrong value, or a port is taken."""


@dataclass(frozen=True)
class StackPorts:
    temporal: int = PORT_VARIABLES["TEMPORAL_PORT"]
    temporal_ui: int = PORT_VARIABLES["TEMPORAL_UI_PORT"]
    simulator: int = PORT_VARIABLES["SIMULATOR_PORT"]
    api: int = PORT_VARIABLES["API_PORT"]

    def by_variable(self) -> dict[str, int]:
        return {
            "TEMPORAL_PORT": self.temporal,
            "TEMPORAL_UI_PORT": self.temporal_ui,
            "SIMULATOR_PORT": self.simulator,
            "API_PORT": self.api,
        }


def parse_port(variable: str, raw: str) -> int:
    """An integer 1–65535, or a `PortError` that names the variable."""
    text = raw.strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise PortError(f"{variable} must be a port number from 1 to 65535, not {raw!r}")
    return int(text)


def parse_ports(environ: Mapping[str, str]) -> StackPorts:
    """The four ports from `environ` (defaults for unset or empty ones); all must differ."""
    values = {
        variable: parse_port(variable, environ[variable]) if environ.get(variable) else default
        for variable, default in PORT_VARIABLES.items()
    }
    seen: dict[int, str] = {}
    for variable, port in values.items():
        if port in seen:
            raise PortError(f"{seen[port]} and {variable} are both {port}: each needs its own port")
        seen[port] = variable
    return StackPorts(
        temporal=values["TEMPORAL_PORT"],
        temporal_ui=values["TEMPORAL_UI_PORT"],
        simulator=values["SIMULATOR_PORT"],
        api=values["API_PORT"],
    )


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a server could listen on `host:port` now (as uvicorn would, with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def busy_port_message(variable: str, port: int) -> str:
    return (
        f"Port {port} ({variable}) is already in use — is another `make dev` running? "
        f"Stop it or set {variable}."
    )


def ensure_ports_free(ports: StackPorts, host: str = HOST) -> None:
    """Raise a `PortError` naming the first port that is taken."""
    for variable, port in ports.by_variable().items():
        if not port_is_free(port, host):
            raise PortError(busy_port_message(variable, port))
