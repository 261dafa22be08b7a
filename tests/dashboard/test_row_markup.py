"""The role page renders its rows' repeated pieces with Python helpers (a macro call per cell
was the render's largest cost); they must give exactly the markup of macros.html's macros, so a
change to one without the other fails here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.dashboard import presenters, role_page  # noqa: F401  (registers the row helpers)
from api.dashboard.templating import templates

AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def _macro(name: str, *args: object) -> str:
    module = templates.env.get_template("macros.html").make_module({"poll_seconds": 3})
    return str(getattr(module, name)(*args))


def _helper(name: str, *args: object) -> str:
    return str(templates.env.globals[f"row_{name}"](*args))


@pytest.mark.parametrize("fmt", ["both", "relative", "absolute", "left"])
def test_when_matches_the_macro(fmt: str) -> None:
    assert _helper("when", AT, fmt) == _macro("when", AT, fmt)


@pytest.mark.parametrize("status", sorted(presenters.STATUS_BADGES))
def test_badge_matches_the_macro(status: str) -> None:
    badge = presenters.status_badge(status)
    assert _helper("badge", badge) == _macro("badge", badge)


@pytest.mark.parametrize(
    ("has_email", "has_linkedin"), [(True, True), (True, False), (False, True), (False, False)]
)
def test_channels_match_the_macro(has_email: bool, has_linkedin: bool) -> None:
    def squeezed(markup: str) -> str:  # the macro's line breaks and indentation are layout only
        return "".join(part.strip() for part in markup.splitlines())

    assert squeezed(_helper("channels", has_email, has_linkedin)) == squeezed(
        _macro("channels", has_email, has_linkedin)
    )
