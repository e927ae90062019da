"""Readouts: plain functions that reduce a :class:`~follicle.Trajectory` to numbers.

Readouts interpolate linearly between output times; their accuracy is that of the output
grid (10 points per day by default). For crossing times accurate to the integration
tolerance, pass a :class:`~follicle.Threshold` event to :func:`~follicle.simulate`.

A crossing that does not happen within the simulated window is not an error: the readout
returns ``nan``, the conventional "not observed" of a sweep table.

The classes :class:`CrossingTime`, :class:`ValueAt`, :class:`TimeAverage` and :class:`Peak`
are the same readouts as values: each is a plain function of a trajectory (call it on one),
and :func:`follicle.simulate_ensemble` and :func:`follicle.sweep` also compute them on the
fly, member by member, while the batch is integrated, so a sweep of a million members never
holds a trajectory. There, crossing times, values and averages come from the integrator's
cubic Hermite interpolant between its own steps (accurate to the integration tolerance)
instead of from linear interpolation on an output grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from follicle.errors import FollicleError, TimeSpanError
from follicle.units import as_magnitude

__all__ = [
    "CrossingTime",
    "Peak",
    "TimeAverage",
    "ValueAt",
    "crossing_time",
    "crossing_times",
    "peak",
    "recovery_time",
    "time_average",
    "value_at",
]


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


def _clipped(traj, name, a, b):
    """Times and values on [a, b], with interpolated end points."""
    t, y = traj.t, traj[name]
    inside = (t > a) & (t < b)
    ts = np.concatenate([[a], t[inside], [b]])
    return ts, np.interp(ts, t, y)


def value_at(traj, name: str, time) -> float:
    """Value of ``name`` at ``time`` (linear interpolation between output times)."""
    unit = traj.time_unit
    tt = as_magnitude(time, unit, what="time")
    if not traj.t[0] <= tt <= traj.t[-1]:
        raise TimeSpanError(
            f"time {tt:g} {unit} is outside the trajectory [{traj.t[0]:g}, {traj.t[-1]:g}] {unit}"
        )
    return float(np.interp(tt, traj.t, traj[name]))


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
    if direction not in ("up", "down", "either"):
        raise FollicleError(f"direction must be 'up', 'down' or 'either', got {direction!r}")
    level = as_magnitude(threshold, traj.unit(name), what=f"threshold on {name!r}")
    a, b = _window(traj, start, stop)
    ts, ys = _clipped(traj, name, a, b)
    d = ys - level
    up = (d[:-1] < 0) & (d[1:] >= 0)
    down = (d[:-1] >= 0) & (d[1:] < 0)
    i = np.flatnonzero({"up": up, "down": down, "either": up | down}[direction])
    return ts[i] + (ts[i + 1] - ts[i]) * (-d[i]) / (d[i + 1] - d[i])


def crossing_time(
    traj, name: str, threshold, *, direction: str = "up", start=None, stop=None
) -> float:
    """First time in ``[start, stop]`` at which ``name`` crosses ``threshold``.

    As :func:`crossing_times`; returns the first crossing, or ``nan`` if there is
    no crossing in the window.
    """
    times = crossing_times(traj, name, threshold, direction=direction, start=start, stop=stop)
    return float(times[0]) if times.size else math.nan


def peak(traj, name: str, *, start=None, stop=None) -> tuple[float, float]:
    """Time and value of the maximum of ``name`` on ``[start, stop]``."""
    a, b = _window(traj, start, stop)
    ts, ys = _clipped(traj, name, a, b)
    i = int(np.argmax(ys))
    return float(ts[i]), float(ys[i])


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
    ts, ys = _clipped(traj, name, a, b)
    lowest = float(ts[int(np.argmin(ys))])
    if lowest >= b:
        return math.nan
    return crossing_time(traj, name, level, direction="up", start=lowest, stop=b)


def time_average(traj, name: str, *, start=None, stop=None) -> float:
    """Time average of ``name`` over ``[start, stop]`` (trapezoid rule).

    .. math:: \\bar y = \\frac{1}{b - a} \\int_a^b y(t)\\, dt
    """
    a, b = _window(traj, start, stop)
    ts, ys = _clipped(traj, name, a, b)
    return float(np.trapezoid(ys, ts) / (b - a))


# -- readouts as values: callable on a trajectory, computed on the fly in ensembles ---------
@dataclass(frozen=True)
class CrossingTime:
    """First time ``name`` crosses ``threshold`` in ``[start, stop]`` (``nan`` if never).

    Calling it on a trajectory is :func:`crossing_time`. ``direction`` is ``"up"`` (from
    below to at-or-above), ``"down"`` or ``"either"``. ``label`` names its column in a
    sweep that has this one readout (default ``"crossing:NAME"``).
    """

    name: str
    threshold: object
    direction: str = "up"
    start: object = None
    stop: object = None
    label: str = ""

    @property
    def column(self) -> str:
        """The readout's name in a sweep of it alone."""
        return self.label or f"crossing:{self.name}"

    def __post_init__(self):
        if self.direction not in ("up", "down", "either"):
            raise FollicleError(
                f"direction must be 'up', 'down' or 'either', got {self.direction!r}"
            )

    def __call__(self, traj) -> float:
        return crossing_time(
            traj,
            self.name,
            self.threshold,
            direction=self.direction,
            start=self.start,
            stop=self.stop,
        )


@dataclass(frozen=True)
class ValueAt:
    """Value of ``name`` at ``time``; calling it on a trajectory is :func:`value_at`.

    ``label`` names its column in a sweep of it alone (default ``"value:NAME"``).
    """

    name: str
    time: object
    label: str = ""

    @property
    def column(self) -> str:
        """The readout's name in a sweep of it alone."""
        return self.label or f"value:{self.name}"

    def __call__(self, traj) -> float:
        return value_at(traj, self.name, self.time)


@dataclass(frozen=True)
class TimeAverage:
    """Time average of ``name`` over ``[start, stop]``; see :func:`time_average`.

    ``label`` names its column in a sweep of it alone (default ``"mean:NAME"``).
    """

    name: str
    start: object = None
    stop: object = None
    label: str = ""

    @property
    def column(self) -> str:
        """The readout's name in a sweep of it alone."""
        return self.label or f"mean:{self.name}"

    def __call__(self, traj) -> float:
        return time_average(traj, self.name, start=self.start, stop=self.stop)


@dataclass(frozen=True)
class Peak:
    """Maximum of ``name`` on ``[start, stop]``: its value, or its time if ``what="time"``.

    Calling it on a trajectory is :func:`peak`. On the fly the maximum is taken over the
    integrator's steps and three interior points of each step's interpolant: the value is
    accurate to the tolerance, the time of a smooth maximum (ill-conditioned) to a fraction
    of a step. ``label`` names its column in a sweep of it alone (default ``"max:NAME"``,
    or ``"argmax:NAME"`` for the time).
    """

    name: str
    start: object = None
    stop: object = None
    what: str = "value"
    label: str = ""

    @property
    def column(self) -> str:
        """The readout's name in a sweep of it alone."""
        return self.label or f"{'max' if self.what == 'value' else 'argmax'}:{self.name}"

    def __post_init__(self):
        if self.what not in ("value", "time"):
            raise FollicleError(f"Peak.what must be 'value' or 'time', got {self.what!r}")

    def __call__(self, traj) -> float:
        when, value = peak(traj, self.name, start=self.start, stop=self.stop)
        return value if self.what == "value" else when
