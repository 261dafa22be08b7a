"""Reading the platform's JSON answers into our types, with errors that quote no personal data."""

from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from recruiting_platform.errors import PlatformTransient

T = TypeVar("T")


def parse_answer(adapter: TypeAdapter[T], content: bytes, *, where: str, status_code: int) -> T:
    """`content` read with `adapter`; an answer we cannot read is a `PlatformTransient` naming
    the request (`where`, e.g. "GET /role/7/candidate") and the first problem's place."""
    try:
        return adapter.validate_json(content)
    except ValidationError as exc:
        # Not chained: the validation error quotes the payload, which holds personal data.
        first = exc.errors(include_input=False, include_url=False)[0]
        place = ".".join(str(part) for part in first["loc"]) or "body"
        raise PlatformTransient(
            f"{where}: unreadable answer "
            f"({exc.error_count()} problem(s), first at {place}: {first['type']})",
            status_code=status_code,
        ) from None
