"""One error shape for every 4xx and 5xx answer:

{"error": {"status": 422, "code": "INVALID_DEFINITION", "message": "...", "details": [...]}}
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from campaigns.validation import describe_errors

logger = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """Raise from routes and services; becomes the one error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers


def not_found(what: str = "Not found") -> ApiError:
    return ApiError(404, "NOT_FOUND", what)


def temporal_unavailable() -> ApiError:
    return ApiError(503, "TEMPORAL_UNAVAILABLE", "Temporal is unavailable; try again shortly")


def database_unavailable() -> ApiError:
    return ApiError(503, "DATABASE_UNAVAILABLE", "The database is unavailable; try again shortly")


def is_temporal_connect_failure(error: BaseException) -> bool:
    # A lazily connected client raises RuntimeError when the server cannot be reached.
    return isinstance(error, RuntimeError) and "Failed client connect" in str(error)


def error_response(error: ApiError) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            status=error.status, code=error.code, message=error.message, details=error.details
        )
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=error.status, headers=error.headers
    )


_HTTP_CODES = {
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "BODY_TOO_LARGE",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(error.status_code, "HTTP_ERROR")
        return error_response(ApiError(error.status_code, code, str(error.detail)))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = list(error.errors())
        body_errors = [e for e in errors if e.get("loc", ("",))[0] == "body"]
        if body_errors and request.url.path.endswith("/campaign"):
            problems = describe_errors(body_errors, error.body)
            return error_response(
                ApiError(
                    422,
                    "INVALID_DEFINITION",
                    "The campaign definition is invalid: "
                    + "; ".join(
                        (f"node {p.nodeId}: " if p.nodeId is not None else "")
                        + f"{p.field}: {p.reason}"
                        for p in problems
                    ),
                    [p.model_dump() for p in problems],
                )
            )
        if body_errors and request.url.path.startswith("/sending-settings"):
            details = [field_problem(e, in_body=True) for e in body_errors]
            message = "The sending settings are invalid: " + "; ".join(
                f"{d['field']}: {d['reason']}" for d in details
            )
            return error_response(ApiError(422, "INVALID_SENDING_SETTINGS", message, details))
        details = [
            {
                "field": ".".join(str(part) for part in e.get("loc", ())),
                "reason": str(e.get("msg", "invalid")),
            }
            for e in errors
        ]
        message = "; ".join(f"{d['field']}: {d['reason']}" for d in details)
        return error_response(ApiError(422, "INVALID_REQUEST", message, details))

    @app.exception_handler(RPCError)
    async def _temporal_error(_: Request, error: RPCError) -> JSONResponse:
        logger.warning("Temporal call failed: %s", error.status)
        return error_response(temporal_unavailable())

    @app.exception_handler(SQLAlchemyError)
    async def _database_error(_: Request, error: SQLAlchemyError) -> JSONResponse:
        if isinstance(error, DBAPIError | SQLAlchemyTimeoutError):
            logger.warning("Database unavailable: %s", type(error).__name__)
            return error_response(database_unavailable())
        logger.exception("Database error: %s", type(error).__name__)
        return error_response(ApiError(500, "INTERNAL_ERROR", "Internal server error"))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        if is_temporal_connect_failure(error):
            return error_response(temporal_unavailable())
        if isinstance(error, ConnectionError | OSError):
            # A database driver that fails to connect raises these before SQLAlchemy wraps them.
            logger.warning("Dependency unreachable: %s", type(error).__name__)
            return error_response(database_unavailable())
        logger.exception("Unhandled error: %s", type(error).__name__)
        return error_response(ApiError(500, "INTERNAL_ERROR", "Internal server error"))


def field_problem(error: Any, *, in_body: bool = False) -> dict[str, str]:
    """A validation error as {field, reason}: the camelCase path (without the leading "body"
    of a request's), and a rule over several fields named by the field it is about."""
    path = [str(part) for part in error.get("loc", ())[1 if in_body else 0 :]]
    reason = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    rule = (error.get("ctx") or {}).get("error")
    if rule is not None and hasattr(rule, "field") and hasattr(rule, "reason"):
        path.append(rule.field)
        reason = rule.reason
    return {"field": ".".join(path) or "body", "reason": reason}


# For OpenAPI: what every route may answer besides its success, with an example of each code.
_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, malformed or rejected Authorization header (or webhook signature)",
    404: "Not found (or not yours)",
    409: "Conflicts with the candidate's active campaign",
    413: "The request body is larger than MAX_REQUEST_BODY_BYTES",
    422: "Invalid input; `details` names each field and the reason",
    429: "Over a rate limit; Retry-After says when to try again",
    503: "A dependency (Temporal, the database or the platform) is unavailable",
}
_EXAMPLES: dict[int, list[tuple[str, str, list[dict[str, Any]] | None]]] = {
    400: [("HTTP_ERROR", "There was an error parsing the body", None)],
    401: [
        ("UNAUTHORIZED", "The platform rejected this token", None),
        ("BAD_SIGNATURE", "Webhook rejected: signature does not match", None),
    ],
    404: [("NOT_FOUND", "Candidate not found in this role", None)],
    409: [
        (
            "CAMPAIGN_ACTIVE",
            "The candidate already has an active campaign (with a different definition, or for "
            "another of your roles); PUT again with ?replace=true to cancel it and start this one",
            [{"campaignId": "0b7c3f7e-3f0e-4a57-9d2a-6c1f2a9e8b11", "roleId": 10}],
        ),
        ("CANDIDATE_BUSY", "The candidate already has an active campaign", None),
        ("CONFLICT", "The candidate's campaign is changing; try again", None),
    ],
    413: [("BODY_TOO_LARGE", "The request body is larger than 1048576 bytes", None)],
    422: [
        (
            "INVALID_DEFINITION",
            "The campaign definition is invalid: node 3: delaySeconds: must be at least 1",
            [{"nodeId": 3, "field": "delaySeconds", "reason": "must be at least 1"}],
        ),
        (
            "INVALID_SENDING_SETTINGS",
            "The sending settings are invalid: limits.emailsPerDay: must be at most 500",
            [{"field": "limits.emailsPerDay", "reason": "must be at most 500"}],
        ),
        (
            "INVALID_REQUEST",
            "limit: Input should be less than or equal to 500",
            [{"field": "query.limit", "reason": "Input should be less than or equal to 500"}],
        ),
    ],
    429: [("RATE_LIMITED", "Too many requests (at most 1200 per 1 minute); retry in 12 s", None)],
    503: [
        ("TEMPORAL_UNAVAILABLE", "Temporal is unavailable; try again shortly", None),
        ("DATABASE_UNAVAILABLE", "The database is unavailable; try again shortly", None),
        (
            "PLATFORM_UNAVAILABLE",
            "The recruiting platform did not answer (timed out after 10 s)",
            None,
        ),
    ],
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": ErrorResponse,
            "description": _DESCRIPTIONS[status],
            "content": {
                "application/json": {
                    "examples": {
                        code: {
                            "summary": code,
                            "value": ErrorResponse(
                                error=ErrorBody(
                                    status=status, code=code, message=message, details=details
                                )
                            ).model_dump(exclude_none=True),
                        }
                        for code, message, details in _EXAMPLES[status]
                    }
                }
            },
        }
        for status in statuses
    }
