"""Readouts reduced on the fly from each accepted step's interpolant, threshold events, and
the output grid (:class:`Trace`): what a batch shows every accepted step.
"""

from __future__ import annotations

import math

import numpy as np

from follicle.model import clip_conserving
from follicle.solvers import rodas4

__all__ = ["NO_GRID", "NO_TRACE", "RECORDERS", "Events", "Trace"]


#: A crossing inside a step is located to this fraction of the step (Illinois method).
_ROOT_TOL, _ROOT_ITERATIONS = 1e-12, 60
#: Gauss-Legendre nodes and weights on [0, 1] (exact for polynomials of degree 5).
_GAUSS_X = np.array([0.5 - math.sqrt(15) / 10, 0.5, 0.5 + math.sqrt(15) / 10])
_GAUSS_W = np.array([5 / 18, 8 / 18, 5 / 18])


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


class Events(_Crossing):
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


RECORDERS = {"crossing": _Crossing, "value": _Value, "average": _Average, "peak": _Peak}


#: What the compiled loop gets when no output grid is recorded.
NO_GRID, NO_TRACE = np.empty(0), np.empty((0, 0, 0))


class Trace:
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
