"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import ServicesDep

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Temporal or the database is unreachable"}})
async def readyz(services: ServicesDep) -> JSONResponse:
    """200 only when Temporal and the database answer; 503 names the one that does not."""

    async def database() -> None:
        async with services.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def temporal() -> None:
        await services.temporal.service_client.check_health()

    checks = {"database": database, "temporal": temporal}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
            results[name] = "ok"
        except Exception as error:  # any failure means not ready
            results[name] = f"unreachable ({type(error).__name__})"
    down = [name for name, result in results.items() if result != "ok"]
    if down:
        return JSONResponse(
            {
                "error": {
                    "status": 503,
                    "code": "NOT_READY",
                    "message": f"Unreachable: {', '.join(down)}",
                    "details": [{"dependency": n, "state": results[n]} for n in checks],
                }
            },
            status_code=503,
        )
    return JSONResponse({"status": "ready", "checks": results})
