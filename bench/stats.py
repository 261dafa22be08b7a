"""The arithmetic of the benchmark suite: percentiles, figures against their floor, and the
verdict of each figure against the target issue 13 sets.

Pure functions and dataclasses only (no I/O), so `tests/bench/` checks them in milliseconds.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0–100) by linear interpolation between closest ranks (numpy's
    default), so p99 of 50 samples is not simply the maximum."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Spread:
    """p50/p99/mean/max of one set of samples, in the samples' unit."""

    count: int
    p50: float
    p99: float
    mean: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            return cls(0, math.nan, math.nan, math.nan, math.nan)
        return cls(
            count=len(values),
            p50=percentile(values, 50),
            p99=percentile(values, 99),
            mean=statistics.fmean(values),
            max=max(values),
        )


def median(values: Sequence[float]) -> float:
    """The median over repetitions (NaN for none): one slow repetition on a shared machine
    does not move it."""
    clean = [v for v in values if not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


class Better(StrEnum):
    """Which direction of a figure is good."""

    HIGHER = "higher"  # rates: starts/s, sends/s
    LOWER = "lower"  # latencies, CPU, memory


@dataclass(frozen=True)
class Target:
    """Issue 13's target for a figure, as a bound on ours/floor (`max_ratio` for a cost,
    `min_ratio` for a rate) or on ours alone (`max_value`)."""

    text: str
    min_ratio: float | None = None
    max_ratio: float | None = None
    max_value: float | None = None

    def met(self, floor: float, ours: float) -> bool | None:
        """True/False, or None when there is nothing to judge (no target, a missing value)."""
        if math.isnan(ours):
            return None
        checks: list[bool] = []
        if self.min_ratio is not None or self.max_ratio is not None:
            ratio = ratio_of(ours, floor)
            if math.isnan(ratio):
                return None
            if self.min_ratio is not None:
                checks.append(ratio >= self.min_ratio)
            if self.max_ratio is not None:
                checks.append(ratio <= self.max_ratio)
        if self.max_value is not None:
            checks.append(ours <= self.max_value)
        return all(checks) if checks else None


NO_TARGET = Target("")


def ratio_of(ours: float, floor: float) -> float:
    if math.isnan(ours) or math.isnan(floor) or floor == 0:
        return math.nan
    return ours / floor


@dataclass
class Figure:
    """One row of the table: our figure beside the bare-Temporal floor measured in the same
    run, with every repetition kept so the JSON shows the spread behind the median."""

    part: str
    name: str
    unit: str
    floor_reps: list[float] = field(default_factory=list)
    ours_reps: list[float] = field(default_factory=list)
    target: Target = NO_TARGET
    note: str = ""

    @property
    def floor(self) -> float:
        return median(self.floor_reps)

    @property
    def ours(self) -> float:
        return median(self.ours_reps)

    @property
    def ratio(self) -> float:
        return ratio_of(self.ours, self.floor)

    @property
    def passed(self) -> bool | None:
        return self.target.met(self.floor, self.ours)

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["target"] = self.target.text
        data.update(floor=self.floor, ours=self.ours, ratio=self.ratio, passed=self.passed)
        return {key: _json_number(value) for key, value in data.items()}


def _json_number(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_json_number(v) for v in value]
    return value


def format_number(value: float) -> str:
    """Three significant figures, so a 0.004 s and a 950 ms column both read well."""
    if math.isnan(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def verdict(passed: bool | None) -> str:
    return {True: "pass", False: "FAIL", None: ""}[passed]


TABLE_HEADER = ("figure", "unit", "floor (bare)", "ours", "ratio", "target", "verdict")


def table_rows(figures: Sequence[Figure]) -> list[tuple[str, ...]]:
    return [
        (
            f"{f.part}: {f.name}",
            f.unit,
            format_number(f.floor),
            format_number(f.ours),
            "–" if math.isnan(f.ratio) else f"{f.ratio:.2f}×",
            f.target.text,
            verdict(f.passed),
        )
        for f in figures
    ]


def markdown_table(figures: Sequence[Figure]) -> str:
    """The table as GitHub markdown, ready to paste into docs/performance.md."""
    lines = [
        "| " + " | ".join(TABLE_HEADER) + " |",
        "|" + "|".join("---" for _ in TABLE_HEADER) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(figures)]
    return "\n".join(lines)


def text_table(figures: Sequence[Figure]) -> str:
    """The table with aligned columns, for the terminal."""
    rows = [TABLE_HEADER, *table_rows(figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_HEADER))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
