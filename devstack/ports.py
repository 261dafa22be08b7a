"""The launcher's four ports (read by `devstack.options`), checked free before anything starts."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

HOST = "127.0.0.1"


class PortError(ValueError):
    """A port variable holds a wrong value, or a port is taken."""


@dataclass(frozen=True)
class StackPorts:
    temporal: int = 7233
    temporal_ui: int = 8233
    simulator: int = 8100
    api: int = 8000

    def by_variable(self) -> dict[str, int]:
        return {
            "TEMPORAL_PORT": self.temporal,
            "TEMPORAL_UI_PORT": self.temporal_ui,
            "SIMULATOR_PORT": self.simulator,
            "API_PORT": self.api,
        }


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
