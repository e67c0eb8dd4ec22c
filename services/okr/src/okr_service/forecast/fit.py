"""Where a key result will land: a weighted least-squares line through its check-ins,
extended to the end of the cycle's last day, with an 80 % prediction band (§9 "Forecasts").

Pure arithmetic on a few hundred points at most (plain Python: a 2×2 normal equation
needs no numerical library). Recent check-ins weigh more: a check-in's weight halves
for every `HALF_LIFE_DAYS` it lies before the latest one, so a key result that changed
pace is forecast from its new pace.

The band is the prediction interval of one new observation at the cycle's end under
the line's model (homoscedastic noise): the fit's own uncertainty (the covariance of
the weighted estimates, `A·XᵀW²X·A` with `A = (XᵀWX)⁻¹`) plus the scatter of the
check-ins around it, scaled by Student's t at the effective degrees of freedom
(`ΣW − tr(A·XᵀW²X)`, which is n − 2 when all weights are equal)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from ..domain.progress import kr_progress, weighted_progress

HALF_LIFE_DAYS = 28.0
MIN_CHECK_INS = 3
MIN_DAYS = 2
LIKELY_TO_MISS_BELOW = 0.7
_DAY = 86400.0

# Student's t, two-sided 80 % (the 0.9 quantile), by degrees of freedom; interpolated.
_T90 = [(1.0, 3.078), (2.0, 1.886), (3.0, 1.638), (4.0, 1.533), (5.0, 1.476), (6.0, 1.440), (7.0, 1.415),
        (8.0, 1.397), (9.0, 1.383), (10.0, 1.372), (12.0, 1.356), (15.0, 1.341), (20.0, 1.325), (30.0, 1.310),
        (60.0, 1.296), (120.0, 1.289)]
_Z90 = 1.2816


def t90(dof: float) -> float:
    """The 0.9 quantile of Student's t with `dof` (≥ 1, may be fractional) degrees of freedom."""
    if dof <= _T90[0][0]:
        return _T90[0][1]
    if dof >= _T90[-1][0]:
        return _Z90
    i = bisect.bisect_left([d for d, _ in _T90], dof)
    (d0, t0), (d1, t1) = _T90[i - 1], _T90[i]
    return t0 + (t1 - t0) * (dof - d0) / (d1 - d0)


@dataclass(frozen=True, slots=True)
class Forecast:
    """The value expected at the end of the cycle and its 80 % band (low ≤ value ≤ high)."""

    value: float
    low: float
    high: float
    as_of: datetime  # the latest check-in it stands on

    def as_json(self) -> dict[str, object]:
        return {"value": self.value, "low": self.low, "high": self.high, "as_of": self.as_of.isoformat()}

    @classmethod
    def from_json(cls, raw: dict[str, object] | None) -> Forecast | None:
        if not raw:
            return None
        as_of = raw["as_of"]
        return cls(float(raw["value"]), float(raw["low"]), float(raw["high"]),  # type: ignore[arg-type]
                   as_of if isinstance(as_of, datetime) else datetime.fromisoformat(str(as_of)))


@dataclass(frozen=True, slots=True)
class Line:
    """A weighted least-squares fit: value = intercept + slope·x (x in days), and what the
    band needs."""

    intercept: float
    slope: float
    sigma2: float  # residual variance
    dof: float  # effective degrees of freedom
    cov: tuple[float, float, float]  # Var(intercept), Cov, Var(slope), each over σ²

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x

    def half_width(self, x: float, level_t: float | None = None) -> float:
        """Half the 80 % prediction interval of a new observation at x."""
        c00, c01, c11 = self.cov
        var = self.sigma2 * (1.0 + c00 + 2 * x * c01 + x * x * c11)
        return (level_t if level_t is not None else t90(self.dof)) * math.sqrt(max(var, 0.0))


def weighted_line(xs: Sequence[float], ys: Sequence[float], ws: Sequence[float]) -> Line | None:
    """The weighted least-squares line; None when the x's do not spread (one moment)."""
    s0 = sum(ws)
    if s0 <= 0:
        return None
    s1 = sum(w * x for w, x in zip(ws, xs, strict=True))
    s2 = sum(w * x * x for w, x in zip(ws, xs, strict=True))
    det = s0 * s2 - s1 * s1
    if det <= 1e-12 * max(1.0, s0 * s2):
        return None
    t0 = sum(w * y for w, y in zip(ws, ys, strict=True))
    t1 = sum(w * x * y for w, x, y in zip(ws, xs, ys, strict=True))
    # A = (XᵀWX)⁻¹ for X = [1, x].
    a00, a01, a11 = s2 / det, -s1 / det, s0 / det
    intercept = a00 * t0 + a01 * t1
    slope = a01 * t0 + a11 * t1
    rss = sum(w * (y - intercept - slope * x) ** 2 for w, x, y in zip(ws, xs, ys, strict=True))
    # M = XᵀW²X; the estimates' covariance is σ²·A·M·A, and E[Σw·r²] = σ²·(ΣW − tr(A·M)).
    m00 = sum(w * w for w in ws)
    m01 = sum(w * w * x for w, x in zip(ws, xs, strict=True))
    m11 = sum(w * w * x * x for w, x in zip(ws, xs, strict=True))
    dof = s0 - (a00 * m00 + 2 * a01 * m01 + a11 * m11)
    sigma2 = rss / dof if dof > 1e-9 else 0.0
    # A·M·A (symmetric 2×2).
    b00, b01 = a00 * m00 + a01 * m01, a00 * m01 + a01 * m11
    b10, b11 = a01 * m00 + a11 * m01, a01 * m01 + a11 * m11
    cov = (b00 * a00 + b01 * a01, b00 * a01 + b01 * a11, b10 * a01 + b11 * a11)
    return Line(intercept, slope, sigma2, max(dof, 1.0), cov)


def daily(points: Sequence[tuple[datetime, float]], tz: tzinfo) -> list[tuple[datetime, float]]:
    """The last point of each org-local day, oldest first: a key result fed every few
    minutes by a data source is fitted on days, not on thousands of near-equal points."""
    last: dict[date, tuple[datetime, float]] = {}
    for at, value in sorted(points, key=lambda p: p[0]):
        last[at.astimezone(tz).date()] = (at, value)
    return list(last.values())


def cycle_end(last_day: date, tz: tzinfo) -> datetime:
    """The end of the cycle's last day, in the org's timezone."""
    return datetime.combine(last_day + timedelta(days=1), time(0, 0), tzinfo=tz)


def forecast(points: Sequence[tuple[datetime, float]], *, kind: str, start: float, target: float, end: datetime,
             tz: tzinfo) -> Forecast | None:
    """Where a key result will be at `end` if it goes on as it has, or None when its
    history is too thin (fewer than three check-ins, or all on one org-local day).

    `points` are (created_at, value) of its check-ins, in any order. Boolean key results
    have no trend to extend: done is a forecast of done, not done has none. Milestones
    extend their done count, within 0…items; percents stay within 0…100."""
    if len(points) < MIN_CHECK_INS:
        return None
    ordered = sorted(points, key=lambda p: p[0])
    if len({at.astimezone(tz).date() for at, _ in ordered}) < MIN_DAYS:
        return None
    last_at, last_value = ordered[-1]
    if kind == "boolean":
        return Forecast(1.0, 1.0, 1.0, last_at) if last_value >= 0.5 else None
    origin = ordered[0][0]
    xs = [(at - origin).total_seconds() / _DAY for at, _ in ordered]
    ys = [v for _, v in ordered]
    ws = [0.5 ** ((xs[-1] - x) / HALF_LIFE_DAYS) for x in xs]
    line = weighted_line(xs, ys, ws)
    if line is None:
        return None
    x_end = max((end - origin).total_seconds() / _DAY, xs[-1])
    value = line.at(x_end)
    half = line.half_width(x_end)
    low, high = value - half, value + half
    bounds = {"milestone": (0.0, max(start, target)), "percent": (0.0, 100.0)}.get(kind)
    if bounds is not None:
        value, low, high = (min(max(v, bounds[0]), bounds[1]) for v in (value, low, high))
    return Forecast(_round(value), _round(low), _round(high), last_at)


def _round(x: float) -> float:
    return float(f"{x:.6g}")


def forecast_progress(kind: str, start: float, target: float, value: float) -> float:
    """Progress at the forecast value, by the same rule as the key result's own progress
    (a milestone's forecast is a done count, so its share of the items)."""
    if kind == "milestone":
        return kr_progress("number", 0.0, target, value) if target > 0 else 0.0
    return kr_progress(kind, start, target, value)


def objective_forecast_progress(parts: Sequence[tuple[float | None, float]]) -> float | None:
    """Weighted mean of (forecast progress, weight) where every key result has one; else None."""
    known = [(p, w) for p, w in parts if p is not None]
    if not parts or len(known) < len(parts):
        return None
    return round(weighted_progress(known), 4)


def forecast_field(stored: dict[str, object] | None, kind: str, start: float, target: float) -> dict[str, object] | None:
    """The key result's `forecast` field from the stored fit: {value, low, high, progress, as_of, at}."""
    if not stored:
        return None
    value = float(stored["value"])  # type: ignore[arg-type]
    return {"value": value, "low": stored["low"], "high": stored["high"],
            "progress": round(forecast_progress(kind, start, target, value), 4), "as_of": stored["as_of"],
            "at": stored.get("at")}
