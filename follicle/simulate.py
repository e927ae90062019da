"""Single simulations: :func:`simulate` integrates a model under a schedule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from scipy.integrate import solve_ivp

from follicle import limits
from follicle.errors import (
    FollicleError,
    ParameterValueError,
    SolverError,
    TimeSpanError,
    UnitError,
    UnknownNameError,
    shown,
)
from follicle.readouts.specs import named
from follicle.schedule import Schedule, resolve
from follicle.trajectory import SolverStats, Trajectory
from follicle.units import TIME_UNIT, as_magnitude

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "METHODS",
    "Threshold",
    "absolute_tolerances",
    "as_threshold",
    "integrate_segments",
    "output_times",
    "simulate",
    "time_span",
]

#: Default relative tolerance.
DEFAULT_RTOL = 1e-6
#: Default absolute tolerance, multiplied by each state's ``scale``.
DEFAULT_ATOL = 1e-9
#: Integration methods that may be chosen: the engine's RODAS4 (:mod:`follicle.solvers`, the
#: integrator of :func:`~follicle.simulate_ensemble`; the default), and those of
#: :func:`scipy.integrate.solve_ivp`, kept as references.
METHODS = ("RODAS4", "BDF", "Radau", "LSODA", "RK45", "DOP853")
_IMPLICIT = {"BDF", "Radau", "LSODA"}
_SPARSE_JAC = {"BDF", "Radau"}
#: Models at least this large, with a sparse enough Jacobian, get a sparse Jacobian.
_SPARSE_MIN_STATES, _SPARSE_MAX_DENSITY = 40, 0.2
#: Output grid when none is given: this many points per day (at least 201 in all).
_POINTS_PER_DAY = 10
#: A non-negative state may undershoot zero by this many absolute tolerances before the
#: result is rejected; smaller undershoots are integration error and are set to zero.
_NEGATIVE_SLACK = 1000.0
#: Segments shorter than this (relative to the time) are round-off between breakpoints.
_TINY_SEGMENT = 1e-12


@dataclass(frozen=True)
class Threshold:
    """A threshold event: record every time ``name`` crosses ``value``.

    Crossing times are located by root finding on the solver's dense output, so their
    accuracy follows the integration tolerance rather than the output grid.

    Parameters
    ----------
    name : str
        A state or observable.
    value : float, str or pint.Quantity
        The threshold, in the variable's unit.
    direction : {"up", "down", "both"}
    terminal : bool
        Stop the simulation at the first crossing.
    label : str, optional
        Name under which the times are stored (default: ``"<name> <direction> <value>"``).
    """

    name: str
    value: object
    direction: str = "both"
    terminal: bool = False
    label: str | None = None

    def __post_init__(self):
        if self.direction not in ("up", "down", "both"):
            raise FollicleError(
                f"Threshold direction must be 'up', 'down' or 'both', got {self.direction!r}"
            )

    @property
    def key(self) -> str:
        return self.label or f"{self.name} {self.direction} {self.value}"

    def level(self, model) -> float:
        """The threshold in ``model``'s unit of :attr:`name`, checked: ``name`` must be a
        state or observable of ``model``.

        Raises
        ------
        UnknownNameError, UnitError
        """
        known = model.variable_names
        if self.name not in known:
            raise UnknownNameError("state or observable", self.name, known)
        return as_magnitude(self.value, model.unit(self.name), what=f"threshold on {self.name!r}")


def as_threshold(event) -> Threshold:
    """``event`` itself, refused with a named error unless it is a :class:`Threshold`."""
    if not isinstance(event, Threshold):
        raise FollicleError(f"events must be Threshold objects, got {event!r}")
    return event


class _NonFinite(Exception):
    def __init__(self, t, y, values, what):
        self.t, self.y, self.values, self.what = t, y, values, what


def time_span(days, t_span, unit=TIME_UNIT) -> tuple[float, float]:
    """The run's ``(start, stop)`` in the model's time ``unit`` from ``days`` (a duration
    from 0) or ``t_span``, each a bare number in ``unit`` or a quantity; exactly one is
    given.

    Raises
    ------
    TimeSpanError
        Both or neither given, a value in a unit that is not a time, an empty or reversed
        span, or one above the span limit.
    """
    if (days is None) == (t_span is None):
        raise TimeSpanError("give exactly one of days=<duration> or t_span=(start, stop)")
    try:
        if days is not None:
            t0, t1 = 0.0, as_magnitude(days, unit, what="days")
        else:
            if len(t_span) != 2:
                raise TimeSpanError(f"t_span must be (start, stop), got {t_span!r}")
            t0 = as_magnitude(t_span[0], unit, what="t_span start")
            t1 = as_magnitude(t_span[1], unit, what="t_span stop")
    except (UnitError, ParameterValueError) as exc:
        raise TimeSpanError(str(exc)) from None
    if not t1 > t0:
        raise TimeSpanError(
            f"the time span [{t0:g}, {t1:g}] {unit} is empty or reversed; the stop must be "
            "later than the start"
        )
    limits.check("span", (t1 - t0) * _days_per(unit), "the simulated span (in days)")
    return t0, t1


def _days_per(unit) -> float:
    """Days in one ``unit`` of time."""
    return float((1 * unit).to(TIME_UNIT).magnitude)


def output_times(t_eval, t0, t1, unit=TIME_UNIT) -> np.ndarray:
    """The output times of a run over ``[t0, t1]`` (in the model's time ``unit``):
    ``t_eval`` checked (strictly increasing, finite, inside the span; a pint quantity
    array is converted to ``unit``), or by default a grid of at least 201 points and ten
    per day.

    Raises
    ------
    TimeSpanError
        Times that are not numbers, not increasing, outside the span, or too many.
    """
    if t_eval is None:
        n = max(201, math.ceil((t1 - t0) * _days_per(unit) * _POINTS_PER_DAY) + 1)
        limits.check("output_points", n, "the default output grid (ten points per day)")
        return np.linspace(t0, t1, n)
    if hasattr(t_eval, "to"):  # a pint quantity array
        t_eval = t_eval.to(unit).magnitude
    try:
        times = np.atleast_1d(np.asarray(t_eval, dtype=float))
    except (TypeError, ValueError):
        raise TimeSpanError(
            f"t_eval must be increasing numbers (in {unit}), got {shown(t_eval)}"
        ) from None
    if times.ndim != 1:
        raise TimeSpanError(f"t_eval must be one sequence of times, got shape {times.shape}")
    limits.check("output_points", times.size, "the number of output times (t_eval)")
    if times.size == 0:
        raise TimeSpanError("t_eval is empty; give at least one output time")
    if not np.all(np.isfinite(times)):
        raise TimeSpanError("t_eval contains non-finite times")
    if np.any(np.diff(times) <= 0):
        raise TimeSpanError("t_eval must be strictly increasing")
    if times[0] < t0 or times[-1] > t1:
        raise TimeSpanError(
            f"t_eval runs from {times[0]:g} to {times[-1]:g} {unit}, outside the simulated "
            f"span [{t0:g}, {t1:g}] {unit}"
        )
    return times


def simulate(
    model,
    days=None,
    *,
    t_span=None,
    t_eval=None,
    params=None,
    initial=None,
    schedule=None,
    events=(),
    readouts=None,
    method="RODAS4",
    rtol=DEFAULT_RTOL,
    atol=None,
    max_step=math.inf,
) -> Trajectory:
    """Integrate ``model`` under ``schedule`` and return a :class:`~follicle.Trajectory`.

    The span is split at every discontinuity of the schedule (bolus times, starts and stops
    of infusions and parameter steps); each piece is integrated with the model's analytic
    Jacobian, by the engine's RODAS4 (:mod:`follicle.solvers`, the integrator of
    :func:`~follicle.simulate_ensemble`, which reads the output times from each step's
    interpolant) or by :func:`scipy.integrate.solve_ivp`, and bolus jumps are applied
    between pieces. Output at a bolus time shows the state *after* the dose.

    Parameters
    ----------
    model : Model
    days : float, str or pint.Quantity, optional
        Simulate ``[0, days]``: the duration, a bare number in the model's time unit
        (:attr:`Model.time_unit <follicle.Model.time_unit>`, days for the biology) or a
        quantity (``"90 min"``). Give this or ``t_span``.
    t_span : (start, stop), optional
    t_eval : array_like, optional
        Output times in the model's time unit (or a pint quantity array), increasing,
        inside the span. Default: 10 points per day (at least 201).
    params : mapping, optional
        Parameter overrides ``{name: value}``; values may carry units. Each is checked
        against the parameter's declared range.
    initial : mapping, optional
        Initial-state overrides ``{name: value}``.
    schedule : Schedule or iterable of events, optional
        Bolus, Infusion and ParameterStep events.
    events : iterable of Threshold, optional
        Threshold crossings to locate accurately.
    readouts : mapping of name to readout, or one readout, optional
        :class:`~follicle.readouts.CrossingTime`, :class:`~follicle.readouts.ValueAt`,
        :class:`~follicle.readouts.TimeAverage` or :class:`~follicle.readouts.Peak`,
        computed during the integration from the integrator's steps, as
        :func:`~follicle.simulate_ensemble` and :func:`~follicle.sweep` compute them (the
        same numbers, accurate to the tolerance, where the readout called on the
        trajectory afterwards is accurate to the output grid): see
        :meth:`Trajectory.readout <follicle.Trajectory.readout>`. RODAS4 only.
    method : {"RODAS4", "BDF", "Radau", "LSODA", "RK45", "DOP853"}
        Default ``"RODAS4"``, the engine's own stiff integrator (L-stable, order 4, sparse
        LU; compiled by numba: the first run of a model structure compiles its functions,
        once per machine). The others are SciPy's, kept as references; implicit ones get
        the analytic Jacobian (sparse for large, sparse models with BDF/Radau).
    rtol : float
        Relative tolerance, default ``1e-6``.
    atol : float or mapping, optional
        Absolute tolerance: one number for all states, or ``{state: value}``. Default
        ``1e-9 * scale`` for each state, where ``scale`` is the state's declared typical
        magnitude.
    max_step : float
        Largest step, in the model's time unit (default unbounded).

    Returns
    -------
    Trajectory

    Raises
    ------
    TimeSpanError
        Empty, reversed or non-finite span; bad output times.
    UnknownNameError
        An unknown parameter, state or event variable (with close matches).
    ParameterValueError, UnitError, ScheduleError
        Values out of range, in the wrong unit, or malformed schedules.
    SolverError
        Integration failed; the message gives the time reached and the state that
        misbehaved.
    """
    from follicle.model import Model

    if not isinstance(model, Model):
        raise FollicleError(f"simulate() needs a follicle Model, got {type(model).__name__}")
    if method not in METHODS:
        raise FollicleError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if not (isinstance(rtol, int | float) and 0 < rtol < 1):
        raise ParameterValueError(f"rtol must be a number in (0, 1), got {shown(rtol)}")
    if not (isinstance(max_step, int | float) and not isinstance(max_step, bool) and max_step > 0):
        raise ParameterValueError(
            f"max_step must be a number > 0 in the model's time unit (math.inf: no limit), "
            f"got {shown(max_step)}"
        )
    t0, t1 = time_span(days, t_span, model.time_unit)
    limits.check(
        "steps", (t1 - t0) / max_step, "the number of steps max_step forces (span / max_step)"
    )
    times = output_times(t_eval, t0, t1, model.time_unit)
    p0 = model.parameter_vector(params)
    y = model.initial_vector(initial, p0)
    atol_vec = absolute_tolerances(model, atol)
    sched = Schedule.of(schedule)
    readouts = named(readouts)
    if method == "RODAS4":
        return _simulate_rodas4(
            model, (t0, t1), times, p0, y, sched, tuple(events), readouts, rtol, atol, max_step
        )
    if readouts:
        raise FollicleError(
            f"readouts= are computed on the fly by the engine's RODAS4, not by {method}: "
            "drop method=, or call the readouts on the trajectory (accurate to its output grid)"
        )
    segments, final_jump = resolve(sched, model, t0, t1, p0)
    compiled = model.compiled
    thresholds = [_event_function(model, ev) for ev in events]
    n_done, out, p_out, found, stats = integrate_segments(
        model, compiled, segments, final_jump, y, times, method, rtol, atol_vec, max_step,
        thresholds,
    )  # fmt: skip
    times = times[:n_done]
    out = _check_nonnegative(model, times, out, atol_vec)
    obs = (
        compiled.observables(times, out, p_out)
        if compiled.n_observables
        else np.empty((0, n_done))
    )
    names, units = model.variable_names, model.variable_units
    return Trajectory(
        t=times,
        values=np.vstack([out, obs]),
        names=names,
        units=units,
        n_states=compiled.n_states,
        parameters=tuple(zip(model.parameter_names, map(float, p0), strict=True)),
        parameter_units=model.parameter_units,
        schedule=sched,
        events=tuple((ev.key, tuple(f)) for ev, f in zip(events, found, strict=True)),
        stats=SolverStats(
            method, float(rtol), tuple(map(float, atol_vec)), segments=len(segments), **stats
        ),
        model_name=model.name,
        time_unit=str(model.time_unit),
    )


def _simulate_rodas4(model, span, times, p0, y0, sched, events, readouts, rtol, atol, max_step):
    """One run on the engine's integrator (inputs already checked by :func:`simulate`): a
    batch of one member, without the ensemble's per-member bookkeeping."""
    from follicle.ensemble.batch import run_batch
    from follicle.ensemble.plan import make_plan, resolve_templates

    t0, t1 = span
    plan = make_plan(
        model,
        t0,
        t1,
        rtol=rtol,
        atol=atol,
        readouts=readouts,
        t_eval=times,
        max_steps=int(limits.limit("steps")),
        max_step=max_step,
        events=events,
    )
    templates = resolve_templates(model, [sched], t0, t1)
    out = run_batch(plan, p0[:, None], y0[:, None], templates, np.zeros(1, dtype=np.intp))
    if out["reason"][0] is not None:
        raise SolverError(f"integration with RODAS4 failed: {out['reason'][0]}")
    values = out["values"][0]
    halted = out["halted"][0]
    if not math.isnan(halted):  # a terminal event: outputs up to it, as solve_ivp's
        keep = int(np.searchsorted(times, halted, side="right"))
        times, values = times[:keep], values[:, :keep]
    names = model.variable_names
    steps, rejected = int(out["steps"][0]), int(out["rejected"][0])
    return Trajectory(
        t=times,
        values=values,
        names=names,
        units=model.variable_units,
        n_states=model.compiled.n_states,
        parameters=tuple(zip(model.parameter_names, map(float, p0), strict=True)),
        parameter_units=model.parameter_units,
        schedule=sched,
        events=tuple(
            (ev.key, tuple(found[0])) for ev, found in zip(events, out["events"], strict=True)
        ),
        readouts=tuple((name, float(value[0])) for name, value in out["readouts"].items()),
        stats=SolverStats(
            "RODAS4",
            float(rtol),
            tuple(map(float, plan.atol)),
            nfev=0,
            njev=steps,
            nlu=steps + rejected,
            segments=int(templates.n_segments[0]),
        ),
        model_name=model.name,
        time_unit=str(model.time_unit),
    )


def absolute_tolerances(model, atol) -> np.ndarray:
    """Each state's absolute tolerance: ``atol`` (one number, or a mapping from state names
    to numbers with the rest at the default), the default being ``DEFAULT_ATOL`` times the
    state's ``scale``."""
    scales = np.array([s.scale for s in model.states.values()])
    if atol is None:
        return DEFAULT_ATOL * scales
    if isinstance(atol, dict):
        vec = DEFAULT_ATOL * scales
        for name, value in atol.items():
            if name not in model.states:
                raise UnknownNameError("state", name, model.states)
            vec[model.state_names.index(name)] = float(value)
    else:
        vec = np.full(len(scales), float(atol))
    if not np.all(np.isfinite(vec) & (vec > 0)):
        raise ParameterValueError(f"atol must be positive and finite, got {atol!r}")
    return vec


def _event_function(model, ev: Threshold):
    value = as_threshold(ev).level(model)
    names = model.state_names
    if ev.name in names:
        i = names.index(ev.name)

        def fn(t, y, p):
            return y[i] - value
    else:
        j = model.observable_names.index(ev.name)
        compiled = model.compiled

        def fn(t, y, p):
            return compiled.observables(t, y, p)[j] - value

    fn.direction = {"up": 1, "down": -1, "both": 0}[ev.direction]
    fn.terminal = ev.terminal
    return fn


def integrate_segments(
    model, system, segments, final_jump, y, times, method, rtol, atol, max_step, thresholds=()
):
    """The loop over schedule segments for SciPy's methods, written once: integrate
    ``system`` (``model.compiled``, or the forward sensitivity system of
    :mod:`follicle.sensitivities`: ``rhs(t, y, p)``, ``jac(t, y, p)``, ``jac_sparse``,
    ``n_states``, ``jac_density``) from ``y`` through ``segments``, applying each segment's
    jumps to the first states, with output at ``times``.

    Returns
    -------
    n_done : int
        Output times reached (fewer than ``times.size`` when a terminal event fired).
    out : ndarray, shape (system.n_states, n_done)
    p_out : ndarray, shape (segments' parameters, n_done)
        The parameters in effect at each output time.
    found : list of list of float
        Each threshold's crossing times.
    stats : dict
        ``nfev``, ``njev``, ``nlu`` summed over the segments.
    """
    n_params = segments[0].params.size
    out = np.empty((system.n_states, times.size))
    p_out = np.empty((n_params, times.size))
    found: list[list[float]] = [[] for _ in thresholds]
    stats = dict(nfev=0, njev=0, nlu=0)
    n_done = 0
    stopped = False
    for k, seg in enumerate(segments):
        if seg.jumps is not None:
            y = np.array(y, dtype=float)
            y[: seg.jumps.size] += seg.jumps
        last = k == len(segments) - 1
        mask = (times >= seg.start) & ((times <= seg.stop) if last else (times < seg.stop))
        sol, y, outputs = _integrate(
            model, system, seg, y, times[mask], method, rtol, atol, max_step, thresholds
        )
        for key in stats:
            stats[key] += int(getattr(sol, key, 0))
        for i, te in enumerate(sol.t_events or []):
            found[i].extend(float(x) for x in te)
        out[:, n_done : n_done + outputs.shape[1]] = outputs
        p_out[:, n_done : n_done + outputs.shape[1]] = seg.params[:, None]
        n_done += outputs.shape[1]
        if sol.status == 1:  # a terminal event fired
            stopped = True
            break
    if final_jump is not None and not stopped and n_done and times[n_done - 1] == seg.stop:
        out[: final_jump.size, n_done - 1] += final_jump  # a dose at the very end shows
    return n_done, out[:, :n_done], p_out[:, :n_done], found, stats


def _integrate(model, compiled, seg, y0, t_eval, method, rtol, atol, max_step, thresholds):
    p, u = seg.params, seg.inputs
    rhs = compiled.rhs

    def fun(t, y):
        dy = rhs(t, y, p)
        if u is not None:
            dy = dy + u
        if not np.all(np.isfinite(dy)):
            raise _NonFinite(t, y, dy, "rhs")
        return dy

    options = {}
    if method in _IMPLICIT:
        sparse = (
            method in _SPARSE_JAC
            and compiled.n_states >= _SPARSE_MIN_STATES
            and compiled.jac_density <= _SPARSE_MAX_DENSITY
        )
        jac = compiled.jac_sparse if sparse else compiled.jac

        def jacobian(t, y):
            J = jac(t, y, p)
            if not np.all(np.isfinite(J.data if sparse else J)):
                raise _NonFinite(t, y, J.toarray() if sparse else J, "jac")
            return J

        options["jac"] = jacobian
    evs = []
    for fn in thresholds:

        def event(t, y, fn=fn):
            return fn(t, y, p)

        event.direction, event.terminal = fn.direction, fn.terminal
        evs.append(event)
    if seg.stop - seg.start <= _TINY_SEGMENT * max(1.0, abs(seg.stop)):
        # Two discontinuities a round-off apart: nothing happens in between, and the
        # solvers cannot take a step of that size. Carry the state across.
        nothing = SimpleNamespace(status=0, t_events=[[] for _ in thresholds] or None)
        return nothing, np.array(y0, dtype=float), np.repeat(y0[:, None], t_eval.size, 1)
    # The segment's end is always an output of the solver, so that the next segment starts
    # from the exact end state; it is reported only if the caller asked for that time.
    extra = t_eval.size == 0 or t_eval[-1] < seg.stop
    solver_times = np.append(t_eval, seg.stop) if extra else t_eval
    try:
        sol = solve_ivp(
            fun,
            (seg.start, seg.stop),
            y0,
            method=method,
            t_eval=solver_times,
            rtol=rtol,
            atol=atol,
            max_step=max_step,
            events=evs or None,
            **options,
        )
    except _NonFinite as bad:
        raise SolverError(_non_finite_message(model, bad)) from None
    if sol.status == -1:
        name, unit, value = _worst_state(model, sol)
        raise SolverError(
            f"integration with {method} failed at t = {sol.t[-1]:.6g} {model.time_unit} (segment "
            f"[{seg.start:g}, {seg.stop:g}]): {sol.message} The state that misbehaved is "
            f"{name!r} (value {value:.6g} {unit}). Try a stiff method "
            "('BDF' or 'Radau'), looser tolerances, or check the parameters."
        )
    if sol.status == 1:  # stopped by a terminal event: end at the event's state
        hit = [i for i, ys in enumerate(sol.y_events) if len(ys)]
        y_end = sol.y_events[hit[0]][-1]
        outputs = sol.y[:, : min(sol.y.shape[1], t_eval.size)]
    else:
        y_end = sol.y[:, -1]
        outputs = sol.y[:, : t_eval.size]
    return sol, np.array(y_end), outputs


def _label(model, i) -> tuple[str, str]:
    """The name and unit of row ``i`` of an integrated system: a state of ``model``, or
    beyond them a row of the forward sensitivity system."""
    n = len(model.state_names)
    if i < n:
        return model.state_names[i], model.unit(model.state_names[i])
    return f"the sensitivity of {model.state_names[i % n]} (row {i})", ""


def _non_finite_message(model, bad):
    flat = np.flatnonzero(~np.isfinite(bad.values))[0]
    if bad.what == "rhs":
        i = int(flat)
        name, unit = _label(model, i)
        what = f"d({name})/dt became {bad.values[i]}"
    else:
        i, j = divmod(int(flat), bad.values.shape[1])
        name, unit = _label(model, i)
        what = (
            f"the Jacobian entry d(d{name}/dt)/d({_label(model, j)[0]}) became "
            f"{bad.values.flat[flat]}"
        )
    return (
        f"{what} at t = {bad.t:.6g} {model.time_unit} "
        f"(with {name} = {bad.y[i]:.6g} {unit}); "
        "a rate term divides by zero or overflows there. Check the parameter values and "
        "the initial state."
    )


def _worst_state(model, sol):
    y = sol.y[:, -1] if sol.y.size else model.initial_vector()
    bad = np.flatnonzero(~np.isfinite(y))
    i = int(bad[0]) if bad.size else int(np.argmax(np.abs(y)))
    return *_label(model, i), float(y[i])


def _check_nonnegative(model, times, out, atol):
    for i, state in enumerate(model.states.values()):
        if not state.nonnegative:
            continue
        row = out[i]
        worst = int(np.argmin(row)) if row.size else 0
        if row.size and row[worst] < -_NEGATIVE_SLACK * atol[i]:
            raise SolverError(
                f"non-negative state {state.name!r} reached {row[worst]:.3g} {state.unit} at "
                f"t = {times[worst]:.6g} {model.time_unit}, beyond integration error; "
                "tighten rtol/atol or check rate terms that remove more than is there"
            )
    return model.clip_nonnegative(out)
