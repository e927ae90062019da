"""SBML events on the engine's compiled model.

``fl.sbml.load(source, events=True)`` returns an :class:`EventModel` for a document with
events: the :class:`~follicle.sbml.SBMLModel` of its equations and the events, which
:meth:`EventModel.simulate` applies. It is not a :class:`~follicle.Model`, so
:func:`follicle.simulate` and :func:`follicle.sweep` refuse it instead of silently
ignoring its events.

Semantics (SBML Level 3 Version 2, section 4.12 "Events"):

- **Trigger.** An event is *triggered* when its trigger turns from false to true; at the
  start too, when the trigger's ``initialValue`` is false and the trigger holds. Trigger
  times are located by root finding on every relation of the trigger (an equality, which
  has no sign change, is refused).
- **Delay.** The delay is evaluated at the trigger time ``t_trig``; the execution is due
  at ``t_trig + delay``. An event without a delay, or with a delay of 0, is due at once,
  but still goes through the queue like any other execution. An event triggered again
  before an earlier execution is due is executed once per triggering.
- **Values.** With ``useValuesFromTriggerTime`` (the default), the assignments' values
  are computed at the trigger time; without it, at the execution. The value for a species
  in concentration is a concentration: its amount is the value times the compartment's
  size at the execution, before the event's assignments (all of them are computed before
  any is made).
- **Persistence.** A pending execution of an event that is not persistent is cancelled as
  soon as the event's trigger is false.
- **Order.** Executions due at the same time are executed one at a time. Before each,
  the priorities of the due executions are evaluated; the highest goes first. After each,
  every trigger is evaluated again: an event that turned true is triggered (and, with no
  delay, joins the executions due now), a pending execution of a non-persistent event
  whose trigger turned false is cancelled. SBML leaves the order of executions without a
  priority undefined: they go in the order they were triggered (the document's order for
  events triggered together), after any due execution with a priority. Executions of
  equal priority go in a random order: when what they assign and what they and the
  triggers read show that the order cannot matter, they go in the order they were
  triggered; otherwise every order is followed, and when the results differ the run is
  refused (:class:`~follicle.errors.SBMLImportError` naming the events) rather than
  drawn at random.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp

from follicle.errors import SBMLImportError, SolverError
from follicle.model import t

__all__ = ["EventModel", "EventRun"]

#: Most event executions at one time (assignments that trigger each other forever, or the
#: orders of equal-priority executions followed).
_CASCADE = 1000
#: Results of two orders of equal-priority executions that differ by less than this
#: (relative) differ by rounding only.
_SAME = 1e-9


@dataclass(frozen=True)
class Event:
    """One SBML event in the engine's symbols.

    ``assignments`` are ``(kind, index, expression, scale)``: ``kind`` is ``"state"`` or
    ``"parameter"``, ``scale`` multiplies the value (a compartment size for a species in
    concentration, else 1). ``delay`` (in the document's time unit) and ``priority`` are
    expressions, or ``None`` when the event declares none. ``use_trigger_values`` is SBML's
    ``useValuesFromTriggerTime``.
    """

    sid: str
    trigger: object
    initial_value: bool
    persistent: bool
    assignments: tuple
    delay: object = None
    priority: object = None
    use_trigger_values: bool = True


class _Execution(NamedTuple):
    """A triggered event waiting to be executed."""

    due: float  #: the execution time, in the model's time unit
    event: int  #: index in :attr:`EventModel.events`
    values: tuple | None  #: the assignments' values from the trigger time, or None
    order: int  #: when it was triggered (orders executions without priorities)


@dataclass
class EventRun:
    """A simulation with events: states, parameters and observables at the output times."""

    t: np.ndarray
    values: dict

    def __getitem__(self, name) -> np.ndarray:
        return self.values[name]


class EventModel:
    """A loaded SBML model with events; simulate it with :meth:`simulate`.

    Attributes
    ----------
    model : SBMLModel
        The equations (without the events).
    events : tuple of Event
    """

    def __init__(self, model, events):
        self.model, self.events = model, tuple(events)
        self.sbml = model.sbml
        states = [sp.Symbol(n, real=True) for n in model.state_names]
        params = [sp.Symbol(n, real=True) for n in model.parameter_names]
        self._args = [t, *states, *params]
        relations, flags, logic = [], [], []
        for event in self.events:
            atoms = sorted(event.trigger.atoms(sp.core.relational.Relational), key=str)
            for rel in atoms:
                if isinstance(rel, sp.Eq | sp.Ne):
                    raise SBMLImportError(
                        f"event {event.sid!r}: the trigger relation {rel} is an equality, "
                        "which root finding cannot locate"
                    )
            mine = [sp.Dummy() for _ in atoms]
            logic.append(event.trigger.xreplace(dict(zip(atoms, mine, strict=True))))
            relations += atoms
            flags += mine
        # Every expression of a kind is compiled into one function (lambdify's cost is per
        # call, and grows with the number of states and parameters).
        self._kinds = [type(rel) for rel in relations]
        # Where lhs - rhs = 0 goes for root finding: above zero when the relation holds
        # there and holds above it (>=), or holds neither there nor above it (<).
        side = {sp.GreaterThan: 1, sp.StrictGreaterThan: -1, sp.StrictLessThan: 1, sp.LessThan: -1}
        tiny = np.finfo(float).tiny
        self._zero_side = np.array([side[kind] * tiny for kind in self._kinds])
        self._sides = self._compile([r.lhs for r in relations] + [r.rhs for r in relations])
        self._logic = sp.lambdify(flags, logic, "numpy")  # triggers from relations' truth
        assignments = [a for e in self.events for a in e.assignments]
        self._values_of = self._compile([expr for _, _, expr, _ in assignments])
        self._scales = self._compile([scale for *_, scale in assignments])
        ends = np.cumsum([0] + [len(e.assignments) for e in self.events])
        self._slices = [slice(i, j) for i, j in itertools.pairwise(ends)]
        self._delays = self._compile([0 if e.delay is None else e.delay for e in self.events])
        self._priorities = self._compile(
            [0 if e.priority is None else e.priority for e in self.events]
        )
        self._order = itertools.count()  # numbers the triggerings
        # The variables each event assigns and reads, for :meth:`_commute`.
        names = {"state": model.state_names, "parameter": model.parameter_names}
        self._targets = [
            tuple(names[kind][i] for kind, i, *_ in e.assignments) for e in self.events
        ]
        self._writes = [frozenset(targets) for targets in self._targets]
        self._scale_reads = [
            frozenset(str(s) for *_, scale in e.assignments for s in scale.free_symbols)
            for e in self.events
        ]
        self._value_reads = [
            frozenset(str(s) for _, _, expr, _ in e.assignments for s in expr.free_symbols)
            | scale_reads
            for e, scale_reads in zip(self.events, self._scale_reads, strict=True)
        ]
        self._priority_reads = [
            frozenset() if e.priority is None else frozenset(map(str, e.priority.free_symbols))
            for e in self.events
        ]
        self._trigger_reads = frozenset(
            str(s) for e in self.events for s in e.trigger.free_symbols
        )

    def _compile(self, exprs):
        """One function ``(time, y, p) -> array`` of the values of ``exprs``."""
        f = sp.lambdify(self._args, list(exprs), "numpy")
        return lambda time, y, p: np.array(f(time, *y, *p), dtype=float).reshape(-1)

    def __repr__(self):
        return f"<EventModel {self.model.name!r}: {len(self.events)} events>"

    # -- triggers ------------------------------------------------------------------------
    def _signs(self, time, y, p, step, crossing=False):
        """``lhs - rhs`` of every relation; when ``crossing``, one whose sign a small
        ``step`` of time later along the flow differs (at zero, or crossing within
        round-off of a root) takes that value: the side it is crossing to. At the start
        no relation is crossing: triggers hold as they are."""
        n = len(self._kinds)
        sides = self._sides(time, y, p)
        out = sides[:n] - sides[n:]
        if crossing and n:
            ahead = self._sides(time + step, y + step * self.model.compiled.rhs(time, y, p), p)
            later = ahead[:n] - ahead[n:]
            moving = np.sign(later) != np.sign(out)
            out[moving] = later[moving]
        return out

    def _root_values(self, signs):
        """``signs`` as root functions whose sign changes exactly where the relation's
        truth does: a zero moves to the side its truth puts it (``>=`` holds at 0, so 0
        counts as positive). A relation that stays at zero then has no roots (SciPy
        reports a root wherever an event function is zero on both sides of a step)."""
        return np.where(signs != 0, signs, self._zero_side)

    def _truth(self, signs):
        """Each trigger's value from the signs of its relations."""
        holds = [_holds(kind, s) for kind, s in zip(self._kinds, signs, strict=True)]
        return [bool(value) for value in self._logic(*holds)]

    # -- the queue of pending executions -------------------------------------------------
    def _trigger(self, time, y, p, before, now, pending):
        """The pending executions after the triggers went from ``before`` to ``now``:
        without those of non-persistent events whose trigger is false, with one for each
        event whose trigger turned true (due after its delay, evaluated now; its values
        computed now when it uses the values from the trigger time)."""
        kept = [x for x in pending if now[x.event] or self.events[x.event].persistent]
        for k, (was, holds) in enumerate(zip(before, now, strict=True)):
            if not holds or was:
                continue
            due = time
            if self.events[k].delay is not None:
                delay = self._delays(time, y, p)[k]
                if not delay >= 0:
                    raise SBMLImportError(
                        f"event {self.events[k].sid!r}: the delay is {delay:g} at "
                        f"t = {time:g} {self.model.time_unit}, which is negative or not a number"
                    )
                due = time + float(self.sbml.model_times(delay))
            values = self._values(k, time, y, p) if self.events[k].use_trigger_values else None
            kept.append(_Execution(due, k, values, next(self._order)))
        return tuple(kept)

    def _values(self, k, time, y, p):
        """Event ``k``'s assignment values at ``time`` (a concentration for a species in
        concentration)."""
        return tuple(self._values_of(time, y, p)[self._slices[k]])

    def _execute(self, execution, time, y, p):
        """The state and parameters after ``execution``: all its values are computed
        first (unless they are from the trigger time), then assigned; a concentration
        becomes an amount with the compartment's size before the assignments (also when
        the event assigns the compartment, as SBML Test Suite cases 01506 and 01780 say)."""
        k = execution.event
        values = execution.values
        if values is None:
            values = self._values(k, time, y, p)
        sizes = self._scales(time, y, p)[self._slices[k]]
        y, p = y.copy(), p.copy()
        for (kind, i, *_), v, size in zip(self.events[k].assignments, values, sizes, strict=True):
            (y if kind == "state" else p)[i] = v * size
        return y, p

    def _first(self, time, y, p, due):
        """The executions among ``due`` that may go first: the one with the highest
        priority (executions without a priority after all with one, the first triggered
        of them), or all that share the highest priority (a random order)."""
        ranked = [x for x in due if self.events[x.event].priority is not None]
        if not ranked:
            return [min(due, key=lambda x: x.order)]
        priorities = self._priorities(time, y, p)
        values = [priorities[x.event] for x in ranked]
        top = max(values)
        return [x for x, v in zip(ranked, values, strict=True) if v == top]

    def _commute(self, tied, due):
        """Whether executing ``tied`` (of equal priority) in any order gives one result: no
        two of them assign the same variable, and none assigns a variable that another's
        values (computed at the execution), any trigger (which could trigger or cancel an
        event in between) or any due execution's priority reads. A sufficient condition:
        when it fails, the orders are followed (:meth:`_every_order`)."""
        reads = set(self._trigger_reads)
        for x in due:
            reads |= self._priority_reads[x.event]
        if any(self._writes[x.event] & reads for x in tied):
            return False
        return all(self._pair_commutes(x, z) for i, x in enumerate(tied) for z in tied[:i])

    def _pair_commutes(self, x, z):
        """Whether executions ``x`` and ``z`` give one result in either order: the same
        event computing its values at the execution twice, or neither assigning what the
        other's values read, and both assigning the same values to what they both assign."""
        if x.event == z.event and x.values is None and z.values is None:
            return True
        for a, b in ((x, z), (z, x)):
            reads = self._value_reads if b.values is None else self._scale_reads
            if self._writes[a.event] & reads[b.event]:
                return False
        both = self._writes[x.event] & self._writes[z.event]
        if not both:
            return True
        if x.values is None or z.values is None:
            return False
        mine = dict(zip(self._targets[x.event], x.values, strict=True))
        theirs = dict(zip(self._targets[z.event], z.values, strict=True))
        return all(mine[v] == theirs[v] for v in both)

    def _cascade(self, time, y, p, now, pending, step, crossing, budget):
        """Execute every pending execution due at ``time``, one at a time (the order of
        :meth:`_first`). Returns the state, parameters, trigger values and the pending
        executions left (due later). ``budget`` is ``[executions left, exploring]``."""
        while True:
            due = [x for x in pending if x.due <= time]
            if not due:
                return y, p, now, pending
            first = self._first(time, y, p, due)
            if len(first) > 1 and not self._commute(first, due):
                return self._every_order(first, time, y, p, now, pending, step, crossing, budget)
            y, p, now, pending = self._step(
                first[0], time, y, p, now, pending, step, crossing, budget
            )

    def _step(self, execution, time, y, p, now, pending, step, crossing, budget):
        """Execute one pending ``execution``, then evaluate the triggers again
        (:meth:`_trigger`)."""
        budget[0] -= 1
        if budget[0] < 0:
            if budget[1]:
                raise SBMLImportError(
                    f"events of equal priority execute together at t = {time:g} "
                    f"{self.model.time_unit}, and more than {_CASCADE} executions do not settle "
                    "whether the result "
                    "depends on their order, which SBML makes random"
                )
            raise SolverError(
                f"more than {_CASCADE} event executions at t = {time:g} "
                f"{self.model.time_unit}: the events keep triggering each other"
            )
        y, p = self._execute(execution, time, y, p)
        after = self._truth(self._signs(time, y, p, step, crossing))
        pending = tuple(x for x in pending if x is not execution)
        return y, p, after, self._trigger(time, y, p, now, after, pending)

    def _every_order(self, tied, time, y, p, now, pending, step, crossing, budget):
        """The result of :meth:`_cascade` when ``tied`` (of equal priority) may execute in
        any order: each goes first in turn (and later ties branch again); the results
        must agree, else the run is refused."""
        budget[1] = True
        outcomes = [
            self._cascade(
                time,
                *self._step(x, time, y, p, now, pending, step, crossing, budget),
                step,
                crossing,
                budget,
            )
            for x in tied
        ]
        if any(not _same(outcomes[0], o) for o in outcomes[1:]):
            names = ", ".join(repr(self.events[x.event].sid) for x in tied)
            raise SBMLImportError(
                f"events {names} execute together at t = {time:g} {self.model.time_unit} "
                "with equal priorities, and the result depends on their order, which SBML "
                "makes random"
            )
        return outcomes[0]

    def _fire(self, time, y, p, before, pending, step, crossing=True):
        """Trigger the events whose trigger turned true since ``before`` and execute
        every execution due at ``time`` (:meth:`_cascade`). Returns the new state,
        parameters, trigger values and pending executions."""
        now = self._truth(self._signs(time, y, p, step, crossing))
        pending = self._trigger(time, y, p, before, now, pending)
        return self._cascade(time, y, p, now, pending, step, crossing, [_CASCADE, False])

    # -- integration ---------------------------------------------------------------------
    def simulate(self, t_eval, *, rtol=1e-6, atol=1e-9, method="LSODA", max_step=None) -> EventRun:
        """Integrate from ``t_eval[0]`` (in the model's time unit; the document's initial
        values hold there) to ``t_eval[-1]``, applying the events.

        The integration goes piecewise: a piece ends where a trigger relation changes
        sign, at the next pending execution, or at the end; the events are applied there
        and the next piece starts from the new state.

        Parameters
        ----------
        t_eval : array_like
            Increasing output times in the model's time unit.
        rtol, atol : float or array
        method : {"LSODA", "BDF", "Radau"}
            A stiff :func:`scipy.integrate.solve_ivp` method (given the model's Jacobian).
        max_step : float, optional
            The longest step of the solver; by default the mean interval between
            output times. Triggers are watched at the solver's steps: a trigger that turns
            true and false again within one step is missed.

        Returns
        -------
        EventRun
            States, parameters (events may change them) and observables by name; at an
            output time where events execute, the values after them.
        """
        model, compiled = self.model, self.model.compiled
        times = np.asarray(t_eval, dtype=float)
        p = model.parameter_vector()
        y = model.initial_vector(None, p)
        start, stop = float(times[0]), float(times[-1])
        if max_step is None:
            max_step = (stop - start) / (times.size - 1) if stop > start else np.inf
        # The look-ahead of a relation at a root: far below the span, far above the
        # solver's root-finding tolerance (4 eps, absolute and relative).
        step = max(1e-9 * (stop - start), 1e3 * np.finfo(float).eps * (1 + abs(stop)))
        stalled = 0  # pieces in a row that ended where they started
        initial = [e.initial_value for e in self.events]
        y, p, before, pending = self._fire(start, y, p, initial, (), step, crossing=False)
        ys, ps, done = np.empty((y.size, times.size)), np.empty((p.size, times.size)), 0
        # Triggers that turn true just after the start (time > 0) fire there too; the
        # output at the start is from before them.
        ys[:, 0], ps[:, 0] = y, p
        y, p, before, pending = self._fire(start, y, p, before, pending, step)
        if not (np.array_equal(ys[:, 0], y) and np.array_equal(ps[:, 0], p)):
            done = 1
        while start < stop:
            until = min([stop, *(x.due for x in pending)])
            # Held at the start: the side each relation is on, or moving to.
            held = self._root_values(self._signs(start, y, p, step, crossing=True))
            last = [None, None]  # the root functions' values at the last point asked

            def root(s, v, k, p=p, at=start, held=held, last=last):
                if s <= at:
                    return held[k]
                if last[0] != (s, v.tobytes()):
                    sides = self._sides(s, v, p)
                    n = len(self._kinds)
                    last[:] = (s, v.tobytes()), self._root_values(sides[:n] - sides[n:])
                return last[1][k]

            roots = []
            for k in range(len(self._kinds)):

                def fn(s, v, k=k, root=root):
                    return root(s, v, k)

                fn.terminal, fn.direction = True, 0
                roots.append(fn)
            outputs = times[done:]
            sol = solve_ivp(
                lambda s, v, p=p: compiled.rhs(s, v, p),
                (start, until),
                y,
                method=method,
                t_eval=outputs[outputs <= until],
                rtol=rtol,
                atol=atol,
                jac=lambda s, v, p=p: compiled.jac(s, v, p),
                events=roots or None,
                dense_output=True,
                max_step=max_step,
            )
            if sol.status == -1:
                raise SolverError(
                    f"integration failed at t = {sol.t[-1]:g} {self.model.time_unit}: "
                    f"{sol.message}"
                )
            # The piece ends at a trigger, at a pending execution, or (None) at the end.
            end = None
            if sol.status == 1:
                end = min(te[0] for te in sol.t_events if len(te))
            elif any(x.due <= until for x in pending):
                end = until
            # Outputs before an event come from this piece; one at the event time, after it.
            # (solve_ivp gives lists, not arrays, when no output time falls in the piece.)
            sol_t = np.asarray(sol.t, dtype=float)
            keep = sol_t < end if end is not None else np.ones(sol_t.size, dtype=bool)
            n = int(keep.sum())
            ys[:, done : done + n] = np.reshape(sol.y, (y.size, sol_t.size))[:, keep]
            ps[:, done : done + n] = p[:, None]
            done += n
            if end is None:
                break
            stalled = stalled + 1 if end <= start else 0
            if stalled > _CASCADE:
                raise SolverError(
                    f"the integration makes no progress at t = {start:g} {self.model.time_unit}"
                )
            start = end
            # Every relation at zero there (not only the one that stopped the solver: equal
            # triggers cross a round-off apart) counts on the side it moves to.
            y, p, before, pending = self._fire(start, sol.sol(start), p, before, pending, step)
        if done < times.size:  # an event at the last output time: report after it
            ys[:, done:], ps[:, done:] = y[:, None], p[:, None]
        names = (*model.state_names, *model.parameter_names, *model.observable_names)
        obs = (
            compiled.observables(times, ys, ps)
            if compiled.n_observables
            else np.empty((0, times.size))
        )
        return EventRun(times, dict(zip(names, np.vstack([ys, ps, obs]), strict=True)))


def _holds(kind, sign) -> bool:
    """Whether ``lhs <kind> rhs`` holds when ``lhs - rhs`` is ``sign``."""
    if kind is sp.StrictGreaterThan:
        return sign > 0
    if kind is sp.GreaterThan:
        return sign >= 0
    if kind is sp.StrictLessThan:
        return sign < 0
    return sign <= 0


def _same(a, b) -> bool:
    """Whether two outcomes of :meth:`EventModel._cascade` agree (to rounding)."""
    (ya, pa, now_a, pending_a), (yb, pb, now_b, pending_b) = a, b

    def close(u, v):
        return np.allclose(u, v, rtol=_SAME, atol=_SAME * max(1.0, np.max(np.abs(u), initial=0)))

    if not (close(ya, yb) and close(pa, pb) and now_a == now_b):
        return False
    if len(pending_a) != len(pending_b):
        return False
    key = lambda x: (x.due, x.event)  # noqa: E731
    for x, z in zip(sorted(pending_a, key=key), sorted(pending_b, key=key), strict=True):
        if x.event != z.event or not close([x.due], [z.due]):
            return False
        if (x.values is None) != (z.values is None):
            return False
        if x.values is not None and not close(x.values, z.values):
            return False
    return True
