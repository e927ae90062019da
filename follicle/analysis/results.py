"""What the analysis returns: immutable results (steady states, cycles, branches,
bifurcations, scans) and the stability label of a set of eigenvalues."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from follicle.errors import (
    UnknownNameError,
)

#: Eigenvalues with a real (imaginary) part below this, relative to the largest modulus,
#: count as zero.
_EIG_TOL = 1e-9


class ReadOnly:
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
class SteadyState(ReadOnly):
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
class Cycle(ReadOnly):
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
class Branch(ReadOnly):
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
class Bifurcation(ReadOnly):
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
class Scan(ReadOnly):
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
