"""What a batch of one model needs to know, resolved once and picklable: the plan (the
model's compiled functions, tolerances, readouts and events by index, what the compiled loop
watches) and the schedule templates the members follow.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from follicle.codegen import kernels
from follicle.errors import (
    FollicleError,
    ParameterValueError,
    UnknownNameError,
)
from follicle.readouts import CrossingTime, Peak, TimeAverage, ValueAt
from follicle.schedule import Schedule, resolve
from follicle.simulate import (
    absolute_tolerances,
    as_threshold,
    output_times,
)
from follicle.solvers import sparse_lu
from follicle.solvers.sparse_lu import SparseLU
from follicle.units import as_magnitude

__all__ = ["BACKENDS", "Plan", "Target", "Templates", "Watch", "make_plan", "resolve_templates"]


# -- what a batch needs to know, as a picklable value -----------------------------------
@dataclass(frozen=True)
class Target:
    """A state (``kind == "s"``) or observable (``"o"``) by index."""

    kind: str
    index: int


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs to integrate batches of one model (picklable, small)."""

    compiled: object
    lu: SparseLU
    t0: float
    t1: float
    rtol: float
    atol: np.ndarray
    nonnegative: np.ndarray
    autonomous: bool
    max_steps: int
    max_step: float  # the longest step, days (inf: no limit)
    readouts: tuple  # of (name, kind, target, options)
    events: tuple  # of (target, level, direction, terminal): Threshold events
    grid: np.ndarray | None
    n_outputs: int  # rows of recorded time courses: states, then observables
    state_names: tuple[str, ...]
    kernel: str  # source of the model's compiled functions (follicle.codegen.kernels)
    watch: Watch  # what the compiled loop stops at
    model_name: str = "model"  # named in the note while the kernel compiles
    time_unit: str = "day"  # the model's, for messages
    groups: tuple = ()  # state indices of each declared conservation (Module.conserve)
    state_units: tuple = ()  # named in the messages


@dataclass(frozen=True)
class Watch:
    """The events at which the compiled loop hands a member back to Python: sign changes of
    ``value - level`` (a state when ``state``, else an observable, by ``index``), steps that
    contain one of ``times``, and with ``every`` each accepted step."""

    state: np.ndarray
    index: np.ndarray
    level: np.ndarray
    times: np.ndarray
    every: bool


def _watch(readouts, events) -> Watch:
    """What each readout and threshold event needs to see of the steps (the compiled loop
    writes the output grid itself)."""
    crossings, times = [], []
    for target, level, _, _ in events:
        crossings.append((target.kind == "s", target.index, level))
    for _, kind, target, options in readouts:
        if kind == "crossing":  # options: level, direction, window start, window stop
            crossings.append((target.kind == "s", target.index, options[0]))
            times += options[2:]
        elif kind == "value":  # options: the time
            times += options
    state, index, level = zip(*crossings, strict=True) if crossings else ((), (), ())
    return Watch(
        state=np.array(state, dtype=bool),
        index=np.array(index, dtype=np.intp),
        level=np.array(level, dtype=float),
        times=np.unique(np.array(times, dtype=float)),
        every=any(kind in ("average", "peak") for _, kind, _, _ in readouts),
    )


#: Accepted values of ``backend``: the one compiled integrator ("numpy", whose step was a
#: second copy of the method, is gone: it runs the compiled integrator with a warning).
BACKENDS = ("auto", "numba", "numpy")


def make_plan(
    model,
    t0,
    t1,
    *,
    rtol,
    atol,
    readouts,
    t_eval,
    max_steps,
    backend="auto",
    max_step=math.inf,
    events=(),
) -> Plan:
    """Resolve names, units and windows of ``readouts`` and compile what a batch needs."""
    if backend not in BACKENDS:
        raise FollicleError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "numpy":
        warnings.warn(
            "backend='numpy' is deprecated and runs the compiled integrator: the method is "
            "written once (follicle.solvers.rodas4); NUMBA_DISABLE_JIT=1 runs it as plain "
            "Python; drop the backend argument",
            DeprecationWarning,
            stacklevel=3,
        )
    if not kernels.available():
        raise FollicleError("the integrator needs numba (a dependency): pip install numba")
    if not (isinstance(rtol, int | float) and 0 < rtol < 1):
        raise ParameterValueError(f"rtol must be a number in (0, 1), got {rtol!r}")
    if not (isinstance(max_steps, int) and max_steps > 0):
        raise ParameterValueError(f"max_steps must be a positive whole number, got {max_steps!r}")
    compiled = model.compiled
    resolved = tuple(
        _resolve_readout(model, name, spec, t0, t1) for name, spec in readouts.items()
    )
    grid = None if t_eval is None else output_times(t_eval, t0, t1, model.time_unit)
    plan_events = tuple(_resolve_event(model, ev) for ev in events)
    rows, cols = tuple(compiled.jac_rows.tolist()), tuple(compiled.jac_cols.tolist())
    lu = sparse_lu.for_pattern(compiled.n_states, rows, cols)
    kernel = kernels.kernel_source(compiled, lu)
    return Plan(
        compiled=compiled,
        lu=lu,
        t0=t0,
        t1=t1,
        rtol=float(rtol),
        atol=absolute_tolerances(model, atol),
        nonnegative=np.array([s.nonnegative for s in model.states.values()]),
        groups=model.conservation_groups,
        autonomous=compiled.autonomous,
        max_steps=max_steps,
        max_step=float(max_step),
        readouts=resolved,
        events=plan_events,
        grid=grid,
        n_outputs=compiled.n_states + compiled.n_observables,
        state_names=model.state_names,
        state_units=model.variable_units[: compiled.n_states],
        kernel=kernel,
        watch=_watch(resolved, plan_events),
        model_name=model.name,
        time_unit=str(model.time_unit),
    )


def _target(model, name) -> Target:
    if name in model.states:
        return Target("s", model.state_names.index(name))
    if name in model.observables:
        return Target("o", model.observable_names.index(name))
    raise UnknownNameError(
        "state or observable", name, [*model.state_names, *model.observable_names]
    )


def _resolve_event(model, ev):
    level = as_threshold(ev).level(model)
    return _target(model, ev.name), level, ev.direction, bool(ev.terminal)


def _window(spec, t0, t1, unit):
    a = t0 if spec.start is None else as_magnitude(spec.start, unit, what="window start")
    b = t1 if spec.stop is None else as_magnitude(spec.stop, unit, what="window stop")
    if not t0 <= a < b <= t1:
        raise FollicleError(
            f"readout window [{a:g}, {b:g}] {unit} is empty, reversed or outside the "
            f"simulated span [{t0:g}, {t1:g}] {unit}"
        )
    return a, b


def _resolve_readout(model, name, spec, t0, t1):
    unit = model.time_unit
    if isinstance(spec, CrossingTime):
        level = as_magnitude(
            spec.threshold, model.unit(spec.name), what=f"threshold on {spec.name!r}"
        )
        return (
            name,
            "crossing",
            _target(model, spec.name),
            (level, spec.direction, *_window(spec, t0, t1, unit)),
        )
    if isinstance(spec, ValueAt):
        when = as_magnitude(spec.time, unit, what="readout time")
        if not t0 <= when <= t1:
            raise FollicleError(
                f"readout time {when:g} {unit} is outside the simulated span "
                f"[{t0:g}, {t1:g}] {unit}"
            )
        return name, "value", _target(model, spec.name), (when,)
    if isinstance(spec, TimeAverage):
        return name, "average", _target(model, spec.name), _window(spec, t0, t1, unit)
    if isinstance(spec, Peak):
        return name, "peak", _target(model, spec.name), (spec.what, *_window(spec, t0, t1, unit))
    raise FollicleError(
        f"readout {name!r} is {spec!r}; the readouts computed on the fly are CrossingTime, "
        "ValueAt, TimeAverage and Peak from follicle.readouts. Call any other function of a "
        "Trajectory on the run simulate returns (of an ensemble: pass t_eval and call it on "
        "Ensemble.member(i))"
    )


# -- one batch -------------------------------------------------------------------------
@dataclass(frozen=True)
class Templates:
    """Resolved schedules shared by members: segment bounds, overrides, inputs, jumps.

    Arrays are indexed ``[template, segment]``; ``params`` holds NaN where a segment keeps
    the member's own value.
    """

    n_segments: np.ndarray  # (T,)
    stops: np.ndarray  # (T, K)
    params: np.ndarray  # (T, K, n_p)
    inputs: np.ndarray | None  # (T, K, n)
    jumps: np.ndarray  # (T, K, n)
    final: np.ndarray  # (T, n)


def resolve_templates(model, schedules: Sequence[Schedule], t0, t1) -> Templates:
    """Resolve each distinct schedule once (errors in a schedule are the caller's)."""
    n, n_p = len(model.states), len(model.parameters)
    resolved = [resolve(s, model, t0, t1, np.full(n_p, np.nan)) for s in schedules]
    k_max = max(len(segs) for segs, _ in resolved)
    count = len(resolved)
    stops = np.full((count, k_max), np.inf)
    params = np.full((count, k_max, n_p), np.nan)
    inputs = np.zeros((count, k_max, n))
    jumps = np.zeros((count, k_max, n))
    final = np.zeros((count, n))
    for i, (segs, last) in enumerate(resolved):
        for k, seg in enumerate(segs):
            stops[i, k] = seg.stop
            params[i, k] = seg.params
            if seg.inputs is not None:
                inputs[i, k] = seg.inputs
            if seg.jumps is not None:
                jumps[i, k] = seg.jumps
        if last is not None:
            final[i] = last
    return Templates(
        np.array([len(s) for s, _ in resolved]),
        stops,
        params,
        inputs if inputs.any() else None,
        jumps,
        final,
    )
