"""Log lines of the API and the worker: JSON when stderr is not a terminal, plain text on one.

One configuration, `logging.json` next to this module, serves both: uvicorn loads it with
`--log-config observability/logging.json` and the worker with `configure_logging()`. Every
line carries, where known:

- `request_id`: the API request it belongs to (api/telemetry.py sets it);
- `campaign_id` and `node_id`: the campaign and step an activity works on (`log_context`);
- `workflow_id`: from the Temporal SDK's `temporal_activity` / `temporal_workflow` extra.

Only these fields and the line's time, level, logger and message are written, never other
`extra` values. Messages hold ids, never message texts, subjects, names, emails or tokens
(tests/test_observability_logs.py drives a campaign through the stack to prove it). uvicorn's
own access line is silenced: it holds the query string; api/telemetry.py writes one instead.
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from config import get_settings

LOGGING_CONFIG = Path(__file__).with_name("logging.json")
CONTEXT_FIELDS = ("request_id", "campaign_id", "workflow_id", "node_id")
_JSON_FIELDS = frozenset({"time", "level", "logger", "message", "exc_info", *CONTEXT_FIELDS})

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_campaign_id: ContextVar[str | None] = ContextVar("campaign_id", default=None)
_node_id: ContextVar[int | None] = ContextVar("node_id", default=None)


@contextmanager
def log_context(*, campaign_id: str | None = None, node_id: int | None = None) -> Iterator[None]:
    """Lines logged in this block (in this task) carry the campaign and node ids."""
    tokens = [_campaign_id.set(campaign_id), _node_id.set(node_id)]
    try:
        yield
    finally:
        _node_id.reset(tokens[1])
        _campaign_id.reset(tokens[0])


class ContextFilter(logging.Filter):
    """Puts the context fields on every record (None where unknown); runs on the handler, in
    the task that logs, so the context variables are that task's."""

    def filter(self, record: logging.LogRecord) -> bool:
        temporal = getattr(record, "temporal_activity", None) or getattr(
            record, "temporal_workflow", None
        )
        values = {
            "request_id": request_id.get(),
            "campaign_id": _campaign_id.get(),
            "workflow_id": temporal.get("workflow_id") if isinstance(temporal, dict) else None,
            "node_id": _node_id.get(),
        }
        for name, value in values.items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


class ContextJsonFormatter(JsonFormatter):
    """One JSON object a line: time, level, logger, message, the context fields that are known,
    and the traceback if any. Other `extra` values are left out."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in log_data.items() if k in _JSON_FIELDS and v is not None}


class ContextTextFormatter(logging.Formatter):
    """The plain line for a terminal, with the known context fields at its end."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        known = [f"{f}={getattr(record, f)}" for f in CONTEXT_FIELDS if getattr(record, f, None)]
        return f"{line} [{' '.join(known)}]" if known else line


def formatter_for(log_format: str, stream: Any = None) -> logging.Formatter:
    """`json`, `text`, or `auto`: JSON unless `stream` (stderr) is a terminal."""
    if log_format == "auto":
        stream = stream if stream is not None else sys.stderr
        log_format = "text" if stream.isatty() else "json"
    return ContextJsonFormatter() if log_format == "json" else ContextTextFormatter()


def formatter_from_settings() -> logging.Formatter:
    """logging.json's formatter factory: LOG_FORMAT from the settings."""
    return formatter_for(get_settings().log_format)


def configure_logging() -> None:
    """The worker's logging (the API's comes from uvicorn's `--log-config`)."""
    logging.config.dictConfig(json.loads(LOGGING_CONFIG.read_text()))
