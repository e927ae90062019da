"""The readouts as functions of a :class:`~follicle.Trajectory`.

Each cuts the trajectory at its output times into pieces with linear interpolation and
hands them to the reduction of :mod:`follicle.readouts.pieces` that an ensemble feeds with
its integrator's steps: one implementation, two interpolants. Their accuracy here is that
of the output grid (10 points per day by default); for readouts accurate to the
integration tolerance, pass them to :func:`~follicle.simulate` (``readouts=``, read back
with :meth:`Trajectory.readout <follicle.Trajectory.readout>`) or to
:func:`~follicle.simulate_ensemble`, or pass a :class:`~follicle.Threshold` event.

A crossing that does not happen within the window is not an error: the readout returns
``nan``, the conventional "not observed" of a sweep table.
"""

from __future__ import annotations

import math

import numpy as np

from follicle.errors import FollicleError, TimeSpanError
from follicle.readouts.pieces import Average, Crossing, Extreme, Pieces, Value
from follicle.units import as_magnitude

_ONE = np.zeros(1, dtype=np.intp)


def _window(traj, start, stop):
    t, unit = traj.t, traj.time_unit
    a = t[0] if start is None else as_magnitude(start, unit, what="window start")
    b = t[-1] if stop is None else as_magnitude(stop, unit, what="window stop")
    if not a < b:
        raise TimeSpanError(f"readout window [{a:g}, {b:g}] {unit} is empty or reversed")
    if a < t[0] or b > t[-1]:
        raise TimeSpanError(
            f"readout window [{a:g}, {b:g}] {unit} lies outside the trajectory "
            f"[{t[0]:g}, {t[-1]:g}] {unit}"
        )
    return a, b


def _reduce(reduction, t, g, a=-math.inf, b=math.inf) -> float:
    """Feed ``reduction`` the time course ``g(t)``, cut at the times ``t`` into linear
    pieces (those meeting ``[a, b]``), and return its number. A repeated time is a jump
    from the value before to the value after (as at a breakpoint)."""
    first = max(int(np.searchsorted(t, a, side="right")) - 1, 0)
    last = min(int(np.searchsorted(t, b, side="left")), t.size - 1)
    t, g = t[first : last + 1], g[first : last + 1]
    reduction.start(_ONE, t[:1], g[:1])
    jumps = np.flatnonzero(t[1:] == t[:-1])
    for lo, hi in zip(np.r_[0, jumps + 1], np.r_[jumps, t.size - 1], strict=True):
        if hi > lo:
            ga, gb = g[lo:hi], g[lo + 1 : hi + 1]

            def linear(theta, s, ga=ga, gb=gb):  # exact at the ends, constant if equal
                return np.where(theta >= 1.0, gb[s], ga[s] + theta * (gb[s] - ga[s]))

            zeros = np.zeros(hi - lo, dtype=np.intp)
            reduction.step(Pieces(zeros, t[lo:hi], t[lo + 1 : hi + 1], linear))
        if hi < t.size - 1:  # t[hi] == t[hi + 1]
            reduction.jump(_ONE, t[hi : hi + 1], g[hi : hi + 1], g[hi + 1 : hi + 2])
    return float(reduction.result()[0])


def _direction(direction):
    if direction not in ("up", "down", "either"):
        raise FollicleError(f"direction must be 'up', 'down' or 'either', got {direction!r}")


def value_at(traj, name: str, time) -> float:
    """Value of ``name`` at ``time`` (linear interpolation between output times)."""
    unit = traj.time_unit
    tt = as_magnitude(time, unit, what="time")
    if not traj.t[0] <= tt <= traj.t[-1]:
        raise TimeSpanError(
            f"time {tt:g} {unit} is outside the trajectory [{traj.t[0]:g}, {traj.t[-1]:g}] {unit}"
        )
    return _reduce(Value(1, tt), traj.t, traj[name])


def crossing_times(
    traj, name: str, threshold, *, direction: str = "up", start=None, stop=None
) -> np.ndarray:
    """Every time in ``[start, stop]`` at which ``name`` crosses ``threshold``.

    Parameters
    ----------
    traj : Trajectory
    name : str
        A state or observable.
    threshold : float, str or pint.Quantity
        The level, in the variable's unit (bare numbers) or any compatible unit.
    direction : {"up", "down", "either"}
        ``"up"``: from below to at-or-above; ``"down"``: the reverse.
    start, stop : float, str or pint.Quantity, optional
        The window (default: the whole trajectory).

    Returns
    -------
    ndarray
        The crossing times (in the trajectory's time unit), in order, each linearly
        interpolated between the bracketing output times: for samples
        :math:`y_i < c \\le y_{i+1}` (upwards),
        :math:`t = t_i + (t_{i+1} - t_i)(c - y_i)/(y_{i+1} - y_i)`. Empty if there is
        none.
    """
    _direction(direction)
    level = as_magnitude(threshold, traj.unit(name), what=f"threshold on {name!r}")
    a, b = _window(traj, start, stop)
    crossings = Crossing(1, level, direction, a, b, every=True)
    _reduce(crossings, traj.t, traj[name], a, b)
    return np.array(crossings.found[0])


def crossing_time(
    traj, name: str, threshold, *, direction: str = "up", start=None, stop=None
) -> float:
    """First time in ``[start, stop]`` at which ``name`` crosses ``threshold``.

    As :func:`crossing_times`; returns the first crossing, or ``nan`` if there is
    no crossing in the window.
    """
    _direction(direction)
    level = as_magnitude(threshold, traj.unit(name), what=f"threshold on {name!r}")
    a, b = _window(traj, start, stop)
    return _reduce(Crossing(1, level, direction, a, b), traj.t, traj[name], a, b)


def _extreme(traj, name, start, stop, sign) -> tuple[float, float]:
    """Time and value of the largest ``sign * traj[name]`` on the window (``nan`` for both
    if the values there are not all numbers)."""
    a, b = _window(traj, start, stop)
    g = sign * traj[name]
    inside = (traj.t >= a) & (traj.t <= b)
    if np.isnan(g[inside]).any():
        return math.nan, math.nan
    largest = Extreme(1, "value", a, b)
    value = _reduce(largest, traj.t, g, a, b)
    return float(largest.out[0]) if not math.isnan(value) else math.nan, sign * value


def peak(traj, name: str, *, start=None, stop=None) -> tuple[float, float]:
    """Time and value of the maximum of ``name`` on ``[start, stop]`` (the first time it is
    reached; ``nan`` for both if a value there is ``nan``)."""
    return _extreme(traj, name, start, stop, 1.0)


def recovery_time(traj, name: str, level, *, start=None, stop=None) -> float:
    """First time after the lowest point of ``name`` on ``[start, stop]`` that it regains
    ``level``.

    With :math:`t_{min} = \\arg\\min_{[a, b]} y`, this is the first up-crossing of
    ``level`` on :math:`[t_{min}, b]`: the moment a quantity knocked down by a
    perturbation (fur after a chemotherapy pulse) has come back.

    Returns
    -------
    float
        The time (not the delay: subtract the perturbation time for that); ``nan`` if
        ``name`` does not regain ``level`` before ``stop``, or never fell below it.
    """
    a, b = _window(traj, start, stop)
    lowest, _ = _extreme(traj, name, a, b, -1.0)
    if math.isnan(lowest) or lowest >= b:
        return math.nan
    return crossing_time(traj, name, level, direction="up", start=lowest, stop=b)


def time_average(traj, name: str, *, start=None, stop=None) -> float:
    """Time average of ``name`` over ``[start, stop]`` (trapezoid rule on the output grid).

    .. math:: \\bar y = \\frac{1}{b - a} \\int_a^b y(t)\\, dt
    """
    a, b = _window(traj, start, stop)
    return _reduce(Average(1, a, b), traj.t, traj[name], a, b)
