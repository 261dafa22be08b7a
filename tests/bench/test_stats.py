"""The suite's arithmetic: percentiles, medians over repetitions, verdicts against targets,
and the table it prints."""

from __future__ import annotations

import math

from bench.stats import Figure, Spread, Target, markdown_table, median, percentile, text_table


def test_percentile_interpolates_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.5
    assert percentile(values, 99) == 99.01
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0
    assert percentile([3.0, 1.0, 2.0], 100) == 3.0


def test_percentile_of_nothing_is_nan() -> None:
    assert math.isnan(percentile([], 50))
    assert Spread.of([]).count == 0


def test_spread_of_samples() -> None:
    spread = Spread.of([0.1, 0.2, 0.3, 1.0])
    assert spread.count == 4
    assert spread.p50 == 0.25
    assert spread.max == 1.0
    assert math.isclose(spread.mean, 0.4)


def test_median_over_repetitions_ignores_missing_ones() -> None:
    assert median([3.0, math.nan, 1.0, 2.0]) == 2.0
    assert math.isnan(median([math.nan]))


def test_a_rate_passes_at_its_minimum_ratio_and_fails_below() -> None:
    target = Target("≥ 0.8× bare", min_ratio=0.8)
    assert target.met(floor=30.0, ours=24.0) is True
    assert target.met(floor=30.0, ours=23.9) is False


def test_a_cost_fails_above_its_maximum_ratio() -> None:
    target = Target("≤ 3× bare", max_ratio=3.0)
    assert target.met(floor=0.05, ours=0.15) is True
    assert target.met(floor=0.05, ours=0.2) is False


def test_an_absolute_bound_ignores_the_floor() -> None:
    target = Target("≤ 1.25", max_value=1.25)
    assert target.met(floor=math.nan, ours=1.1) is True
    assert target.met(floor=math.nan, ours=1.3) is False


def test_no_verdict_without_a_target_or_a_value() -> None:
    assert Target("").met(1.0, 2.0) is None
    assert Target("x", max_ratio=2).met(math.nan, 1.0) is None
    assert Target("x", max_ratio=2).met(1.0, math.nan) is None
    assert Target("x", max_ratio=2).met(0.0, 1.0) is None


def test_a_figure_reports_the_median_of_its_repetitions() -> None:
    figure = Figure(
        "starts",
        "starts/s at concurrency 20",
        "1/s",
        floor_reps=[30.0, 28.0, 31.0],
        ours_reps=[20.0, 25.0, 19.0],
        target=Target("≥ 0.8× bare", min_ratio=0.8),
    )
    assert figure.floor == 30.0
    assert figure.ours == 20.0
    assert math.isclose(figure.ratio, 20 / 30)
    assert figure.passed is False
    data = figure.as_json()
    assert data["ours_reps"] == [20.0, 25.0, 19.0]
    assert data["target"] == "≥ 0.8× bare"
    assert data["passed"] is False


def test_json_has_no_nan() -> None:
    figure = Figure("cpu", "API CPU per PUT", "CPU-s", ours_reps=[0.01])
    data = figure.as_json()
    assert data["floor"] is None and data["ratio"] is None and data["passed"] is None


def test_tables_show_each_figure_with_its_verdict() -> None:
    figures = [
        Figure(
            "cpu",
            "worker CPU per campaign",
            "CPU-s",
            floor_reps=[0.025],
            ours_reps=[0.2],
            target=Target("≤ 3× bare", max_ratio=3.0),
        ),
        Figure("reply", "p50 warm", "ms", floor_reps=[40.0], ours_reps=[950.0]),
    ]
    markdown = markdown_table(figures).splitlines()
    assert markdown[0].startswith("| figure | unit | floor (bare) | ours | ratio |")
    assert (
        markdown[2]
        == "| cpu: worker CPU per campaign | CPU-s | 0.025 | 0.2 | 8.00× | ≤ 3× bare | FAIL |"
    )
    assert markdown[3] == "| reply: p50 warm | ms | 40.0 | 950 | 23.75× |  |  |"
    text = text_table(figures).splitlines()
    assert len(text) == 3 and "FAIL" in text[1]
