"""The result of :func:`~follicle.simulate_ensemble`: :class:`Ensemble`, and one member as
a :class:`~follicle.Trajectory`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from follicle.ensemble.batch import OK
from follicle.errors import (
    FollicleError,
)
from follicle.schedule import Schedule
from follicle.trajectory import SolverStats, Trajectory

__all__ = ["Ensemble", "member_trajectory"]


# -- the public entry point ------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Ensemble:
    """Results of :func:`simulate_ensemble`: one row per member.

    Attributes
    ----------
    status : ndarray of str, shape (B,)
        ``"ok"``, ``"invalid"`` (parameters or initial values rejected) or ``"failed"``
        (the integration stopped); see ``reason``.
    reason : ndarray of object, shape (B,)
        Why a member is not ``"ok"`` (``None`` when it is).
    readouts : Mapping[str, ndarray]
        Each readout's value per member (``nan`` for members that are not ``"ok"``).
    t : ndarray or None
        Output times (days) of :attr:`values`, if time courses were recorded.
    values : ndarray or None
        Shape ``(B, len(names), len(t))``: every state, then every observable.
    names, units : tuple of str
    parameters : ndarray, shape (B, n_params)
        Each member's parameter values at the start (defaults plus overrides).
    parameter_names : tuple of str
    schedules : tuple of Schedule
        Each member's schedule.
    steps, rejected : ndarray of int
        Accepted and rejected steps per member.
    segments : ndarray of int
        Intervals between the discontinuities of each member's schedule.
    """

    status: np.ndarray
    reason: np.ndarray
    readouts: Mapping[str, np.ndarray]
    t: np.ndarray | None
    values: np.ndarray | None
    names: tuple[str, ...]
    units: tuple[str, ...]
    parameters: np.ndarray
    parameter_names: tuple[str, ...]
    parameter_units: tuple[str, ...]
    schedules: tuple[Schedule, ...]
    steps: np.ndarray
    rejected: np.ndarray
    segments: np.ndarray
    rtol: float
    atol: tuple[float, ...]
    model_name: str = ""
    time_unit: str = "day"

    def __post_init__(self):
        for name in (
            "status",
            "reason",
            "t",
            "values",
            "parameters",
            "steps",
            "rejected",
            "segments",
        ):
            value = getattr(self, name)
            if value is not None:
                value.setflags(write=False)
        for value in self.readouts.values():
            value.setflags(write=False)
        object.__setattr__(self, "readouts", MappingProxyType(dict(self.readouts)))

    def __len__(self) -> int:
        return self.status.size

    def __getstate__(self):
        state = dict(self.__dict__)
        state["readouts"] = dict(self.readouts)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__post_init__()

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of the members that were integrated to the end."""
        return self.status == OK

    def to_xarray(self):
        """An ``xarray.Dataset`` over ``member`` (and ``t`` when time courses were kept).

        See :func:`follicle.xarray_io.ensemble_dataset`; units are in each variable's
        ``attrs["units"]``. Needs xarray (``pip install 'follicle[xarray]'``).
        """
        from follicle.xarray_io import ensemble_dataset

        return ensemble_dataset(self)

    @classmethod
    def from_xarray(cls, dataset) -> Ensemble:
        """The ensemble saved in ``dataset`` by :meth:`to_xarray` (e.g. read from netCDF:
        ``Ensemble.from_xarray(xarray.open_dataset(path))``).

        Raises
        ------
        DataError
            If the dataset was not written by :meth:`to_xarray`.
        """
        from follicle.xarray_io import ensemble_from_dataset

        return ensemble_from_dataset(dataset)

    def member(self, i: int) -> Trajectory:
        """Member ``i`` as a :class:`~follicle.Trajectory` (needs recorded time courses)."""
        if self.values is None:
            raise FollicleError(
                "this ensemble recorded readouts only; pass t_eval to simulate_ensemble to "
                "keep time courses"
            )
        if self.status[i] != OK:
            raise FollicleError(f"member {i} is {self.status[i]}: {self.reason[i]}")
        return member_trajectory(
            self.t,
            self.values[i],
            self.names,
            self.units,
            len(self.atol),
            dict(zip(self.parameter_names, self.parameters[i], strict=True)),
            self.parameter_units,
            self.schedules[i],
            self.rtol,
            self.atol,
            self.steps[i],
            self.rejected[i],
            self.segments[i],
            self.model_name,
            self.time_unit,
        )


def member_trajectory(
    t,
    values,
    names,
    units,
    n_states,
    parameters,
    parameter_units,
    schedule,
    rtol,
    atol,
    steps,
    rejected,
    segments,
    model_name,
    time_unit="day",
):
    """One member's recorded time courses as a :class:`~follicle.Trajectory`."""
    return Trajectory(
        t=t,
        values=values,
        names=names,
        units=units,
        n_states=n_states,
        parameters=tuple((n, float(v)) for n, v in parameters.items()),
        parameter_units=parameter_units,
        schedule=schedule,
        events=(),
        stats=SolverStats(
            "RODAS4",
            float(rtol),
            tuple(map(float, atol)),
            nfev=0,
            njev=int(steps),
            nlu=int(steps + rejected),
            segments=int(segments),
        ),
        model_name=model_name,
        time_unit=str(time_unit),
    )
