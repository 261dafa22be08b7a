"""The platform's single error shape: `{"error": CODE, "detail": "..."}` for every 4xx/5xx."""

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

# Routes whose invalid request body is reported as INVALID_MESSAGE instead of INVALID_REQUEST.
MESSAGE_BODY_ROUTES = frozenset({"post_message"})


class PlatformHTTPError(Exception):
    def __init__(
        self, status_code: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status_code} {code}")
        self.status_code = status_code
        self.code = code
        self.detail = detail
        self.headers = headers or {}


def not_found(what: str) -> PlatformHTTPError:
    return PlatformHTTPError(404, "NOT_FOUND", f"{what} not found.")


def unauthorized(detail: str) -> PlatformHTTPError:
    return PlatformHTTPError(401, "UNAUTHORIZED", detail, {"WWW-Authenticate": "Bearer"})


def error_response(
    status_code: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_code=status_code, content={"error": code, "detail": detail}, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PlatformHTTPError)
    async def _platform_error(request: Request, exc: PlatformHTTPError) -> JSONResponse:
        return error_response(exc.status_code, exc.code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        route = request.scope.get("route")
        in_message_body = getattr(route, "name", None) in MESSAGE_BODY_ROUTES and any(
            error["loc"] and error["loc"][0] == "body" for error in exc.errors()
        )
        code = "INVALID_MESSAGE" if in_message_body else "INVALID_REQUEST"
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        return error_response(422, code, problems or "Invalid request.")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        try:
            code = HTTPStatus(exc.status_code).name
        except ValueError:
            code = "HTTP_ERROR"
        return error_response(exc.status_code, code, str(exc.detail), exc.headers)
