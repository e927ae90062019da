"""Results as labelled ``xarray`` datasets, and results back from them.

Every variable carries its unit in ``attrs["units"]``. What a result holds beyond its
arrays (parameters, schedules, events, solver work, the order of names) is kept as JSON
text in the dataset's attributes, so a :class:`~follicle.Trajectory`, an
:class:`~follicle.Ensemble` or a :class:`~follicle.SweepResult` written with
``Dataset.to_netcdf`` and read with ``xarray.open_dataset`` comes back whole through its
``from_xarray``. Needs xarray (``pip install 'follicle[xarray]'``); netCDF files need no
more than scipy's netCDF3 backend.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from follicle.errors import DataError, FollicleError
from follicle.schedule import Bolus, Infusion, ParameterStep, Schedule

__all__ = [
    "ensemble_dataset",
    "ensemble_from_dataset",
    "sweep_dataset",
    "sweep_from_dataset",
    "trajectory_dataset",
    "trajectory_from_dataset",
]

#: The ``attrs["follicle"]`` tag of each kind of result's dataset (kind and format version).
TRAJECTORY_TAG, ENSEMBLE_TAG, SWEEP_TAG = "Trajectory 1", "Ensemble 1", "SweepResult 1"
_EVENTS = {cls.__name__: cls for cls in (Bolus, Infusion, ParameterStep)}


def _xarray():
    try:
        import xarray
    except ImportError:  # pragma: no cover - depends on the environment
        raise FollicleError("to_xarray() needs xarray: pip install 'follicle[xarray]'") from None
    return xarray


def _plain(value):
    """A schedule field as JSON: numbers stay numbers, quantities become their text."""
    return value if isinstance(value, int | float) else str(value)


def _events(schedule: Schedule) -> list:
    return [
        {
            "event": type(e).__name__,
            **{f.name: _plain(getattr(e, f.name)) for f in dataclasses.fields(e)},
        }
        for e in schedule.events
    ]


def _schedule_json(schedule: Schedule) -> str:
    return json.dumps(_events(schedule))


def _schedule_of(text) -> Schedule:
    """A schedule from its JSON text, or from the already decoded list of events."""
    events = []
    for item in json.loads(text) if isinstance(text, str) else text:
        item = dict(item)
        kind = item.pop("event")
        if kind not in _EVENTS:
            raise DataError(f"dataset schedule: unknown event kind {kind!r}")
        events.append(_EVENTS[kind](**item))
    return Schedule(tuple(events))


def trajectory_dataset(run):
    """``run`` as a Dataset: one variable per state and observable over ``t`` (its time
    unit in the coordinate's ``units``)."""
    xr = _xarray()
    t = xr.Variable("t", run.t, attrs={"units": run.unit("t")})
    data = {
        n: xr.Variable("t", run[n], attrs={"units": u})
        for n, u in zip(run.names, run.units, strict=True)
    }
    attrs = {
        "follicle": TRAJECTORY_TAG,
        "model_name": run.model_name,
        "n_states": run.n_states,
        "names": json.dumps(run.names),
        "parameters": json.dumps(dict(run.parameters)),
        "parameter_units": json.dumps(run.parameter_units),
        "schedule": _schedule_json(run.schedule),
        "events": json.dumps(dict(run.events)),
        "readouts": json.dumps(dict(run.readouts)),
        "stats": json.dumps(dataclasses.asdict(run.stats)),
    }
    return xr.Dataset(data, coords={"t": t}, attrs=attrs)


def trajectory_from_dataset(dataset):
    """The :class:`~follicle.Trajectory` a dataset of :func:`trajectory_dataset` holds.

    Raises
    ------
    DataError
        If the dataset was not written by :meth:`Trajectory.to_xarray
        <follicle.Trajectory.to_xarray>` (its ``follicle`` attribute is missing).
    """
    from follicle.trajectory import SolverStats, Trajectory

    attrs = _checked(dataset, TRAJECTORY_TAG, "Trajectory")
    names = tuple(json.loads(attrs["names"]))
    stats = json.loads(attrs["stats"])
    return Trajectory(
        t=np.asarray(dataset["t"].values, dtype=float),
        values=np.stack([np.asarray(dataset[n].values, dtype=float) for n in names]),
        names=names,
        units=tuple(str(dataset[n].attrs["units"]) for n in names),
        n_states=int(attrs["n_states"]),
        parameters=tuple(json.loads(attrs["parameters"]).items()),
        parameter_units=tuple(json.loads(attrs["parameter_units"])),
        schedule=_schedule_of(attrs["schedule"]),
        events=tuple((n, tuple(ts)) for n, ts in json.loads(attrs["events"]).items()),
        stats=SolverStats(**{**stats, "atol": tuple(stats["atol"])}),
        model_name=str(attrs["model_name"]),
        time_unit=str(dataset["t"].attrs.get("units", "day")),
        readouts=tuple(json.loads(attrs.get("readouts", "{}")).items()),
    )


def _checked(dataset, tag: str, kind: str):
    """The attributes of a dataset written by ``<kind>.to_xarray()``, or a DataError."""
    found = dataset.attrs.get("follicle")
    if found != tag:
        raise DataError(
            f"{kind}.from_xarray: the dataset's attrs['follicle'] is {found!r}, expected "
            f"{tag!r}: only datasets written by {kind}.to_xarray() load back"
        )
    return dataset.attrs


def _reasons(reason) -> np.ndarray:
    return np.array(["" if r is None else str(r) for r in reason])


def _reasons_of(text) -> np.ndarray:
    """``reason`` back from its text: ``None`` where it is empty (members that are ok)."""
    return np.array([None if str(r) == "" else str(r) for r in np.ravel(text)], dtype=object)


def _text(values) -> np.ndarray:
    return np.array([str(v) for v in np.ravel(values)])


def ensemble_dataset(ensemble):
    """An ensemble as a Dataset over ``member`` (and ``t`` if time courses were kept).

    Each state and observable is a ``(member, t)`` variable; each readout a ``member``
    variable; ``parameters`` is ``(member, parameter)`` with the parameter names and
    their units (coordinate ``parameter_unit``) along ``parameter``.
    """
    xr = _xarray()
    member = np.arange(len(ensemble))
    data = {
        "status": ("member", np.asarray(ensemble.status, dtype=str)),
        "reason": ("member", _reasons(ensemble.reason)),
        "steps": ("member", ensemble.steps),
        "rejected": ("member", ensemble.rejected),
        "segments": ("member", ensemble.segments),
        "parameters": (("member", "parameter"), ensemble.parameters),
    }
    data |= {n: xr.Variable("member", v) for n, v in ensemble.readouts.items()}
    coords = {
        "member": member,
        "parameter": list(ensemble.parameter_names),
        "parameter_unit": ("parameter", list(ensemble.parameter_units)),
    }
    if ensemble.values is not None:
        coords["t"] = xr.Variable("t", ensemble.t, attrs={"units": ensemble.time_unit})
        data |= {
            n: xr.Variable(("member", "t"), ensemble.values[:, i], attrs={"units": u})
            for i, (n, u) in enumerate(zip(ensemble.names, ensemble.units, strict=True))
        }
    attrs = {
        "follicle": ENSEMBLE_TAG,
        "model_name": ensemble.model_name,
        "names": json.dumps(ensemble.names),
        "units": json.dumps(ensemble.units),
        "readouts": json.dumps(list(ensemble.readouts)),
        "schedules": json.dumps([_events(s) for s in ensemble.schedules]),
        "rtol": float(ensemble.rtol),
        "time_unit": ensemble.time_unit,
        "atol": json.dumps([float(a) for a in ensemble.atol]),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def ensemble_from_dataset(dataset):
    """The :class:`~follicle.Ensemble` a dataset of :func:`ensemble_dataset` holds.

    Raises
    ------
    DataError
        If the dataset was not written by :meth:`Ensemble.to_xarray
        <follicle.Ensemble.to_xarray>`.
    """
    from follicle.ensemble import Ensemble

    attrs = _checked(dataset, ENSEMBLE_TAG, "Ensemble")
    names = tuple(json.loads(attrs["names"]))
    kept = "t" in dataset.coords
    values = (
        np.stack([np.asarray(dataset[n].values, dtype=float) for n in names], axis=1)
        if kept
        else None
    )
    return Ensemble(
        status=_text(dataset["status"].values),
        reason=_reasons_of(dataset["reason"].values),
        readouts={
            n: np.asarray(dataset[n].values, dtype=float) for n in json.loads(attrs["readouts"])
        },
        t=np.asarray(dataset["t"].values, dtype=float) if kept else None,
        values=values,
        names=names,
        units=tuple(json.loads(attrs["units"])),
        parameters=np.asarray(dataset["parameters"].values, dtype=float),
        parameter_names=tuple(str(n) for n in dataset["parameter"].values),
        parameter_units=tuple(str(u) for u in dataset["parameter_unit"].values),
        schedules=tuple(_schedule_of(s) for s in json.loads(attrs["schedules"])),
        steps=np.asarray(dataset["steps"].values),
        rejected=np.asarray(dataset["rejected"].values),
        segments=np.asarray(dataset["segments"].values),
        rtol=float(attrs["rtol"]),
        atol=tuple(json.loads(attrs["atol"])),
        model_name=str(attrs["model_name"]),
        time_unit=str(attrs.get("time_unit", "day")),
    )


def sweep_dataset(result):
    """A sweep as a Dataset: over its axes for a grid, over ``member`` for a sample."""
    xr = _xarray()
    design = result.design
    if design.kind == "grid":
        dims = design.names
        coords = {
            n: xr.Variable(n, _grid_axis(design, i), attrs={"units": u})
            for i, (n, u) in enumerate(zip(design.names, design.units, strict=True))
        }
    else:
        dims = ("member",)
        coords = {
            n: xr.Variable("member", design.values[:, i], attrs={"units": u})
            for i, (n, u) in enumerate(zip(design.names, design.units, strict=True))
        }
        coords["member"] = np.arange(len(result))

    def shaped(a):
        return np.asarray(a).reshape(design.shape)

    data = {
        n: xr.Variable(dims, shaped(v), attrs={"units": result.readout_unit(n)})
        for n, v in result.readouts.items()
    }
    data |= {
        "status": xr.Variable(dims, shaped(np.asarray(result.status, dtype=str))),
        "reason": xr.Variable(dims, shaped(_reasons(result.reason))),
        "steps": xr.Variable(dims, shaped(result.steps)),
    }
    attrs = {
        "follicle": SWEEP_TAG,
        "kind": design.kind,
        "axes": json.dumps(design.names),
        "readouts": json.dumps(list(result.readouts)),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def sweep_from_dataset(dataset):
    """The :class:`~follicle.SweepResult` a dataset of :func:`sweep_dataset` holds.

    Raises
    ------
    DataError
        If the dataset was not written by :meth:`SweepResult.to_xarray
        <follicle.SweepResult.to_xarray>`.
    """
    from follicle.designs import Design
    from follicle.sweep import SweepResult

    attrs = _checked(dataset, SWEEP_TAG, "SweepResult")
    names = tuple(json.loads(attrs["axes"]))
    columns = [np.asarray(dataset[n].values, dtype=float) for n in names]
    if attrs["kind"] == "grid":
        shape = tuple(c.size for c in columns)
        mesh = np.meshgrid(*columns, indexing="ij")
        values = np.stack([m.ravel() for m in mesh], axis=1) if columns else np.empty((1, 0))
    else:
        shape = (dataset.sizes["member"],)
        values = np.stack(columns, axis=1)
    readouts = json.loads(attrs["readouts"])
    design = Design(
        names,
        values,
        shape,
        str(attrs["kind"]),
        tuple(str(dataset[n].attrs["units"]) for n in names),
    )
    return SweepResult(
        design=design,
        readouts={n: np.asarray(dataset[n].values, dtype=float).ravel() for n in readouts},
        status=_text(dataset["status"].values),
        reason=_reasons_of(dataset["reason"].values),
        steps=np.asarray(dataset["steps"].values).ravel(),
        readout_units={n: str(dataset[n].attrs["units"]) for n in readouts},
    )


def _grid_axis(design, i) -> np.ndarray:
    """The values of a grid's axis ``i`` in order (members are in C order)."""
    stride = int(np.prod(design.shape[i + 1 :]))
    return design.values[::stride, i][: design.shape[i]]
