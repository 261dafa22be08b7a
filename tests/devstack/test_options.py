"""The launcher's pure parts: ports and options from the environment, commands, lock, banner."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from campaigns.definition import CampaignDefinition
from config import PROJECT_ROOT, Settings
from devstack.banner import EXAMPLE_FILE, render_banner
from devstack.commands import api_spec, simulator_spec, temporal_spec, worker_spec
from devstack.lock import StackAlreadyRunning, StackLock
from devstack.options import LaunchOptions, OptionError, parse_options, parse_ports
from devstack.ports import (
    PortError,
    StackPorts,
    ensure_ports_free,
    port_is_free,
)

ALT_PORTS = {
    "API_PORT": "9000",
    "SIMULATOR_PORT": "9100",
    "TEMPORAL_PORT": "9233",
    "TEMPORAL_UI_PORT": "9234",
}


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def options_for(environ: dict[str, str], tmp_path: Path, **settings: object) -> LaunchOptions:
    return parse_options(
        {"DEVSTACK_DATA_DIR": str(tmp_path), **environ},
        lambda: Settings(_env_file=None, **settings),
    )


def test_ports_default_to_the_documented_ones() -> None:
    assert parse_ports({}) == StackPorts(temporal=7233, temporal_ui=8233, simulator=8100, api=8000)
    assert parse_ports({"API_PORT": ""}).api == 8000


def test_each_port_variable_overrides_its_port() -> None:
    assert parse_ports(ALT_PORTS) == StackPorts(
        temporal=9233, temporal_ui=9234, simulator=9100, api=9000
    )


@pytest.mark.parametrize("raw", ["0", "65536", "-1", "80.5", "abc", "8000x"])
@pytest.mark.parametrize("variable", ["API_PORT", "SIMULATOR_PORT", "TEMPORAL_UI_PORT"])
def test_a_wrong_port_is_refused_naming_its_variable(variable: str, raw: str) -> None:
    with pytest.raises(PortError, match=rf"^{variable} must be a port number from 1 to 65535"):
        parse_ports({variable: raw})


def test_two_variables_on_one_port_are_refused() -> None:
    with pytest.raises(PortError, match="SIMULATOR_PORT and API_PORT are both 8100"):
        parse_ports({"API_PORT": "8100"})


def test_a_port_in_use_is_reported_with_its_variable(listening_port: int) -> None:
    assert not port_is_free(listening_port)
    ports = parse_ports({**ALT_PORTS, "API_PORT": str(listening_port)})
    with pytest.raises(PortError) as error:
        ensure_ports_free(ports)
    assert str(error.value) == (
        f"Port {listening_port} (API_PORT) is already in use — is another `make dev` running? "
        "Stop it or set API_PORT."
    )


def test_a_closed_port_is_free() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert port_is_free(port)


def test_bad_port_is_reported_before_the_settings_are_read(tmp_path: Path) -> None:
    def settings_must_not_be_read() -> Settings:
        raise AssertionError("settings read before the ports were checked")

    with pytest.raises(PortError, match="API_PORT"):
        parse_options({"API_PORT": "x"}, settings_must_not_be_read)


@pytest.mark.parametrize("raw", ["0.5", "0", "abc", "1000001", "nan"])
def test_a_wrong_demo_time_scale_is_refused(raw: str, tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="^DEMO_TIME_SCALE must be a number from 1 to"):
        options_for({"DEMO_TIME_SCALE": raw}, tmp_path)


def test_demo_time_scale_becomes_the_services_campaign_time_scale(tmp_path: Path) -> None:
    options = options_for({"DEMO_TIME_SCALE": "1440"}, tmp_path)
    assert options.time_scale == 1440
    assert worker_spec(options, {}).env["CAMPAIGN_TIME_SCALE"] == "1440"
    assert api_spec(options, {}).env["CAMPAIGN_TIME_SCALE"] == "1440"


def test_without_demo_time_scale_the_services_keep_their_own(tmp_path: Path) -> None:
    options = options_for({}, tmp_path)
    env = worker_spec(options, {"CAMPAIGN_TIME_SCALE": "60"}).env
    assert env["CAMPAIGN_TIME_SCALE"] == "60"
    assert "CAMPAIGN_TIME_SCALE" not in api_spec(options, {}).env


def test_the_default_read_model_lives_in_the_data_folder(tmp_path: Path) -> None:
    options = options_for({}, tmp_path)
    assert options.database_url == f"sqlite+aiosqlite:///{tmp_path}/campaign-executor.db"
    assert options.temporal_db == tmp_path / "temporal.db"
    assert options.pid_file == tmp_path / "devstack.pid"


def test_an_explicit_database_url_is_kept(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1/elsewhere"
    assert options_for({}, tmp_path, database_url=url).database_url == url


def test_every_process_is_pointed_at_this_stacks_ports(tmp_path: Path) -> None:
    options = options_for(ALT_PORTS, tmp_path)

    temporal = temporal_spec(options, {}, "/bin/temporal").command
    assert temporal[:3] == ["/bin/temporal", "server", "start-dev"]
    for flag, value in [
        ("--port", "9233"),
        ("--ui-port", "9234"),
        ("--ip", "127.0.0.1"),
        ("--db-filename", str(tmp_path / "temporal.db")),
        ("--ui-codec-endpoint", "http://127.0.0.1:9000/codec"),
    ]:
        assert temporal[temporal.index(flag) + 1] == value
    assert "--search-attribute=CampaignId=Keyword" in temporal
    assert "--search-attribute=CandidateId=Int" in temporal

    simulator = simulator_spec(options, {})
    assert simulator.command[simulator.command.index("--port") + 1] == "9100"
    assert simulator.env["SIMULATOR_WEBHOOK_URL"] == "http://127.0.0.1:9000"
    assert simulator.env["SIMULATOR_WEBHOOK_SECRET"] == options.settings.webhook_secret
    assert simulator.env["SIMULATOR_SERVICE_TOKEN"] == options.settings.platform_service_token

    for spec in (worker_spec(options, {}), api_spec(options, {})):
        assert spec.env["TEMPORAL_ADDRESS"] == "127.0.0.1:9233"
        assert spec.env["PLATFORM_BASE_URL"] == "http://127.0.0.1:9100"
        assert spec.env["TEMPORAL_UI_URL"] == "http://127.0.0.1:9234"
        assert spec.env["DATABASE_URL"] == options.database_url
        assert spec.env["CODEC_CORS_ORIGINS"] == "http://127.0.0.1:9234,http://localhost:9234"
    api = api_spec(options, {}).command
    assert "api.app:create_app" in api and "--factory" in api
    assert api[api.index("--port") + 1] == "9000"


def test_a_non_default_namespace_is_created_by_the_dev_server(tmp_path: Path) -> None:
    options = options_for({}, tmp_path, temporal_namespace="campaigns")
    command = temporal_spec(options, {}, "temporal").command
    assert command[command.index("--namespace") + 1] == "campaigns"


def test_a_second_lock_on_the_same_file_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    path = tmp_path / "devstack.pid"
    with StackLock(path):
        with pytest.raises(StackAlreadyRunning, match=r"already running \(pid \d+"):
            StackLock(path).acquire()
    assert not path.exists()
    with StackLock(path):  # free again once released
        pass


def test_a_stale_pid_file_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "devstack.pid"
    path.write_text("999999\n")
    with StackLock(path):
        assert path.read_text().strip().isdigit()


def test_the_banner_shows_the_urls_tokens_and_an_example(tmp_path: Path) -> None:
    options = options_for(ALT_PORTS, tmp_path)
    users = [{"id": 1, "firstName": "Andreas", "lastName": "Berg", "token": "tok-andreas"}]
    banner = render_banner(options, users)
    for expected in [
        "http://127.0.0.1:9000",
        "http://127.0.0.1:9000/docs",
        "http://127.0.0.1:9234",
        "http://127.0.0.1:9100/_sim",
        "tok-andreas",
        "Andreas Berg (user 1)",
        "curl -X PUT http://127.0.0.1:9000/role/10/candidate/1001/campaign",
        "--data @devstack/brief_example.json",
    ]:
        assert expected in banner


def test_the_banners_example_file_is_a_valid_campaign_definition() -> None:
    raw = json.loads((PROJECT_ROOT / EXAMPLE_FILE).read_text())
    definition = CampaignDefinition.model_validate(raw)
    assert [node.id for node in definition.nodes] == [1, 2, 3, 4, 5, 6]
