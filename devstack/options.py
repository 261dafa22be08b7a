"""What `make dev` runs with: the ports, where its data lives, and the demo time scale."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from config import DATA_DIR, Settings
from devstack.ports import PortError, StackPorts

MAX_TIME_SCALE = 1_000_000  # config.Settings.campaign_time_scale's upper bound


class OptionError(ValueError):
    """An environment variable of the launcher holds a wrong value."""


def _digits(raw: object) -> object:
    # Only plain digits: pydantic would also take "+80" or "80.0" for an int.
    if isinstance(raw, str) and not raw.strip().isdigit():
        raise ValueError("not a whole number")
    return raw


def _time_scale(raw: str) -> str:
    try:
        scale = float(raw)
    except ValueError:
        scale = math.nan
    if not 1 <= scale <= MAX_TIME_SCALE:
        raise ValueError("out of range")
    return raw.strip()


Port = Annotated[int, BeforeValidator(_digits), Field(ge=1, le=65535)]
# Kept as written: the worker and the API get it as CAMPAIGN_TIME_SCALE.
TimeScale = Annotated[str, AfterValidator(_time_scale)]


class LauncherEnvironment(BaseSettings):
    """`make dev`'s own variables, from its environment only (a `.env` file configures the
    services, not the launcher); unset or empty ones take the default."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True)

    # In the order the processes start: the first wrong one is reported.
    temporal_port: Port = StackPorts.temporal
    temporal_ui_port: Port = StackPorts.temporal_ui
    simulator_port: Port = StackPorts.simulator
    api_port: Port = StackPorts.api
    demo_time_scale: TimeScale | None = None
    devstack_data_dir: Path = DATA_DIR

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> LauncherEnvironment:
        """Read `environ` as pydantic-settings reads the process environment; a wrong value
        raises `PortError` or `OptionError` naming its variable."""
        try:
            return cls.model_validate(_GivenEnvironment(cls, environ)())
        except ValidationError as error:
            name = str(error.errors()[0]["loc"][0])
            variable, raw = name.upper(), environ.get(name.upper())
            if name.endswith("_port"):
                raise PortError(
                    f"{variable} must be a port number from 1 to 65535, not {raw!r}"
                ) from None
            raise OptionError(
                f"{variable} must be a number from 1 to {MAX_TIME_SCALE} "
                f"(1440 makes a day last a minute), not {raw!r}"
            ) from None

    @property
    def ports(self) -> StackPorts:
        return StackPorts(
            temporal=self.temporal_port,
            temporal_ui=self.temporal_ui_port,
            simulator=self.simulator_port,
            api=self.api_port,
        )


class _GivenEnvironment(EnvSettingsSource):
    """The environment source over a given mapping (the launcher's `os.environ`, a test's dict)
    instead of the process's own, as `DotEnvSettingsSource` does for a file."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def parse_ports(environ: Mapping[str, str]) -> StackPorts:
    """The four ports from `environ` (defaults for unset or empty ones); all must differ."""
    ports = LauncherEnvironment.from_environ(environ).ports
    _ensure_distinct(ports)
    return ports


def _ensure_distinct(ports: StackPorts) -> None:
    seen: dict[int, str] = {}
    for variable, port in ports.by_variable().items():
        if port in seen:
            raise PortError(f"{seen[port]} and {variable} are both {port}: each needs its own port")
        seen[port] = variable


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


def parse_options(
    environ: Mapping[str, str], load_settings: Callable[[], Settings]
) -> LaunchOptions:
    """The launcher's own variables first, so a bad port is reported under its own name."""
    launcher = LauncherEnvironment.from_environ(environ)
    _ensure_distinct(launcher.ports)
    settings = load_settings()
    data_dir = launcher.devstack_data_dir.resolve()
    database_url = settings.database_url
    if "database_url" not in settings.model_fields_set:
        # The embedded default follows the data folder, so a second stack can live elsewhere.
        database_url = f"sqlite+aiosqlite:///{data_dir / 'campaign-executor.db'}"
    return LaunchOptions(
        ports=launcher.ports,
        data_dir=data_dir,
        database_url=database_url,
        demo_time_scale=launcher.demo_time_scale,
        settings=settings,
    )
