"""The immutable result of one simulation."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from follicle.errors import UnknownNameError
from follicle.schedule import Schedule
from follicle.units import Q_

__all__ = ["SolverStats", "Trajectory"]


@dataclass(frozen=True)
class SolverStats:
    """Work done by the integrator, summed over the piecewise segments.

    Attributes
    ----------
    method : str
    rtol : float
    atol : tuple of float
        Absolute tolerance per state, in the state's unit.
    nfev, njev, nlu : int
        Right-hand-side evaluations, Jacobian evaluations, LU decompositions.
    segments : int
        Number of intervals integrated separately (1 + number of discontinuities).
    """

    method: str
    rtol: float
    atol: tuple[float, ...]
    nfev: int
    njev: int
    nlu: int
    segments: int


def is_chain_stage(name: str) -> bool:
    """Whether ``name`` is a stage of a transit (delay) chain: letters then a number, such
    as ``"R12"`` or ``"A3"``, rather than a named quantity.

    >>> is_chain_stage("R12"), is_chain_stage("W"), is_chain_stage("stem_pool")
    (True, False, False)
    """
    return re.fullmatch(r"[A-Za-z]+[0-9]+", name) is not None


def _readonly(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Time courses of every state and observable of one simulation.

    Index by name to get a read-only NumPy array in the variable's unit; use
    :meth:`quantity` for a pint quantity and :meth:`unit` for the unit string.

    Attributes
    ----------
    t : ndarray
        Output times, in :attr:`time_unit`.
    names : tuple of str
        States first, then observables.
    units : tuple of str
        Unit of each name.
    n_states : int
    parameters : tuple of (str, float)
        Every parameter's value at the start of the simulation (after overrides).
    parameter_units : tuple of str
    schedule : Schedule
    events : tuple of (str, tuple of float)
        Times at which each requested threshold event was crossed.
    stats : SolverStats
    model_name : str
    time_unit : str
        The model's unit of time (``"day"`` for the biology).
    readouts : tuple of (str, float)
        The readouts :func:`~follicle.simulate` computed on the fly (its ``readouts``
        argument), by name; see :meth:`readout`.
    """

    t: np.ndarray
    values: np.ndarray
    names: tuple[str, ...]
    units: tuple[str, ...]
    n_states: int
    parameters: tuple[tuple[str, float], ...]
    parameter_units: tuple[str, ...]
    schedule: Schedule
    events: tuple[tuple[str, tuple[float, ...]], ...]
    stats: SolverStats
    model_name: str = ""
    time_unit: str = "day"
    readouts: tuple[tuple[str, float], ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "t", _readonly(self.t))
        object.__setattr__(self, "values", _readonly(self.values))

    def __setstate__(self, state):
        # Pickle protocols < 5 restore NumPy arrays writeable: make them read-only again.
        self.__dict__.update(state)
        self.__post_init__()

    # -- access --------------------------------------------------------------------------
    def _index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise UnknownNameError("state or observable", name, self.names) from None

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[self._index(name)]

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def unit(self, name: str) -> str:
        """Unit of a state or observable (:attr:`time_unit` for ``"t"``)."""
        if name == "t":
            return self.time_unit
        return self.units[self._index(name)]

    def quantity(self, name: str):
        """The time course of ``name`` as a pint quantity."""
        if name == "t":
            return Q_(self.t, self.time_unit)
        return Q_(self[name], self.unit(name))

    @property
    def state_names(self) -> tuple[str, ...]:
        return self.names[: self.n_states]

    @property
    def observable_names(self) -> tuple[str, ...]:
        return self.names[self.n_states :]

    def event_times(self, name: str) -> tuple[float, ...]:
        """Times (days) at which the threshold event ``name`` fired."""
        table = dict(self.events)
        if name not in table:
            raise UnknownNameError("event", name, table)
        return table[name]

    def readout(self, name: str) -> float:
        """The readout ``name`` that :func:`~follicle.simulate` computed during the
        integration (``readouts={name: ...}``; ``"readout"`` for a single one), in the
        unit of its variable (of time for a crossing time or a peak's time).

        It is the number :func:`~follicle.sweep` and :func:`~follicle.simulate_ensemble`
        give for the same member: located on the integrator's steps, accurate to the
        tolerance. The same readout called on the trajectory (``readout(run)``)
        interpolates the output grid instead.
        """
        table = dict(self.readouts)
        if name not in table:
            raise UnknownNameError("readout", name, table)
        return table[name]

    @property
    def parameter_values(self) -> dict[str, float]:
        """Parameter values used (a fresh dict; the trajectory itself is immutable)."""
        return dict(self.parameters)

    def plot(self, *names: str, ax=None):
        """Time courses of ``names`` (default: the observables) with units on the axes.

        See :func:`follicle.plot.trajectory`: names in one unit share a panel.

        Returns
        -------
        matplotlib.axes.Axes or ndarray of Axes
            One ``Axes`` when the names share a unit, else one per unit.
        """
        from follicle import plot

        return plot.trajectory(self, *names, ax=ax)

    def to_xarray(self):
        """An ``xarray.Dataset``: one variable per state and observable over ``t`` (days).

        Each variable's unit is in its ``attrs["units"]``; the parameters, schedule,
        threshold events and solver work are in the dataset's attributes, so
        ``Trajectory.from_xarray(xarray.open_dataset(path))`` restores a run saved with
        ``run.to_xarray().to_netcdf(path)``. Needs xarray
        (``pip install 'follicle[xarray]'``).
        """
        from follicle.xarray_io import trajectory_dataset

        return trajectory_dataset(self)

    @classmethod
    def from_xarray(cls, dataset) -> Trajectory:
        """The trajectory saved in ``dataset`` by :meth:`to_xarray` (e.g. read from netCDF).

        Raises
        ------
        DataError
            If the dataset was not written by :meth:`to_xarray`.
        """
        from follicle.xarray_io import trajectory_from_dataset

        return trajectory_from_dataset(dataset)

    def _repr_html_(self) -> str:
        from follicle.display import trajectory_html

        return trajectory_html(self)

    def to_pandas(self):
        """A ``pandas.DataFrame`` indexed by time (days), one column per name.

        Columns come biology first: the states and observables a reader asks for, then the
        stages of transit chains (delay states named like ``R1``, ``R2``, ... ``R30``) in
        their order. Units are kept in ``DataFrame.attrs["units"]``. Needs pandas
        (``pip install follicle[pandas]``).
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            from follicle.errors import FollicleError

            raise FollicleError(
                "Trajectory.to_pandas() needs pandas: pip install 'follicle[pandas]'"
            ) from None
        order = sorted(range(len(self.names)), key=lambda i: is_chain_stage(self.names[i]))
        frame = pd.DataFrame(
            self.values[order].T,
            index=pd.Index(self.t, name="t"),
            columns=[self.names[i] for i in order],
        )
        frame.attrs["units"] = dict(zip(self.names, self.units, strict=True)) | {"t": "day"}
        return frame

    def __repr__(self) -> str:
        return (
            f"<Trajectory of {self.model_name!r}: {len(self.t)} times from "
            f"{self.t[0]:g} to {self.t[-1]:g} day, {len(self.names)} variables>"
        )
