"""The model as the analysis sees it: :math:`f(y, p)` at fixed parameters (and, for a
model whose rates depend on time, a frozen time), in scaled states, with its linear
conservation laws split off; and the linear-algebra helpers the solvers share."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from follicle.analysis.results import ConservationLaw, SteadyState, classify
from follicle.errors import (
    AnalysisError,
    FollicleError,
)
from follicle.model import Model, t
from follicle.units import as_magnitude

#: Newton iterations stop when the step is below this (relative to the state's size).
STEP_TOL = 1e-10
#: A root is accepted when the Newton step it would still take is below this (relative).
ACCEPT_TOL = 1e-7
#: Two steady states are the same when they differ by less than this (relative).
_SAME_TOL = 1e-6


def check_model(model) -> None:
    if not isinstance(model, Model):
        raise FollicleError(f"expected a follicle Model, got {type(model).__name__}")


def time_dependent(model: Model) -> bool:
    return any(t in e.free_symbols for e in model.rhs_expressions)


def frozen_time(model: Model, time) -> tuple[float, float | None]:
    """(time used in the rates, time reported); raise if the model needs one and has none."""
    if time is None:
        if time_dependent(model):
            raise AnalysisError(
                f"model {model.name!r} has rates that depend on time explicitly, so it has "
                "no steady states as such; give a frozen time, e.g. time='1 year', to find "
                "the quasi-steady states at that time"
            )
        return 0.0, None
    value = as_magnitude(time, model.time_unit, what="time")
    return value, value


class System:
    """``f`` at fixed parameters in scaled states :math:`z = y / \\sigma`, with the model's
    linear conservation laws :math:`W z = c` split off.

    The square system solved for steady states is
    :math:`G(z) = [Q^\\top F(z);\\ W z - c]`, where :math:`F(z) = \\sigma^{-1} f(\\sigma z)`,
    the rows of :math:`W` are an orthonormal basis of the conservation laws and the columns
    of :math:`Q` one of their orthogonal complement (the tangent space of the class).

    The totals are :math:`c = W z_0` of the reference state :math:`z_0 = y_0/\\sigma`:
    ``y_ref`` at every parameter vector, or, given ``reference``, ``reference(p)`` at the
    parameters ``p`` (the initial state whose values are expressions of a scanned
    parameter moves with it, and so does its conservation class).
    """

    def __init__(
        self,
        model: Model,
        p: np.ndarray,
        time: float,
        y_ref: np.ndarray,
        rng: np.random.Generator,
        vary: tuple[int, float, float] | None = None,
        reference: Callable[[np.ndarray], np.ndarray] | None = None,
    ):
        self.model, self.compiled = model, model.compiled
        self.reference = reference
        self.p, self.time = p, time
        self.sigma = np.array([s.scale for s in model.states.values()])
        self.nonneg = np.array([s.nonnegative for s in model.states.values()])
        self.n = len(self.sigma)
        self.W = self._conservation(rng, vary)
        q_full, _ = np.linalg.qr(np.vstack([self.W, np.eye(self.n)]).T, mode="complete")
        k = self.W.shape[0]
        self.Q = q_full[:, k:]
        self.z_ref = y_ref / self.sigma
        self.total = self.W @ self.z_ref

    def _conservation(self, rng, vary) -> np.ndarray:
        """Rows :math:`w` (orthonormal, scaled) with :math:`w^\\top F(z) = 0` at every
        sampled :math:`z` (and every sampled value of the scanned parameter)."""
        n, m = self.n, 4 * self.n + 8
        z = 10.0 ** rng.uniform(-2, 1, size=(n, m))
        z[~self.nonneg] *= rng.choice([-1.0, 1.0], size=(int((~self.nonneg).sum()), m))
        p = np.repeat(self.p[:, None], m, axis=1)
        if vary is not None:
            j, low, high = vary
            p[j] = rng.uniform(low, high, size=m)
        with np.errstate(all="ignore"):
            f = self.compiled.rhs(self.time, self.sigma[:, None] * z, p) / self.sigma[:, None]
        f = f[:, np.all(np.isfinite(f), axis=0)]
        if f.shape[1] < n + 2:
            return np.zeros((0, n))
        rows = np.sqrt(np.mean(f**2, axis=1))
        rows[rows == 0] = 1.0
        g = f / rows[:, None]
        g /= np.maximum(np.linalg.norm(g, axis=0), np.finfo(float).tiny)
        _, s, vt = np.linalg.svd(g.T)
        rank = int(np.sum(s > 1e-9 * s[0])) if s.size and s[0] > 0 else 0
        w = vt[rank:] / rows  # undo the row scaling: w = R^-1 v
        if w.shape[0] == 0:
            return w
        basis, _ = np.linalg.qr(w.T)
        return basis.T

    def laws(self) -> tuple[ConservationLaw, ...]:
        out = []
        for w_scaled in self.W:
            w = w_scaled / self.sigma
            w = w / w[np.argmax(np.abs(w))]
            w[np.abs(w) < 1e-12] = 0.0
            total = float(w @ (self.sigma * self.z_ref))
            out.append(
                ConservationLaw(
                    tuple(zip(self.model.state_names, map(float, w), strict=True)), total
                )
            )
        return tuple(out)

    # f and its Jacobian in scaled coordinates
    def F(self, z, p=None):
        p = self.p if p is None else p
        return self.compiled.rhs(self.time, self.sigma * z, p) / self.sigma

    def Fz(self, z, p=None):
        p = self.p if p is None else p
        jac = self.compiled.jac(self.time, self.sigma * z, p)
        return jac * self.sigma[None, :] / self.sigma[:, None]

    def total_at(self, p=None) -> np.ndarray:
        """The conserved totals :math:`c` of the class kept at the parameters ``p``."""
        if self.reference is None or p is None or not self.W.shape[0]:
            return self.total
        return self.W @ (self.reference(p) / self.sigma)

    def G(self, z, p=None):
        return np.concatenate([self.Q.T @ self.F(z, p), self.W @ z - self.total_at(p)])

    def Gz(self, z, p=None):
        return np.vstack([self.Q.T @ self.Fz(z, p), self.W])

    def reduced(self, z, p=None):
        """Jacobian restricted to the conservation class, :math:`Q^\\top F_z Q`."""
        return self.Q.T @ self.Fz(z, p) @ self.Q

    def eigenvalues(self, z, p=None) -> np.ndarray:
        lam = np.linalg.eigvals(self.reduced(z, p))
        return lam[np.lexsort((-lam.imag, -lam.real))]

    def newton(self, z, p=None, iterations=30):
        """Newton's method on :math:`G(z) = 0` at fixed parameters; ``None`` if it fails."""
        for _ in range(iterations):
            with np.errstate(all="ignore"):
                g, gz = self.G(z, p), self.Gz(z, p)
            if not (np.all(np.isfinite(g)) and np.all(np.isfinite(gz))):
                return None
            step = solve_linear(gz, -g)
            z = z + step
            if np.max(np.abs(step)) <= STEP_TOL * (1 + np.max(np.abs(z))):
                return z if self.step_left(z, p) <= ACCEPT_TOL else None
        return None

    def pseudo_transient(self, z, p=None, iterations=100):
        """Pseudo-transient continuation from ``z``; the root reached, or ``None``.

        Implicit Euler steps :math:`(I/\\Delta t - G_z)\\,\\delta = G` (no time derivative
        on the conservation rows), with :math:`\\Delta t` starting at
        :math:`0.1/\\|G_z\\|_\\infty` and growing by the fall of the residual
        :math:`\\|G_k\\|/\\|G_{k+1}\\|` (switched evolution relaxation), but by at least
        1.5 and at most 10 a step: it follows the flow at first, so it reaches stable
        steady states from wide basins, and becomes Newton's method near a root.
        """
        n, k = self.n, self.W.shape[0]
        with np.errstate(all="ignore"):
            g = self.G(z, p)
            gz = self.Gz(z, p)
            dt = 0.1 / max(float(np.max(np.abs(gz))), 1e-300)
            for _ in range(iterations):
                if not (np.all(np.isfinite(g)) and np.all(np.isfinite(gz))):
                    return None
                shift = np.eye(n) / dt
                if k:
                    shift[n - k :] = 0.0
                step = solve_linear(shift - gz, g)
                z = z + step
                g_new = self.G(z, p)
                size = 1 + np.max(np.abs(z))
                if np.max(np.abs(step)) <= STEP_TOL * size:
                    return z if self.step_left(z, p) <= ACCEPT_TOL else None
                ratio = np.linalg.norm(g) / max(np.linalg.norm(g_new), 1e-300)
                dt = min(dt * min(max(ratio, 1.5), 10.0), 1e300)
                g, gz = g_new, self.Gz(z, p)
        return None

    def step_left(self, z, p=None) -> float:
        """How far ``z`` is from solving :math:`G = 0`, relative to its size: the Newton
        step still to take, or ``inf`` when the residual is not small against
        :math:`\\|G_z\\| (1 + \\|z\\|)` (a singular Jacobian gives no step to judge by)."""
        with np.errstate(all="ignore"):
            g, gz = self.G(z, p), self.Gz(z, p)
            size = 1 + np.max(np.abs(z))
            if not np.all(np.isfinite(g)) or (
                np.max(np.abs(g)) > ACCEPT_TOL * np.max(np.abs(gz), initial=0.0) * size
            ):
                return math.inf
            step = solve_linear(gz, -g)
        return float(np.max(np.abs(step), initial=0.0) / size)

    def admissible(self, z) -> bool:
        """Finite, and non-negative where the states are (to round-off)."""
        if not np.all(np.isfinite(z)):
            return False
        floor = -1e-9 * (1 + np.max(np.abs(z)))
        return bool(np.all(z[self.nonneg] >= floor))

    def steady_state(self, z, p=None) -> SteadyState:
        z = np.where(self.nonneg, np.maximum(z, 0.0), z)
        lam = self.eigenvalues(z, p)
        model = self.model
        return SteadyState(
            names=model.state_names,
            units=tuple(s.unit for s in model.states.values()),
            values=self.sigma * z,
            eigenvalues=lam,
            stability=classify(lam),
            residual=self.step_left(z, p),
        )


def solve_linear(a, b):
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def same_state(z1, z2) -> bool:
    size = 1 + max(np.max(np.abs(z1)), np.max(np.abs(z2)))
    return bool(np.max(np.abs(z1 - z2)) <= _SAME_TOL * size)
