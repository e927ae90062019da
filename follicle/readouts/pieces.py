"""The readouts' one implementation: reductions of a time course cut into pieces.

A *piece* is a stretch :math:`[t_a, t_b]` of one member's time course of one quantity
:math:`g`, with its interpolant :math:`g(t_a + \\theta (t_b - t_a))`, :math:`0 \\le \\theta
\\le 1`. A :class:`~follicle.Trajectory` is cut at its output times (linear interpolation);
a batch of :func:`~follicle.simulate_ensemble` at its integrator's accepted steps (their
cubic Hermite interpolant, accurate to the tolerance), one step at a time while it runs.
Each readout is a reduction here, fed pieces in time order (one call may hold many pieces
of one member, or one piece of each of many members), the values at the start and at the
jumps of a schedule's breakpoints:

* :class:`Crossing`: the first (or every) time :math:`g` crosses a level, located in its
  piece by the Illinois method;
* :class:`Value`: :math:`g` at a time;
* :class:`Average`: :math:`\\frac{1}{b - a}\\int_a^b g\\,dt`, three-point Gauss-Legendre on
  each piece (exact for a cubic);
* :class:`Extreme`: the largest :math:`g` and when, over each piece's
  :attr:`Pieces.search` points.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

__all__ = ["REDUCTIONS", "Average", "Crossing", "Extreme", "Pieces", "Value"]

#: A crossing inside a piece is located to this fraction of the piece (Illinois method).
ROOT_TOL, ROOT_ITERATIONS = 1e-12, 60
#: Gauss-Legendre nodes and weights on [0, 1] (exact for polynomials of degree 5).
_GAUSS_X = np.array([0.5 - math.sqrt(15) / 10, 0.5, 0.5 + math.sqrt(15) / 10])
_GAUSS_W = np.array([5 / 18, 8 / 18, 5 / 18])


class Pieces:
    """Pieces of members' time courses of one quantity.

    Parameters
    ----------
    idx : ndarray of int
        The member of each piece, in increasing order; a member's pieces come in time
        order.
    ta, tb : ndarray
        Where each piece starts and ends (``tb > ta``).
    at : callable
        ``at(theta, s)``: the quantity at fractions ``theta`` of the pieces at positions
        ``s``, exact at ``theta`` 0 and 1.
    search : tuple of float
        The fractions of a piece where :class:`Extreme` looks for the largest value: the
        ends alone for a linear interpolant, also three interior points for a cubic.
    """

    def __init__(self, idx, ta, tb, at, search=(0.0, 1.0)):
        self.idx, self.ta, self.tb, self.at, self.search = idx, ta, tb, at, search

    @property
    def all(self) -> np.ndarray:
        return np.arange(self.idx.size)

    @cached_property
    def ga(self) -> np.ndarray:
        """The quantity at the start of each piece."""
        return self.at(np.zeros(self.idx.size), self.all)

    @cached_property
    def gb(self) -> np.ndarray:
        """The quantity at the end of each piece."""
        return self.at(np.ones(self.idx.size), self.all)

    def time(self, theta, s) -> np.ndarray:
        return self.ta[s] + theta * (self.tb[s] - self.ta[s])

    def fractions(self, a, b) -> tuple[np.ndarray, np.ndarray]:
        """The part of each piece inside the window ``[a, b]``, as fractions of the piece
        (``lo > hi`` where the piece misses the window)."""
        h = self.tb - self.ta
        lo = np.minimum(np.maximum((a - self.ta) / h, 0.0), 1.0)
        hi = np.minimum(np.maximum((b - self.ta) / h, 0.0), 1.0)
        return lo, hi


def first_per_member(idx, mask) -> np.ndarray:
    """Positions of the first true entry of ``mask`` of each member in ``idx`` (sorted)."""
    s = np.flatnonzero(mask)
    m = idx[s]
    return s[np.concatenate(([True], m[1:] != m[:-1]))] if s.size else s


def illinois(g, a, b, ga, gb) -> np.ndarray:
    """Where ``g`` changes sign in ``[a, b]`` (elementwise; the signs at the ends differ).

    The Illinois variant of regula falsi: secant steps that keep the bracket, halving the
    value kept at an end that survives twice, so both ends converge superlinearly.
    """
    side = np.zeros(a.shape, dtype=np.int8)
    c = b
    for _ in range(ROOT_ITERATIONS):
        c = np.where(gb != ga, (a * gb - b * ga) / np.where(gb != ga, gb - ga, 1.0), b)
        gc = g(c)
        left = (gc < 0) == (ga < 0)  # the root is in [c, b]
        ga, a = np.where(left, gc, ga), np.where(left, c, a)
        gb, b = np.where(left, gb, gc), np.where(left, b, c)
        gb = np.where(left & (side == 1), 0.5 * gb, gb)
        ga = np.where(~left & (side == -1), 0.5 * ga, ga)
        side = np.where(left, 1, -1).astype(np.int8)
        if np.all((b - a <= ROOT_TOL) | (gc == 0)):
            break
    return c


class Reduction:
    """One number per member from the pieces of its time course.

    The driver calls :meth:`start` with the values at the first time, :meth:`step` with
    pieces in time order and :meth:`jump` at each breakpoint where the quantity may jump;
    :meth:`result` gives the numbers (``nan``: not observed).
    """

    def __init__(self, size):
        self.out = np.full(size, np.nan)

    def start(self, idx, t, g):
        pass

    def jump(self, idx, t, g_before, g_after):
        pass

    def step(self, pieces):
        raise NotImplementedError

    def final(self, idx, t) -> np.ndarray:
        """Which of members ``idx``, now at times ``t``, hold their result whatever the rest
        of their time course does."""
        raise NotImplementedError

    def result(self) -> np.ndarray:
        return self.out


class Crossing(Reduction):
    """The first time in ``[a, b]`` the quantity crosses ``level``; with ``every``, every
    time (in :attr:`found`, per member).

    ``direction`` ``"up"`` is from below to at-or-above (:math:`g_a < c \\le g_b`),
    ``"down"`` the reverse, ``"either"`` both. A jump at a breakpoint across the level
    counts as a first crossing at the breakpoint; it is not one of ``every`` crossing (as
    the events of :func:`scipy.integrate.solve_ivp`, which see each segment alone).
    """

    def __init__(self, size, level, direction, a, b, every=False):
        super().__init__(size)
        self.level, self.direction, self.a, self.b = level, direction, a, b
        self.found = [[] for _ in range(size)] if every else None

    def hits(self, ga, gb) -> np.ndarray:
        up, down = (ga < 0) & (gb >= 0), (ga >= 0) & (gb < 0)
        return {"up": up, "down": down, "either": up | down}[self.direction]

    def final(self, idx, t):
        if self.found is not None:
            return t > self.b
        return ~np.isnan(self.out[idx]) | (t > self.b)

    def jump(self, idx, t, g_before, g_after):
        if self.found is not None:
            return
        new = self.hits(g_before - self.level, g_after - self.level)
        new &= np.isnan(self.out[idx]) & (t >= self.a) & (t <= self.b)
        self.out[idx[new]] = t[new]

    def step(self, pieces):
        """Locate the crossings in ``pieces``; returns their members and times."""
        idx, level = pieces.idx, self.level
        lo, hi = pieces.fractions(self.a, self.b)
        open_ = hi > lo
        if self.found is None:
            open_ &= np.isnan(self.out[idx])
        none = (idx[:0], pieces.ta[:0])
        if not open_.any():
            return none
        # The values at the window's edges where an edge falls inside a piece (rare).
        g_lo, g_hi = pieces.ga - level, pieces.gb - level
        for g, theta, edge in ((g_lo, lo, open_ & (lo > 0)), (g_hi, hi, open_ & (hi < 1))):
            s = np.flatnonzero(edge)
            if s.size:
                g[s] = pieces.at(theta[s], s) - level
        hit = open_ & self.hits(g_lo, g_hi)
        s = np.flatnonzero(hit) if self.found is not None else first_per_member(idx, hit)
        if not s.size:
            return none
        theta = illinois(lambda x: pieces.at(x, s) - level, lo[s], hi[s], g_lo[s], g_hi[s])
        times = pieces.time(theta, s)
        if self.found is None:
            self.out[idx[s]] = times
        else:
            for m, when in zip(idx[s], times, strict=True):
                self.found[m].append(float(when))
            first = first_per_member(idx[s], np.isnan(self.out[idx[s]]))
            self.out[idx[s][first]] = times[first]
        return idx[s], times


class Value(Reduction):
    """The quantity at time ``when`` (after the jump, at a breakpoint)."""

    def __init__(self, size, when):
        super().__init__(size)
        self.when = when

    def final(self, idx, t):
        return t > self.when  # at ``when`` itself a breakpoint's jump may still come

    def start(self, idx, t, g):
        here = t == self.when
        self.out[idx[here]] = g[here]

    def jump(self, idx, t, g_before, g_after):
        here = t == self.when
        self.out[idx[here]] = g_after[here]

    def step(self, pieces):
        s = np.flatnonzero((pieces.ta < self.when) & (self.when <= pieces.tb))
        if s.size:
            theta = (self.when - pieces.ta[s]) / (pieces.tb[s] - pieces.ta[s])
            self.out[pieces.idx[s]] = pieces.at(theta, s)


class Average(Reduction):
    """The time average of the quantity over ``[a, b]``."""

    def __init__(self, size, a, b):
        super().__init__(size)
        self.a, self.b = a, b
        self.out[:] = 0.0

    def final(self, idx, t):
        return t >= self.b  # a jump adds nothing to the integral

    def step(self, pieces):
        lo, hi = pieces.fractions(self.a, self.b)
        s = np.flatnonzero(hi > lo)
        if not s.size:
            return
        lo, hi = lo[s], hi[s]
        total = sum(
            w * pieces.at(lo + x * (hi - lo), s) for x, w in zip(_GAUSS_X, _GAUSS_W, strict=True)
        )
        np.add.at(self.out, pieces.idx[s], total * (hi - lo) * (pieces.tb[s] - pieces.ta[s]))

    def result(self):
        return self.out / (self.b - self.a)


class Extreme(Reduction):
    """The largest value of the quantity on ``[a, b]``, or (``what="time"``) the first time
    it is reached."""

    def __init__(self, size, what, a, b):
        super().__init__(size)
        self.what, self.a, self.b = what, a, b
        self.best = np.full(size, -np.inf)

    def final(self, idx, t):
        return t > self.b

    def offer(self, idx, when, value):
        """Candidates ``value`` at ``when`` of members ``idx`` (in time order per member)."""
        s = np.flatnonzero((when >= self.a) & (when <= self.b) & (value > self.best[idx]))
        if not s.size:
            return
        m, v = idx[s], value[s]
        starts = np.flatnonzero(np.concatenate(([True], m[1:] != m[:-1])))
        top = np.repeat(np.maximum.reduceat(v, starts), np.diff(np.append(starts, v.size)))
        best = np.zeros(idx.size, dtype=bool)
        best[s[v == top]] = True
        s = first_per_member(idx, best)
        self.best[idx[s]] = value[s]
        self.out[idx[s]] = when[s]

    def start(self, idx, t, g):
        self.offer(idx, t, g)

    def jump(self, idx, t, g_before, g_after):
        self.offer(idx, t, g_after)

    def step(self, pieces):
        lo, hi = pieces.fractions(self.a, self.b)
        s = np.flatnonzero((pieces.ta <= self.b) & (pieces.tb >= self.a))
        if not s.size:
            return
        # Candidates piece by piece, each piece's points in order: time order per member.
        theta = np.stack([lo[s] + x * (hi[s] - lo[s]) for x in pieces.search], axis=1)
        where = np.repeat(s, len(pieces.search))
        theta = theta.ravel()
        # Inside the window by construction; clipped so that round-off keeps them there.
        when = np.clip(pieces.time(theta, where), self.a, self.b)
        self.offer(pieces.idx[where], when, pieces.at(theta, where))

    def result(self):
        out = self.best if self.what == "value" else self.out
        return np.where(np.isfinite(self.best), out, np.nan)


#: The reduction of each kind of readout a plan resolves (``kind -> class``).
REDUCTIONS = {"crossing": Crossing, "value": Value, "average": Average, "peak": Extreme}
