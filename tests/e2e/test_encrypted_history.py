"""Payload encryption on a real dev server: its history holds no message text, read with the
Temporal CLI and straight from its SQLite file, while the campaign runs as before; the Web UI
shows the decoded text in Chromium through the API's codec endpoint."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright, expect
from temporalio.testing import WorkflowEnvironment

from campaigns.contracts import workflow_id_for
from db.engine import create_engine, create_session_factory
from devstack.commands import venv_binary
from tests.api.conftest import ApiStack, api_stack_on
from tests.conftest import DATA_CONVERTER, SERVER_STARTUP_TIMEOUT, fresh_database
from tests.dashboard.helpers import CHROMIUM, CHROMIUM_ARGS
from tests.support.campaigns import BRIEF_EXAMPLE, MILAN, ROLE_SWE, eventually, sent_messages
from tests.support.simulator_process import free_port
from workflows.search_attributes import ALL as SEARCH_ATTRIBUTES

CAMPAIGN = f"/role/{ROLE_SWE}/candidate/{MILAN}/campaign"
# Every line of the definition's messages and subjects (a line: the texts hold newlines).
SECRETS = [
    line
    for node in BRIEF_EXAMPLE["nodes"]
    for text in (node.get("message", ""), node.get("subject_line", ""))
    for line in text.splitlines()
    if len(line) > 12  # "Hi Milan," and "Best,Andreas" alone say nothing about a message
]
WORKFLOW_ID = workflow_id_for(MILAN)
WOULD_YOU = "Would you be open to discussing this role?"


@dataclass
class EncryptedStack:
    api: ApiStack
    temporal: WorkflowEnvironment
    database: Path
    ui_url: str


@pytest.fixture
async def encrypted_stack(
    simulator: str, task_queue: str, tmp_path: Path
) -> AsyncIterator[EncryptedStack]:
    # Chosen here, all distinct: the SDK would otherwise pick the gRPC port itself, possibly
    # one of these two not yet bound.
    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(free_port())
    grpc_port, api_port, ui_port = sorted(ports)
    database = tmp_path / "temporal.db"
    temporal = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=SEARCH_ATTRIBUTES,
        port=grpc_port,
        ui=True,
        ui_port=ui_port,
        dev_server_log_level="error",
        dev_server_startup_timeout=SERVER_STARTUP_TIMEOUT,
        dev_server_extra_args=[
            "--db-filename",
            str(database),
            "--ui-disable-news-fetch",
            "--ui-codec-endpoint",
            f"http://127.0.0.1:{api_port}/codec",
        ],
    )
    ui_url = f"http://127.0.0.1:{ui_port}"
    try:
        async with fresh_database("sqlite", tmp_path) as database_url:
            engine = create_engine(database_url)
            try:
                async with api_stack_on(
                    temporal.client,
                    database_url,
                    simulator,
                    task_queue,
                    create_session_factory(engine),
                    port=api_port,
                    codec_cors_origins=(ui_url,),
                ) as api:
                    yield EncryptedStack(api, temporal, database, ui_url)
            finally:
                await engine.dispose()
    finally:
        await temporal.shutdown()


async def _start_and_send_two(stack: EncryptedStack) -> None:
    async with stack.api.client() as http:
        assert (await http.put(CAMPAIGN, json=BRIEF_EXAMPLE)).status_code == 201

    async def two_sent() -> list[dict[str, Any]]:
        sent = await sent_messages(stack.api.simulator, MILAN)
        return sent if len(sent) >= 2 else []

    sent = await eventually(two_sent)
    # The platform still got the plain texts: only Temporal's copy is encrypted.
    assert sent[1]["subject"] == BRIEF_EXAMPLE["nodes"][1]["subject_line"]
    assert sent[1]["body"] == BRIEF_EXAMPLE["nodes"][1]["message"]


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON document, and what each base64 one decodes to."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value
        try:
            yield base64.b64decode(value, validate=True).decode("utf-8", "replace")
        except ValueError:
            pass


def _database_bytes(path: Path) -> bytes:
    """Every value of every table of the dev server's SQLite file (the WAL included)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        chunks = []
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                chunks += [v if isinstance(v, bytes) else str(v).encode() for v in row]
        return b"\n".join(chunks)
    finally:
        connection.close()


async def test_the_servers_history_holds_no_message_text(encrypted_stack: EncryptedStack) -> None:
    await _start_and_send_two(encrypted_stack)
    summary = f"role {ROLE_SWE}, candidate {MILAN}"  # the plain workflow summary

    address = encrypted_stack.temporal.client.service_client.config.target_host
    shown = subprocess.run(
        [venv_binary("temporal"), "workflow", "show", "--workflow-id", WORKFLOW_ID]
        + ["--address", address, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    cli_text = "\n".join(_strings(json.loads(shown.stdout)))
    assert summary in cli_text and "binary/encrypted" in cli_text  # read, and encrypted
    for secret in SECRETS:
        assert secret not in cli_text

    stored = _database_bytes(encrypted_stack.database)
    assert summary.encode() in stored and WORKFLOW_ID.encode() in stored  # the history is there
    for secret in SECRETS:
        assert secret.encode() not in stored

    # Search attributes stay plain (the API lists by them); our client still reads everything.
    handle = encrypted_stack.temporal.client.get_workflow_handle(WORKFLOW_ID)
    description = await handle.describe()
    assert description.typed_search_attributes is not None
    history = await handle.fetch_history()
    first_input = history.events[0].workflow_execution_started_event_attributes.input
    [campaign] = await DATA_CONVERTER.decode(first_input.payloads, [dict])
    assert BRIEF_EXAMPLE["nodes"][1]["subject_line"] in json.dumps(campaign)


async def test_the_web_ui_shows_the_decoded_message_text(encrypted_stack: EncryptedStack) -> None:
    """The operator signs in to the dashboard, then the Web UI (with "Include cross-origin
    credentials" on) decodes the history through /codec with the session cookie."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser test skipped: {CHROMIUM} is missing (`make browser` installs it)")
    await _start_and_send_two(encrypted_stack)
    api_url = encrypted_stack.api.url
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context()
            context.set_default_timeout(60_000)
            page = await context.new_page()
            await page.goto(f"{api_url}/dashboard/login")
            await page.fill("input[name=token]", "tok-andreas")
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{api_url}/dashboard**")
            settings = {
                "endpoint": f"{api_url}/codec",
                "includeCredentials": True,
                "overrideRemoteCodecConfiguration": True,
            }
            await context.add_init_script(
                "".join(
                    f"window.localStorage.setItem({json.dumps(k)}, {json.dumps(json.dumps(v))});"
                    for k, v in settings.items()
                )
            )
            handle = encrypted_stack.temporal.client.get_workflow_handle(WORKFLOW_ID)
            run_id = (await handle.describe()).run_id
            workflow = f"/namespaces/default/workflows/{WORKFLOW_ID}/{run_id}/history"
            await page.goto(encrypted_stack.ui_url + workflow)
            await expect(page.get_by_text(WOULD_YOU).first).to_be_visible()
        finally:
            await browser.close()


async def test_the_codec_endpoint_answers_the_web_uis_exact_request(
    encrypted_stack: EncryptedStack,
) -> None:
    """What the UI's fetch sends: POST {endpoint}/decode, JSON, X-Namespace, with credentials."""
    payloads = await DATA_CONVERTER.encode(["x"])
    body = {
        "payloads": [
            {
                "metadata": {
                    k: base64.b64encode(v).decode() for k, v in payloads[0].metadata.items()
                },
                "data": base64.b64encode(payloads[0].data).decode(),
            }
        ]
    }
    async with httpx.AsyncClient(base_url=encrypted_stack.api.url, timeout=30) as http:
        refused = await http.post(
            "/codec/decode",
            json=body,
            headers={"X-Namespace": "default", "Origin": encrypted_stack.ui_url},
        )
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == encrypted_stack.ui_url
