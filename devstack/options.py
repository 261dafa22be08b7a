"""What `make dev` runs with: the ports, where its data lives, and the demo time scale."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from config import DATA_DIR, Settings
from devstack.ports import StackPorts, parse_ports

MAX_TIME_SCALE = 1_000_000  # config.Settings.campaign_time_scale's upper bound


class OptionError(ValueError):
    """An environment variable of the launcher holds a wrong value."""


@dataclass(frozen=True)
class LaunchOptions:
    ports: StackPorts
    # Temporal's database file, the pid file and (unless DATABASE_URL is set) the read model.
    data_dir: Path
    database_url: str
    # Passed to the worker and the API as CAMPAIGN_TIME_SCALE; None leaves theirs alone.
    demo_time_scale: str | None
    settings: Settings

    @property
    def time_scale(self) -> float:
        if self.demo_time_scale is not None:
            return float(self.demo_time_scale)
        return self.settings.campaign_time_scale

    @property
    def temporal_db(self) -> Path:
        return self.data_dir / "temporal.db"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "devstack.pid"


def parse_time_scale(raw: str) -> str:
    try:
        scale = float(raw)
    except ValueError:
        scale = math.nan
    if not 1 <= scale <= MAX_TIME_SCALE:
        raise OptionError(
            f"DEMO_TIME_SCALE must be a number from 1 to {MAX_TIME_SCALE} "
            f"(1440 makes a day last a minute), not {raw!r}"
        )
    return raw.strip()


def parse_options(
    environ: Mapping[str, str], load_settings: Callable[[], Settings]
) -> LaunchOptions:
    """The launcher's own variables first, so a bad port is reported under its own name."""
    ports = parse_ports(environ)
    raw_scale = environ.get("DEMO_TIME_SCALE")
    demo_time_scale = parse_time_scale(raw_scale) if raw_scale else None
    settings = load_settings()
    data_dir = Path(environ.get("DEVSTACK_DATA_DIR") or DATA_DIR).resolve()
    database_url = settings.database_url
    if "database_url" not in settings.model_fields_set:
        # The embedded default follows the data folder, so a second stack can live elsewhere.
        database_url = f"sqlite+aiosqlite:///{data_dir / 'campaign-executor.db'}"
    return LaunchOptions(
        ports=ports,
        data_dir=data_dir,
        database_url=database_url,
        demo_time_scale=demo_time_scale,
        settings=settings,
    )
