"""The simulator's own settings, read from `SIMULATOR_*` environment variables."""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGED_SEED_FILE = Path(__file__).with_name("seed.json")


class SimulatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIMULATOR_", extra="ignore")

    seed_file: Path = PACKAGED_SEED_FILE
    # Base URL of Campaign Executor's API, e.g. http://127.0.0.1:8000; empty = no webhooks.
    webhook_url: str = ""
    webhook_secret: str = "dev-webhook-secret"
    # Checks the signature of the events Campaign Executor posts to `/_sim/events/inbox`.
    events_secret: str = "dev-events-secret"
    # Lets Campaign Executor's background workers act for a user (with `X-On-Behalf-Of`).
    service_token: str = "dev-service-token"
    # Seed of the random generator behind `errorRate`, so fault runs are reproducible.
    random_seed: int = 20240601
