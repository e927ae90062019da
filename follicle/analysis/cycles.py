"""Limit cycles measured from simulation: the period and amplitude of the oscillation a
run settles on."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from follicle.analysis.results import Cycle
from follicle.analysis.system import check_model
from follicle.model import Model
from follicle.units import as_magnitude

#: Relative swing below which a variable counts as constant in :func:`find_cycle`: well
#: above the integration noise a weakly damped focus keeps ringing with (about 1e-6 at
#: ``rtol = 1e-8``).
_SWING_TOL = 1e-4


def _upward_crossings(times, values, level):
    below = values[:-1] < level
    i = np.flatnonzero(below & (values[1:] >= level))
    frac = (level - values[i]) / (values[i + 1] - values[i])
    return times[i] + frac * (times[i + 1] - times[i])


def _peak(row: np.ndarray) -> float:
    """Largest value of ``row`` (on an even grid), refined by the parabola through the
    largest sample and its neighbours."""
    i = int(np.argmax(row))
    if 0 < i < row.size - 1:
        left, mid, right = row[i - 1], row[i], row[i + 1]
        curvature = left - 2 * mid + right
        if curvature < 0:
            return float(mid - (right - left) ** 2 / (8 * curvature))
    return float(row[i])


def measure_cycle(run, model: Model, start: float, params) -> Cycle:
    """Measure the oscillation of ``run`` on ``[start, end]`` (see :class:`Cycle`)."""
    keep = run.t >= start
    times = run.t[keep]
    names = model.state_names
    values = np.array([run[name][keep] for name in names])
    high = np.array([_peak(row) for row in values])
    low = np.array([-_peak(-row) for row in values])
    scales = np.array([s.scale for s in model.states.values()])
    size = np.maximum(scales, np.abs(values).max(axis=1))
    swing = (high - low) / size
    i = int(np.argmax(swing))
    ref = values[i]
    level = (low[i] + high[i]) / 2
    ups = _upward_crossings(times, ref, level)
    half = times[0] + (times[-1] - times[0]) / 2
    first, second = ref[times < half], ref[times >= half]
    sustained = first.size > 1 and second.size > 1 and np.ptp(second) >= 0.9 * np.ptp(first)
    oscillating = bool(swing[i] > _SWING_TOL and ups.size >= 3 and sustained)
    return Cycle(
        oscillating=oscillating,
        period=float(np.mean(np.diff(ups))) if oscillating else math.nan,
        names=names,
        minimum=low,
        maximum=high,
        reference=names[i],
        window=(float(times[0]), float(times[-1])),
        parameters=tuple(params),
    )


def find_cycle(
    model: Model,
    params: Mapping | None = None,
    *,
    initial: Mapping | None = None,
    days,
    transient=None,
    points_per_day: float | None = None,
    rtol: float = 1e-8,
    method: str = "LSODA",
) -> Cycle:
    """Simulate ``model`` and measure the oscillation it settles on.

    The run covers ``[0, days]``; the window ``[transient, days]`` is measured. The state
    with the largest relative swing :math:`(\\max - \\min)/\\max(\\text{scale}, |y|)` is
    the reference; the period is the mean interval between its upward crossings of the
    mid-level :math:`(\\max + \\min)/2` (linear interpolation between output times), and
    each state's amplitude is :math:`(\\max - \\min)/2` over the window. The run counts
    as oscillating when the reference swings by more than ``1e-4`` of its size, crosses
    upwards at least three times, and its swing over the second half of the window is at
    least 90% of that over the first half (a decaying oscillation fails this, given a
    window of a few decay times).

    Parameters
    ----------
    model : Model
    params, initial : mapping, optional
        Overrides, as for :func:`follicle.simulate`.
    days : float, str or pint.Quantity
        Length of the run.
    transient : float, str or pint.Quantity, optional
        Start of the measurement window (default: ``days / 2``).
    points_per_day : float, optional
        Output density (default: 4000 points over the run, at least 10 per day). Period
        and amplitude are as accurate as the output grid resolves the oscillation.
    rtol : float, default 1e-8
    method : str, default "LSODA"
        Integration method (:data:`follicle.simulate.METHODS`).

    Returns
    -------
    Cycle

    Raises
    ------
    TimeSpanError
        ``transient`` outside ``[0, days)``.
    SolverError, ParameterValueError, UnknownNameError
        As :func:`follicle.simulate`.
    """
    from follicle.errors import TimeSpanError
    from follicle.simulate import simulate

    check_model(model)
    total = as_magnitude(days, model.time_unit, what="days")
    start = (
        total / 2
        if transient is None
        else as_magnitude(transient, model.time_unit, what="transient")
    )
    if not 0 <= start < total:
        raise TimeSpanError(
            f"transient = {start:g} day must lie in [0, {total:g}) day, the simulated span"
        )
    density = max(4000 / total, 10.0) if points_per_day is None else float(points_per_day)
    t_eval = np.linspace(0.0, total, int(min(max(density * total, 200), 2_000_000)) + 1)
    run = simulate(
        model, days=total, t_eval=t_eval, params=params, initial=initial, method=method, rtol=rtol
    )
    return measure_cycle(run, model, start, run.parameters)
