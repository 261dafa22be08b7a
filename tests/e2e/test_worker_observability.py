"""`python worker.py` as operators run it: its metrics ports answer (ours and the Temporal
SDK's) and, its output not being a terminal, every log line is a JSON object."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment

from campaigns.status import WaitCause
from tests.conftest import SERVICE_TOKEN, WEBHOOK_SECRET, fresh_database
from tests.support.campaigns import eventually
from tests.support.simulator_process import free_port
from tests.support.worker_process import WorkerProcess


async def _families(url: str) -> dict[str, list]:
    """The endpoint's metric families by name; empty while it does not answer yet."""
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(url)
    except httpx.TransportError:
        return {}
    return {f.name: f.samples for f in text_string_to_metric_families(response.text)}


async def _polling(log: Path) -> bool:
    return "Worker polling" in log.read_text() if log.exists() else False


async def test_worker_serves_its_metrics_and_the_sdk_metrics_and_logs_json_lines(
    dev_temporal_env: WorkflowEnvironment, simulator: str, task_queue: str, tmp_path: Path
) -> None:
    ours, sdk = free_port(), free_port()
    async with fresh_database("sqlite", tmp_path) as database_url:
        worker = WorkerProcess(
            {
                **os.environ,
                "TEMPORAL_ADDRESS": dev_temporal_env.client.service_client.config.target_host,
                "TEMPORAL_TASK_QUEUE": task_queue,
                "DATABASE_URL": database_url,
                "PLATFORM_BASE_URL": simulator,
                "PLATFORM_SERVICE_TOKEN": SERVICE_TOKEN,
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
                "WORKER_METRICS_PORT": str(ours),
                "TEMPORAL_METRICS_PORT": str(sdk),
                "LOG_FORMAT": "auto",
            },
            tmp_path / "worker.log",
        )
        worker.start()
        try:
            await eventually(lambda: _polling(worker.log), timeout=120)
            own = await _families(f"http://127.0.0.1:{ours}/metrics")
            temporal = await _families(f"http://127.0.0.1:{sdk}/metrics")
        finally:
            worker.stop()

    waiting = {s.labels["cause"]: s.value for s in own["campaign_executor_campaigns_waiting"]}
    assert waiting == {cause.value: 0 for cause in WaitCause}
    assert "campaign_executor_messages" in own
    assert any(name.startswith("temporal_") for name in temporal)

    lines = [json.loads(line) for line in worker.log.read_text().splitlines() if line.strip()]
    polling = next(line for line in lines if line["message"].startswith("Worker polling"))
    assert {"time", "level", "logger"} <= polling.keys()
    assert polling["level"] == "INFO"
