"""The readouts as values: each is a plain function of a :class:`~follicle.Trajectory`
(call it on one), and :func:`follicle.simulate_ensemble` and :func:`follicle.sweep` compute
it on the fly, member by member, while the batch is integrated, so that a sweep of a million
members never holds a trajectory. Both evaluate the same reduction
(:mod:`follicle.readouts.pieces`): on a trajectory between its output times (linear), in an
ensemble between the integrator's steps (cubic Hermite, accurate to the tolerance).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from follicle.errors import FollicleError
from follicle.readouts.functions import crossing_time, peak, time_average, value_at

__all__ = ["CrossingTime", "Peak", "TimeAverage", "ValueAt", "named"]


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


def named(readouts) -> dict:
    """``readouts`` as a mapping from names to readouts: a mapping as given, one readout as
    ``{"readout": it}``, ``None`` as ``{}`` (the ``readouts`` argument of
    :func:`~follicle.simulate` and :func:`~follicle.simulate_ensemble`)."""
    if readouts is None:
        return {}
    if isinstance(readouts, Mapping):
        return dict(readouts)
    return {"readout": readouts}
