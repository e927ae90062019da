"""Ensembles: many parameter sets and schedules of one model, integrated as one batch.

:func:`simulate_ensemble` integrates ``B`` members of one model at once. Every array of the
integrator has the batch as its last axis. With NumPy each arithmetic operation is one call
on ``B`` numbers, so the interpreter's overhead is shared by the whole batch; with numba
(:mod:`follicle.solvers`) a compiled loop takes each member from one event to the next
(a breakpoint of its schedule, a sign change or time its readouts watch) and Python sees
only the steps at those events.

The method
----------
Each member is integrated by RODAS4 (:mod:`follicle.solvers.rodas4`, where the method, its
error norm and its step-size control are written once): every member has its own step
size, chosen from its own error, so every member is held to the tolerance however
different its dynamics from its neighbours'. The Jacobian is the model's analytic one;
:math:`\\partial f/\\partial t` is computed only for models whose rates depend on time.
The linear systems are solved by the sparse LU of :mod:`follicle.solvers.sparse_lu` (one
symbolic factorisation per model structure, shared by the batch). The method exists once:
numba compiles it (a core dependency), and ``NUMBA_DISABLE_JIT=1`` runs the same code as
plain Python, the fallback (:doc:`/performance` says what that costs).

Schedules and output
--------------------
Doses, infusions and parameter steps (:mod:`follicle.schedule`) split each member's span
into segments, as for :func:`~follicle.simulate`; a member's step never crosses its next
breakpoint, and jumps are applied there. Members may have different schedules. Readouts
(:mod:`follicle.readouts`: :class:`~follicle.readouts.CrossingTime`,
:class:`~follicle.readouts.ValueAt`, :class:`~follicle.readouts.TimeAverage`,
:class:`~follicle.readouts.Peak`) are reduced on the fly from the cubic Hermite interpolant
of each accepted step, so memory does not grow with the length of the trajectory; full time
courses are recorded only when output times are asked for.

A member that cannot be integrated (non-finite rates, step size underflow, too many steps,
a non-negative state driven negative) is stopped and reported with its reason; the others
go on.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pint

from follicle import codegen, limits
from follicle.codegen import kernels
from follicle.errors import (
    FollicleError,
    ParameterValueError,
    UnitError,
    UnknownNameError,
    shown,
)
from follicle.model import clip_conserving
from follicle.readouts import CrossingTime, Peak, TimeAverage, ValueAt
from follicle.schedule import Schedule, resolve
from follicle.simulate import (
    DEFAULT_RTOL,
    absolute_tolerances,
    as_threshold,
    output_times,
    time_span,
)
from follicle.solvers import compiled as solvers_compiled
from follicle.solvers import rodas4, sparse_lu
from follicle.solvers.sparse_lu import SparseLU
from follicle.trajectory import SolverStats, Trajectory
from follicle.units import as_magnitude

__all__ = ["Ensemble", "simulate_ensemble"]

#: Member status values.
OK, INVALID, FAILED = "ok", "invalid", "failed"

_TINY = rodas4.TINY
#: A non-negative state may undershoot zero by this many absolute tolerances (as simulate).
_NEGATIVE_SLACK = 1000.0
#: A crossing inside a step is located to this fraction of the step (Illinois method).
_ROOT_TOL, _ROOT_ITERATIONS = 1e-12, 60
#: Gauss-Legendre nodes and weights on [0, 1] (exact for polynomials of degree 5).
_GAUSS_X = np.array([0.5 - math.sqrt(15) / 10, 0.5, 0.5 + math.sqrt(15) / 10])
_GAUSS_W = np.array([5 / 18, 8 / 18, 5 / 18])


# -- what a batch needs to know, as a picklable value -----------------------------------
@dataclass(frozen=True)
class _Target:
    """A state (``kind == "s"``) or observable (``"o"``) by index."""

    kind: str
    index: int


@dataclass(frozen=True)
class _Plan:
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
    watch: _Watch  # what the compiled loop stops at
    model_name: str = "model"  # named in the note while the kernel compiles
    time_unit: str = "day"  # the model's, for messages
    groups: tuple = ()  # state indices of each declared conservation (Module.conserve)
    state_units: tuple = ()  # named in the messages


@dataclass(frozen=True)
class _Watch:
    """The events at which the compiled loop hands a member back to Python: sign changes of
    ``value - level`` (a state when ``state``, else an observable, by ``index``), steps that
    contain one of ``times``, and with ``every`` each accepted step."""

    state: np.ndarray
    index: np.ndarray
    level: np.ndarray
    times: np.ndarray
    every: bool


def _watch(readouts, events) -> _Watch:
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
    return _Watch(
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
) -> _Plan:
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
    return _Plan(
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
        state_units=tuple(model.unit(name) for name in model.state_names),
        kernel=kernel,
        watch=_watch(resolved, plan_events),
        model_name=model.name,
        time_unit=str(model.time_unit),
    )


def _target(model, name) -> _Target:
    if name in model.states:
        return _Target("s", model.state_names.index(name))
    if name in model.observables:
        return _Target("o", model.observable_names.index(name))
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
        f"readout {name!r} is {spec!r}; ensembles compute CrossingTime, ValueAt, TimeAverage "
        "and Peak from follicle.readouts on the fly (a plain function of a Trajectory needs "
        "the trajectories: pass t_eval and apply it to Ensemble.member(i))"
    )


# -- one batch -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Templates:
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


def resolve_templates(model, schedules: Sequence[Schedule], t0, t1) -> _Templates:
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
    return _Templates(
        np.array([len(s) for s, _ in resolved]),
        stops,
        params,
        inputs if inputs.any() else None,
        jumps,
        final,
    )


def run_batch(
    plan: _Plan, params: np.ndarray, initial: np.ndarray, templates: _Templates, which: np.ndarray
) -> dict:
    """Integrate one batch: ``params (n_p, B)``, ``initial (n, B)``, member ``b`` following
    schedule template ``which[b]``. Returns readouts, optional time courses, status."""
    return _Batch(plan, params, initial, templates, which).run()


class _Batch:
    def __init__(self, plan, params, initial, templates, which):
        self.plan, self.templates = plan, templates
        self.compiled = plan.compiled
        self.base = np.asarray(params, dtype=float)
        self.y = np.array(initial, dtype=float)
        self.which = np.asarray(which, dtype=np.intp)
        n, size = self.y.shape
        self.size = size
        self.t = np.full(size, plan.t0)
        self.h = np.zeros(size)
        self.segment = np.zeros(size, dtype=np.intp)
        self.kernel = solvers_compiled.model_functions(plan.kernel, plan.model_name)
        # The member's parameters, then the parameter-only subexpressions of the kernel.
        self.p = np.empty((self.base.shape[0] + self.kernel.N_DERIVED, size))
        self.u = None if templates.inputs is None else np.zeros((n, size))
        self.stop = np.empty(size)
        self.f = np.empty((n, size))
        self.active = np.ones(size, dtype=bool)
        self.steps = np.zeros(size, dtype=np.int64)
        self.rejected = np.zeros(size, dtype=np.int64)
        self.reason = np.full(size, None, dtype=object)
        self.recorders = [
            _RECORDERS[kind](self, target, *options) for _, kind, target, options in plan.readouts
        ]
        self.events = [_Events(self, *event) for event in plan.events]
        #: Where a terminal event stopped each member (nan: it was not stopped).
        self.halted = np.full(size, np.nan)
        self.trace = None if plan.grid is None else _Trace(self, plan.grid)
        self.solver = solvers_compiled.integrator()
        #: How far below zero a non-negative state may go (integration error), else -inf.
        self.floor = np.where(plan.nonnegative, -_NEGATIVE_SLACK * plan.atol, -np.inf)

    # -- evaluation helpers --------------------------------------------------------------
    def rhs(self, t, y, idx):
        dy = self.evaluate(0, t, y, self.p[:, idx])
        if self.u is not None:
            dy += self.u[:, idx]
        return dy

    def observables(self, t, y, p):
        """The observables at times ``t`` of states ``y`` under parameters ``p`` (columns)."""
        return self.evaluate(1, t, y, p)

    def evaluate(self, which, t, y, p):
        """The right-hand side (``which`` 0) or the observables (1) of the columns of ``y``,
        compiled (NumPy's generated code costs ~3 ms a call on one column of a large
        model)."""
        c_order = np.ascontiguousarray
        size = y.shape[1]
        rows = self.compiled.n_states if which == 0 else self.compiled.n_observables
        out = np.empty((rows, size))
        times = np.empty(size)  # writable, C order: the compiled signature's layout
        times[:] = t
        function = self.kernel.pointers[0 if which == 0 else -1]
        self.solver.each_member(function, times, c_order(y), c_order(p), out)
        return out

    def value(self, target, t, y, idx):
        """A state's or observable's value (a non-negative state clipped at zero as in
        :func:`~follicle.simulate`'s output; observables see the integrator's state, whose
        undershoots are below the tolerance)."""
        if target.kind == "s":
            if self.plan.groups:
                clipped = clip_conserving(y.copy(), self.plan.nonnegative, self.plan.groups)
                return clipped[target.index]
            v = y[target.index]
            return np.maximum(v, 0.0) if self.plan.nonnegative[target.index] else v
        return self.observables(t, y, self.p[:, idx])[target.index]

    def set_parameters(self, idx, values):
        """Members ``idx`` take parameters ``values``, and the kernel's values derived from
        them (:func:`follicle.codegen.kernels.hoisted`)."""
        self.p[: values.shape[0], idx] = values
        if self.kernel.N_DERIVED:
            c_order = np.ascontiguousarray
            out = np.empty((self.kernel.N_DERIVED, idx.size))
            times = np.zeros(idx.size)
            p, y = c_order(self.p[:, idx]), c_order(self.y[:, idx])
            self.solver.each_member(self.kernel.derived, times, y, p, out)
            self.p[values.shape[0] :, idx] = out

    def fail(self, idx, reasons):
        self.active[idx] = False
        self.reason[idx] = reasons
        self.y[:, idx] = np.nan

    # -- segments --------------------------------------------------------------------------
    def enter(self, idx, first=False):
        """Move members ``idx`` (at their breakpoint) into their next segment(s)."""
        tp = self.templates
        while idx.size:
            w, k = self.which[idx], self.segment[idx]
            if not first:
                k = k + 1
                self.segment[idx] = k
            first = False
            ended = k >= tp.n_segments[w]
            if ended.any():
                end = idx[ended]
                before = self.y[:, end].copy()
                self.y[:, end] += tp.final[self.which[end]].T
                self.t[end] = self.plan.t1
                for rec in self._observers():
                    rec.jump(end, self.t[end], before, self.y[:, end], self.p[:, end])
                self.active[end] = False
                idx, w, k = idx[~ended], w[~ended], k[~ended]
            if not idx.size:
                return
            jump = tp.jumps[w, k].T
            before = self.y[:, idx].copy()
            p_before = self.p[:, idx].copy()
            override = tp.params[w, k].T
            self.set_parameters(idx, np.where(np.isnan(override), self.base[:, idx], override))
            self.y[:, idx] += jump
            if self.u is not None:
                self.u[:, idx] = tp.inputs[w, k].T
            self.stop[idx] = tp.stops[w, k]
            for rec in self._observers():
                rec.jump(idx, self.t[idx], before, self.y[:, idx], p_before)
            self.f[:, idx] = self.rhs(self.t[idx], self.y[:, idx], idx)
            bad = ~np.isfinite(self.f[:, idx]).all(axis=0)
            if bad.any():
                self.fail(idx[bad], [self._nonfinite_reason(m) for m in idx[bad]])
            # Segments shorter than round-off: carry the state across at once (their length
            # is no guide to the next step size).
            short = self.stop[idx] - self.t[idx] <= _TINY * np.maximum(1.0, np.abs(self.stop[idx]))
            jumped = idx[jump.any(axis=0) & ~short]
            if jumped.size:
                self.h[jumped] = np.minimum(
                    np.where(self.h[jumped] > 0, self.h[jumped], np.inf), self.initial_step(jumped)
                )
            idx = idx[self.active[idx] & short]

    def _observers(self):
        return [*self.recorders, *self.events, *([self.trace] if self.trace is not None else [])]

    def halt(self, idx, times):
        """Stop members ``idx`` at ``times`` (a terminal event)."""
        self.active[idx] = False
        self.halted[idx] = times

    def initial_step(self, idx):
        """Hairer's starting step: ``0.01 ||y|| / ||f||`` in the error norm (at most the
        segment)."""
        scale = self.plan.atol[:, None] + self.plan.rtol * np.abs(self.y[:, idx])
        d0 = np.sqrt(np.mean((self.y[:, idx] / scale) ** 2, axis=0))
        d1 = np.sqrt(np.mean((self.f[:, idx] / scale) ** 2, axis=0))
        h = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
        return np.minimum(np.minimum(h, self.stop[idx] - self.t[idx]), self.plan.max_step)

    def _nonfinite_reason(self, m):
        f = self.f[:, m]
        bad = np.flatnonzero(~np.isfinite(f))
        i = int(bad[0]) if bad.size else 0
        return (
            f"d({self.plan.state_names[i]})/dt became {f[i]} at t = {self.t[m]:.6g} "
            f"{self.plan.time_unit}; a rate term divides by zero or overflows there: check "
            "the parameters"
        )

    # -- the integration loop --------------------------------------------------------------
    def run(self) -> dict:
        everyone = np.arange(self.size)
        self.set_parameters(everyone, self.base)
        self.stop[:] = self.templates.stops[self.which, 0]
        self.enter(everyone, first=True)
        unset = everyone[self.active & (self.h == 0)]
        self.h[unset] = self.initial_step(unset)
        for rec in self._observers():
            rec.start(everyone[self.active])
        while True:
            idx = np.flatnonzero(self.active)
            if not idx.size:
                break
            self.advance(idx)
        # numba saved its machine code on the first calls
        codegen.seal(self.kernel)
        codegen.seal(self.solver)
        out = self.results()
        # The recorders point back at the batch; break the cycle so that each chunk's
        # arrays are freed at once rather than at the next full garbage collection.
        self.recorders, self.events, self.trace = [], [], None
        return out

    def advance(self, idx):
        """Advance members ``idx`` in the compiled loop to their next event, then show the
        readouts the step that holds it (the steps in between change nothing they see)."""
        plan, watch = self.plan, self.plan.watch
        full = idx.size == self.size
        c_order = np.ascontiguousarray
        # One memory layout (C order) for every call: numba compiles one per layout.
        t, h = c_order(self.t[idx]), c_order(self.h[idx])
        y, f = c_order(self.y[:, idx]), c_order(self.f[:, idx])
        p = c_order(self.p if full else self.p[:, idx])
        u = np.zeros(y.shape) if self.u is None else c_order(self.u[:, idx])
        t_a, y_a, f_a = np.empty_like(t), np.empty_like(y), np.empty_like(f)
        handed, at_break = np.empty(idx.size, dtype=bool), np.empty(idx.size, dtype=bool)
        accepted = np.empty(idx.size, dtype=np.int64)
        rejected = np.empty(idx.size, dtype=np.int64)
        trace = self.trace
        if trace is None:
            grid = (_NO_GRID, idx, np.zeros(self.size, dtype=np.intp), _NO_TRACE)
        else:
            grid = (trace.grid, idx, trace.next, trace.out)
            written = trace.next[idx].copy()
        self.solver.advance(
            *self.kernel.pointers, plan.autonomous,
            plan.lu.nnz, self.compiled.n_observables, t, h, y, f, p, u, c_order(self.stop[idx]),
            plan.max_steps - self.steps[idx] - self.rejected[idx], plan.max_step,
            plan.lu.jac_positions, plan.lu.diagonal, plan.atol, plan.rtol,
            plan.nonnegative, self.floor, watch.state, watch.index, watch.level, watch.times,
            watch.every, *grid, t_a, y_a, f_a, handed, at_break, accepted, rejected,
        )  # fmt: skip
        if trace is not None:
            trace.complete(idx, written)
        self.steps[idx] += accepted
        self.rejected[idx] += rejected
        self.h[idx], self.t[idx], self.y[:, idx], self.f[:, idx] = h, t, y, f
        s = np.flatnonzero(handed)
        if s.size:
            acc, ta, ya, fa, yb, fb = idx[s], t_a[s], y_a[:, s], f_a[:, s], y[:, s], f[:, s]
            for rec in (*self.recorders, *self.events):
                rec.resume(acc, ta, ya)
                rec.step(acc, ta, t[s], ya, yb, fa, fb)
            self._after(acc, yb, fb, at_break[s])
        self._check_limits(idx)

    def _after(self, acc, yb, fb, at_break):
        """Checks of the accepted steps ending at ``yb`` of members ``acc``, and their next
        segments."""
        self._check_accepted(acc, yb, fb)
        brk = acc[at_break & self.active[acc]]
        if brk.size:
            self.enter(brk)
        self._stop_settled(acc[self.active[acc]])

    def _stop_settled(self, idx):
        """Members ``idx`` whose every readout is final stop here: the rest of their run
        changes no number they return (with an output grid they run to the end)."""
        if self.trace is not None or not idx.size:
            return
        settled = np.ones(idx.size, dtype=bool)
        for rec in self.recorders:
            settled &= rec.final(idx, self.t[idx])
        self.active[idx[settled]] = False

    def _check_accepted(self, acc, yb, fb):
        plan = self.plan
        nonfinite = ~np.isfinite(fb).all(axis=0)
        if nonfinite.any():
            self.fail(acc[nonfinite], [self._nonfinite_reason(m) for m in acc[nonfinite]])
        negative = (yb < self.floor[:, None]).any(axis=0) & ~nonfinite
        if negative.any():
            states = np.flatnonzero(plan.nonnegative)
            reasons = []
            for m, col in zip(acc[negative], yb[:, negative].T, strict=True):
                i = states[int(np.argmin(col[plan.nonnegative]))]
                reasons.append(
                    f"non-negative state {plan.state_names[i]!r} reached "
                    f"{col[i]:.3g} {plan.state_units[i]} at t = {self.t[m]:.6g} "
                    f"{plan.time_unit}, beyond "
                    "integration error; tighten rtol/atol or check rate terms that remove "
                    "more than is there"
                )
            self.fail(acc[negative], reasons)

    def _check_limits(self, idx):
        idx = idx[self.active[idx]]
        tiny = rodas4.too_small(self.h[idx], self.t[idx], self.stop[idx])
        if tiny.any():
            self.fail(
                idx[tiny],
                [
                    f"step size fell below {rodas4.H_MIN_REL:g} of the run's time scale at "
                    f"t = {self.t[m]:.6g} {self.plan.time_unit}: the error estimate would not "
                    "meet the tolerance (a rate that is not "
                    "smooth, or not finite, there)"
                    for m in idx[tiny]
                ],
            )
        many = self.steps[idx] + self.rejected[idx] >= self.plan.max_steps
        many &= self.active[idx]
        if many.any():
            self.fail(
                idx[many],
                [
                    f"gave up after {self.plan.max_steps} steps at t = {self.t[m]:.6g} "
                    f"{self.plan.time_unit} "
                    "(raise max_steps or loosen the tolerance)"
                    for m in idx[many]
                ],
            )

    def results(self) -> dict:
        failed = self.reason != None  # noqa: E711 - elementwise
        out = {
            "status": np.where(failed, FAILED, OK).astype("<U7"),
            "reason": self.reason,
            "steps": self.steps,
            "rejected": self.rejected,
            "events": [rec.found for rec in self.events],
            "halted": self.halted,
            "readouts": {  # nan for the members that failed, whatever was recorded before
                name: np.where(failed, np.nan, rec.result())
                for (name, *_), rec in zip(self.plan.readouts, self.recorders, strict=True)
            },
        }
        if self.trace is not None:
            out["values"] = self.trace.result()
        return out


def _illinois(g, a, b, ga, gb):
    """Where ``g`` changes sign in ``[a, b]`` (per member; the signs at the ends differ).

    The Illinois variant of regula falsi: secant steps that keep the bracket, halving the
    value kept at an end that survives twice, so both ends converge superlinearly.
    """
    side = np.zeros(a.shape, dtype=np.int8)
    c = b
    for _ in range(_ROOT_ITERATIONS):
        c = np.where(gb != ga, (a * gb - b * ga) / np.where(gb != ga, gb - ga, 1.0), b)
        gc = g(c)
        left = (gc < 0) == (ga < 0)  # the root is in [c, b]
        ga, a = np.where(left, gc, ga), np.where(left, c, a)
        gb, b = np.where(left, gb, gc), np.where(left, b, c)
        gb = np.where(left & (side == 1), 0.5 * gb, gb)
        ga = np.where(~left & (side == -1), 0.5 * ga, ga)
        side = np.where(left, 1, -1).astype(np.int8)
        if np.all((b - a <= _ROOT_TOL) | (gc == 0)):
            break
    return c


def _columns(s, idx, ta, tb, ya, yb, fa, fb):
    """The step data of the members at positions ``s``."""
    return idx[s], ta[s], tb[s], ya[:, s], yb[:, s], fa[:, s], fb[:, s]


class _Recorder:
    """Base of the on-the-fly readouts: called at the start, on every accepted step and at
    every breakpoint; :meth:`result` gives one number per member."""

    def __init__(self, batch, target):
        self.batch, self.target = batch, target
        self.out = np.full(batch.size, np.nan)

    def start(self, idx):
        pass

    def resume(self, idx, t, y):
        """Before :meth:`step` when steps may have been taken unseen since the last call."""

    def jump(self, idx, t, before, after, p_before):
        pass

    def result(self):
        return self.out

    def final(self, idx, t):
        """Which of members ``idx``, now at time ``t``, hold their result whatever the rest
        of the run does."""
        return t > self.b

    def in_window(self, ta, tb, closed):
        """Members whose step meets the window ``[a, b]`` (overlaps it, or also just touches
        it if ``closed``), and the window's part of each step as fractions of the step."""
        lo, hi = np.maximum(ta, self.a), np.minimum(tb, self.b)
        s = np.flatnonzero(hi >= lo if closed else hi > lo)
        h = tb[s] - ta[s]
        return s, (lo[s] - ta[s]) / h, (hi[s] - ta[s]) / h

    def at(self, theta, idx, ta, tb, ya, yb, fa, fb):
        h = tb - ta
        return self.batch.value(
            self.target, ta + theta * h, rodas4.hermite(theta, h, ya, yb, fa, fb), idx
        )


class _Crossing(_Recorder):
    def __init__(self, batch, target, level, direction, start, stop):
        super().__init__(batch, target)
        self.level, self.direction, self.a, self.b = level, direction, start, stop
        self.last = np.full(batch.size, np.nan)

    def final(self, idx, t):
        return ~np.isnan(self.out[idx]) | (t > self.b)

    def hits(self, ga, gb):
        up, down = (ga < 0) & (gb >= 0), (ga >= 0) & (gb < 0)
        return {"up": up, "down": down, "either": up | down}[self.direction]

    def start(self, idx):
        b = self.batch
        self.resume(idx, b.t[idx], b.y[:, idx])

    def resume(self, idx, t, y):
        self.last[idx] = self.batch.value(self.target, t, y, idx) - self.level

    def jump(self, idx, t, before, after, p_before):
        b = self.batch
        ga = self.last[idx]
        gb = b.value(self.target, t, after, idx) - self.level
        new = self.hits(ga, gb) & np.isnan(self.out[idx]) & (t >= self.a) & (t <= self.b)
        self.out[idx[new]] = t[new]
        self.last[idx] = gb

    def step(self, idx, ta, tb, ya, yb, fa, fb):
        b = self.batch
        gb = b.value(self.target, tb, yb, idx) - self.level
        ga = self.last[idx]
        self.last[idx] = gb
        h = tb - ta
        lo = np.minimum(np.maximum((self.a - ta) / h, 0.0), 1.0)
        hi = np.minimum(np.maximum((self.b - ta) / h, 0.0), 1.0)
        open_ = np.isnan(self.out[idx]) & (hi > lo)
        if not open_.any():
            return

        def pick(s):
            return _columns(s, idx, ta, tb, ya, yb, fa, fb)

        # Values at the window's edges, where an edge falls inside the step (rare).
        g_lo, g_hi = ga.copy(), gb.copy()
        for g, theta, edge in ((g_lo, lo, open_ & (lo > 0)), (g_hi, hi, open_ & (hi < 1))):
            s = np.flatnonzero(edge)
            if s.size:
                g[s] = self.at(theta[s], *pick(s)) - self.level
        hit = open_ & self.hits(g_lo, g_hi)
        if not hit.any():
            return
        s = np.flatnonzero(hit)
        args = pick(s)
        theta = _illinois(lambda x: self.at(x, *args) - self.level, lo[s], hi[s], g_lo[s], g_hi[s])
        self.out[idx[s]] = ta[s] + theta * (tb[s] - ta[s])


class _Value(_Recorder):
    def __init__(self, batch, target, when):
        super().__init__(batch, target)
        self.when = when

    def final(self, idx, t):
        return t > self.when  # at ``when`` itself a breakpoint's jump() may still come

    def start(self, idx):
        b = self.batch
        if self.when == b.plan.t0:
            self.out[idx] = b.value(self.target, b.t[idx], b.y[:, idx], idx)

    def step(self, idx, ta, tb, ya, yb, fa, fb):
        inside = (ta < self.when) & (self.when <= tb)  # at a breakpoint, jump() overwrites
        if inside.any():
            s = np.flatnonzero(inside)
            theta = (self.when - ta[s]) / (tb[s] - ta[s])
            self.out[idx[s]] = self.at(
                theta, idx[s], ta[s], tb[s], ya[:, s], yb[:, s], fa[:, s], fb[:, s]
            )

    def jump(self, idx, t, before, after, p_before):
        here = t == self.when
        if here.any():
            self.out[idx[here]] = self.batch.value(self.target, t[here], after[:, here], idx[here])


class _Average(_Recorder):
    def __init__(self, batch, target, start, stop):
        super().__init__(batch, target)
        self.a, self.b = start, stop
        self.out[:] = 0.0

    def final(self, idx, t):
        return t >= self.b  # a jump adds nothing to the integral

    def step(self, idx, ta, tb, ya, yb, fa, fb):
        s, th_lo, th_hi = self.in_window(ta, tb, closed=False)
        if not s.size:
            return
        args = _columns(s, idx, ta, tb, ya, yb, fa, fb)
        total = sum(
            w * self.at(th_lo + x * (th_hi - th_lo), *args)
            for x, w in zip(_GAUSS_X, _GAUSS_W, strict=True)
        )
        self.out[idx[s]] += total * (th_hi - th_lo) * (tb[s] - ta[s])

    def result(self):
        return self.out / (self.b - self.a)


class _Peak(_Recorder):
    def __init__(self, batch, target, what, start, stop):
        super().__init__(batch, target)
        self.what, self.a, self.b = what, start, stop
        self.best = np.full(batch.size, -np.inf)

    def offer(self, idx, when, value):
        better = (value > self.best[idx]) & (when >= self.a) & (when <= self.b)
        self.best[idx[better]] = value[better]
        self.out[idx[better]] = when[better]

    def start(self, idx):
        b = self.batch
        self.offer(idx, b.t[idx], b.value(self.target, b.t[idx], b.y[:, idx], idx))

    def jump(self, idx, t, before, after, p_before):
        self.offer(idx, t, self.batch.value(self.target, t, after, idx))

    def step(self, idx, ta, tb, ya, yb, fa, fb):
        s, th_lo, th_hi = self.in_window(ta, tb, closed=True)
        if not s.size:
            return
        args = _columns(s, idx, ta, tb, ya, yb, fa, fb)
        for x in (0.0, 0.25, 0.5, 0.75, 1.0):
            theta = th_lo + x * (th_hi - th_lo)
            self.offer(idx[s], ta[s] + theta * (tb[s] - ta[s]), self.at(theta, *args))

    def result(self):
        out = self.best if self.what == "value" else self.out
        return np.where(np.isfinite(self.best), out, np.nan)


class _Events(_Crossing):
    """Every crossing of a :class:`~follicle.simulate.Threshold`, per member (located as
    :class:`_Crossing` locates the first); a terminal one stops the member there. As with
    :func:`scipy.integrate.solve_ivp` in each segment, a jump at a breakpoint fires none."""

    def __init__(self, batch, target, level, direction, terminal):
        super().__init__(
            batch,
            target,
            level,
            "either" if direction == "both" else direction,
            -math.inf,
            math.inf,
        )
        self.terminal = terminal
        self.found = [[] for _ in range(batch.size)]

    def jump(self, idx, t, before, after, p_before):
        self.last[idx] = self.batch.value(self.target, t, after, idx) - self.level

    def step(self, idx, ta, tb, ya, yb, fa, fb):
        ga = self.last[idx]
        gb = self.batch.value(self.target, tb, yb, idx) - self.level
        self.last[idx] = gb
        s = np.flatnonzero(self.hits(ga, gb))
        if not s.size:
            return
        args = _columns(s, idx, ta, tb, ya, yb, fa, fb)
        theta = _illinois(
            lambda x: self.at(x, *args) - self.level,
            np.zeros(s.size),
            np.ones(s.size),
            ga[s],
            gb[s],
        )
        times = ta[s] + theta * (tb[s] - ta[s])
        for m, when in zip(idx[s], times, strict=True):
            self.found[m].append(float(when))
        if self.terminal:
            self.batch.halt(idx[s], times)


_RECORDERS = {"crossing": _Crossing, "value": _Value, "average": _Average, "peak": _Peak}


#: What the compiled loop gets when no output grid is recorded.
_NO_GRID, _NO_TRACE = np.empty(0), np.empty((0, 0, 0))


class _Trace:
    """Every state and observable at the output times ``grid`` (for small ensembles).

    With NumPy steps every accepted step is offered to :meth:`step`; the compiled loop
    writes the states at the grid times itself and :meth:`complete` adds the clipping and
    the observables of the columns it wrote.
    """

    def __init__(self, batch, grid):
        # A writable C-ordered copy: the compiled loop's signature takes no read-only arrays.
        self.batch, self.grid = batch, np.array(grid, dtype=float)
        self.out = np.full((batch.size, batch.plan.n_outputs, grid.size), np.nan)
        self.next = np.zeros(batch.size, dtype=np.intp)

    def complete(self, idx, written):
        """Clip and add observables to the columns the compiled loop wrote for members
        ``idx`` (from ``written``, the counts before it ran, to ``self.next``)."""
        b, n = self.batch, self.batch.compiled.n_states
        for m, start in zip(idx, written, strict=True):
            stop = self.next[m]
            if stop == start:
                continue
            y = clip_conserving(self.out[m, :n, start:stop], b.plan.nonnegative, b.plan.groups)
            p = np.repeat(b.p[:, m : m + 1], stop - start, axis=1)
            self.out[m, :n, start:stop] = y
            self.out[m, n:, start:stop] = b.observables(self.grid[start:stop], y, p)

    def record(self, idx, t, y):
        b = self.batch
        y = clip_conserving(np.array(y, dtype=float), b.plan.nonnegative, b.plan.groups)
        obs = b.observables(t, y, b.p[:, idx])
        self.out[idx, :, self.next[idx]] = np.vstack([y, obs]).T
        self.next[idx] += 1

    def pending(self, idx, t, strict):
        k = self.next[idx]
        more = k < self.grid.size
        when = self.grid[np.minimum(k, self.grid.size - 1)]
        return more & ((when < t) if strict else (when <= t))

    def start(self, idx):
        pass

    def jump(self, idx, t, before, after, p_before):
        # Output at a breakpoint shows the state after the jump (as simulate's does).
        while True:
            due = self.pending(idx, t, strict=False)
            if not due.any():
                return
            self.record(idx[due], t[due], after[:, due])

    def step(self, idx, ta, tb, ya, yb, fa, fb):
        while True:
            due = self.pending(idx, tb, strict=True)
            if not due.any():
                return
            s = np.flatnonzero(due)
            when = self.grid[self.next[idx[s]]]
            theta = (when - ta[s]) / (tb[s] - ta[s])
            y = rodas4.hermite(theta, tb[s] - ta[s], ya[:, s], yb[:, s], fa[:, s], fb[:, s])
            self.record(idx[s], when, y)

    def result(self):
        return self.out


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


def member_columns(model, values, what: str, size: int | None):
    """``{name: array (B,)}`` from a mapping of scalars/arrays or a sequence of mappings.

    Returns ``(columns, size)``: arrays of length ``size`` (broadcast from scalars).
    """
    if values is None:
        return {}, size
    if isinstance(values, Mapping):
        columns = {}
        for name, column in values.items():
            arr = _column(model, name, column, what)
            if arr.ndim != 1:
                raise FollicleError(f"{what} {name!r}: give one value per member (a 1-D array)")
            if arr.size != 1:
                if size is not None and arr.size != size:
                    raise FollicleError(
                        f"{what} {name!r} has {arr.size} values but the ensemble has {size} "
                        "members"
                    )
                size = arr.size
            columns[name] = arr
        return columns, size
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise FollicleError(
            f"{what}s must be a mapping of names to values or arrays, or a list of such "
            f"mappings (one per member), got {shown(values)}"
        )
    rows = list(values)
    if not all(isinstance(row, Mapping) for row in rows):
        raise FollicleError(
            f"{what}s given as a list need one mapping of names to values per member, got "
            f"{shown(rows)}"
        )
    if size is not None and len(rows) != size:
        raise FollicleError(f"{len(rows)} {what} sets given but the ensemble has {size} members")
    names = sorted({k for row in rows for k in row})
    columns = {}
    for name in names:
        default = (
            model.parameters[name].value
            if name in model.parameters
            # a state whose initial value follows the parameters: each member's own
            # (nan marks "not given"; fill_matrix evaluates it from the member's parameters)
            else (math.nan if name in model.initial_expressions else model.states[name].initial)
            if name in model.states
            else None
        )
        columns[name] = np.array(
            [_number(model, name, row.get(name, default), what) for row in rows]
        )
    return columns, len(rows)


def _column(model, name, column, what) -> np.ndarray:
    """One member column of ``{name: values}``: numbers in the model's unit, or a pint
    quantity (array) converted to it."""
    unit = model.unit(name)
    if hasattr(column, "to"):  # a pint quantity (array)
        try:
            column = column.to(unit).magnitude
        except pint.errors.DimensionalityError:
            raise UnitError(
                f"{what} {name!r}: {shown(column)} is not in a unit compatible with {unit}"
            ) from None
    try:
        return np.atleast_1d(np.asarray(column, dtype=float))
    except (TypeError, ValueError):
        raise ParameterValueError(
            f"{what} {name!r}: expected numbers in {unit} (one per member), got "
            f"{shown(column)}; quantities with units go in one at a time with a list of "
            "mappings, or as a pint array"
        ) from None


def _number(model, name, value, what) -> float:
    if isinstance(value, int | float):  # out-of-range numbers are flagged per member later
        return float(value)
    return as_magnitude(value, model.unit(name), what=f"{what} {name!r}")


def fill_matrix(model, columns, kind, size, params=None):
    """Matrix ``(n, size)`` of defaults with ``columns`` substituted, and a mask and reasons
    for members whose values are outside the declared ranges or not finite.

    For ``kind="state"``, ``params`` (parameters x members) is what initial values that
    are expressions of the parameters (``model.initial_expressions``) are evaluated from.
    """
    table = model.parameters if kind == "parameter" else model.states
    names = model.parameter_names if kind == "parameter" else model.state_names
    reasons = np.full(size, None, dtype=object)
    if kind == "state" and params is not None and model.initial_expressions:
        matrix = model.initial_matrix(params)
        for name in set(model.initial_expressions) - set(columns):
            row, state = matrix[names.index(name)], table[name]
            bad = ~np.isfinite(row) | ((row < 0) if state.nonnegative else False)
            for m in np.flatnonzero(bad & (reasons == None)):  # noqa: E711 - elementwise
                reasons[m] = (
                    f"the initial value of state {name!r} is {row[m]:g} "
                    f"{state.unit} with this member's parameters"
                )
    else:
        default = np.array([p.value if kind == "parameter" else p.initial for p in table.values()])
        matrix = np.repeat(default[:, None], size, axis=1)
    for name, column in columns.items():
        if name not in table:
            raise UnknownNameError(kind, name, table)
        row = np.broadcast_to(column, (size,))
        if kind == "state" and name in model.initial_expressions:
            row = np.where(np.isnan(row), matrix[names.index(name)], row)  # not given
        matrix[names.index(name)] = row
        if kind == "parameter":
            low, high = table[name].bounds
            unit = table[name].unit
            bad = ~(np.isfinite(row) & (row >= low) & (row <= high))
            expected = f"in [{low:g}, {high:g}] {unit}"
        else:
            bad = ~np.isfinite(row) | ((row < 0) if table[name].nonnegative else False)
            expected = f"finite{' and >= 0' if table[name].nonnegative else ''} {table[name].unit}"
        for m in np.flatnonzero(bad & (reasons == None)):  # noqa: E711 - elementwise
            reasons[m] = f"{kind} {name!r} = {row[m]:g} is not {expected}"
    if kind == "state" and columns:
        broken = model.conservation_violations(matrix)
        unset = reasons == None  # noqa: E711 - elementwise
        reasons[unset] = broken[unset]
    return matrix, reasons


# fmt: off
def simulate_ensemble(model, days=None, *, t_span=None, params=None, initial=None,
                      schedule=None, schedules=None, t_eval=None, readouts=None,
                      rtol=DEFAULT_RTOL, atol=None, max_steps=100_000,
                      backend="auto") -> Ensemble:
    # fmt: on
    """Integrate many parameter sets and schedules of ``model`` as one vectorised batch.

    Members differ in their parameters, initial values and schedules; every member is held
    to the tolerance with its own step size (RODAS4, see the module documentation). The
    result for each member equals :func:`~follicle.simulate`'s within the tolerance.

    Parameters
    ----------
    model : Model
    days, t_span
        The simulated span, as for :func:`~follicle.simulate`.
    params, initial : mapping or sequence of mappings, optional
        Per-member values: ``{name: array of B values}`` (scalars are shared by all), or a
        sequence of ``B`` mappings ``{name: value}``.
    schedule : Schedule or iterable of events, optional
        One schedule shared by every member.
    schedules : sequence of schedules, optional
        One schedule per member (instead of ``schedule``).
    t_eval : array_like, optional
        Record every state and observable at these times (days). Default: the grid of
        :func:`~follicle.simulate` when no ``readouts`` are given, none otherwise.
    readouts : mapping of name to readout, or one readout, optional
        :class:`~follicle.readouts.CrossingTime`, :class:`~follicle.readouts.ValueAt`,
        :class:`~follicle.readouts.TimeAverage` or :class:`~follicle.readouts.Peak`,
        computed during the integration (no time courses kept).
    rtol, atol
        Tolerances, as for :func:`~follicle.simulate` (default ``1e-6`` and
        ``1e-9 * scale``).
    max_steps : int
        Steps (accepted and rejected) after which a member is given up as failed.
    backend : {"auto", "numba"}
        Kept for old calls: every member runs on the one compiled integrator
        (:mod:`follicle.solvers`). ``"numpy"``, a second copy of the method that stepped
        the whole batch with NumPy, is deprecated and runs the compiled integrator too.

    Returns
    -------
    Ensemble
        Members whose values are outside the declared ranges are ``"invalid"``, members the
        integrator could not finish ``"failed"``; the others are ``"ok"``.

    Raises
    ------
    UnknownNameError, TimeSpanError, ScheduleError
        For mistakes that concern the whole call (a misspelt name, an empty span, a
        malformed schedule), so nothing is integrated in vain.
    """
    from follicle.model import Model

    if not isinstance(model, Model):
        raise FollicleError(
            f"simulate_ensemble() needs a follicle Model, got {type(model).__name__}"
        )
    t0, t1 = time_span(days, t_span, model.time_unit)
    readouts = _named_readouts(readouts)
    if t_eval is None and not readouts:
        t_eval = output_times(None, t0, t1, model.time_unit)
    plan = make_plan(model, t0, t1, rtol=rtol, atol=atol, readouts=readouts, t_eval=t_eval,
                     max_steps=max_steps, backend=backend)  # fmt: skip
    p_cols, size = member_columns(model, params, "parameter", None)
    y_cols, size = member_columns(model, initial, "initial value", size)
    if schedules is not None:
        if schedule is not None:
            raise FollicleError("give schedule= (shared) or schedules= (per member), not both")
        member_schedules = [Schedule.of(s) for s in schedules]
        if size is not None and len(member_schedules) != size:
            raise FollicleError(
                f"{len(member_schedules)} schedules given but the ensemble has {size} members"
            )
        size = len(member_schedules)
    size = 1 if size is None else size
    if size < 1:
        raise FollicleError(
            "the ensemble has no members (an empty column or list); give at least one value"
        )
    limits.check("members", size, "the number of ensemble members")
    if plan.grid is not None:
        limits.check(
            "output_points", size * plan.n_outputs * plan.grid.size,
            "the number of stored values (members x states and observables x output times)",
        )
    if schedules is None:
        member_schedules = [Schedule.of(schedule)] * size
    distinct = list(dict.fromkeys(member_schedules))
    which = (
        np.array([distinct.index(s) for s in member_schedules])
        if len(distinct) > 1
        else np.zeros(size, dtype=np.intp)
    )
    templates = resolve_templates(model, distinct, t0, t1)
    p, p_bad = fill_matrix(model, p_cols, "parameter", size)
    y0, y_bad = fill_matrix(model, y_cols, "state", size, params=p)
    invalid = np.where(p_bad == None, y_bad, p_bad)  # noqa: E711 - elementwise
    result = integrate_members(plan, p, y0, templates, which, invalid)
    names = (*model.state_names, *model.observable_names)
    return Ensemble(
        status=result["status"],
        reason=result["reason"],
        readouts=result["readouts"],
        t=plan.grid,
        values=result.get("values"),
        names=names,
        units=tuple(model.unit(n) for n in names),
        parameters=p.T.copy(),
        parameter_names=model.parameter_names,
        parameter_units=tuple(model.parameters[n].unit for n in model.parameter_names),
        schedules=tuple(member_schedules),
        steps=result["steps"],
        rejected=result["rejected"],
        segments=result["segments"],
        rtol=plan.rtol,
        atol=tuple(map(float, plan.atol)),
        model_name=model.name,
        time_unit=str(model.time_unit),
    )


def _named_readouts(readouts) -> dict:
    if readouts is None:
        return {}
    if isinstance(readouts, Mapping):
        return dict(readouts)
    return {"readout": readouts}


def integrate_members(plan, p, y0, templates, which, invalid) -> dict:
    """Integrate the valid members of a batch; invalid ones get status ``"invalid"``."""
    size = p.shape[1]
    valid = np.flatnonzero(invalid == None)  # noqa: E711 - elementwise
    status = np.full(size, INVALID, dtype="<U7")
    reason = np.array(invalid, dtype=object)
    steps = np.zeros(size, dtype=np.int64)
    rejected = np.zeros(size, dtype=np.int64)
    readouts = {name: np.full(size, np.nan) for name, *_ in plan.readouts}
    values = None if plan.grid is None else np.full((size, plan.n_outputs, plan.grid.size), np.nan)
    if valid.size:
        part = run_batch(plan, p[:, valid], y0[:, valid], templates, which[valid])
        status[valid], reason[valid] = part["status"], part["reason"]
        steps[valid], rejected[valid] = part["steps"], part["rejected"]
        for name, column in part["readouts"].items():
            readouts[name][valid] = column
        if values is not None:
            values[valid] = part["values"]
    out = {
        "status": status,
        "reason": reason,
        "steps": steps,
        "segments": templates.n_segments[which],
        "rejected": rejected,
        "readouts": readouts,
    }
    if values is not None:
        out["values"] = values
    return out
