"""Steady states, their stability, one-parameter bifurcation scans and limit cycles.

Three entry points, each returning an immutable result:

- :func:`steady_states`: every steady state a seeded multi-start root search finds, each
  with the eigenvalues of its Jacobian and a stability label;
- :func:`scan`: steady-state branches followed through one parameter by pseudo-arclength
  continuation, with folds and Hopf points located on them and the cycles on either side
  of each Hopf point measured by simulation;
- :func:`find_cycle`: the period and amplitude of the oscillation a simulation settles on.

The analysis is about the autonomous system :math:`\\dot y = f(y, p)`. A model whose rates
depend on time explicitly (e.g. production rising with age) has no steady states as such:
these functions raise :class:`~follicle.AnalysisError` for it unless a frozen time is
given (``time=...``), in which case :math:`t` is held at that value, i.e. the analysis is
of the *quasi-steady* states :math:`f(y, p, t_0) = 0`.

Linear conservation laws (e.g. phase fractions that sum to one) make the Jacobian
singular and the steady states non-isolated. They are detected numerically (vectors
:math:`w` with :math:`w^\\top f(y, p) = 0` for every :math:`y`), the search is confined to
the conservation class of the initial state, and stability is judged from the Jacobian
restricted to that class.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, root

from follicle import limits
from follicle.errors import (
    AnalysisError,
    FollicleError,
    ParameterValueError,
    SolverError,
    UnknownNameError,
)
from follicle.model import Model, t
from follicle.units import TIME_UNIT, as_magnitude

__all__ = [
    "Bifurcation",
    "Branch",
    "ConservationLaw",
    "Cycle",
    "Scan",
    "SteadyState",
    "SteadyStates",
    "classify",
    "find_cycle",
    "scan",
    "steady_states",
]

#: Newton iterations stop when the step is below this (relative to the state's size).
_STEP_TOL = 1e-10
#: A root is accepted when the Newton step it would still take is below this (relative).
_ACCEPT_TOL = 1e-7
#: Two steady states are the same when they differ by less than this (relative).
_SAME_TOL = 1e-6
#: Eigenvalues with a real (imaginary) part below this, relative to the largest modulus,
#: count as zero.
_EIG_TOL = 1e-9
#: Relative swing below which a variable counts as constant in :func:`find_cycle`: well
#: above the integration noise a weakly damped focus keeps ringing with (about 1e-6 at
#: ``rtol = 1e-8``).
_SWING_TOL = 1e-4


# -- immutable results ---------------------------------------------------------------------
class _ReadOnly:
    """Mixin for frozen dataclasses: the array fields named in ``_arrays`` are read-only."""

    _arrays: tuple[str, ...] = ()

    def __post_init__(self):
        for name in self._arrays:
            value = np.array(getattr(self, name))
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    def __setstate__(self, state):
        # Pickle protocols < 5 restore NumPy arrays writeable: make them read-only again.
        self.__dict__.update(state)
        self.__post_init__()

    def _position(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise UnknownNameError("state", name, self.names) from None


def classify(eigenvalues) -> str:
    """The stability label of a steady state with Jacobian eigenvalues ``eigenvalues``.

    Real parts within ``1e-9`` of the largest modulus count as zero; so do imaginary
    parts (a real eigenvalue).

    Returns
    -------
    str
        ``"stable node"`` (every real part negative, every eigenvalue real),
        ``"stable focus"`` (every real part negative, some complex pair),
        ``"unstable node"``, ``"unstable focus"`` (every real part positive),
        ``"saddle"``, ``"saddle-focus"`` (real parts of both signs),
        ``"non-hyperbolic"`` (some real part zero: a fold, Hopf or degenerate point),
        ``"neutral"`` (no eigenvalues: every direction is conserved).
    """
    lam = np.asarray(eigenvalues, dtype=complex).ravel()
    if lam.size == 0:
        return "neutral"
    tol = _EIG_TOL * max(float(np.max(np.abs(lam))), np.finfo(float).tiny)
    if np.any(np.abs(lam.real) <= tol):
        return "non-hyperbolic"
    focus = bool(np.any(np.abs(lam.imag) > tol))
    if np.all(lam.real < 0):
        return "stable focus" if focus else "stable node"
    if np.all(lam.real > 0):
        return "unstable focus" if focus else "unstable node"
    return "saddle-focus" if focus else "saddle"


@dataclass(frozen=True, eq=False)
class SteadyState(_ReadOnly):
    """One steady state :math:`f(y^*, p) = 0`.

    Attributes
    ----------
    names : tuple of str
        State names, in model order.
    units : tuple of str
    values : ndarray
        :math:`y^*`, in each state's unit.
    eigenvalues : ndarray of complex
        Eigenvalues of the Jacobian restricted to the conservation class, in 1/day,
        ordered by decreasing real part.
    stability : str
        The label :func:`classify` gives them.
    residual : float
        Size of the Newton step still to go, relative to the state (a measure of how
        exactly :math:`y^*` solves :math:`f = 0`).
    """

    names: tuple[str, ...]
    units: tuple[str, ...]
    values: np.ndarray
    eigenvalues: np.ndarray
    stability: str
    residual: float
    _arrays = ("values", "eigenvalues")

    def __getitem__(self, name: str) -> float:
        return float(self.values[self._position(name)])

    @property
    def stable(self) -> bool:
        """Whether every eigenvalue has a negative real part."""
        return self.stability.startswith("stable")

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, map(float, self.values), strict=True))

    def __repr__(self) -> str:
        values = ", ".join(f"{n}={v:.6g}" for n, v in zip(self.names, self.values, strict=True))
        return f"<SteadyState {self.stability}: {values}>"


@dataclass(frozen=True)
class ConservationLaw:
    """A linear quantity the dynamics conserve: :math:`\\sum_i w_i y_i` = ``total``.

    Weights are normalised so that the largest is 1; ``total`` is its value at the initial
    state the analysis used.
    """

    weights: tuple[tuple[str, float], ...]
    total: float

    def __str__(self) -> str:
        terms = " + ".join(f"{w:.6g}*{n}" for n, w in self.weights if w != 0)
        return f"{terms} = {self.total:.6g}"


@dataclass(frozen=True, eq=False)
class SteadyStates:
    """The steady states :func:`steady_states` found, sorted by their values.

    Behaves as a sequence of :class:`SteadyState`.

    Attributes
    ----------
    states : tuple of SteadyState
    model_name : str
    parameters : tuple of (str, float)
        Parameter values used.
    time : float or None
        The frozen time (days) for a time-dependent model, else ``None``.
    conservation : tuple of ConservationLaw
        Linear conservation laws; the search stayed in the initial state's class.
    starts : int
        Number of starting points tried.
    """

    states: tuple[SteadyState, ...]
    model_name: str
    parameters: tuple[tuple[str, float], ...]
    time: float | None
    conservation: tuple[ConservationLaw, ...]
    starts: int

    def __len__(self) -> int:
        return len(self.states)

    def __iter__(self):
        return iter(self.states)

    def __getitem__(self, i: int) -> SteadyState:
        return self.states[i]

    @property
    def stable(self) -> tuple[SteadyState, ...]:
        """The stable steady states."""
        return tuple(s for s in self.states if s.stable)

    def __repr__(self) -> str:
        labels = ", ".join(s.stability for s in self.states) or "none"
        return f"<SteadyStates of {self.model_name!r}: {len(self)} ({labels})>"


@dataclass(frozen=True, eq=False)
class Cycle(_ReadOnly):
    """The oscillation a simulation settled on, measured on a window at its end.

    Attributes
    ----------
    oscillating : bool
        Whether the trajectory keeps oscillating: the reference variable swings by more
        than ``1e-4`` of its size, crosses its mid-level upwards at least three times in
        the window, and its swing does not shrink (the second half of the window keeps at
        least 90% of the first half's swing).
    period : float
        Mean time (days) between upward crossings of the reference variable's mid-level;
        ``nan`` if not oscillating.
    names : tuple of str
        State names.
    minimum, maximum : ndarray
        Lowest and highest value of each state in the window.
    reference : str
        The state with the largest relative swing, whose crossings time the period.
    window : (float, float)
        The measurement window (days).
    parameters : tuple of (str, float)
        Parameter values of the simulation.
    note : str
        Why nothing was measured, when the simulation failed (e.g. a state blew up);
        empty otherwise.
    """

    oscillating: bool
    period: float
    names: tuple[str, ...]
    minimum: np.ndarray
    maximum: np.ndarray
    reference: str
    window: tuple[float, float]
    parameters: tuple[tuple[str, float], ...]
    note: str = ""
    _arrays = ("minimum", "maximum")

    def amplitude(self, name: str) -> float:
        """Half the peak-to-peak swing of ``name`` in the window, (max - min) / 2."""
        i = self._position(name)
        return float(self.maximum[i] - self.minimum[i]) / 2

    def low(self, name: str) -> float:
        return float(self.minimum[self._position(name)])

    def high(self, name: str) -> float:
        return float(self.maximum[self._position(name)])

    def __repr__(self) -> str:
        if self.note:
            return f"<Cycle: {self.note}>"
        if not self.oscillating:
            return "<Cycle: no sustained oscillation>"
        return (
            f"<Cycle: period {self.period:.6g} day, {self.reference} amplitude "
            f"{self.amplitude(self.reference):.6g}>"
        )


@dataclass(frozen=True, eq=False)
class Branch(_ReadOnly):
    """A branch of steady states followed through one parameter.

    Points are in continuation order (by arclength), so the parameter turns back at
    folds.

    Attributes
    ----------
    parameter : ndarray
        The scanned parameter's value at each point.
    values : ndarray, shape (points, states)
    eigenvalues : ndarray of complex, shape (points, k)
        Eigenvalues of the restricted Jacobian (1/day), by decreasing real part.
    stability : tuple of str
        :func:`classify` label of each point.
    names : tuple of str
    ends : (str, str)
        Why the branch ends at its first and last point.
    """

    parameter: np.ndarray
    values: np.ndarray
    eigenvalues: np.ndarray
    stability: tuple[str, ...]
    names: tuple[str, ...]
    ends: tuple[str, str]
    _arrays = ("parameter", "values", "eigenvalues")

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[:, self._position(name)]

    def __len__(self) -> int:
        return len(self.parameter)

    @property
    def stable(self) -> np.ndarray:
        """Boolean array: which points are stable."""
        return np.array([s.startswith("stable") for s in self.stability])


@dataclass(frozen=True, eq=False)
class Bifurcation(_ReadOnly):
    """A fold, Hopf point or branch point located on a branch.

    Attributes
    ----------
    kind : {"fold", "hopf", "branch point"}
        ``"fold"``: a real eigenvalue crosses zero and the branch turns back (saddle-node);
        ``"branch point"``: a real eigenvalue crosses zero and the branch goes on (another
        branch crosses it: transcritical or pitchfork); ``"hopf"``: a complex pair crosses
        the imaginary axis.
    parameter : str
    value : float
        Where it is, in the parameter's unit.
    names : tuple of str
    state : ndarray
        The steady state there.
    eigenvalues : ndarray of complex
    branch : int
        Index of the branch in :attr:`Scan.branches`.
    frequency : float
        Hopf: the imaginary part :math:`\\omega` of the critical pair (rad/day), so
        cycles born there start with period :math:`2\\pi/\\omega`; ``nan`` otherwise.
    lyapunov : float
        Hopf: the first Lyapunov coefficient :math:`\\ell_1` (see :func:`scan`);
        negative for a supercritical Hopf point (a small stable cycle is born on the
        unstable side), positive for a subcritical one (a small unstable cycle on the
        stable side; the unstable side jumps away). ``nan`` otherwise.
    below, above : Cycle or None
        Hopf and fold: what a simulation at ``value - offset`` and ``value + offset``
        settles on, started next to the steady state there (next to the fold's state on
        the side of a fold where no steady state is near); ``None`` for branch points,
        when not simulated, or out of the parameter's range.
    offset : float
        The parameter distance of those probes.
    refined : bool
        Whether the point was located by root finding (``False``: estimated by linear
        interpolation of the test function, because refinement failed).
    """

    kind: str
    parameter: str
    value: float
    names: tuple[str, ...]
    state: np.ndarray
    eigenvalues: np.ndarray
    branch: int
    frequency: float = math.nan
    lyapunov: float = math.nan
    below: Cycle | None = None
    above: Cycle | None = None
    offset: float = math.nan
    refined: bool = True
    _arrays = ("state", "eigenvalues")

    def __getitem__(self, name: str) -> float:
        return float(self.state[self._position(name)])

    @property
    def criticality(self) -> str:
        """Hopf: ``"supercritical"`` (:math:`\\ell_1 < 0`), ``"subcritical"``
        (:math:`\\ell_1 > 0`) or ``"degenerate"`` (:math:`\\ell_1` indistinguishable from
        0); ``""`` for other kinds."""
        if self.kind != "hopf" or math.isnan(self.lyapunov):
            return ""
        if abs(self.lyapunov) <= 1e-6 * self.frequency:
            return "degenerate"
        return "supercritical" if self.lyapunov < 0 else "subcritical"

    @property
    def period_at_onset(self) -> float:
        """:math:`2\\pi/\\omega` (days) for a Hopf point, else ``nan``."""
        return 2 * math.pi / self.frequency if self.frequency > 0 else math.nan

    def __repr__(self) -> str:
        extra = f", period at onset {self.period_at_onset:.6g} day" if self.kind == "hopf" else ""
        return f"<Bifurcation {self.kind} at {self.parameter} = {self.value:.10g}{extra}>"


@dataclass(frozen=True, eq=False)
class Scan(_ReadOnly):
    """Result of :func:`scan`: branches of steady states and their bifurcations.

    Attributes
    ----------
    model_name : str
    parameter : str
    unit : str
        The scanned parameter's unit.
    values : ndarray
        The grid asked for (its ends bound the scan; its spacing bounds the step).
    branches : tuple of Branch
    bifurcations : tuple of Bifurcation
        Sorted by parameter value.
    parameters : tuple of (str, float)
        The other parameters' values.
    time : float or None
    conservation : tuple of ConservationLaw
    """

    model_name: str
    parameter: str
    unit: str
    values: np.ndarray
    branches: tuple[Branch, ...]
    bifurcations: tuple[Bifurcation, ...]
    parameters: tuple[tuple[str, float], ...]
    time: float | None
    conservation: tuple[ConservationLaw, ...] = field(default=())
    _arrays = ("values",)

    @property
    def hopf(self) -> tuple[Bifurcation, ...]:
        return tuple(b for b in self.bifurcations if b.kind == "hopf")

    @property
    def folds(self) -> tuple[Bifurcation, ...]:
        return tuple(b for b in self.bifurcations if b.kind == "fold")

    def __repr__(self) -> str:
        found = ", ".join(f"{b.kind} at {b.value:.6g}" for b in self.bifurcations) or "none"
        return (
            f"<Scan of {self.model_name!r} over {self.parameter}: {len(self.branches)} "
            f"branches; bifurcations: {found}>"
        )


# -- the system in scaled coordinates -------------------------------------------------------
def _check_model(model) -> None:
    if not isinstance(model, Model):
        raise FollicleError(f"expected a follicle Model, got {type(model).__name__}")


def _time_dependent(model: Model) -> bool:
    return any(t in e.free_symbols for e in model.rhs_expressions)


def _frozen_time(model: Model, time) -> tuple[float, float | None]:
    """(time used in the rates, time reported); raise if the model needs one and has none."""
    if time is None:
        if _time_dependent(model):
            raise AnalysisError(
                f"model {model.name!r} has rates that depend on time explicitly, so it has "
                "no steady states as such; give a frozen time, e.g. time='1 year', to find "
                "the quasi-steady states at that time"
            )
        return 0.0, None
    value = as_magnitude(time, TIME_UNIT, what="time")
    return value, value


class _System:
    """``f`` at fixed parameters in scaled states :math:`z = y / \\sigma`, with the model's
    linear conservation laws :math:`W z = c` split off.

    The square system solved for steady states is
    :math:`G(z) = [Q^\\top F(z);\\ W z - c]`, where :math:`F(z) = \\sigma^{-1} f(\\sigma z)`,
    the rows of :math:`W` are an orthonormal basis of the conservation laws and the columns
    of :math:`Q` one of their orthogonal complement (the tangent space of the class).
    """

    def __init__(
        self,
        model: Model,
        p: np.ndarray,
        time: float,
        y_ref: np.ndarray,
        rng: np.random.Generator,
        vary: tuple[int, float, float] | None = None,
    ):
        self.model, self.compiled = model, model.compiled
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

    def G(self, z, p=None):
        return np.concatenate([self.Q.T @ self.F(z, p), self.W @ z - self.total])

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
            step = _solve(gz, -g)
            z = z + step
            if np.max(np.abs(step)) <= _STEP_TOL * (1 + np.max(np.abs(z))):
                return z if self.step_left(z, p) <= _ACCEPT_TOL else None
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
                step = _solve(shift - gz, g)
                z = z + step
                g_new = self.G(z, p)
                size = 1 + np.max(np.abs(z))
                if np.max(np.abs(step)) <= _STEP_TOL * size:
                    return z if self.step_left(z, p) <= _ACCEPT_TOL else None
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
                np.max(np.abs(g)) > _ACCEPT_TOL * np.max(np.abs(gz), initial=0.0) * size
            ):
                return math.inf
            step = _solve(gz, -g)
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


def _solve(a, b):
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def _same(z1, z2) -> bool:
    size = 1 + max(np.max(np.abs(z1)), np.max(np.abs(z2)))
    return bool(np.max(np.abs(z1 - z2)) <= _SAME_TOL * size)


def _rng(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _starting_points(system: _System, starts, z_initial, rng) -> np.ndarray:
    """The initial state first, then ``starts`` random points (or the caller's points).

    Random points are log-uniform between 1e-3 and 20 times each state's scale (with a
    random sign for states that may be negative).
    """
    n = system.n
    if isinstance(starts, int | np.integer) and not isinstance(starts, bool):
        if starts < 0:
            raise ParameterValueError(f"starts must be >= 0, got {starts}")
        z = 10.0 ** rng.uniform(-3, math.log10(20.0), size=(int(starts), n))
        signs = rng.choice([-1.0, 1.0], size=z.shape)
        z = np.where(system.nonneg, z, z * signs)
        return np.vstack([z_initial, z])
    points = np.atleast_2d(np.asarray(starts, dtype=float))
    if points.ndim != 2 or points.shape[1] != n or points.shape[0] == 0:
        raise ParameterValueError(
            f"starts must be a number of random starts or an array of shape (k, {n}) of "
            f"starting states in model order {system.model.state_names}; got shape "
            f"{np.shape(starts)}"
        )
    if not np.all(np.isfinite(points)):
        raise ParameterValueError("starts contains non-finite values")
    return np.vstack([z_initial, points / system.sigma])


def _roots(system: _System, points: np.ndarray, p=None) -> list[np.ndarray]:
    """Distinct admissible roots of G reached from ``points``, sorted."""
    found: list[np.ndarray] = []

    def fun(z):
        with np.errstate(all="ignore"):
            return system.G(z, p), system.Gz(z, p)

    for z0 in points:
        with np.errstate(all="ignore"):
            if not np.all(np.isfinite(fun(z0)[0])):
                continue
            sol = root(fun, z0, jac=True, method="hybr", options={"xtol": 1e-12})
        polished = system.newton(sol.x, p, iterations=8) if np.all(np.isfinite(sol.x)) else None
        for z in (polished, system.pseudo_transient(z0, p)):
            if z is None or not system.admissible(z) or system.step_left(z, p) > _ACCEPT_TOL:
                continue
            if not any(_same(z, other) for other in found):
                found.append(z)
    return sorted(found, key=lambda z: tuple(z))


def steady_states(
    model: Model,
    params: Mapping | None = None,
    *,
    initial: Mapping | None = None,
    starts=20,
    seed=0,
    time=None,
) -> SteadyStates:
    """Find the steady states of ``model`` by a seeded multi-start root search.

    Solves :math:`f(y^*, p) = 0` from the initial state and ``starts`` random points,
    each run through two solvers that use the model's analytic Jacobian:
    :func:`scipy.optimize.root` (MINPACK ``hybr``, polished by Newton's method), which
    reaches steady states of any stability, and pseudo-transient continuation (implicit
    Euler steps growing into Newton steps), which follows the flow at first and so
    reaches stable steady states from wide basins. Roots are kept when the Newton step
    still to go is below ``1e-7`` of their size, when they are non-negative wherever the
    state is declared non-negative (tiny negative round-off is set to zero), and once
    (two roots closer than ``1e-6`` relative are the same).

    Stability comes from the eigenvalues :math:`\\lambda_i` of the Jacobian
    :math:`J = \\partial f/\\partial y` at :math:`y^*`: stable when every
    :math:`\\operatorname{Re}\\lambda_i < 0` (see :func:`classify` for the labels). With
    linear conservation laws :math:`w^\\top f \\equiv 0`, the search stays in the class
    :math:`w^\\top y = w^\\top y_0` of the initial state :math:`y_0`, and the eigenvalues
    are those of :math:`J` restricted to that class (the zero eigenvalues the laws add are
    dropped).

    Parameters
    ----------
    model : Model
    params : mapping, optional
        Parameter overrides ``{name: value}`` (values may carry units).
    initial : mapping, optional
        Initial-state overrides; the initial state is the first start and fixes the
        conserved totals.
    starts : int or array_like, default 20
        Number of random starting points (log-uniform between 1e-3 and 20 times each
        state's ``scale``, random sign where a state may be negative), or an array of
        shape ``(k, n_states)`` of starting states in model order.
    seed : int or numpy.random.Generator, default 0
        Seed of the random starts; the result is deterministic for a given seed.
    time : float, str or pint.Quantity, optional
        For a model whose rates depend on time explicitly: the time (days) at which to
        freeze it. Required for such models; ignored by autonomous ones.

    Returns
    -------
    SteadyStates
        Possibly empty: a search that finds no steady state is not an error.

    Raises
    ------
    AnalysisError
        The model depends on time explicitly and no ``time`` was given.
    UnknownNameError, ParameterValueError, UnitError
        Bad parameter or state overrides, bad ``starts``.

    Notes
    -----
    A multi-start search finds the steady states its starts lead to; it cannot prove
    there are no others. More starts (or starts placed by hand) search more widely.
    """
    _check_model(model)
    frozen, reported = _frozen_time(model, time)
    p = model.parameter_vector(params)
    y0 = model.initial_vector(initial)
    rng = _rng(seed)
    system = _System(model, p, frozen, y0, rng)
    if system.Q.shape[1] == 0:
        raise AnalysisError(
            f"every state of model {model.name!r} is conserved: every state is a steady state"
        )
    points = _starting_points(system, starts, y0 / system.sigma, rng)
    roots = _roots(system, points)
    return SteadyStates(
        states=tuple(system.steady_state(z) for z in roots),
        model_name=model.name,
        parameters=tuple(zip(model.parameter_names, map(float, p), strict=True)),
        time=reported,
        conservation=system.laws(),
        starts=len(points),
    )


# -- limit cycles ---------------------------------------------------------------------------
def _upward_crossings(times, values, level):
    below = values[:-1] < level
    i = np.flatnonzero(below & (values[1:] >= level))
    frac = (level - values[i]) / (values[i + 1] - values[i])
    return times[i] + frac * (times[i + 1] - times[i])


def _peak(row: np.ndarray) -> float:
    """Largest value of ``row`` (on an even grid), refined by the parabola through the
    largest sample and its neighbours."""
    i = int(np.argmax(row))
    if 0 < i < row.size - 1:
        left, mid, right = row[i - 1], row[i], row[i + 1]
        curvature = left - 2 * mid + right
        if curvature < 0:
            return float(mid - (right - left) ** 2 / (8 * curvature))
    return float(row[i])


def _measure(run, model: Model, start: float, params) -> Cycle:
    """Measure the oscillation of ``run`` on ``[start, end]`` (see :class:`Cycle`)."""
    keep = run.t >= start
    times = run.t[keep]
    names = model.state_names
    values = np.array([run[name][keep] for name in names])
    high = np.array([_peak(row) for row in values])
    low = np.array([-_peak(-row) for row in values])
    scales = np.array([s.scale for s in model.states.values()])
    size = np.maximum(scales, np.abs(values).max(axis=1))
    swing = (high - low) / size
    i = int(np.argmax(swing))
    ref = values[i]
    level = (low[i] + high[i]) / 2
    ups = _upward_crossings(times, ref, level)
    half = times[0] + (times[-1] - times[0]) / 2
    first, second = ref[times < half], ref[times >= half]
    sustained = first.size > 1 and second.size > 1 and np.ptp(second) >= 0.9 * np.ptp(first)
    oscillating = bool(swing[i] > _SWING_TOL and ups.size >= 3 and sustained)
    return Cycle(
        oscillating=oscillating,
        period=float(np.mean(np.diff(ups))) if oscillating else math.nan,
        names=names,
        minimum=low,
        maximum=high,
        reference=names[i],
        window=(float(times[0]), float(times[-1])),
        parameters=tuple(params),
    )


def find_cycle(
    model: Model,
    params: Mapping | None = None,
    *,
    initial: Mapping | None = None,
    days,
    transient=None,
    points_per_day: float | None = None,
    rtol: float = 1e-8,
    method: str = "LSODA",
) -> Cycle:
    """Simulate ``model`` and measure the oscillation it settles on.

    The run covers ``[0, days]``; the window ``[transient, days]`` is measured. The state
    with the largest relative swing :math:`(\\max - \\min)/\\max(\\text{scale}, |y|)` is
    the reference; the period is the mean interval between its upward crossings of the
    mid-level :math:`(\\max + \\min)/2` (linear interpolation between output times), and
    each state's amplitude is :math:`(\\max - \\min)/2` over the window. The run counts
    as oscillating when the reference swings by more than ``1e-4`` of its size, crosses
    upwards at least three times, and its swing over the second half of the window is at
    least 90% of that over the first half (a decaying oscillation fails this, given a
    window of a few decay times).

    Parameters
    ----------
    model : Model
    params, initial : mapping, optional
        Overrides, as for :func:`follicle.simulate`.
    days : float, str or pint.Quantity
        Length of the run.
    transient : float, str or pint.Quantity, optional
        Start of the measurement window (default: ``days / 2``).
    points_per_day : float, optional
        Output density (default: 4000 points over the run, at least 10 per day). Period
        and amplitude are as accurate as the output grid resolves the oscillation.
    rtol : float, default 1e-8
    method : str, default "LSODA"
        Integration method (:data:`follicle.simulate.METHODS`).

    Returns
    -------
    Cycle

    Raises
    ------
    TimeSpanError
        ``transient`` outside ``[0, days)``.
    SolverError, ParameterValueError, UnknownNameError
        As :func:`follicle.simulate`.
    """
    from follicle.errors import TimeSpanError
    from follicle.simulate import simulate

    _check_model(model)
    total = as_magnitude(days, TIME_UNIT, what="days")
    start = (
        total / 2 if transient is None else as_magnitude(transient, TIME_UNIT, what="transient")
    )
    if not 0 <= start < total:
        raise TimeSpanError(
            f"transient = {start:g} day must lie in [0, {total:g}) day, the simulated span"
        )
    density = max(4000 / total, 10.0) if points_per_day is None else float(points_per_day)
    t_eval = np.linspace(0.0, total, int(min(max(density * total, 200), 2_000_000)) + 1)
    run = simulate(
        model, days=total, t_eval=t_eval, params=params, initial=initial, method=method, rtol=rtol
    )
    return _measure(run, model, start, run.parameters)


# -- continuation ---------------------------------------------------------------------------
class _Curve:
    """The steady-state curve :math:`G(z, q) = 0` in :math:`u = (z, q)`, where
    :math:`q = (p_j - v_0)/(v_1 - v_0)` maps the scanned range onto [0, 1]."""

    def __init__(self, system: _System, index: int, v0: float, v1: float):
        self.system, self.index, self.v0, self.span = system, index, v0, v1 - v0
        self.eps = 1e-6 * max(abs(v0), abs(v1), abs(self.span)) / abs(self.span)

    def p(self, q):
        p = self.system.p.copy()
        p[self.index] = self.v0 + q * self.span
        return p

    def value(self, q) -> float:
        return float(self.v0 + q * self.span)

    def G(self, u):
        return self.system.G(u[:-1], self.p(u[-1]))

    def Gu(self, u):
        z, q = u[:-1], u[-1]
        gq = self.system.G(z, self.p(q + self.eps)) - self.system.G(z, self.p(q - self.eps))
        return np.hstack([self.system.Gz(z, self.p(q)), (gq / (2 * self.eps))[:, None]])

    def tangent(self, u, previous):
        """Unit null vector of :math:`G_u`, oriented along ``previous``."""
        with np.errstate(all="ignore"):
            gu = self.Gu(u)
        if not np.all(np.isfinite(gu)):
            return None
        tangent = np.linalg.svd(gu)[2][-1]
        return tangent if tangent @ previous >= 0 else -tangent

    def correct(self, base, direction, s, iterations=10):
        """Newton on :math:`G(u) = 0,\\ d^\\top(u - u_b) = s` from the predictor
        :math:`u_b + s d` (pseudo-arclength); returns ``(u, iterations)`` or ``None``."""
        u = base + s * direction
        for k in range(1, iterations + 1):
            with np.errstate(all="ignore"):
                g = np.append(self.G(u), direction @ (u - base) - s)
                a = np.vstack([self.Gu(u), direction])
            if not (np.all(np.isfinite(g)) and np.all(np.isfinite(a))):
                return None
            step = _solve(a, -g)
            u = u + step
            if np.max(np.abs(step)) <= _STEP_TOL * (1 + np.max(np.abs(u))):
                return u, k
        return None

    def at(self, z, q):
        """The steady state at fixed ``q`` near ``z`` (natural continuation)."""
        return self.system.newton(z, self.p(q))


@dataclass
class _Trace:
    """One traced half-branch: points, tangents and the step from each point to the next."""

    points: list
    tangents: list
    steps: list
    end: str


def _trace(curve: _Curve, u0, t0, dq: float, max_steps: int) -> _Trace:
    """Follow the curve from ``u0`` along the unit tangent ``t0`` until it leaves
    :math:`0 \\le q \\le 1`.

    Steps are at most ``4 dq`` long in the scaled arclength and move :math:`q` by at most
    ``dq``; they grow by 1.5 after quick corrector convergence and halve after failure.
    """
    trace = _Trace([u0], [t0], [], "")
    if t0 is None:
        trace.end = "non-finite Jacobian"
        return trace
    if (u0[-1] <= 0 and t0[-1] < 0) or (u0[-1] >= 1 and t0[-1] > 0):
        trace.end = "end of range"
        return trace
    h, h_max, h_min = dq, 4 * dq, 1e-9 * dq
    for _ in range(max_steps):
        u, tan = trace.points[-1], trace.tangents[-1]
        h = min(h, h_max, dq / max(abs(tan[-1]), 1e-300))
        # land on the end of the range rather than overshoot it
        q_next = u[-1] + h * tan[-1]
        if q_next > 1 or q_next < 0:
            h = min(h, (1.0 - u[-1] if q_next > 1 else -u[-1]) / tan[-1])
        result = curve.correct(u, tan, h) if h > h_min else None
        if result is None:
            if h <= h_min:
                trace.end = "step size underflow (the curve may end or be singular here)"
                return trace
            h /= 2
            continue
        new, iterations = result
        if not curve.system.admissible(new[:-1]):
            if h > 1e-6 * dq:  # close in on where the branch leaves the admissible region
                h /= 2
                continue
            trace.end = "a non-negative state would become negative"
            return trace
        new_tan = curve.tangent(new, tan)
        if new_tan is None:
            trace.end = "non-finite Jacobian"
            return trace
        trace.points.append(new)
        trace.tangents.append(new_tan)
        trace.steps.append(h)
        if new[-1] >= 1 - 1e-12 or new[-1] <= 1e-12:
            q_end = 1.0 if new[-1] >= 0.5 else 0.0
            exact = curve.at(new[:-1], q_end)
            if exact is not None and np.linalg.norm(np.append(exact, q_end) - new) < 0.5 * h:
                new[:-1], new[-1] = exact, q_end  # the branch's point at the range's end
            trace.end = "end of range"
            return trace
        if iterations <= 3:
            h *= 1.5
        elif iterations >= 6:
            h /= 2
    trace.end = "maximum number of steps"
    return trace


def _branch_trace(curve: _Curve, z0, q0, dq, max_steps) -> tuple[_Trace, str]:
    """Trace both ways from a steady state at ``q0``; the joined trace and why its first
    point ends it."""
    u0 = np.append(z0, q0)
    up = np.zeros_like(u0)
    up[-1] = 1.0
    t0 = curve.tangent(u0, up)  # towards growing q (either way at a fold)
    ahead = _trace(curve, u0, t0, dq, max_steps)
    back = _trace(curve, u0, None if t0 is None else -t0, dq, max_steps)
    points = back.points[::-1] + ahead.points[1:]
    tangents = [-d for d in back.tangents[::-1]] + ahead.tangents[1:]
    steps = back.steps[::-1] + ahead.steps
    return _Trace(points, tangents, steps, ahead.end), back.end


def _covers(curve: _Curve, trace: _Trace, z, q) -> bool:
    """Whether the traced curve passes through the steady state ``(z, q)``."""
    pts = np.array(trace.points)
    target = np.append(z, q)
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        chord = b - a
        length = float(np.linalg.norm(chord))
        if length == 0:
            continue
        along = float(np.clip((target - a) @ chord / length**2, 0.0, 1.0))
        if np.linalg.norm(a + along * chord - target) <= 0.1 * length + 1e-9:
            return True
        if (a[-1] - q) * (b[-1] - q) <= 0 and a[-1] != b[-1]:
            guess = a[:-1] + (q - a[-1]) / (b[-1] - a[-1]) * chord[:-1]
            exact = curve.at(guess, q)
            if exact is not None and _same(exact, z):
                return True
    return len(pts) == 1 and _same(pts[0][:-1], z) and abs(pts[0][-1] - q) < 1e-12


def _first_lyapunov(system: _System, z, p, omega: float) -> float:
    """First Lyapunov coefficient at a Hopf point (Kuznetsov 2004, eq. 3.20).

    .. math::

        \\ell_1 = \\frac{1}{2\\omega} \\operatorname{Re}\\big[
            \\langle p, C(q, q, \\bar q)\\rangle
            - 2 \\langle p, B(q, A^{-1} B(q, \\bar q))\\rangle
            + \\langle p, B(\\bar q, (2 i\\omega I - A)^{-1} B(q, q))\\rangle \\big]

    with :math:`A q = i\\omega q`, :math:`A^\\top p = -i\\omega p`,
    :math:`\\langle p, q\\rangle = \\bar p^\\top q = 1`, :math:`|q| = 1`, for the
    vector field restricted to the conservation class, in scaled states. :math:`B` and
    :math:`C` (second and third derivatives) are central differences of the analytic
    Jacobian.
    """
    basis = system.Q

    def jac(w):
        return basis.T @ system.Fz(z + basis @ w, p) @ basis

    a = jac(np.zeros(basis.shape[1]))
    lam, right = np.linalg.eig(a)
    q = right[:, np.argmin(np.abs(lam - 1j * omega))]
    lam_left, left = np.linalg.eig(a.T)
    pv = left[:, np.argmin(np.abs(lam_left + 1j * omega))]
    q = q / np.linalg.norm(q)
    pv = pv / np.conj(np.vdot(pv, q))
    h = 1e-3 * (1 + np.max(np.abs(z)))

    def b_real(x, y):
        return (jac(h * x) - jac(-h * x)) @ y / (2 * h)

    def c_real(x, y, v):
        return (
            (jac(h * (x + y)) - jac(h * (x - y)) - jac(h * (y - x)) + jac(-h * (x + y)))
            @ v
            / (4 * h**2)
        )

    def extend(form, *vectors):
        """A real multilinear form evaluated on complex vectors, by linearity."""
        out = 0j
        for parts in np.ndindex(*(2,) * len(vectors)):
            factor = 1 + 0j
            args = []
            for vec, part in zip(vectors, parts, strict=True):
                args.append(vec.imag if part else vec.real)
                factor *= 1j if part else 1
            out = out + factor * form(*args)
        return out

    def bb(x, y):
        return extend(b_real, x, y)

    qc = np.conj(q)
    term_c = np.vdot(pv, extend(c_real, q, q, qc))
    term_b1 = np.vdot(pv, bb(q, np.linalg.solve(a, bb(q, qc))))
    eye = np.eye(a.shape[0])
    term_b2 = np.vdot(pv, bb(qc, np.linalg.solve(2j * omega * eye - a, bb(q, q))))
    return float((term_c - 2 * term_b1 + term_b2).real / (2 * omega))


def _hopf_test(lam) -> float:
    """:math:`\\prod_{i<j} (\\lambda_i + \\lambda_j)/(|\\lambda_i| + |\\lambda_j|)`: real,
    continuous, and zero when a pair sums to zero (:math:`\\pm i\\omega`, or a neutral
    saddle :math:`\\pm\\mu`)."""
    i, j = np.triu_indices(len(lam), 1)
    terms = (lam[i] + lam[j]) / np.maximum(np.abs(lam[i]) + np.abs(lam[j]), 1e-300)
    return float(np.prod(terms).real)


def _fold_test(curve: _Curve, u) -> float:
    sign, logdet = np.linalg.slogdet(curve.system.reduced(u[:-1], curve.p(u[-1])))
    return float(sign * math.exp(min(logdet, 700.0)))


def _locate(curve, trace, k, test, h):
    """Root of ``test`` along step ``k`` (``s`` in [0, h]) by Brent's method."""

    def along(s):
        if s <= 0:
            return test(trace.points[k])
        result = curve.correct(trace.points[k], trace.tangents[k], s)
        if result is None:
            raise _LocateFailed
        return test(result[0])

    try:
        s = brentq(along, 0.0, h, xtol=1e-13 * h, rtol=4 * np.finfo(float).eps)
        u = trace.points[k] if s <= 0 else curve.correct(trace.points[k], trace.tangents[k], s)[0]
        return u, True
    except (_LocateFailed, ValueError, RuntimeError):
        a, b = test(trace.points[k]), test(trace.points[k + 1])
        w = a / (a - b) if a != b else 0.5
        return (1 - w) * trace.points[k] + w * trace.points[k + 1], False


class _LocateFailed(Exception):
    pass


def _sign_changes(values) -> list[tuple[int, int]]:
    """Index pairs ``(a, b)`` of the nearest non-zero values on either side of each sign
    change: ``b = a + 1`` for a change within a step, ``b > a + 1`` around exact zeros."""
    signs = np.sign(values)
    nonzero = np.flatnonzero(signs != 0)
    return [
        (int(a), int(b))
        for a, b in zip(nonzero[:-1], nonzero[1:], strict=True)
        if signs[a] != signs[b]
    ]


def _events(curve: _Curve, trace: _Trace):
    """Folds, branch points and Hopf points between consecutive points of ``trace``."""
    system = curve.system

    def hopf_test(u):
        return _hopf_test(system.eigenvalues(u[:-1], curve.p(u[-1])))

    def fold_test(u):
        return _fold_test(curve, u)

    def where(test, a, b):
        if b == a + 1:
            return _locate(curve, trace, a, test, trace.steps[a])
        return trace.points[(a + b) // 2], True  # the test is exactly zero at a point

    found = []
    for a, b in _sign_changes([fold_test(u) for u in trace.points]):
        u, refined = where(fold_test, a, b)
        turns = trace.tangents[a][-1] * trace.tangents[b][-1] < 0
        found.append(("fold" if turns else "branch point", u, refined, math.nan))
    if system.Q.shape[1] < 2:
        return found
    for a, b in _sign_changes([hopf_test(u) for u in trace.points]):
        u, refined = where(hopf_test, a, b)
        lam = system.eigenvalues(u[:-1], curve.p(u[-1]))
        pair = lam[np.argmin(np.abs(lam.real))]
        scale = max(float(np.max(np.abs(lam))), 1e-300)
        if abs(pair.imag) > 1e-6 * scale and abs(pair.real) <= 1e-6 * abs(pair.imag):
            found.append(("hopf", u, refined, abs(float(pair.imag))))
        # otherwise a neutral saddle (a real pair +-mu): not a bifurcation
    return found


def _scan_values(model: Model, parameter: str, values) -> np.ndarray:
    if parameter not in model.parameters:
        raise UnknownNameError("parameter", parameter, model.parameters)
    spec = model.parameters[parameter]
    if hasattr(values, "to") and hasattr(values, "magnitude"):  # a pint quantity array
        values = [values[i] for i in range(len(values))]
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        raise ParameterValueError(
            f"scan values of {parameter!r} must be a sequence of numbers in {spec.unit}, "
            f"got {values!r}"
        )
    grid = np.array([spec.validate(v) for v in values], dtype=float)
    if grid.size < 2:
        raise ParameterValueError(
            f"scan of {parameter!r} needs at least two values in its allowed range "
            f"[{spec.bounds[0]:g}, {spec.bounds[1]:g}] {spec.unit}; got {grid.size}"
        )
    steps = np.diff(grid)
    if not (np.all(steps > 0) or np.all(steps < 0)):
        raise ParameterValueError(
            f"scan values of {parameter!r} must be strictly increasing or strictly "
            f"decreasing; got {grid.tolist()[:6]}{' ...' if grid.size > 6 else ''}"
        )
    return grid


def _probe(model, curve, z, q, critical: complex, params):
    """Simulate at ``q`` from next to the steady state near ``z`` and measure the cycle.

    The start is that steady state kicked by ``1e-3`` (relative) along the eigenvector
    whose eigenvalue is nearest ``critical``, or, where no steady state is near (the empty
    side of a fold), ``z`` itself kicked the same way.
    """
    from follicle.simulate import simulate

    system = curve.system
    value = curve.value(q)
    spec = model.parameters[model.parameter_names[curve.index]]
    if not spec.bounds[0] <= value <= spec.bounds[1]:
        return None
    near = curve.at(z, q)
    base = z if near is None else near
    p = curve.p(q)
    lam, vec = np.linalg.eig(system.reduced(base, p))
    if not np.all(np.isfinite(lam)):
        return None
    c = int(np.argmin(np.abs(lam - critical)))
    direction = system.Q @ vec[:, c].real
    direction /= max(np.max(np.abs(direction)), 1e-300)
    kick = 1e-3 * (1 + np.max(np.abs(base))) * direction
    start = base + kick if system.admissible(base + kick) else base - kick
    start = np.where(system.nonneg, np.maximum(start, 0.0), start)
    # time scales: the critical oscillation, else the slowest mode that is not critical
    moduli = np.abs(lam)
    slow = float(np.min(moduli[moduli > 1e-6 * np.max(moduli)], initial=np.max(moduli)))
    if slow == 0:  # every eigenvalue zero: take the time scale of the flow itself
        slow = max(float(np.max(np.abs(system.F(base, p)))) / (1 + np.max(np.abs(base))), 1e-12)
    omega, rate = abs(float(lam[c].imag)), abs(float(lam[c].real))
    if omega > 1e-6 * np.max(moduli):
        period = 2 * math.pi / omega
        days = min(max(40 * period, 20.0 / max(rate, 1e-300)), 2000 * period)
    else:
        period = 1.0 / slow
        days = 40 * period
    days = min(days, limits.limit("span"))  # a probe at a fold (rate -> 0) waits no longer
    overrides = dict(params) | {spec.name: value}
    initial = dict(zip(model.state_names, map(float, system.sigma * start), strict=True))
    for _ in range(4):
        t_eval = np.linspace(0.0, days, int(min(max(100 * days / period, 2000), 400_000)) + 1)
        try:
            with np.errstate(all="ignore"):  # a run may blow up: that is an answer here
                run = simulate(
                    model,
                    days=days,
                    t_eval=t_eval,
                    params=overrides,
                    initial=initial,
                    method="LSODA",
                    rtol=1e-8,
                )
        except SolverError as exc:  # e.g. a state running off to infinity
            nothing = np.full(system.n, math.nan)
            return Cycle(
                False,
                math.nan,
                model.state_names,
                nothing,
                nothing,
                "",
                (0.0, days),
                tuple(zip(model.parameter_names, map(float, p), strict=True)),
                note=f"the simulation failed: {exc}",
            )
        cycle = _measure(run, model, days * 2 / 3, run.parameters)
        swing = (cycle.maximum - cycle.minimum) / system.sigma
        if cycle.oscillating or not np.any(swing > 1e-3):
            return cycle
        # still swinging, but too few periods in the window (a slow relaxation cycle):
        # go on from where the run ended, for longer
        initial = dict(
            zip(model.state_names, (float(run[n][-1]) for n in model.state_names), strict=True)
        )
        days *= 4
    return cycle


def scan(
    model: Model,
    parameter: str,
    values,
    *,
    params: Mapping | None = None,
    initial: Mapping | None = None,
    time=None,
    starts=20,
    seed=0,
    search_points: int = 3,
    cycles: bool = True,
    cycle_offset=None,
    max_steps: int | None = None,
) -> Scan:
    """Follow the steady states of ``model`` through ``parameter`` and find bifurcations.

    1. **Starting points.** :func:`steady_states` (``starts``, ``seed``) at
       ``search_points`` grid values spread over ``values`` (its ends included).
    2. **Continuation.** From each steady state not already on a traced branch, the curve
       :math:`G(z, q) = 0` (scaled states :math:`z`, scaled parameter
       :math:`q \\in [0, 1]` over the range of ``values``) is followed both ways by
       pseudo-arclength continuation: predictor :math:`u_k + h\\,\\dot u_k` along the unit
       tangent :math:`\\dot u_k` (null vector of :math:`G_u`), corrector Newton on
       :math:`G(u) = 0,\\ \\dot u_k^\\top (u - u_k) = h`. Unlike natural continuation
       (the parameter stepped, the previous solution as guess) it passes folds, where the
       branch turns back. The parameter derivative :math:`\\partial f/\\partial p` is a
       central difference; the state Jacobian is the model's analytic one. A step moves
       the parameter by at most the grid spacing of ``values``; a branch ends where it
       leaves the range, or where a non-negative state would turn negative.
    3. **Detection.** Between consecutive points, a sign change of
       :math:`\\det J_r` (:math:`J_r` the Jacobian restricted to the conservation class)
       means a real eigenvalue crossed zero: a **fold** if :math:`dq/ds` changes sign
       there too (the branch turns), else a **branch point**. A sign change of the Hopf
       test function :math:`\\prod_{i<j}(\\lambda_i + \\lambda_j)` means a pair with
       :math:`\\lambda_i + \\lambda_j = 0` crossed: a **Hopf point** when that pair is
       complex, :math:`\\pm i\\omega` (a real pair :math:`\\pm\\mu` is a neutral saddle
       and is ignored).
    4. **Location.** Each crossing is refined by Brent's method (:func:`scipy.optimize.brentq`)
       on the arclength within the bracketing step, every evaluation a corrected point on
       the curve; to about ``1e-13`` of the step. At a Hopf point the first Lyapunov
       coefficient :math:`\\ell_1` (Kuznetsov's formula, derivatives by central
       differences of the analytic Jacobian) tells a supercritical point
       (:math:`\\ell_1 < 0`) from a subcritical one (:math:`\\ell_1 > 0`); its sign is
       what matters, its size depends on the eigenvector normalisation
       (:math:`|q| = 1` in scaled states).
    5. **Cycles.** For each Hopf point or fold at :math:`p_*`, the model is simulated
       (:func:`follicle.simulate`, LSODA, ``rtol=1e-8``) at :math:`p_* \\mp \\delta`
       from the steady state there kicked by ``1e-3`` (relative) along the critical
       eigenvector (from the fold's own state on the side of a fold with no steady state
       near), for at least 40 periods :math:`2\\pi/\\omega` and 20 decay times
       :math:`1/|\\operatorname{Re}\\lambda|` at a Hopf point (40 times the slowest
       other time scale at a fold), then measured as in :func:`find_cycle` over the last
       third; a run still swinging with too few periods in that window is continued, up
       to three times, each four times longer. A supercritical Hopf shows a cycle on its
       unstable side only, of amplitude :math:`\\propto\\sqrt{|p - p_*|}`; at a
       subcritical one the kicked unstable side jumps to a distant attractor (a large
       cycle, if any). A fold on a cycle (saddle-node on invariant circle) shows a cycle
       of long period on the side without steady states, none on the other.

    Parameters
    ----------
    model : Model
    parameter : str
        The parameter to scan.
    values : sequence of float, str or pint.Quantity
        At least two values, strictly monotone, each within the parameter's allowed
        range. Their ends bound the scan; their spacing bounds the continuation step.
    params : mapping, optional
        Overrides of the other parameters.
    initial : mapping, optional
        Initial-state overrides (a start of the search; fixes conserved totals).
    time : optional
        Frozen time for a model whose rates depend on time (see :func:`steady_states`);
        cycles are not simulated for such models, since simulation cannot freeze time.
    starts, seed
        As :func:`steady_states`, used at each search point.
    search_points : int, default 3
        At how many grid values (evenly spread, ends included) to search for branches.
    cycles : bool, default True
        Whether to simulate the cycles on either side of each Hopf point.
    cycle_offset : float, optional
        :math:`\\delta`, in the parameter's unit; default 2% of the scanned range.
    max_steps : int, optional
        Continuation steps per direction per branch (default ``50 * len(values) + 500``).

    Returns
    -------
    Scan

    Raises
    ------
    UnknownNameError
        ``parameter`` is not a parameter of the model.
    ParameterValueError
        Fewer than two values, non-monotone values, a value out of range, ``parameter``
        also given in ``params``.
    AnalysisError
        The model depends on time and no ``time`` was given; no steady state was found at
        any search point.

    Notes
    -----
    Events closer together than a continuation step can cancel and be missed; a finer
    grid resolves them. Branches not connected (within the range) to a steady state found
    at a search point are not traced; more search points or starts find more. Cycles are
    measured, not continued: a cycle that coexists with a stable steady state (e.g.
    beyond a subcritical Hopf) is seen only when a probe reaches it.
    """
    _check_model(model)
    grid = _scan_values(model, parameter, values)
    params = dict(params or {})
    if parameter in params:
        raise ParameterValueError(
            f"parameter {parameter!r} is scanned, so it cannot also be set in params "
            f"(got {params[parameter]!r}); remove it from params"
        )
    frozen, reported = _frozen_time(model, time)
    if not (isinstance(search_points, int) and search_points >= 1):
        raise ParameterValueError(f"search_points must be an integer >= 1, got {search_points!r}")
    p0 = model.parameter_vector(params)
    index = model.parameter_names.index(parameter)
    spec = model.parameters[parameter]
    y0 = model.initial_vector(initial)
    rng = _rng(seed)
    v0, v1 = float(grid[0]), float(grid[-1])
    system = _System(model, p0, frozen, y0, rng, vary=(index, min(v0, v1), max(v0, v1)))
    if system.Q.shape[1] == 0:
        raise AnalysisError(f"every state of model {model.name!r} is conserved")
    curve = _Curve(system, index, v0, v1)
    dq = float(np.max(np.abs(np.diff(grid)))) / abs(v1 - v0)
    max_steps = 50 * grid.size + 500 if max_steps is None else int(max_steps)

    traces: list[tuple[_Trace, str]] = []
    found_any = False
    for g in sorted(set(np.linspace(0, grid.size - 1, search_points).round().astype(int))):
        q = (grid[g] - v0) / (v1 - v0)
        points = _starting_points(system, starts, y0 / system.sigma, rng)
        for z in _roots(system, points, curve.p(q)):
            found_any = True
            if any(_covers(curve, tr, z, q) for tr, _ in traces):
                continue
            traces.append(_branch_trace(curve, z, q, dq, max_steps))
    if not found_any:
        raise AnalysisError(
            f"no steady state of model {model.name!r} found at any of {search_points} "
            f"search points of {parameter!r} in [{min(v0, v1):g}, {max(v0, v1):g}] "
            f"{spec.unit}; try more starts, more search_points, or starts near a guess"
        )

    offset = (
        0.02 * abs(v1 - v0)
        if cycle_offset is None
        else as_magnitude(cycle_offset, spec.unit, what="cycle_offset")
    )
    if not offset > 0:
        raise ParameterValueError(f"cycle_offset must be > 0, got {offset:g} {spec.unit}")
    branches, bifurcations = [], []
    names = model.state_names
    for b, (trace, first_end) in enumerate(traces):
        pts = np.array(trace.points)
        lam = [system.eigenvalues(u[:-1], curve.p(u[-1])) for u in pts]
        branches.append(
            Branch(
                parameter=np.array([curve.value(u[-1]) for u in pts]),
                values=pts[:, :-1] * system.sigma,
                eigenvalues=np.array(lam).reshape(len(pts), -1),
                stability=tuple(classify(x) for x in lam),
                names=names,
                ends=(first_end, trace.end),
            )
        )
        for kind, u, refined, omega in _events(curve, trace):
            z, q = u[:-1], float(u[-1])
            below = above = None
            if kind in ("hopf", "fold") and cycles and not _time_dependent(model):
                dq_probe = offset / abs(v1 - v0)
                critical = 1j * omega if kind == "hopf" else 0.0
                probes = [
                    _probe(model, curve, z, q + side * dq_probe, critical, params)
                    for side in (-1.0, 1.0)
                ]
                # q runs against the parameter when the values decrease
                below, above = probes if v1 > v0 else probes[::-1]
            bifurcations.append(
                Bifurcation(
                    kind=kind,
                    parameter=parameter,
                    value=curve.value(q),
                    names=names,
                    state=z * system.sigma,
                    eigenvalues=system.eigenvalues(z, curve.p(q)),
                    branch=b,
                    frequency=omega,
                    lyapunov=(
                        _first_lyapunov(system, z, curve.p(q), omega)
                        if kind == "hopf"
                        else math.nan
                    ),
                    below=below,
                    above=above,
                    offset=offset if kind in ("hopf", "fold") else math.nan,
                    refined=refined,
                )
            )
    bifurcations = _distinct(bifurcations)
    return Scan(
        model_name=model.name,
        parameter=parameter,
        unit=spec.unit,
        values=grid,
        branches=tuple(branches),
        bifurcations=tuple(sorted(bifurcations, key=lambda x: x.value)),
        parameters=tuple(
            (n, float(v)) for n, v in zip(model.parameter_names, p0, strict=True) if n != parameter
        ),
        time=reported,
        conservation=system.laws(),
    )


def _distinct(found: list[Bifurcation]) -> list[Bifurcation]:
    """Drop repeats of one bifurcation met on two traces."""
    out: list[Bifurcation] = []
    for b in found:
        if not any(
            o.kind == b.kind
            and abs(o.value - b.value) <= 1e-8 * (1 + abs(b.value))
            and _same(o.state, b.state)
            for o in out
        ):
            out.append(b)
    return out
