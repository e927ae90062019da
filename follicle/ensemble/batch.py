"""One batch of members of one model, integrated by the compiled RODAS4 loop from event to
event: segments of the schedules, checks of each accepted step, readouts, failures.
"""

from __future__ import annotations

import numpy as np

from follicle import codegen
from follicle.ensemble.plan import Plan, Templates
from follicle.ensemble.recorders import NO_GRID, NO_TRACE, Events, Recorder, Trace
from follicle.model import clip_conserving
from follicle.solvers import compiled as solvers_compiled
from follicle.solvers import rodas4

__all__ = ["FAILED", "INVALID", "OK", "Batch", "integrate_members", "run_batch"]


#: Member status values.
OK, INVALID, FAILED = "ok", "invalid", "failed"

_TINY = rodas4.TINY
#: A non-negative state may undershoot zero by this many absolute tolerances (as simulate).
_NEGATIVE_SLACK = 1000.0


def run_batch(
    plan: Plan, params: np.ndarray, initial: np.ndarray, templates: Templates, which: np.ndarray
) -> dict:
    """Integrate one batch: ``params (n_p, B)``, ``initial (n, B)``, member ``b`` following
    schedule template ``which[b]``. Returns readouts, optional time courses, status."""
    return Batch(plan, params, initial, templates, which).run()


class Batch:
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
            Recorder.of(self, kind, target, options) for _, kind, target, options in plan.readouts
        ]
        self.events = [Events(self, *event) for event in plan.events]
        #: Where a terminal event stopped each member (nan: it was not stopped).
        self.halted = np.full(size, np.nan)
        self.trace = None if plan.grid is None else Trace(self, plan.grid)
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

    def value(self, target, t, y, idx, p=None):
        """A state's or observable's value in states ``y`` of members ``idx`` (under their
        parameters, or ``p``): a non-negative state clipped at zero as in
        :func:`~follicle.simulate`'s output; observables see the integrator's state, whose
        undershoots are below the tolerance."""
        if target.kind == "s":
            if self.plan.groups:
                clipped = clip_conserving(y.copy(), self.plan.nonnegative, self.plan.groups)
                return clipped[target.index]
            v = y[target.index]
            return np.maximum(v, 0.0) if self.plan.nonnegative[target.index] else v
        return self.observables(t, y, self.p[:, idx] if p is None else p)[target.index]

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
            grid = (NO_GRID, idx, np.zeros(self.size, dtype=np.intp), NO_TRACE)
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

    def _cut_short(self, rec) -> np.ndarray:
        """Members a terminal event stopped before readout ``rec`` was final (an average
        over a window the run did not reach, say): their number would be a part taken
        for the whole."""
        short = np.zeros(self.size, dtype=bool)
        halted = np.flatnonzero(~np.isnan(self.halted))
        if halted.size:
            short[halted] = ~rec.final(halted, self.halted[halted])
        return short

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
                name: np.where(failed | self._cut_short(rec), np.nan, rec.result())
                for (name, *_), rec in zip(self.plan.readouts, self.recorders, strict=True)
            },
        }
        if self.trace is not None:
            out["values"] = self.trace.result()
        return out


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
