"""One-parameter bifurcation scans: steady-state branches followed by pseudo-arclength
continuation, with folds and Hopf points located on them (first Lyapunov coefficient)
and the cycles on either side of each Hopf point measured by simulation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.optimize import brentq

from follicle import limits
from follicle.analysis.cycles import measure_cycle
from follicle.analysis.results import Bifurcation, Branch, Cycle, Scan, classify
from follicle.analysis.steady import generator, newton_roots, starting_points
from follicle.analysis.system import (
    STEP_TOL,
    System,
    check_model,
    frozen_time,
    same_state,
    solve_linear,
    time_dependent,
)
from follicle.errors import (
    AnalysisError,
    ParameterValueError,
    SolverError,
    UnknownNameError,
)
from follicle.model import Model
from follicle.units import as_magnitude


class _Curve:
    """The steady-state curve :math:`G(z, q) = 0` in :math:`u = (z, q)`, where
    :math:`q = (p_j - v_0)/(v_1 - v_0)` maps the scanned range onto [0, 1]."""

    def __init__(self, system: System, index: int, v0: float, v1: float):
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
            step = solve_linear(a, -g)
            u = u + step
            if np.max(np.abs(step)) <= STEP_TOL * (1 + np.max(np.abs(u))):
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
        # within a shortest step of an end: no step could land nearer, so it ends there
        if new[-1] >= 1 - h_min or new[-1] <= h_min:
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
            if exact is not None and same_state(exact, z):
                return True
    return len(pts) == 1 and same_state(pts[0][:-1], z) and abs(pts[0][-1] - q) < 1e-12


def _first_lyapunov(system: System, z, p, omega: float) -> float:
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
        cycle = measure_cycle(run, model, days * 2 / 3, run.parameters)
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


def _moving_initial(model: Model, symbol, y0: np.ndarray, initial: Mapping | None):
    """``p -> y0`` with the initial values that are expressions of the scanned parameter
    (``symbol``; not set by ``initial``) evaluated at ``p``; None when there are none."""
    rows = [
        i
        for i, name in enumerate(model.state_names)
        if name not in (initial or {})
        and symbol in model.initial_expressions.get(name, sp.Integer(0)).free_symbols
    ]
    if not rows:
        return None

    def reference(p):
        y = y0.copy()
        y[rows] = model.initial_matrix(p)[rows, 0]
        return y

    return reference


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
        Initial-state overrides (a start of the search; fixes conserved totals). A state
        whose initial value is an expression of ``parameter`` (and not set here) moves
        with it, and the conserved totals it fixes too: each point of a branch is in the
        class a simulation with that parameter value starts in. The totals in
        ``Scan.conservation`` are those at the parameter's value in ``params`` (or the
        model's default).
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
    check_model(model)
    grid = _scan_values(model, parameter, values)
    params = dict(params or {})
    if parameter in params:
        raise ParameterValueError(
            f"parameter {parameter!r} is scanned, so it cannot also be set in params "
            f"(got {params[parameter]!r}); remove it from params"
        )
    frozen, reported = frozen_time(model, time)
    if not (isinstance(search_points, int) and search_points >= 1):
        raise ParameterValueError(f"search_points must be an integer >= 1, got {search_points!r}")
    p0 = model.parameter_vector(params)
    index = model.parameter_names.index(parameter)
    spec = model.parameters[parameter]
    y0 = model.initial_vector(initial, p0)
    rng = generator(seed)
    v0, v1 = float(grid[0]), float(grid[-1])
    system = System(
        model,
        p0,
        frozen,
        y0,
        rng,
        vary=(index, min(v0, v1), max(v0, v1)),
        reference=_moving_initial(model, spec.symbol, y0, initial),
    )
    if system.Q.shape[1] == 0:
        raise AnalysisError(f"every state of model {model.name!r} is conserved")
    curve = _Curve(system, index, v0, v1)
    dq = float(np.max(np.abs(np.diff(grid)))) / abs(v1 - v0)
    max_steps = 50 * grid.size + 500 if max_steps is None else int(max_steps)

    traces: list[tuple[_Trace, str]] = []
    found_any = False
    for g in sorted(set(np.linspace(0, grid.size - 1, search_points).round().astype(int))):
        q = (grid[g] - v0) / (v1 - v0)
        z0 = (y0 if system.reference is None else system.reference(curve.p(q))) / system.sigma
        points = starting_points(system, starts, z0, rng)
        for z in newton_roots(system, points, curve.p(q)):
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
            if kind in ("hopf", "fold") and cycles and not time_dependent(model):
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
            and same_state(o.state, b.state)
            for o in out
        ):
            out.append(b)
    return out
