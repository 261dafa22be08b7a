"""docker-compose.temporal.yml and the Dockerfile agree with the code they deploy.

There is no Docker engine in CI, so the stack is checked by reading it: services, images,
dependencies, health checks, ports, environment variables and search attributes."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from config import Settings
from payload_codec import new_key
from tests.docs.markdown_docs import DOCS, REPO, read, sections
from workflows.search_attributes import ALL, cli_flags

COMPOSE_FILE = REPO / "docker-compose.temporal.yml"
DOCKERFILE = REPO / "Dockerfile"
OUR_SERVICES = ("api", "worker", "migrate")
REQUIRED_SETTINGS = {
    "ENVIRONMENT",
    "DATABASE_URL",
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_TASK_QUEUE",
    "TEMPORAL_UI_URL",
    "PLATFORM_BASE_URL",
    "PLATFORM_SERVICE_TOKEN",
    "WEBHOOK_SECRET",
    "SESSION_SECRET",
    "PAYLOAD_KEYS",
    "SESSION_ENCRYPTION_KEYS",
}
SECRETS = {
    "PLATFORM_SERVICE_TOKEN",
    "WEBHOOK_SECRET",
    "SESSION_SECRET",
    "PAYLOAD_KEYS",
    "SESSION_ENCRYPTION_KEYS",
}
# A stand-in Fernet key (32 bytes, urlsafe base64) for the variables that hold keys.
STAND_IN_KEY = "c3RhbmQtaW4ta2V5LWZvci10aGUtY29tcG9zZS10ZXM="
# Custom search attributes a PostgreSQL visibility store has room for, per type.
SQL_VISIBILITY_SLOTS = {"Keyword": 10, "Int": 3}
_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(read(COMPOSE_FILE))


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def environment(service: str) -> dict[str, str]:
    env = services()[service].get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def depends_on(service: str) -> dict[str, str]:
    deps = services()[service].get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def is_one_shot(service: str) -> bool:
    return services()[service].get("restart", "no") == "no"


def interpolate(value: str) -> str:
    """What compose would substitute, with stand-ins for the variables that must be set."""

    def substitute(match: re.Match[str]) -> str:
        if match["op"] in (":-", "-"):
            return match["arg"]
        name = match["name"]
        if name == "PAYLOAD_KEYS":
            return f"stand-in:{new_key()}"
        if name.endswith("_KEYS"):
            return STAND_IN_KEY
        return "https://platform.example.com" if name.endswith("_URL") else f"stand-in-{name}"

    return _VARIABLE.sub(substitute, value)


def command_option(command: list[str], option: str) -> str:
    return command[command.index(option) + 1]


def test_every_image_is_pinned_to_a_version() -> None:
    unpinned = []
    for name, service in services().items():
        image = service.get("image", "")
        repository, _, tag = image.rpartition(":")
        if not repository or "/" in tag or tag == "latest" or not re.search(r"\d", tag):
            unpinned.append(f"{name}: {image!r}")
    assert not unpinned, f"images without a version tag: {unpinned}"


def test_our_image_is_built_from_the_dockerfile_and_tagged_with_the_project_version() -> None:
    version = tomllib.loads(read(REPO / "pyproject.toml"))["project"]["version"]
    built = {name: s for name, s in services().items() if "build" in s}
    assert set(OUR_SERVICES) <= set(built)
    for name, service in built.items():
        assert service["build"] in (".", {"context": "."}), name
        assert service["image"] == f"campaign-executor:{version}", name


def test_every_dependency_is_a_service_with_a_matching_condition() -> None:
    problems = []
    for name in services():
        for target, condition in depends_on(name).items():
            if target not in services():
                problems.append(f"{name} depends on unknown service {target}")
            elif condition == "service_healthy" and "healthcheck" not in services()[target]:
                problems.append(f"{name} waits for {target} to be healthy; it has no healthcheck")
            elif condition == "service_completed_successfully" and not is_one_shot(target):
                problems.append(f"{name} waits for {target} to complete; it restarts forever")
            elif condition == "service_started":
                problems.append(f"{name} -> {target}: say which condition to wait for")
    assert not problems, problems


def test_every_long_running_service_has_a_healthcheck() -> None:
    missing = [
        name
        for name, service in services().items()
        if not is_one_shot(name) and not service.get("healthcheck", {}).get("test")
    ]
    assert not missing, f"services without a healthcheck: {missing}"


def test_every_one_shot_job_is_awaited_by_what_needs_it() -> None:
    awaited = {
        target
        for name in services()
        for target, condition in depends_on(name).items()
        if condition == "service_completed_successfully"
    }
    assert {name for name in services() if is_one_shot(name)} == awaited


@pytest.mark.parametrize("service", OUR_SERVICES)
def test_our_services_set_exactly_settings_fields(service: str) -> None:
    env = environment(service)
    fields = {name.upper() for name in Settings.model_fields}
    assert set(env) <= fields, f"not a config.Settings field: {set(env) - fields}"
    assert REQUIRED_SETTINGS <= set(env), f"missing: {REQUIRED_SETTINGS - set(env)}"
    assert env["ENVIRONMENT"] == "production"
    for secret in SECRETS:
        assert env[secret] == f"${{{secret}:?set {secret}}}", f"{secret} must be required"


@pytest.mark.parametrize("service", OUR_SERVICES)
def test_our_services_environment_is_a_valid_production_configuration(service: str) -> None:
    env = {key.lower(): interpolate(value) for key, value in environment(service).items()}
    settings = Settings(_env_file=None, **env)
    assert settings.environment == "production"
    assert settings.database_url.startswith("postgresql+asyncpg://")


def test_api_and_worker_share_one_configuration() -> None:
    assert environment("api") == environment("worker") == environment("migrate")


def test_the_read_model_has_its_own_database_server() -> None:
    url = urlsplit(interpolate(environment("api")["DATABASE_URL"]))
    temporal_db = environment("temporal")["POSTGRES_SEEDS"]
    assert url.hostname in services(), url.hostname
    assert url.hostname != temporal_db
    assert services()[url.hostname]["image"].startswith("postgres:")
    assert environment(url.hostname)["POSTGRES_DB"] == url.path.lstrip("/")
    assert environment(url.hostname)["POSTGRES_USER"] == url.username
    assert depends_on("migrate") == {url.hostname: "service_healthy"}


def test_temporal_address_and_ui_url_point_at_the_stack() -> None:
    env = environment("api")
    host, port = env["TEMPORAL_ADDRESS"].rsplit(":", 1)
    assert host == "temporal" and "nc" in services()[host]["healthcheck"]["test"]
    assert port in services()["temporal"]["healthcheck"]["test"]
    ui_port = urlsplit(interpolate(env["TEMPORAL_UI_URL"])).port
    assert f"{ui_port}:8080" in services()["temporal-ui"]["ports"]
    assert environment("temporal-ui")["TEMPORAL_ADDRESS"] == env["TEMPORAL_ADDRESS"]


def test_every_search_attribute_is_registered_with_its_type() -> None:
    job = services()["temporal-namespace"]
    expected = {flag.removeprefix("--search-attribute=") for flag in cli_flags()}
    assert len(expected) == len(ALL)
    assert set(job["command"]) == expected
    assert job["image"].startswith("temporalio/admin-tools:")
    namespace = environment("temporal-namespace")["TEMPORAL_NAMESPACE"]
    assert namespace == environment("api")["TEMPORAL_NAMESPACE"]
    script = REPO / "deploy" / "temporal" / Path(job["entrypoint"][-1]).name
    assert "temporal operator search-attribute create" in read(script)
    for kind, slots in SQL_VISIBILITY_SLOTS.items():
        used = sum(1 for pair in expected if pair.endswith(f"={kind}"))
        assert used <= slots, f"PostgreSQL visibility has {slots} {kind} slots; we use {used}"


def test_api_and_worker_wait_for_the_migration_temporal_and_the_search_attributes() -> None:
    for service in ("api", "worker"):
        assert depends_on(service) == {
            "migrate": "service_completed_successfully",
            "temporal": "service_healthy",
            "temporal-namespace": "service_completed_successfully",
        }
    assert services()["migrate"]["command"] == ["python", "-m", "db.migrate"]
    assert (REPO / "db" / "migrate.py").is_file()
    assert services()["worker"]["command"] == ["python", "worker.py"]


def test_the_api_port_is_the_same_everywhere() -> None:
    api = services()["api"]
    command = api["command"]
    assert command[:2] == ["uvicorn", "api.app:create_app"] and "--factory" in command
    port = command_option(command, "--port")
    assert command_option(command, "--host") == "0.0.0.0"
    assert f"{port}:{port}" in api["ports"]
    assert api["healthcheck"]["test"][-2:] == ["api", port]
    assert f"EXPOSE {port}" in read(DOCKERFILE)
    assert port == str(Settings.model_fields["api_port"].default)
    assert environment("simulator")["SIMULATOR_WEBHOOK_URL"] == f"http://api:{port}"


def test_every_mounted_or_executed_repository_file_exists() -> None:
    used = []
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                used.append((name, source))
        test = service.get("healthcheck", {}).get("test", [])
        used += [(name, arg) for arg in test if arg.startswith("deploy/")]
    missing = [f"{name}: {path}" for name, path in used if not (REPO / path).exists()]
    assert used and not missing, missing


def test_the_dockerfile_installs_the_project_as_a_non_root_user() -> None:
    lines = [line.strip() for line in read(DOCKERFILE).splitlines()]
    assert "FROM python:3.11-slim" in lines
    assert any(line.startswith("RUN pip install .") for line in lines)
    # The workflow sandbox's imports read bytecode instead of compiling (worker.py).
    assert "&& python -m compileall -q /app \\" in lines
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert ".venv" in read(REPO / ".dockerignore").split()
    assert ".env" in read(REPO / ".dockerignore").split()


def test_the_architecture_doc_names_every_variable_the_stack_requires() -> None:
    required = {
        match["name"]
        for match in _VARIABLE.finditer(read(COMPOSE_FILE))
        if match["op"] in (":?", "?")
    }
    doc = sections(read(DOCS / "architecture.md")).get("Run the production-like stack")
    assert doc is not None, "docs/architecture.md needs a 'Run the production-like stack' section"
    missing = sorted(name for name in required if f"`{name}`" not in doc)
    assert not missing, f"the run instructions do not name: {missing}"
