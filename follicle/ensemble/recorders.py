"""What a batch shows its readouts, threshold events and output grid (:class:`Trace`) of
every step it hands back: the readouts' reductions (:mod:`follicle.readouts.pieces`) see
each accepted step as a piece of the target's time course, interpolated by the step's
cubic Hermite dense output.
"""

from __future__ import annotations

import math

import numpy as np

from follicle.model import clip_conserving
from follicle.readouts.pieces import REDUCTIONS, Crossing, Pieces
from follicle.solvers import rodas4

__all__ = ["NO_GRID", "NO_TRACE", "Events", "Recorder", "Trace"]

#: Where a step's cubic interpolant is searched for its largest value.
_SEARCH = (0.0, 0.25, 0.5, 0.75, 1.0)


class Recorder:
    """A readout of a batch: its reduction of the time course of ``target`` (a state or an
    observable), fed each step the batch hands back as a piece."""

    def __init__(self, batch, target, reduction):
        self.batch, self.target, self.reduction = batch, target, reduction
        #: Members whose start the reduction has seen: a jump before it (a dose at the
        #: first time) is part of the initial state, as in a trajectory's first output.
        self.started = np.zeros(batch.size, dtype=bool)

    @classmethod
    def of(cls, batch, kind, target, options):
        """The recorder of a readout resolved by the plan as ``kind`` and ``options``."""
        return cls(batch, target, REDUCTIONS[kind](batch.size, *options))

    def start(self, idx):
        b = self.batch
        t = b.t[idx]
        self.reduction.start(idx, t, b.value(self.target, t, b.y[:, idx], idx))
        self.started[idx] = True

    def jump(self, idx, t, before, after, p_before):
        seen = self.started[idx]
        if not seen.all():
            idx, t, before, after, p_before = (
                idx[seen],
                t[seen],
                before[:, seen],
                after[:, seen],
                p_before[:, seen],
            )
        b = self.batch
        g_before = b.value(self.target, t, before, idx, p_before)
        self.reduction.jump(idx, t, g_before, b.value(self.target, t, after, idx))

    def step(self, idx, ta, tb, ya, yb, fa, fb):
        """The accepted steps of members ``idx`` from ``(ta, ya)`` to ``(tb, yb)`` with
        slopes ``fa``, ``fb``."""
        value, target, h = self.batch.value, self.target, tb - ta

        def at(theta, s):
            y = rodas4.hermite(theta, h[s], ya[:, s], yb[:, s], fa[:, s], fb[:, s])
            return value(target, ta[s] + theta * h[s], y, idx[s])

        return self.reduction.step(Pieces(idx, ta, tb, at, _SEARCH))

    def final(self, idx, t):
        return self.reduction.final(idx, t)

    def result(self):
        return self.reduction.result()


class Events(Recorder):
    """Every crossing of a :class:`~follicle.simulate.Threshold`, per member; a terminal one
    stops the member there. As with :func:`scipy.integrate.solve_ivp` in each segment, a
    jump at a breakpoint fires none."""

    def __init__(self, batch, target, level, direction, terminal):
        direction = "either" if direction == "both" else direction
        crossings = Crossing(batch.size, level, direction, -math.inf, math.inf, every=True)
        super().__init__(batch, target, crossings)
        self.terminal = terminal

    @property
    def found(self):
        return self.reduction.found

    def jump(self, idx, t, before, after, p_before):
        pass

    def step(self, idx, ta, tb, ya, yb, fa, fb):
        members, times = super().step(idx, ta, tb, ya, yb, fa, fb)
        if self.terminal and members.size:
            self.batch.halt(members, times)


#: What the compiled loop gets when no output grid is recorded.
NO_GRID, NO_TRACE = np.empty(0), np.empty((0, 0, 0))


class Trace:
    """Every state and observable at the output times ``grid`` (for small ensembles).

    The compiled loop writes the states at the grid times itself, a breakpoint's jump
    writes those at its time (:meth:`jump`, the state after the jump), and
    :meth:`complete` notes which columns were written; :meth:`result` clips them and adds
    the observables, all columns in one call, each under the parameters its member had
    when it was written.
    """

    def __init__(self, batch, grid):
        # A writable C-ordered copy: the compiled loop's signature takes no read-only arrays.
        self.batch, self.grid = batch, np.array(grid, dtype=float)
        self.out = np.full((batch.size, batch.plan.n_outputs, grid.size), np.nan)
        self.next = np.zeros(batch.size, dtype=np.intp)
        #: Per member, (first column, end column, parameters) of the columns written so far
        self.written = {}

    def complete(self, idx, written):
        """Note the columns written for members ``idx`` (from ``written``, the counts
        before, to ``self.next``) with the parameters they were written under."""
        p = self.batch.p
        for m, start in zip(idx, written, strict=True):
            if self.next[m] > start:
                self.written.setdefault(m, []).append((start, self.next[m], p[:, m].copy()))

    def start(self, idx):
        pass

    def jump(self, idx, t, before, after, p_before):
        # Output at a breakpoint shows the state after the jump (as simulate's does).
        n = self.batch.compiled.n_states
        while True:
            k = self.next[idx]
            due = (k < self.grid.size) & (self.grid[np.minimum(k, self.grid.size - 1)] <= t)
            if not due.any():
                return
            m = idx[due]
            self.out[m, :n, self.next[m]] = after[:, due].T
            self.next[m] += 1
            self.complete(m, self.next[m] - 1)

    def result(self):
        b, n = self.batch, self.batch.compiled.n_states
        for m, pieces in self.written.items():
            end = max(e for _, e, _ in pieces)
            p = np.empty((b.p.shape[0], end))
            for s, e, q in pieces:
                p[:, s:e] = q[:, None]
            y = clip_conserving(self.out[m, :n, :end], b.plan.nonnegative, b.plan.groups)
            self.out[m, n:, :end] = b.observables(self.grid[:end], y, p)
        self.written = {}
        return self.out
