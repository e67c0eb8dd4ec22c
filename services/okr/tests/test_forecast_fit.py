"""The forecast's arithmetic (pure: no database), against reference fits."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from okr_service.forecast.fit import Forecast, cycle_end, forecast, forecast_progress, t90, weighted_line

SEOUL = ZoneInfo("Asia/Seoul")
T0 = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)  # a Monday, 10:00 in Seoul
END = cycle_end(date(2027, 3, 31), SEOUL)  # 2027-03-31T15:00Z
WEEKS_TO_END = (END - T0).total_seconds() / 86400


def weekly(values: list[float], start: datetime = T0) -> list[tuple[datetime, float]]:
    return [(start + timedelta(days=7 * i), v) for i, v in enumerate(values)]


def test_the_end_is_midnight_after_the_last_day_in_the_org_timezone() -> None:
    assert END == datetime(2027, 3, 31, 15, 0, tzinfo=UTC)


def test_equal_weights_match_the_standard_librarys_regression() -> None:
    rng = random.Random(7)
    xs = [float(i) for i in range(12)]
    ys = [3 + 2.5 * x + rng.gauss(0, 4) for x in xs]
    line = weighted_line(xs, ys, [1.0] * len(xs))
    assert line is not None
    ref = statistics.linear_regression(xs, ys)
    assert line.slope == pytest.approx(ref.slope, rel=1e-9)
    assert line.intercept == pytest.approx(ref.intercept, rel=1e-9)
    # With equal weights: n − 2 degrees of freedom and the textbook prediction variance.
    assert line.dof == pytest.approx(len(xs) - 2)
    residuals = [y - (ref.intercept + ref.slope * x) for x, y in zip(xs, ys, strict=True)]
    s2 = sum(r * r for r in residuals) / (len(xs) - 2)
    mean_x = statistics.fmean(xs)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    x0 = 20.0
    textbook = t90(len(xs) - 2) * (s2 * (1 + 1 / len(xs) + (x0 - mean_x) ** 2 / sxx)) ** 0.5
    assert line.half_width(x0) == pytest.approx(textbook, rel=1e-9)


def test_integer_weights_fit_like_repeated_points() -> None:
    rng = random.Random(11)
    xs = [0.0, 3.0, 7.0, 10.0, 14.0, 21.0]
    ys = [rng.uniform(0, 50) for _ in xs]
    ws = [1.0, 2.0, 1.0, 3.0, 2.0, 4.0]
    line = weighted_line(xs, ys, ws)
    assert line is not None
    rx = [x for x, w in zip(xs, ws, strict=True) for _ in range(int(w))]
    ry = [y for y, w in zip(ys, ws, strict=True) for _ in range(int(w))]
    ref = statistics.linear_regression(rx, ry)
    assert (line.slope, line.intercept) == pytest.approx((ref.slope, ref.intercept), rel=1e-9)


def test_recent_check_ins_weigh_more() -> None:
    # Flat for six weeks, then climbing one a week for six: the forecast follows the new pace
    # more than an equal-weight line would.
    series = weekly([10.0] * 6 + [11.0, 12.0, 13.0, 14.0, 15.0, 16.0])
    f = forecast(series, kind="number", start=0, target=40, end=END, tz=SEOUL)
    xs = [(at - T0).total_seconds() / 86400 for at, _ in series]
    ref = statistics.linear_regression(xs, [v for _, v in series])
    assert f is not None and f.value > ref.intercept + ref.slope * WEEKS_TO_END


def test_flat_series_forecasts_where_it_is_with_no_spread() -> None:
    f = forecast(weekly([20.0] * 5), kind="number", start=0, target=100, end=END, tz=SEOUL)
    assert f == Forecast(20.0, 20.0, 20.0, T0 + timedelta(days=28))
    assert forecast_progress("number", 0, 100, f.value) == pytest.approx(0.2)


def test_linear_series_extends_its_line_to_the_end_of_the_last_day() -> None:
    f = forecast(weekly([0.0, 7.0, 14.0, 21.0]), kind="number", start=0, target=100, end=END, tz=SEOUL)
    assert f is not None
    assert f.value == pytest.approx(WEEKS_TO_END, rel=1e-5)  # one a day
    assert f.low == pytest.approx(f.value, rel=1e-5) and f.high == pytest.approx(f.value, rel=1e-5)
    assert f.as_of == T0 + timedelta(days=21)


def test_noisy_series_band_surrounds_the_value() -> None:
    rng = random.Random(3)
    series = weekly([5 + 3 * i + rng.gauss(0, 2) for i in range(8)])
    f = forecast(series, kind="number", start=0, target=60, end=END, tz=SEOUL)
    assert f is not None and f.low < f.value < f.high
    assert 5 + 3 * WEEKS_TO_END / 7 == pytest.approx(f.value, abs=3 * (f.high - f.low))


def test_decreasing_target_progress_grows_as_the_value_falls() -> None:
    # Latency from 240 ms down to 50: 10 ms a week.
    f = forecast(weekly([240.0, 230.0, 220.0, 210.0]), kind="number", start=240, target=50, end=END, tz=SEOUL)
    assert f is not None and f.value == pytest.approx(240 - 10 * WEEKS_TO_END / 7, rel=1e-5)
    assert forecast_progress("number", 240, 50, f.value) == pytest.approx((240 - f.value) / 190, rel=1e-4)
    assert f.low <= f.value <= f.high


def test_boolean_done_is_done_and_not_done_has_no_trend() -> None:
    done = forecast(weekly([0.0, 0.0, 1.0]), kind="boolean", start=0, target=1, end=END, tz=SEOUL)
    assert done is not None and (done.value, done.low, done.high) == (1.0, 1.0, 1.0)
    assert forecast(weekly([0.0, 1.0, 0.0]), kind="boolean", start=0, target=1, end=END, tz=SEOUL) is None


def test_milestone_extends_the_done_count_within_its_items() -> None:
    f = forecast(weekly([1.0, 2.0, 3.0]), kind="milestone", start=0, target=4, end=END, tz=SEOUL)
    assert f is not None and f.value == 4.0 and f.high == 4.0  # would be 12 items' worth: capped at 4
    slow = forecast(weekly([0.0, 0.0, 1.0], start=T0 + timedelta(days=60)), kind="milestone", start=0, target=4,
                    end=END, tz=SEOUL)
    assert slow is not None and 0 <= slow.low <= slow.value <= slow.high <= 4
    assert forecast_progress("milestone", 0, 4, slow.value) == pytest.approx(slow.value / 4)


def test_percent_stays_within_0_and_100() -> None:
    f = forecast(weekly([50.0, 70.0, 90.0]), kind="percent", start=0, target=100, end=END, tz=SEOUL)
    assert f is not None and f.value == 100.0 and f.high == 100.0


def test_too_little_history_has_no_forecast() -> None:
    one = [(T0, 5.0)]
    assert forecast(one, kind="number", start=0, target=10, end=END, tz=SEOUL) is None
    two = weekly([1.0, 2.0])
    assert forecast(two, kind="number", start=0, target=10, end=END, tz=SEOUL) is None
    # Three check-ins on one day in Seoul (00:30 and 14:00 UTC straddle nothing: 09:30 and 23:00 KST).
    day = datetime(2027, 1, 5, 0, 30, tzinfo=UTC)
    same_day = [(day, 1.0), (day + timedelta(hours=5), 2.0), (day + timedelta(hours=13, minutes=30), 3.0)]
    assert forecast(same_day, kind="number", start=0, target=10, end=END, tz=SEOUL) is None
    # In Los Angeles the same instants fall on two days (16:30 and 06:00 the next day).
    assert forecast(same_day, kind="number", start=0, target=10, end=END,
                    tz=ZoneInfo("America/Los_Angeles")) is not None


def test_t_quantiles() -> None:
    assert t90(1) == pytest.approx(3.078)
    assert t90(10) == pytest.approx(1.372)
    assert t90(11) == pytest.approx((1.372 + 1.356) / 2)
    assert t90(10_000) == pytest.approx(1.2816)


def test_the_band_holds_the_truth_about_eighty_percent_of_the_time() -> None:
    """A quarter of weekly check-ins on a noisy line, forecast from its first eight weeks:
    over many seeds the 80 % band holds the value measured at the quarter's end ~80 % of
    the time (neither far more: a band too wide says nothing, nor far less)."""
    hits = runs = 0
    for seed in range(2000):
        rng = random.Random(seed)
        slope, noise = rng.uniform(-2, 5), rng.uniform(0.5, 6)
        n = rng.randint(4, 10)
        series = weekly([100 + slope * 7 * i + rng.gauss(0, noise) for i in range(n)])
        truth = 100 + slope * WEEKS_TO_END + rng.gauss(0, noise)
        f = forecast(series, kind="number", start=0, target=1000, end=END, tz=SEOUL)
        assert f is not None
        runs += 1
        hits += f.low <= truth <= f.high
    print(f'coverage {hits / runs:.3f}')
    assert 0.75 <= hits / runs <= 0.85, hits / runs


def test_dense_readings_are_fitted_on_the_last_of_each_day() -> None:
    from okr_service.forecast.fit import daily

    every_hour = [(T0 + timedelta(hours=h), float(h)) for h in range(72)]  # 10:00 Jan 4 in Seoul onwards
    days = daily(every_hour, SEOUL)
    assert [at.astimezone(SEOUL).date().isoformat() for at, _ in days] == ["2027-01-04", "2027-01-05", "2027-01-06",
                                                                           "2027-01-07"]
    assert [v for _, v in days] == [13.0, 37.0, 61.0, 71.0]  # 23:00 in Seoul is 14:00 UTC
