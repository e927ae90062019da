"""Readouts: the numbers a run or a sweep is reduced to (crossing times, values, averages,
peaks).

Each readout is implemented once, as a reduction of a time course cut into pieces
(:mod:`follicle.readouts.pieces`), and evaluated the same way on a trajectory and in a
sweep:

* as a function of a :class:`~follicle.Trajectory` (:func:`crossing_time`,
  :func:`value_at`, :func:`time_average`, :func:`peak`, ...), whose pieces are the
  intervals of its output grid, interpolated linearly: accurate to the grid (10 points per
  day by default);
* as a value (:class:`CrossingTime`, :class:`ValueAt`, :class:`TimeAverage`,
  :class:`Peak`) that is also such a function, and that :func:`follicle.simulate_ensemble`
  and :func:`follicle.sweep` compute on the fly from the integrator's accepted steps and
  their cubic Hermite interpolant: accurate to the integration tolerance.

A crossing that does not happen within the window is not an error: the readout returns
``nan``, the conventional "not observed" of a sweep table.
"""

from follicle.readouts.functions import (
    crossing_time,
    crossing_times,
    peak,
    recovery_time,
    time_average,
    value_at,
)
from follicle.readouts.specs import CrossingTime, Peak, TimeAverage, ValueAt

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
