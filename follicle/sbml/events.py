"""SBML events without delay on the engine's compiled model.

``fl.sbml.load(source, events=True)`` returns an :class:`EventModel` for a document with
events: the :class:`~follicle.sbml.SBMLModel` of its equations and the events, which
:meth:`EventModel.simulate` applies. It is not a :class:`~follicle.Model`, so
:func:`follicle.simulate` and :func:`follicle.sweep` refuse it instead of silently
ignoring its events.

Semantics (SBML Level 3, events without ``delay`` or ``priority``): an event fires when
its trigger turns from false to true, at time 0 too when the trigger's ``initialValue`` is
false and the trigger holds; its assignments are evaluated with the values at that moment
and applied at once (a species in concentration keeps the assigned concentration, so its
amount is the value times its compartment's size). Events that fire together, or that
their assignments trigger, fire one after the other in the document's order; after each,
a queued event that is not persistent and whose trigger no longer holds is dropped.
Trigger times are located by root finding on every relation of the trigger (an equality,
which has no sign change, is refused).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp

from follicle.errors import SBMLImportError, SolverError
from follicle.model import t

__all__ = ["EventModel", "EventRun"]

#: Most events fired at one time (assignments that trigger each other forever).
_CASCADE = 1000


@dataclass(frozen=True)
class Event:
    """One SBML event in the engine's symbols.

    ``assignments`` are ``(kind, index, expression, scale)``: ``kind`` is ``"state"`` or
    ``"parameter"``, ``scale`` multiplies the value (a compartment size for a species in
    concentration, else 1).
    """

    sid: str
    trigger: object
    initial_value: bool
    persistent: bool
    assignments: tuple


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
        self._relations = []  # (lhs, rhs, relation type) of every trigger relation
        self._triggers = []  # (truth function of the relations' truth values, their indices)
        for event in self.events:
            atoms = sorted(event.trigger.atoms(sp.core.relational.Relational), key=str)
            for rel in atoms:
                if isinstance(rel, sp.Eq | sp.Ne):
                    raise SBMLImportError(
                        f"event {event.sid!r}: the trigger relation {rel} is an equality, "
                        "which root finding cannot locate"
                    )
                self._relations.append((self._fn(rel.lhs), self._fn(rel.rhs), type(rel)))
            flags = [sp.Dummy() for _ in atoms]
            logic = event.trigger.xreplace(dict(zip(atoms, flags, strict=True)))
            index = range(len(self._relations) - len(atoms), len(self._relations))
            self._triggers.append((sp.lambdify(flags, logic, "numpy"), tuple(index)))
        self._assign = [
            [(kind, i, self._fn(expr), self._fn(scale)) for kind, i, expr, scale in e.assignments]
            for e in self.events
        ]

    def _fn(self, expr):
        f = sp.lambdify(self._args, expr, "numpy")
        return lambda time, y, p: float(f(time, *y, *p))

    def __repr__(self):
        return f"<EventModel {self.model.name!r}: {len(self.events)} events>"

    # -- triggers ------------------------------------------------------------------------
    def _signs(self, time, y, p, step, crossing=()):
        """``lhs - rhs`` of every relation; one of the ``crossing`` relations that is zero to
        round-off takes its value a small ``step`` of time later along the flow (the side
        it is crossing to). At time 0 no relation is crossing: triggers hold as they are."""
        out = np.empty(len(self._relations))
        ahead = None
        for k, (lhs, rhs, _) in enumerate(self._relations):
            a, b = lhs(time, y, p), rhs(time, y, p)
            out[k] = a - b
            if k in crossing and abs(a - b) <= 1e-10 * (abs(a) + abs(b)):
                if ahead is None:
                    ahead = y + step * self.model.compiled.rhs(time, y, p)
                out[k] = lhs(time + step, ahead, p) - rhs(time + step, ahead, p)
        return out

    def _truth(self, signs):
        """Each trigger's value from the signs of its relations."""
        holds = [_holds(kind, s) for (_, _, kind), s in zip(self._relations, signs, strict=True)]
        return [bool(fn(*[holds[i] for i in index])) for fn, index in self._triggers]

    def _fire(self, time, y, p, before, step, crossing=()):
        """Apply every event whose trigger turned true since ``before``, one at a time in
        the document's order: after each, the triggers are evaluated again; an event that
        turned true joins the queue, a queued one that is not persistent and whose trigger
        turned false is dropped. Returns the new state, parameters and trigger values."""
        now = self._truth(self._signs(time, y, p, step, crossing))
        queue = [k for k, (b, a) in enumerate(zip(before, now, strict=True)) if a and not b]
        for _ in range(_CASCADE):
            if not queue:
                return y, p, now
            k = queue.pop(0)
            y, p = y.copy(), p.copy()
            values = [
                (kind, i, f(time, y, p) * s(time, y, p)) for kind, i, f, s in self._assign[k]
            ]
            for kind, i, v in values:
                (y if kind == "state" else p)[i] = v
            previous, now = now, self._truth(self._signs(time, y, p, step, crossing))
            queue = [j for j in queue if now[j] or self.events[j].persistent]
            queue += [
                j
                for j, (b, a) in enumerate(zip(previous, now, strict=True))
                if a and not b and j not in queue
            ]
        raise SolverError(f"events keep triggering each other at t = {time:g} day")

    # -- integration ---------------------------------------------------------------------
    def simulate(self, t_eval, *, rtol=1e-6, atol=1e-9, method="LSODA") -> EventRun:
        """Integrate from ``t_eval[0]`` (days; the document's initial values hold there)
        to ``t_eval[-1]``, applying the events.

        Parameters
        ----------
        t_eval : array_like
            Increasing output times in days.
        rtol, atol : float or array
        method : {"LSODA", "BDF", "Radau"}
            A stiff :func:`scipy.integrate.solve_ivp` method (given the model's Jacobian).

        Returns
        -------
        EventRun
            States, parameters (events may change them) and observables by name.
        """
        model, compiled = self.model, self.model.compiled
        times = np.asarray(t_eval, dtype=float)
        y, p = model.initial_vector(), model.parameter_vector()
        start, stop = float(times[0]), float(times[-1])
        step = 1e-9 * max(abs(stop - start), 1e-300)
        y, p, before = self._fire(start, y, p, [e.initial_value for e in self.events], step)
        ys, ps, done = np.empty((y.size, times.size)), np.empty((p.size, times.size)), 0
        while start < stop:
            # Held at the start: the side each relation is on, or moving to.
            signs = self._signs(start, y, p, step, range(len(self._relations)))

            def root(s, v, k, p=p, at=start, held=signs):
                if s <= at:
                    return held[k]
                lhs, rhs, _ = self._relations[k]
                return lhs(s, v, p) - rhs(s, v, p)

            roots = []
            for k in range(len(self._relations)):

                def fn(s, v, k=k, root=root):
                    return root(s, v, k)

                fn.terminal, fn.direction = True, 0
                roots.append(fn)
            sol = solve_ivp(
                lambda s, v, p=p: compiled.rhs(s, v, p),
                (start, stop),
                y,
                method=method,
                t_eval=times[done:],
                rtol=rtol,
                atol=atol,
                jac=lambda s, v, p=p: compiled.jac(s, v, p),
                events=roots or None,
                dense_output=True,
            )
            if sol.status == -1:
                raise SolverError(f"integration failed at t = {sol.t[-1]:g} day: {sol.message}")
            # Outputs before an event come from this piece; one at the event time, after it.
            end = min(te[0] for te in sol.t_events if len(te)) if sol.status == 1 else None
            # solve_ivp gives lists, not arrays, when no output time falls in the piece.
            sol_t = np.asarray(sol.t, dtype=float)
            keep = sol_t < end if end is not None else np.ones(sol_t.size, dtype=bool)
            n = int(keep.sum())
            ys[:, done : done + n] = np.reshape(sol.y, (y.size, sol_t.size))[:, keep]
            ps[:, done : done + n] = p[:, None]
            done += n
            if end is None:
                break
            start = end
            # Every relation at zero there (not only the one that stopped the solver: equal
            # triggers cross a round-off apart) counts on the side it moves to.
            y, p, before = self._fire(
                start, sol.sol(start), p, before, step, range(len(self._relations))
            )
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
