"""All settings of Campaign Executor, read from the environment in one place.

Every process (API, worker, launcher) builds one `Settings` at its edge with `get_settings()`;
nothing else reads `os.environ`. A wrong value fails at start with the variable's name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from cryptography.fernet import Fernet
from limits import parse_many
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from campaigns.outbound_events import EventFeedInput
from payload_codec import parse_keys, read_keys_file

PROJECT_ROOT = Path(__file__).resolve().parent
DATA_DIR = PROJECT_ROOT / ".data"
DEV_WEBHOOK_SECRET = "dev-webhook-secret"
DEV_SERVICE_TOKEN = "dev-service-token"
# DEVELOPMENT ONLY: a published key encrypts nothing; production refuses to start with it.
DEV_PAYLOAD_KEY_ID = "dev-only"
DEV_PAYLOAD_KEYS = f"{DEV_PAYLOAD_KEY_ID}:ZGV2LW9ubHkgcGF5bG9hZCBrZXk6IG5vIHNlY3JldCE="
DEFAULT_CODEC_CORS_ORIGINS = ("http://127.0.0.1:8233", "http://localhost:8233")
DEV_SESSION_SECRET = "dev-session-secret"
# A Fernet key (32 random bytes, urlsafe base64) for development only; production refuses it.
DEV_SESSION_ENCRYPTION_KEY = "ZGV2LXNlc3Npb24ta2V5LW5vdC1mb3ItcHJvZHVjdGk="
DEV_EVENTS_SECRET = "dev-events-secret"

Port = Annotated[int, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    environment: str = Field(default="development", pattern="^(development|test|production)$")

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "campaign-executor"
    temporal_ui_url: str = "http://127.0.0.1:8233"
    # Temporal Cloud or a TLS-secured cluster: TLS on, and an API key or an mTLS client pair.
    temporal_tls: bool = False
    temporal_api_key: str | None = None
    temporal_tls_client_cert_path: Path | None = None
    temporal_tls_client_key_path: Path | None = None

    # Read model: SQLite file by default, postgresql+asyncpg://… in production.
    database_url: str = f"sqlite+aiosqlite:///{DATA_DIR / 'campaign-executor.db'}"

    # The recruiting platform's API and our service credentials for it.
    platform_base_url: str = "http://127.0.0.1:8100"
    platform_service_token: str = DEV_SERVICE_TOKEN
    platform_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Requests in flight to the platform per process; more wait for a free connection. An idle
    # connection costs nothing per request (aiohttp's pool, recruiting_platform/aiohttp_transport
    # .py). 100 connections at 300 ms an answer are ~330 requests/s, ~80 sends/s per process.
    platform_max_connections: int = Field(default=100, ge=1, le=10_000)

    # Shared secret of the platform's signed webhooks, and how old a signature may be.
    webhook_secret: str = DEV_WEBHOOK_SECRET
    webhook_max_age_seconds: int = Field(default=300, ge=1)

    # Divides every duration of a new campaign (1 = real time; 1440 = a day per minute).
    campaign_time_scale: float = Field(default=1.0, ge=1.0, le=1_000_000)

    # How often the reply watcher reads every active campaign's chats, so a reply whose webhook
    # was lost still stops the campaign (6 h: found within a quarter day, 4 reads a day per
    # campaign), and how many campaigns one of its activities checks.
    reply_check_interval_seconds: float = Field(default=6 * 3600, ge=1, le=7 * 86_400)
    reply_check_batch_size: int = Field(default=100, ge=1, le=1_000)

    # Events out to the platform (docs/events.md): where they are posted (empty = off), the
    # HMAC key of their signature, how often new events are looked for, and the longest wait
    # between tries while the endpoint fails (the wait doubles from a second up to it).
    events_webhook_url: str = ""
    events_webhook_secret: str = DEV_EVENTS_SECRET
    events_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    events_retry_max_seconds: float = Field(default=300.0, ge=1, le=3600)

    # How long the API trusts a token's `GET /user/me` answer.
    user_cache_seconds: float = Field(default=30.0, ge=0)
    # How old a role's candidate list a write (a PUT's ownership check) may use: PUTs for one
    # role arrive in bursts, and each fetch lists the whole role (0: every write asks).
    role_check_cache_seconds: float = Field(default=2.0, ge=0, le=30)
    # How long a cancel (DELETE, or PUT with replace) waits for the campaign to record its end
    # before it answers 202 "cancelling" instead of 200 "cancelled".
    cancel_wait_seconds: float = Field(default=10.0, gt=0, le=60)

    # The API's port: `make api` and `make dev` listen on it (uvicorn's `--port`), and the compose
    # file's port must match it.
    api_port: Port = 8000
    # Signs the dashboard's session cookie and its CSRF tokens (itsdangerous).
    session_secret: str = DEV_SESSION_SECRET
    # Fernet keys that encrypt the platform token a dashboard session keeps in the database,
    # comma-separated: the first encrypts, every one decrypts (so a key can be rotated).
    session_encryption_keys: str = DEV_SESSION_ENCRYPTION_KEY

    # Abuse limits. The largest request body, refused with 413 before it is read.
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Rate limits in the `limits` notation ("1200/minute", several joined by ";"): per user and
    # per client IP on the API, per client IP on the dashboard's sign-in. Counted in
    # RATE_LIMIT_STORAGE_URI: this process's memory, or a shared store for several API
    # processes (e.g. "async+redis://host:6379", with the `redis` package installed).
    rate_limit_per_user: str = "1200/minute"
    rate_limit_per_ip: str = "6000/minute"
    rate_limit_sign_in: str = "10/minute"
    rate_limit_storage_uri: str = "async+memory://"
    # How long a token the platform rejected is refused without asking the platform again.
    rejected_token_cache_seconds: float = Field(default=30.0, ge=0)

    # Keys of the Temporal payload codec (payload_codec.py): `id:base64key,…`, the first one
    # encrypts, the others only decrypt (rotation). PAYLOAD_KEYS_FILE (a mounted secret, same
    # format, one per line allowed) replaces PAYLOAD_KEYS when set.
    payload_keys: str = Field(default=DEV_PAYLOAD_KEYS, repr=False)
    payload_keys_file: Path | None = None
    # Browser origins (the Temporal Web UI) allowed to call the codec endpoint `/codec`.
    codec_cors_origins: Annotated[tuple[str, ...], NoDecode] = DEFAULT_CODEC_CORS_ORIGINS
    # Log lines: `json`, `text`, or `auto` (JSON unless stderr is a terminal); see
    # docs/operations.md for the fields.
    log_format: str = Field(default="auto", pattern="^(auto|json|text)$")
    # The worker's metrics for Prometheus, each off unless its port is set: ours (messages,
    # send latency, campaigns waiting, reply-to-halt) and the Temporal SDK's, on two ports
    # because the SDK serves its own from its Rust core. Both listen on `worker_metrics_host`.
    worker_metrics_port: Port | None = None
    temporal_metrics_port: Port | None = None
    worker_metrics_host: str = "127.0.0.1"

    @property
    def reply_check_interval_seconds_scaled(self) -> float:
        """The watcher's interval in the demo's time scale (at least a second)."""
        return max(1.0, self.reply_check_interval_seconds / self.campaign_time_scale)

    @property
    def payload_key_ring(self) -> dict[str, bytes]:
        """The codec's keys, first the one that encrypts (validated at start)."""
        if self.payload_keys_file is not None:
            return read_keys_file(self.payload_keys_file)
        return parse_keys(self.payload_keys)

    @field_validator("codec_cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        return value

    @property
    def event_feed(self) -> EventFeedInput:
        """The event deliverer's configuration (the secret stays with the worker)."""
        return EventFeedInput(
            webhook_url=self.events_webhook_url,
            poll_seconds=self.events_poll_seconds,
            retry_max_seconds=self.events_retry_max_seconds,
        )

    @field_validator("events_webhook_url")
    @classmethod
    def _optional_http_url(cls, url: str) -> str:
        if url and not url.startswith(("http://", "https://")):
            raise ValueError("must be empty or an http:// or https:// URL")
        return url

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return url

    @field_validator("platform_base_url", "temporal_ui_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return url.rstrip("/")

    @field_validator("rate_limit_per_user", "rate_limit_per_ip", "rate_limit_sign_in")
    @classmethod
    def _rate_limit(cls, text: str) -> str:
        parse_many(text)  # raises ValueError naming what it cannot read
        return text

    @field_validator("session_encryption_keys")
    @classmethod
    def _fernet_keys(cls, text: str) -> str:
        keys = [key.strip() for key in text.split(",") if key.strip()]
        if not keys:
            raise ValueError("needs at least one key")
        for key in keys:
            Fernet(key)  # raises ValueError for a key that is not 32 urlsafe-base64 bytes
        return ",".join(keys)

    @model_validator(mode="after")
    def _tls_client_pair(self) -> Settings:
        cert, key = self.temporal_tls_client_cert_path, self.temporal_tls_client_key_path
        if (cert is None) != (key is None):
            raise ValueError(
                "TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together"
            )
        for path in (cert, key):
            if path is not None and not path.is_file():
                raise ValueError(f"{path} is not a readable file")
        return self

    @model_validator(mode="after")
    def _payload_keys_readable(self) -> Settings:
        path = self.payload_keys_file
        if path is not None and not path.is_file():
            raise ValueError(f"PAYLOAD_KEYS_FILE: {path} is not a readable file")
        try:
            self.payload_key_ring  # noqa: B018 - parsed here so a wrong key stops the start
        except ValueError as error:
            source = "PAYLOAD_KEYS_FILE" if path is not None else "PAYLOAD_KEYS"
            raise ValueError(f"{source}: {error}") from None
        return self

    @model_validator(mode="after")
    def _no_dev_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            for name, dev_value in (
                ("webhook_secret", DEV_WEBHOOK_SECRET),
                ("platform_service_token", DEV_SERVICE_TOKEN),
                ("session_secret", DEV_SESSION_SECRET),
                ("session_encryption_keys", DEV_SESSION_ENCRYPTION_KEY),
            ):
                if dev_value in getattr(self, name).split(","):
                    raise ValueError(f"{name.upper()} must be set in production")
            if DEV_PAYLOAD_KEY_ID in self.payload_key_ring:
                raise ValueError("PAYLOAD_KEYS must not hold the development key in production")
            if self.events_webhook_url and self.events_webhook_secret == DEV_EVENTS_SECRET:
                raise ValueError("EVENTS_WEBHOOK_SECRET must be set in production")
        return self


class SettingsError(SystemExit):
    """Raised at start when the environment holds a wrong or missing value."""


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper() or 'SETTINGS'}: {e['msg']}"
            for e in error.errors()
        )
        raise SettingsError(f"Invalid configuration: {problems}") from None
