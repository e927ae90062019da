"""Uncertainty: profile likelihood, identifiability, and the Fisher-information comparison.

The profile of parameter :math:`\\theta_i` is the best cost with :math:`\\theta_i` held
fixed, :math:`PL(\\theta_i) = \\min_{\\theta_{-i}} c(\\theta)`. With :math:`c` the negative
log-likelihood up to a constant, the likelihood-ratio confidence interval at level
:math:`\\alpha` is

.. math:: \\{\\theta_i : 2\\,(PL(\\theta_i) - c^*) \\le \\chi^2_{1,\\alpha}\\},

(Raue et al. 2009, *Bioinformatics* 25:1923). Walking away from the optimum on each side
until :math:`2\\Delta c` exceeds the threshold or the bound is reached classifies the
parameter:

* **identifiable**: the profile crosses the threshold on both sides;
* **practically non-identifiable**: it rises but stays below the threshold on at least one
  side up to the bound (the data leave the interval open);
* **structurally non-identifiable**: it is flat, :math:`2\\Delta c` below ``flat`` over a
  wide range on both sides of the optimum (the other parameters compensate exactly; e.g.
  only a product matters), whatever bounds on the others do far away.

:func:`fisher` gives the local, quadratic approximation for comparison: with the residual
Jacobian :math:`J` at the optimum, :math:`F = J^\\top J`, the covariance is :math:`F^{-1}`
and the Wald interval is :math:`\\hat\\theta_i \\pm z_\\alpha \\sqrt{(F^{-1})_{ii}}`; a
(near-)zero eigenvalue of :math:`F` signals a structurally non-identifiable direction.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import chi2, norm

from follicle.errors import DataError, FollicleError
from follicle.executors import map_ordered
from follicle.fitting.lockstep import map_together

__all__ = ["IDENTIFIABLE", "PRACTICAL", "STRUCTURAL", "Fisher", "Profile", "fisher", "profile"]

IDENTIFIABLE = "identifiable"
PRACTICAL = "practically non-identifiable"
STRUCTURAL = "structurally non-identifiable"


@dataclass(frozen=True)
class Profile:
    """The likelihood profile of one parameter.

    Attributes
    ----------
    parameter : str
    theta : ndarray
        Log-space values visited, increasing.
    cost : ndarray
        Profile cost :math:`PL` at each value.
    best_theta, best_cost : float
        The optimum the profile started from.
    threshold : float
        :math:`\\chi^2_{1,\\alpha}`; the interval is where :math:`2(PL - c^*)` stays below.
    level : float
    interval : (float, float)
        Confidence interval in natural units; an end that the profile does not reach within
        the bounds is the bound itself (the interval is open there).
    closed : (bool, bool)
        Whether each end was reached (the profile crossed the threshold on that side).
    classification : str
        :data:`IDENTIFIABLE`, :data:`PRACTICAL` or :data:`STRUCTURAL`.
    """

    parameter: str
    theta: np.ndarray
    cost: np.ndarray
    best_theta: float
    best_cost: float
    threshold: float
    level: float
    interval: tuple[float, float]
    closed: tuple[bool, bool]
    classification: str

    @property
    def value(self) -> float:
        """The best value in natural units."""
        return math.exp(self.best_theta)


def _walk(theta_hat, cost_hat, threshold, max_steps, options, problem, item):
    """One side of a profile, ``item = (i, first, direction)``: from the optimum towards
    the lower (``direction = -1``) or upper bound of parameter ``i`` with first step
    ``first`` (module level, so it pickles). Returns the visited ``{theta_i: cost}`` and
    whether the threshold was crossed."""
    i, first, direction = item
    free = [j for j in range(theta_hat.size) if j != i]
    bound = problem.lower[i] if direction < 0 else problem.upper[i]
    visited = {}
    current, step = theta_hat.copy(), first
    last = cost_hat
    for _ in range(max_steps):
        if abs(current[i] - bound) < 1e-12:
            break
        trial = current.copy()
        trial[i] = current[i] + direction * step
        trial[i] = min(max(trial[i], problem.lower[i]), problem.upper[i])
        trial, cost = _fix_and_fit(problem, trial, i, free, options)
        rise = 2 * (cost - last)
        if rise > threshold / 3 and step > 1e-4:  # too coarse: halve and retry
            step /= 2
            continue
        visited[float(trial[i])] = cost
        current, last = trial, cost
        if 2 * (cost - cost_hat) > threshold:
            return visited, True
        if rise < threshold / 20:
            step *= 2
    return visited, False


def _summarise(problem, i, theta_hat, cost_hat, threshold, flat, flat_width, sides):
    """Profile of parameter ``i`` from its two walks ``sides`` (down, then up): the visited
    points in order, the interval, which ends closed, and the classification."""
    visited = {float(theta_hat[i]): cost_hat}
    for points, _ in sides:
        visited.update(points)
    theta = np.array(sorted(visited))
    cost = np.array([visited[x] for x in theta])
    delta = 2 * (cost - cost_hat)
    interval, closed = [], []
    for side, (_, crossed) in zip((-1, 1), sides, strict=True):
        closed.append(crossed)
        if not crossed:
            interval.append(problem.bounds[problem.parameters[i]][0 if side < 0 else 1])
            continue
        # the first crossing going outwards from the optimum, interpolated linearly
        order = np.argsort(side * (theta - theta_hat[i]))
        inner = [k for k in order if side * (theta[k] - theta_hat[i]) >= 0]
        for a, b in zip(inner, inner[1:], strict=False):
            if delta[b] > threshold >= delta[a]:
                frac = (threshold - delta[a]) / (delta[b] - delta[a])
                interval.append(math.exp(theta[a] + frac * (theta[b] - theta[a])))
                break
    if _flat_both_ways(theta, delta, theta_hat[i], flat, flat_width, problem, i):
        label = STRUCTURAL
    elif all(closed):
        label = IDENTIFIABLE
    else:
        label = PRACTICAL
    return theta, cost, tuple(interval), tuple(closed), label


def _flat_both_ways(theta, delta, centre, flat, width, problem, i) -> bool:
    """Whether :math:`2\\Delta c < flat` from the optimum out to ``width`` (log units) on
    each side, or to the bound where that is nearer."""
    for side, bound in ((-1, problem.lower[i]), (1, problem.upper[i])):
        reach = min(width, abs(bound - centre))
        distance = side * (theta - centre)
        inside = (distance >= 0) & (distance <= reach + 1e-12)
        if np.any(delta[inside] >= flat) or not np.any(distance >= reach - 1e-9):
            return False
    return True


def _fix_and_fit(problem, theta, i, free, options):
    """Re-optimise every parameter but ``i`` from ``theta``; return the point and its cost."""
    if not free:
        return theta, problem.cost(theta)

    def full(x):
        point = theta.copy()
        point[free] = x
        return point

    try:
        sol = least_squares(
            lambda x: problem.residuals(full(x)),
            theta[free],
            jac=lambda x: problem.jacobian(full(x))[:, free],
            bounds=(problem.lower[free], problem.upper[free]),
            method="trf",
            **options,
        )
    except FollicleError:
        return theta, math.inf
    return full(sol.x), float(sol.cost)


def profile(
    problem,
    fit,
    parameters=None,
    *,
    level: float = 0.95,
    flat: float = 0.05,
    flat_width: float = 1.0,
    max_steps: int = 40,
    tol: float = 1e-10,
    executor=None,
    progress=None,
) -> dict[str, Profile]:
    """Profile likelihoods of ``parameters`` (default: all estimated) around ``fit``.

    Parameters
    ----------
    problem : Problem
    fit : FitResult
        The optimum (from :func:`~follicle.fitting.estimate`).
    parameters : iterable of str, optional
    level : float
        Confidence level of the intervals, in (0, 1).
    flat, flat_width : float
        A profile whose :math:`2\\Delta c` stays below ``flat`` from the optimum out to
        ``flat_width`` log units (a factor :math:`e`) on both sides, or to the bound where
        nearer, is structurally non-identifiable: an identifiable parameter's profile is
        roughly quadratic and would need an interval about ten times wider to be that flat.
        (Bounds on the compensating parameters can still raise the far ends.)
    tol : float
        ``ftol``, ``xtol`` and ``gtol`` of each re-optimisation.
    max_steps : int
        Most accepted steps per side; the step adapts (doubles when the profile is flat,
        halves when it rises by more than a third of the threshold in one step).
    executor, progress
        As for :func:`~follicle.fitting.estimate`; each side of each profile is one work
        item, and in this process (``executor=None``) all of them walk side by side.

    Returns
    -------
    dict of str to Profile

    Raises
    ------
    DataError
        A level outside (0, 1) or a parameter that is not estimated.
    """
    if not 0 < level < 1:
        raise DataError(f"confidence level must be in (0, 1), got {level!r}")
    names = list(parameters or problem.parameters)
    for name in names:
        if name not in problem.parameters:
            raise DataError(
                f"{name!r} is not an estimated parameter of the problem; "
                f"estimated: {', '.join(problem.parameters)}"
            )
    threshold = float(chi2.ppf(level, df=1))
    options = dict(ftol=tol, xtol=tol, gtol=tol, max_nfev=100, x_scale="jac")
    theta_hat = np.asarray(fit.theta)
    walk = functools.partial(_walk, theta_hat, fit.cost, threshold, max_steps, options)
    index = [problem.parameters.index(n) for n in names]
    # First step: the Fisher standard error (where the profile should have risen by about
    # 1), kept between 1e-3 and a twentieth of the log-space range.
    se = np.sqrt(np.maximum(np.diag(fisher(problem, fit).covariance), 0))
    width = problem.upper - problem.lower
    items = [
        (i, float(np.clip(se[i], 1e-3, 0.05 * width[i])), direction)
        for i in index
        for direction in (-1.0, 1.0)
    ]
    if executor is None:  # in this process: every walk side by side, points batched
        sides = map_together(problem, walk, items)
    else:
        sides = map_ordered(
            functools.partial(walk, problem),
            items,
            executor=executor,
            progress=progress,
            desc="profile walks",
        )
    results = [
        _summarise(
            problem, i, theta_hat, fit.cost, threshold, flat, flat_width, sides[2 * k : 2 * k + 2]
        )
        for k, i in enumerate(index)
    ]
    return {
        name: Profile(
            name,
            theta,
            cost,
            float(fit.theta[i]),
            fit.cost,
            threshold,
            level,
            interval,
            closed,
            label,
        )
        for name, i, (theta, cost, interval, closed, label) in zip(
            names, index, results, strict=True
        )
    }


@dataclass(frozen=True)
class Fisher:
    """The Fisher-information (Laplace) approximation at an optimum.

    Attributes
    ----------
    parameters : tuple of str
    information : ndarray
        :math:`F = J^\\top J` in log space.
    covariance : ndarray
        Pseudo-inverse of :math:`F`.
    eigenvalues : ndarray
        Of :math:`F`, ascending; near-zero ones mark non-identifiable directions.
    intervals : dict of str to (float, float)
        Wald intervals in natural units, :math:`\\exp(\\hat\\theta \\pm z\\,se)`.
    """

    parameters: tuple[str, ...]
    information: np.ndarray
    covariance: np.ndarray
    eigenvalues: np.ndarray
    intervals: dict

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of :math:`\\ln p` (approximately the relative error of p)."""
        return dict(zip(self.parameters, np.sqrt(np.diag(self.covariance)), strict=True))


def fisher(problem, fit, *, level: float = 0.95) -> Fisher:
    """The Fisher-information approximation at ``fit`` (see the module notes)."""
    J = problem.jacobian(np.asarray(fit.theta))
    F = J.T @ J
    cov = np.linalg.pinv(F, rcond=1e-12, hermitian=True)
    z = float(norm.ppf(0.5 + level / 2))
    se = np.sqrt(np.maximum(np.diag(cov), 0))
    intervals = {
        n: (math.exp(t - z * s), math.exp(t + z * s))
        for n, t, s in zip(problem.parameters, fit.theta, se, strict=True)
    }
    return Fisher(problem.parameters, F, cov, np.linalg.eigvalsh(F), intervals)
