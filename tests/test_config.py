"""Settings: one place, and a wrong value fails at start naming the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from config import DEV_PAYLOAD_KEYS, Settings
from payload_codec import new_key

REPO = Path(__file__).resolve().parents[1]


def _start_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "from config import get_settings; get_settings()"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("DATABASE_URL", "mysql://db/x", "sqlite+aiosqlite:// or postgresql+asyncpg://"),
        ("PLATFORM_BASE_URL", "platform.local", "http:// or https:// URL"),
        ("API_PORT", "99999", "less than or equal to 65535"),
        ("CAMPAIGN_TIME_SCALE", "0.5", "greater than or equal to 1"),
        ("PLATFORM_TIMEOUT_SECONDS", "soon", "valid number"),
        ("PAYLOAD_KEYS", "k1:dG9vIHNob3J0", "AES-256 needs 32"),
        ("PAYLOAD_KEYS_FILE", "/nonexistent/keys", "is not a readable file"),
    ],
)
def test_a_wrong_value_fails_at_start_naming_the_variable(
    variable: str, value: str, reason: str
) -> None:
    result = _start_with({"PATH": "/usr/bin", variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
    assert reason in result.stderr


def test_production_refuses_the_development_secrets() -> None:
    result = _start_with({"PATH": "/usr/bin", "ENVIRONMENT": "production"})
    assert result.returncode != 0
    assert "WEBHOOK_SECRET must be set in production" in result.stderr


def test_defaults_run_the_embedded_stack() -> None:
    settings = Settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith(".data/campaign-executor.db")
    assert settings.temporal_address == "127.0.0.1:7233"
    assert settings.campaign_time_scale == 1.0


def test_temporal_tls_follows_the_settings(tmp_path: Path) -> None:
    from temporal_client import tls_config

    assert tls_config(Settings()) is False
    assert tls_config(Settings(temporal_tls=True)) is True
    assert tls_config(Settings(temporal_api_key="key")) is True  # Temporal Cloud's API key
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    cert.write_bytes(b"CERT")
    key.write_bytes(b"KEY")
    pair = tls_config(
        Settings(temporal_tls_client_cert_path=cert, temporal_tls_client_key_path=key)
    )
    assert pair.client_cert == b"CERT" and pair.client_private_key == b"KEY"


def test_a_half_configured_mtls_pair_fails_at_start(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_bytes(b"CERT")
    result = _start_with({"PATH": "/usr/bin", "TEMPORAL_TLS_CLIENT_CERT_PATH": str(cert)})
    assert result.returncode != 0
    assert "TEMPORAL_TLS_CLIENT_KEY_PATH go together" in result.stderr


def test_production_refuses_the_development_payload_key() -> None:
    secrets = {
        "WEBHOOK_SECRET": "w",
        "PLATFORM_SERVICE_TOKEN": "p",
        "SESSION_SECRET": "s",
        "SESSION_ENCRYPTION_KEYS": "b3duLWtleS1vZi10aGUtcHJvZHVjdGlvbi1zZXJ2ZXI=",
    }
    result = _start_with({"PATH": "/usr/bin", "ENVIRONMENT": "production", **secrets})
    assert result.returncode != 0
    assert "PAYLOAD_KEYS must not hold the development key in production" in result.stderr
    # Not even as an old key kept for decryption.
    fresh = f"prod-1:{new_key()},{DEV_PAYLOAD_KEYS}"
    result = _start_with(
        {"PATH": "/usr/bin", "ENVIRONMENT": "production", **secrets, "PAYLOAD_KEYS": fresh}
    )
    assert "PAYLOAD_KEYS must not hold the development key" in result.stderr
    result = _start_with(
        {
            "PATH": "/usr/bin",
            "ENVIRONMENT": "production",
            **secrets,
            "PAYLOAD_KEYS": f"prod-1:{new_key()}",
        }
    )
    assert result.returncode == 0, result.stderr


def test_a_keys_file_replaces_payload_keys(tmp_path: Path) -> None:
    keys = tmp_path / "payload-keys"
    keys.write_text(f"# newest first\nprod-2:{new_key()}\nprod-1:{new_key()}\n")
    settings = Settings(_env_file=None, payload_keys_file=keys)
    assert list(settings.payload_key_ring) == ["prod-2", "prod-1"]


def test_production_refuses_the_development_session_encryption_key() -> None:
    secrets = {
        "webhook_secret": "w",
        "platform_service_token": "p",
        "session_secret": "s",
        "payload_keys": f"prod-1:{new_key()}",
    }
    with pytest.raises(ValidationError, match="SESSION_ENCRYPTION_KEYS must be set"):
        Settings(_env_file=None, environment="production", **secrets)
    own_key = "b3duLWtleS1vZi10aGUtcHJvZHVjdGlvbi1zZXJ2ZXI="
    settings = Settings(
        _env_file=None, environment="production", session_encryption_keys=own_key, **secrets
    )
    assert settings.session_encryption_keys == own_key


def test_a_wrong_rate_limit_or_session_key_stops_the_start() -> None:
    with pytest.raises(ValidationError, match="rate_limit_per_user"):
        Settings(_env_file=None, rate_limit_per_user="lots")
    with pytest.raises(ValidationError, match="session_encryption_keys"):
        Settings(_env_file=None, session_encryption_keys="not-a-fernet-key")
