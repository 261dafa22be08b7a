"""Probes that tell when a process of the stack is ready: each raises `NotReady` until it is."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from config import Settings
from devstack.ports import HOST
from temporal_client import connect_temporal, register_search_attributes


class NotReady(Exception):
    """Not ready yet; the message says what was seen."""


async def port_accepts(port: int) -> None:
    try:
        _reader, writer = await asyncio.open_connection(HOST, port)
    except OSError as error:
        raise NotReady(f"{HOST}:{port} refuses connections ({error.strerror})") from None
    writer.close()
    await writer.wait_closed()


async def http_ok(http: httpx.AsyncClient, url: str) -> Any:
    """The JSON body of a 200 answer from `url`."""
    try:
        response = await http.get(url)
    except httpx.TransportError as error:
        raise NotReady(f"GET {url}: {type(error).__name__}") from None
    if response.status_code != 200:
        raise NotReady(f"GET {url} answered {response.status_code}: {response.text[:300]}")
    return response.json()


async def temporal_client(settings: Settings) -> Client:
    """A client of the dev server, once the server answers and knows our search attributes."""
    client = await connect_temporal(settings)
    # `--search-attribute` is ignored for a database file that already exists, so make sure.
    await register_search_attributes(client, settings.temporal_namespace)
    return client


async def worker_polling(client: Client, task_queue: str, since: datetime) -> None:
    """Whether a worker started after `since` polls the workflow task queue."""
    described = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    if not any(p.last_access_time.ToDatetime(since.tzinfo) >= since for p in described.pollers):
        raise NotReady(f"no worker polls task queue {task_queue!r} yet")
