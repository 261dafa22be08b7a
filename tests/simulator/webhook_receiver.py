"""A tiny real HTTP server standing in for Campaign Executor's webhook endpoints.

It records every delivery and checks its signature with logic written here on purpose,
independently of `simulator.webhooks`, so a signing bug cannot hide behind shared code.
"""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response

from tests.support.simulator_process import free_port

MAX_SIGNATURE_AGE_SECONDS = 300
STARTUP_TIMEOUT_SECONDS = 60  # generous: a busy machine starts it slowly


def signature_is_valid(secret: str, headers: dict[str, str], raw_body: bytes) -> bool:
    timestamp = headers.get("x-signature-timestamp", "")
    signature = headers.get("x-signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SIGNATURE_AGE_SECONDS:
        return False
    signed = timestamp.encode() + b"." + raw_body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


@dataclass(frozen=True)
class ReceivedWebhook:
    path: str
    headers: dict[str, str]
    raw_body: bytes
    signature_valid: bool

    @property
    def payload(self) -> Any:
        return json.loads(self.raw_body)


class WebhookReceiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.port = free_port()
        # What the next deliveries are answered with; tests set it to provoke failures.
        self.answer_status = 204
        self._received: list[ReceivedWebhook] = []
        self._lock = threading.Lock()
        config = uvicorn.Config(
            self._build_app(), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[ReceivedWebhook]:
        with self._lock:
            return list(self._received)

    def reset(self) -> None:
        with self._lock:
            self._received.clear()
        self.answer_status = 204

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("webhook receiver did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks/{kind}")
        async def receive(kind: str, request: Request) -> Response:
            raw_body = await request.body()
            headers = {name.lower(): value for name, value in request.headers.items()}
            delivery = ReceivedWebhook(
                path=request.url.path,
                headers=headers,
                raw_body=raw_body,
                signature_valid=signature_is_valid(self.secret, headers, raw_body),
            )
            with self._lock:
                self._received.append(delivery)
            return Response(status_code=self.answer_status)

        return app
