"""axe-core inside the browser tests: inject the engine into a page, run it, and keep the
violations a person is blocked by (impact serious or critical).

The engine is the axe.min.js that `axe-playwright-python` ships (axe-core, MPL-2.0), so the
check runs offline; Playwright's evaluate is not subject to the page's Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.async_api import Page

BLOCKING_IMPACTS = frozenset({"serious", "critical"})
# WCAG 2.1 A and AA plus axe's best practices (landmarks, one main, heading order…).
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@dataclass(frozen=True)
class Violation:
    """One rule broken on one element."""

    rule: str
    impact: str
    target: str
    summary: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}) at {self.target}: {self.summary}"


async def blocking_violations(page: Page) -> list[Violation]:
    """The page's serious and critical axe violations, one per offending element."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(AXE_SCRIPT)
    results: dict[str, Any] = await page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]
        })""",
        RULE_TAGS,
    )
    return [
        Violation(
            rule=rule["id"],
            impact=node.get("impact") or rule.get("impact") or "",
            target=" ".join(str(part) for part in node["target"]),
            summary=(node.get("failureSummary") or rule["help"]).replace("\n", " "),
        )
        for rule in results["violations"]
        for node in rule["nodes"]
        if (node.get("impact") or rule.get("impact")) in BLOCKING_IMPACTS
    ]


async def assert_accessible(
    page: Page, *, ignore: Callable[[Violation], bool] | None = None
) -> None:
    """Fail with every serious or critical violation on the page (rule, element, why).

    `ignore` leaves out violations another change is known to fix; say which in a comment."""
    violations = [v for v in await blocking_violations(page) if not (ignore and ignore(v))]
    assert not violations, f"{len(violations)} accessibility violations on {page.url}:\n" + (
        "\n".join(f"  - {violation}" for violation in violations)
    )
