"""Sweeps: a readout of one model over grids or samples of parameters and dose settings.

:func:`sweep` runs a :class:`Design` (a full :func:`grid`, a seeded :func:`latin_hypercube`
or :func:`sobol` sample, or given :func:`points`) through the batched integrator of
:mod:`follicle.ensemble`, chunk by chunk, through :func:`follicle.executors.map_ordered`:
in this process, in a :mod:`concurrent.futures` pool, or on a Dask cluster, with the same
results in the same order. Each member is reduced to its readouts while it is integrated,
so memory stays flat in the number of members.

Axes are named by what they change:

* a parameter name (``"k_CA"``): that parameter's value;
* a state name (``"X"``): that state's initial value;
* ``"<intervention>.amount"`` (``"wnt_inhibitor.amount"``): the amount of every bolus into
  the state the model names that intervention after (:meth:`Module.intervention
  <follicle.Module.intervention>`), in the schedule; ``"<state>.amount"`` for a state
  without such a name (the old spelling ``"D_wnt.amount"`` of a named one is deprecated);
* any other name: a keyword argument of ``schedule`` when it is a callable that builds the
  schedule from the member's settings (``schedule=lambda day: [dose(..., day=day, ...)]``).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pint

from follicle.designs import Design, grid
from follicle.ensemble.batch import INVALID, OK, integrate_members
from follicle.ensemble.members import fill_matrix
from follicle.ensemble.plan import make_plan, resolve_templates
from follicle.ensemble.result import member_trajectory
from follicle.errors import FollicleError, UnknownNameError, renamed
from follicle.executors import map_ordered
from follicle.model import conservation_violations, initial_matrix
from follicle.readouts import CrossingTime, Peak, TimeAverage, ValueAt
from follicle.schedule import Bolus, Schedule
from follicle.simulate import DEFAULT_RTOL, output_times, time_span
from follicle.solvers import compiled as solvers_compiled
from follicle.units import Q_, as_magnitude

__all__ = ["SweepResult", "sweep"]

#: Members per task when every readout is computed on the fly, and when a readout is a
#: plain function of a trajectory (whose time courses the task must hold).
CHUNK, CHUNK_TRAJECTORIES = 2048, 64
_SPECS = (CrossingTime, ValueAt, TimeAverage, Peak)


# -- results ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SweepResult:
    """Readouts of every member of a sweep, labelled by the design.

    Index by readout name for its values shaped like the design (a grid's
    ``(len(axis_1), ...)``, a sample's ``(N,)``); :meth:`to_pandas` gives one row per member.

    Attributes
    ----------
    design : Design
    readouts : Mapping[str, ndarray]
        Flat, one value per member, ``nan`` where the member is not ``"ok"``.
    status : ndarray of str
        ``"ok"``, ``"invalid"`` (a value outside its declared range, or a schedule that
        could not be built) or ``"failed"`` (the integration stopped).
    reason : ndarray of object
        Why, for members that are not ``"ok"``; ``None`` otherwise.
    steps : ndarray of int
        Accepted integration steps per member.
    readout_units : Mapping[str, str]
        Unit of each readout (``""`` when unknown, e.g. a plain function).
    """

    design: Design
    readouts: Mapping[str, np.ndarray]
    status: np.ndarray
    reason: np.ndarray
    steps: np.ndarray
    readout_units: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        for a in (self.status, self.reason, self.steps, *self.readouts.values()):
            a.setflags(write=False)
        object.__setattr__(self, "readouts", MappingProxyType(dict(self.readouts)))
        object.__setattr__(self, "readout_units", MappingProxyType(dict(self.readout_units)))

    def __getstate__(self):
        return {
            **self.__dict__,
            "readouts": dict(self.readouts),
            "readout_units": dict(self.readout_units),
        }

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__post_init__()

    def __len__(self) -> int:
        return self.status.size

    def __getitem__(self, name: str) -> np.ndarray:
        if name == "readout" and name not in self.readouts and len(self.readouts) == 1:
            (only,) = self.readouts
            name = renamed("a sweep's single readout", name, only)
        if name not in self.readouts:
            raise UnknownNameError("readout", name, self.readouts)
        return self.readouts[name].reshape(self.design.shape)

    @property
    def failed(self) -> np.ndarray:
        """Indices of the members that are not ``"ok"``."""
        return np.flatnonzero(self.status != OK)

    def axis_unit(self, name: str) -> str:
        """Unit of an axis's values (the model's unit of what it changes)."""
        if name not in self.design.names:
            raise UnknownNameError("sweep axis", name, self.design.names)
        return self.design.units[self.design.names.index(name)]

    def readout_unit(self, name: str) -> str:
        """Unit of a readout (``""`` when unknown)."""
        if name not in self.readouts:
            raise UnknownNameError("readout", name, self.readouts)
        return self.readout_units.get(name, "")

    def plot(self, readout: str | None = None, *, ax=None, **style):
        """Plot a readout against the sweep's one or two axes; see :func:`follicle.plot.sweep`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from follicle import plot

        return plot.sweep(self, readout, ax=ax, **style)

    def to_xarray(self):
        """An ``xarray.Dataset`` of the readouts, ``status``, ``reason`` and ``steps``.

        A grid's dimensions are its axes (coordinates: the axis values); a sample's is
        ``member``, with the axes as coordinates along it. Every axis and readout carries
        its unit in ``attrs["units"]``; ``attrs["kind"]`` is the design's kind. ``reason``
        is ``""`` for members that are ``"ok"``. Needs xarray
        (``pip install 'follicle[xarray]'``).
        """
        from follicle.xarray_io import sweep_dataset

        return sweep_dataset(self)

    @classmethod
    def from_xarray(cls, dataset) -> SweepResult:
        """The sweep saved in ``dataset`` by :meth:`to_xarray` (e.g. read from netCDF:
        ``SweepResult.from_xarray(xarray.open_dataset(path))``).

        Raises
        ------
        DataError
            If the dataset was not written by :meth:`to_xarray`.
        """
        from follicle.xarray_io import sweep_from_dataset

        return sweep_from_dataset(dataset)

    def _repr_html_(self) -> str:
        from follicle.display import sweep_html

        return sweep_html(self)

    def to_pandas(self):
        """A ``pandas.DataFrame``: the axes, the readouts, ``status`` and ``reason``."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise FollicleError(
                "SweepResult.to_pandas() needs pandas: pip install 'follicle[pandas]'"
            ) from None
        columns = {n: self.design.values[:, i] for i, n in enumerate(self.design.names)}
        columns |= dict(self.readouts)
        columns |= {"status": self.status, "reason": self.reason}
        return pd.DataFrame(columns, index=pd.RangeIndex(len(self), name="member"))

    def __repr__(self) -> str:
        counts = {str(s): int(np.sum(self.status == s)) for s in np.unique(self.status)}
        return (
            f"<SweepResult: {len(self)} members over {', '.join(self.design.names)} "
            f"({self.design.kind}); readouts {', '.join(self.readouts)}; {counts}>"
        )


# -- the sweep -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Job:
    """What every task needs (picklable): how axes map onto the model, and the plan."""

    plan: object
    parameter_axes: tuple  # (column, name)
    state_axes: tuple
    amount_axes: tuple  # (column, state)
    keyword_axes: tuple  # (column, keyword)
    schedule: object  # Schedule, or a callable building one from the keyword axes
    functions: tuple  # (name, callable of a Trajectory) readouts
    model: object


# fmt: off
def sweep(model, axes, readout, *, days=None, t_span=None, schedule=None, params=None,
          initial=None, executor=None, chunk_size=None, progress=None, rtol=DEFAULT_RTOL,
          atol=None, max_steps=100_000, backend="auto") -> SweepResult:
    # fmt: on
    """Compute ``readout`` for every member of a grid or sample of ``model``.

    Parameters
    ----------
    model : Model
    axes : Design or mapping
        A :class:`Design` (:func:`grid`, :func:`latin_hypercube`, :func:`sobol`,
        :func:`points`), or ``{axis: values}`` for a full grid. Axis names are parameters,
        states (initial values), ``"<intervention>.amount"`` (every bolus of a named
        intervention; ``"<state>.amount"`` for a state without a name) or keywords of a
        callable ``schedule``.
    readout : readout or mapping of name to readout
        :class:`~follicle.readouts.CrossingTime`, :class:`~follicle.readouts.ValueAt`,
        :class:`~follicle.readouts.TimeAverage`, :class:`~follicle.readouts.Peak` (computed
        on the fly), or any function of a :class:`~follicle.Trajectory` returning a number
        (then each task holds its members' time courses on the default output grid, so use
        it for thousands of members, not millions). A single readout is named by its
        ``column`` (``anagen_onset``, ``mean:W``: the names the command line uses) or, for
        a function, its ``__name__``; ``"readout"`` for a lambda.
    days, t_span
        The simulated span, as for :func:`~follicle.simulate`.
    schedule : Schedule, iterable of events, or callable, optional
        Shared by every member, or built per member by calling it with the keyword axes.
        With a process pool it must be picklable (a module-level function or a
        :func:`functools.partial`); Dask also accepts lambdas.
    params, initial : mapping, optional
        Values shared by every member (axes override them).
    rtol, atol, max_steps, backend
        As for :func:`~follicle.simulate_ensemble`.
    executor : None, concurrent.futures.Executor or dask.distributed.Client
        Where the chunks run (see :func:`~follicle.executors.map_ordered`).
    chunk_size : int, optional
        Members per task (default 2048, or 64 with a trajectory function).
    progress : bool, optional
        Progress bar (tqdm); default on when standard error is a terminal.

    Returns
    -------
    SweepResult
        Members with a value out of its declared range are ``"invalid"``, members the
        integrator could not finish ``"failed"``, each with its reason; the rest is
        computed.

    Raises
    ------
    UnknownNameError
        An axis that names nothing the model or schedule knows.
    TimeSpanError, FollicleError
        A bad span, readout or executor: nothing is run.
    """
    from follicle.model import Model

    if not isinstance(model, Model):
        raise FollicleError(f"sweep() needs a follicle Model, got {type(model).__name__}")
    design = axes if isinstance(axes, Design) else grid(axes)
    t0, t1 = time_span(days, t_span, model.time_unit)
    named = dict(readout) if isinstance(readout, Mapping) else {_column_of(readout): readout}
    specs = {n: r for n, r in named.items() if isinstance(r, _SPECS)}
    functions = tuple((n, r) for n, r in named.items() if not isinstance(r, _SPECS))
    for name, fn in functions:
        if not callable(fn):
            raise FollicleError(
                f"readout {name!r} is {fn!r}, which is neither a readout of "
                "follicle.readouts nor a function of a Trajectory"
            )
    grid_times = output_times(None, t0, t1, model.time_unit) if functions else None
    plan = make_plan(model, t0, t1, rtol=rtol, atol=atol, readouts=specs, t_eval=grid_times,
                     max_steps=max_steps, backend=backend)  # fmt: skip
    base = model.with_defaults(**dict(params or {})) if params else model
    if initial:
        base.initial_vector(initial)  # unknown names and bad values fail here, once
    design = dataclasses.replace(design, names=_spelled(base, design.names))
    routes = _route(base, design.names, schedule)
    design = _in_model_units(base, design, routes)
    schedule = schedule if callable(schedule) else Schedule.of(schedule)
    if not callable(schedule):
        _check_dosed(base, schedule, design.names, routes["amount_axes"])
    job = _Job(
        plan=plan,
        **routes,
        schedule=schedule,
        functions=functions,
        model=_Defaults.of(base, initial),
    )
    size = chunk_size or (CHUNK_TRAJECTORIES if functions else CHUNK)
    if not isinstance(size, int) or size < 1:
        raise FollicleError(f"chunk_size must be a whole number >= 1, got {chunk_size!r}")
    starts = range(0, len(design), size)
    chunks = [design.values[s : s + size] for s in starts]
    if executor is None or isinstance(executor, concurrent.futures.Executor):
        # Compile (or load) the kernels before the progress bar starts, so that a first
        # compilation (its note on standard error) is not counted in the bar's rate. Local
        # workers then load them from the cache; a Dask cluster's workers build their own.
        solvers_compiled.model_functions(plan.kernel, plan.model_name)
        solvers_compiled.integrator()
    parts = map_ordered(
        functools.partial(_run_chunk, job),
        chunks,
        executor=executor,
        progress=progress,
        desc="sweep",
    )
    names = [*specs, *(n for n, _ in functions)]
    return SweepResult(
        design=design,
        readouts={n: _concat([p["readouts"][n] for p in parts]) for n in names},
        status=_concat([p["status"] for p in parts]),
        reason=_concat([p["reason"] for p in parts]),
        steps=_concat([p["steps"] for p in parts]),
        readout_units={n: _readout_unit(base, r) for n, r in named.items()},
    )


def _in_model_units(model, design: Design, routes) -> Design:
    """``design`` with every parameter, state and amount axis in the model's unit (values
    given with a unit are converted; bare numbers are already in it)."""
    units = list(design.units)
    values = np.array(design.values)
    targets = {c: model.parameters[n].unit for c, n in routes["parameter_axes"]}
    targets |= {c: model.states[n].unit for c, n in routes["state_axes"]}
    targets |= {c: model.states[n].unit for c, n in routes["amount_axes"]}
    for column, target in targets.items():
        if units[column]:
            values[:, column] = _convert(design.names[column], values[:, column],
                                         units[column], target)
        units[column] = str(target)
    return dataclasses.replace(design, values=values, units=tuple(units))


def _convert(name, column, unit, target) -> np.ndarray:
    try:
        return Q_(column, unit).to(target).magnitude
    except pint.errors.DimensionalityError:
        as_magnitude(Q_(column[0], unit), target, what=f"sweep axis {name!r}")  # raises
        raise  # pragma: no cover - as_magnitude raised


def _readout_unit(model, readout) -> str:
    if isinstance(readout, CrossingTime) or getattr(readout, "what", "") == "time":
        return str(model.time_unit)
    if isinstance(readout, _SPECS):
        return model.unit(readout.name)
    return str(getattr(readout, "unit", ""))


def _column_of(readout) -> str:
    """The name of a sweep's only readout (the command line's name for it)."""
    if isinstance(readout, _SPECS):
        return readout.column
    name = getattr(readout, "__name__", "")
    return name if name.isidentifier() else "readout"


def _concat(arrays):
    return np.concatenate(arrays) if arrays else np.empty(0)


@dataclass(frozen=True)
class _Defaults:
    """The model's names and default vectors, for tasks (the Model itself stays home)."""

    name: str
    parameter_names: tuple
    parameter_units: tuple
    parameters: Mapping
    state_names: tuple
    states: Mapping
    observable_names: tuple
    units: tuple
    initial: Mapping
    conservation: tuple
    conservation_groups: tuple
    #: The compiled model when initial values are expressions of the parameters, else None.
    initial_compiled: object = None
    time_unit: str = "day"

    @classmethod
    def of(cls, model, initial):
        return cls(
            model.name,
            model.parameter_names,
            model.parameter_units,
            dict(model.parameters),
            model.state_names,
            {
                n: dataclasses.replace(s, initial=float(v))
                for n, s, v in zip(
                    model.states, model.states.values(), model.initial_vector(initial), strict=True
                )
            },
            model.observable_names,
            model.variable_units,
            dict(initial or {}),
            model.conservation,
            model.conservation_groups,
            model.compiled if model.initial_expressions else None,
            str(model.time_unit),
        )

    @property
    def initial_expressions(self) -> tuple[str, ...]:
        """The states whose initial value follows the parameters (not set by ``initial``)."""
        if self.initial_compiled is None:
            return ()
        rows = self.initial_compiled.initial_rows
        return tuple(n for n in np.array(self.state_names)[rows] if n not in self.initial)

    def initial_matrix(self, params):
        """As :meth:`follicle.Model.initial_matrix`, with ``initial`` kept as given."""
        default = np.array([s.initial for s in self.states.values()])
        out = initial_matrix(default, self.initial_compiled, params)
        for name in self.initial:
            out[self.state_names.index(name)] = self.states[name].initial
        return out

    def unit(self, name):
        return self.units[(*self.state_names, *self.observable_names).index(name)]

    def conservation_violations(self, initial):
        """As :meth:`follicle.Model.conservation_violations`."""
        return conservation_violations(self.conservation, self.conservation_groups, initial)


def _spelled(model, names) -> tuple[str, ...]:
    """Sweep axis names as the model spells them: ``"D_wnt.amount"`` of a state dosed by a
    named intervention becomes ``"wnt_inhibitor.amount"``, with a :class:`DeprecationWarning`
    (:func:`follicle.errors.renamed`); other names stay as they are."""
    by_state = {state: name for name, state in model.interventions.items()}
    out = []
    for name in names:
        state = name.removesuffix(".amount")
        if name.endswith(".amount") and state in by_state:
            name = renamed("the sweep axis", name, f"{by_state[state]}.amount", stacklevel=4)
        out.append(name)
    return tuple(out)


def _route(model, names, schedule):
    parameter_axes, state_axes, amount_axes, keyword_axes = [], [], [], []
    amounts = {f"{s}.amount": s for s in model.states}
    amounts |= {f"{name}.amount": s for name, s in model.interventions.items()}
    for column, name in enumerate(names):
        if name in model.parameters:
            parameter_axes.append((column, name))
        elif name in model.states:
            state_axes.append((column, name))
        elif name in amounts:
            amount_axes.append((column, amounts[name]))
        elif callable(schedule):
            keyword_axes.append((column, name))
        else:
            named = set(model.interventions.values())
            known = [*model.parameters, *model.states,
                     *(f"{n}.amount" for n in model.interventions),
                     *(f"{s}.amount" for s in model.states if s not in named)]
            raise UnknownNameError(
                "sweep axis (parameter, state or '<intervention>.amount'; other "
                "names need a callable schedule)",
                name,
                known,
            )
    return {
        "parameter_axes": tuple(parameter_axes),
        "state_axes": tuple(state_axes),
        "amount_axes": tuple(amount_axes),
        "keyword_axes": tuple(keyword_axes),
    }


def _check_dosed(model, schedule, names, amount_axes):
    """Refuse an amount axis for a state that no bolus of ``schedule`` doses: sweeping it
    would change nothing and every member would silently repeat the same run."""
    dosed = {e.target for e in schedule.events if isinstance(e, Bolus)}
    for column, state in amount_axes:
        if state not in dosed:
            given = sorted(dosed) or ["none"]
            raise FollicleError(
                f"sweep axis {names[column]!r}: the schedule gives no bolus of {state!r} "
                f"(boluses given: {', '.join(given)}), so its amount would change nothing; "
                "add a Bolus of it to the schedule or pass a callable schedule"
            )


def _member_schedule(job, row) -> Schedule:
    schedule = job.schedule
    if callable(schedule):
        schedule = Schedule.of(schedule(**{k: float(row[c]) for c, k in job.keyword_axes}))
    if job.amount_axes:
        amounts = {state: float(row[c]) for c, state in job.amount_axes}
        schedule = Schedule(
            tuple(
                dataclasses.replace(e, amount=amounts[e.target],
                                    unit=job.model.states[e.target].unit)
                if isinstance(e, Bolus) and e.target in amounts
                else e
                for e in schedule.events
            )
        )
    return schedule


def _run_chunk(job: _Job, rows: np.ndarray) -> dict:
    """Integrate one chunk of members (runs wherever the executor puts it)."""
    model, plan = job.model, job.plan
    size = rows.shape[0]
    p, p_bad = fill_matrix(
        model, {n: rows[:, c] for c, n in job.parameter_axes}, "parameter", size
    )
    y0, y_bad = fill_matrix(model, {n: rows[:, c] for c, n in job.state_axes}, "state", size,
                            params=p)
    invalid = np.where(p_bad == None, y_bad, p_bad)  # noqa: E711 - elementwise
    if job.amount_axes or job.keyword_axes:
        schedules, which = _chunk_schedules(job, rows, invalid)
    else:
        schedules, which = [job.schedule], np.zeros(size, dtype=np.intp)
    templates = resolve_templates(model, schedules, plan.t0, plan.t1)
    out = integrate_members(plan, p, y0, templates, which, invalid)
    if job.functions:
        for name, fn in job.functions:
            out["readouts"][name] = np.array(
                [_apply(fn, model, plan, out, p, schedules[which[m]], m) for m in range(size)]
            )
        out.pop("values")
    return out


def _chunk_schedules(job, rows, invalid):
    """Each member's schedule, resolved once per distinct one; a schedule that cannot be
    built or resolved makes its members invalid."""
    distinct: dict = {}
    which = np.zeros(rows.shape[0], dtype=np.intp)
    for m, row in enumerate(rows):
        if invalid[m] is not None:
            continue
        try:
            schedule = _member_schedule(job, row)
            resolve_templates(job.model, [schedule], job.plan.t0, job.plan.t1)
        except (FollicleError, TypeError) as exc:
            invalid[m] = f"schedule: {exc}"
            continue
        which[m] = distinct.setdefault(schedule, len(distinct))
    return list(distinct) or [Schedule()], which


def _apply(fn, model, plan, out, p, schedule, m) -> float:
    if out["status"][m] != OK:
        return math.nan
    traj = member_trajectory(
        plan.grid,
        out["values"][m],
        (*model.state_names, *model.observable_names),
        model.units,
        len(model.state_names),
        dict(zip(model.parameter_names, p[:, m], strict=True)),
        model.parameter_units,
        schedule,
        plan.rtol,
        plan.atol,
        out["steps"][m],
        out["rejected"][m],
        out["segments"][m],
        model.name,
        model.time_unit,
    )
    try:
        return float(fn(traj))
    except (FollicleError, ArithmeticError, ValueError) as exc:
        out["status"][m], out["reason"][m] = INVALID, f"readout: {exc}"
        return math.nan
