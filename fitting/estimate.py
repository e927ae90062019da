"""Parameter estimation: multi-start trust-region least squares.

:func:`estimate` minimises :math:`c(\\theta) = \\tfrac12 \\|r(\\theta)\\|^2` of a
:class:`~follicle.fitting.Problem` (or anything with ``residuals``, ``jacobian``,
``lower``, ``upper``, ``parameters`` and ``values``) with
:func:`scipy.optimize.least_squares` (``method="trf"``, a bounded trust-region reflective
method) from many starts. The starts are a seeded Latin hypercube over the log-space box
:math:`[\\ln p_{low}, \\ln p_{high}]`, so they cover every order of magnitude of each
parameter evenly. Each start is one work item of :func:`follicle.executors.map_ordered`,
so a fit runs in a ``concurrent.futures`` pool or on a Dask cluster, with a progress bar
when ``tqdm`` is installed and the session is interactive. In this process the starts run
side by side and their trial points are evaluated in batches
(:mod:`~follicle.fitting.lockstep`).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from follicle.designs import latin_hypercube
from follicle.errors import DataError, FollicleError
from follicle.executors import map_ordered
from follicle.fitting.lockstep import map_together

__all__ = ["FitResult", "Start", "estimate"]


@dataclass(frozen=True)
class Start:
    """The outcome of one local optimisation.

    Attributes
    ----------
    theta0, theta : ndarray
        Start and end in log space.
    cost : float
        :math:`c(\\theta)` at the end (``inf`` if the start failed).
    converged : bool
        The optimiser stopped on a tolerance (``status > 0``), not on the evaluation budget
        or an error.
    status : int
        :func:`scipy.optimize.least_squares` status; ``-10`` if a simulation failed.
    message : str
    nfev : int
    """

    theta0: np.ndarray
    theta: np.ndarray
    cost: float
    converged: bool
    status: int
    message: str
    nfev: int


@dataclass(frozen=True)
class FitResult:
    """Best parameters, cost and every start's outcome of :func:`estimate`.

    Attributes
    ----------
    parameters : tuple of str
    best : dict of str to float
        Best parameter values (natural units).
    theta : ndarray
        Best parameters in log space.
    cost : float
        :math:`c` at the best parameters.
    starts : tuple of Start
        Every start, in the order they were drawn.
    wall_time : float
        Seconds for the whole fit.
    """

    parameters: tuple[str, ...]
    best: dict
    theta: np.ndarray
    cost: float
    starts: tuple[Start, ...]
    wall_time: float

    @property
    def converged(self) -> bool:
        """Whether the best start converged."""
        return self._best_start.converged

    @property
    def _best_start(self) -> Start:
        return min(self.starts, key=lambda s: s.cost)

    @property
    def n_converged(self) -> int:
        return sum(s.converged for s in self.starts)

    def n_at_best(self, tol: float = 1e-3) -> int:
        """Starts that ended within ``tol`` (absolute, in cost) of the best cost: a fit that
        many starts reach is more likely the global optimum."""
        return sum(s.cost - self.cost <= tol for s in self.starts)

    def __repr__(self) -> str:
        values = ", ".join(f"{n}={v:.4g}" for n, v in self.best.items())
        return (
            f"<FitResult cost={self.cost:.6g} ({values}); {self.n_converged}/"
            f"{len(self.starts)} starts converged, {self.n_at_best()} at the best>"
        )


def _local(options, problem, theta0) -> Start:
    """One local least-squares fit from ``theta0`` (module level, so it pickles)."""
    try:
        sol = least_squares(
            problem.residuals,
            theta0,
            jac=problem.jacobian,
            bounds=(problem.lower, problem.upper),
            method="trf",
            **options,
        )
    except FollicleError as exc:  # a simulation failed at some trial point
        return Start(theta0, theta0, np.inf, False, -10, str(exc), 0)
    return Start(
        theta0,
        sol.x,
        float(sol.cost),
        bool(sol.status > 0),
        int(sol.status),
        str(sol.message),
        int(sol.nfev),
    )


def estimate(
    problem,
    *,
    starts: int = 20,
    seed=0,
    x0=None,
    executor=None,
    progress: bool | None = None,
    max_nfev: int = 200,
    ftol: float = 1e-10,
    xtol: float = 1e-10,
    gtol: float = 1e-10,
) -> FitResult:
    """Fit ``problem`` from ``starts`` Latin-hypercube starts (plus ``x0``, if given).

    Parameters
    ----------
    problem : Problem
    starts : int
        Number of Latin-hypercube starts in the log-space bounds.
    seed : int or numpy.random.Generator
        Seeds the hypercube; the same seed gives the same starts.
    x0 : mapping of str to float, optional
        An extra start (e.g. the current defaults), tried first.
    executor : None, concurrent.futures.Executor or dask.distributed.Client
        Where the starts run (see :func:`follicle.executors.map_ordered`). ``None`` runs
        them in this process side by side (:func:`~follicle.fitting.lockstep.map_together`):
        every start takes the steps it would take alone, and the points they ask for at
        the same time are evaluated together (one ensemble for a
        :class:`~follicle.fitting.targets.TargetProblem`).
    progress : bool, optional
        Progress bar over starts (with an executor).
    max_nfev, ftol, xtol, gtol
        Passed to :func:`scipy.optimize.least_squares`.

    Returns
    -------
    FitResult

    Raises
    ------
    DataError
        No starts, or every start failed (the message gives the first failure).
    """
    if not (isinstance(starts, int) and starts >= 0) or (starts == 0 and x0 is None):
        raise DataError(f"starts must be a whole number >= 1 (or 0 with x0), got {starts!r}")
    clock = time.perf_counter()
    # Starts fill the box of log-parameters as a seeded Latin hypercube.
    box = {
        n: (lo, hi)
        for n, lo, hi in zip(problem.parameters, problem.lower, problem.upper, strict=True)
    }
    thetas = list(latin_hypercube(box, starts, seed=seed).values) if starts else []
    if x0 is not None:
        thetas.insert(0, np.clip(problem.theta(x0), problem.lower, problem.upper))
    options = dict(max_nfev=max_nfev, ftol=ftol, xtol=xtol, gtol=gtol, x_scale="jac")
    if executor is None:  # in this process: all starts side by side, their points batched
        outcomes = map_together(problem, functools.partial(_local, options), thetas)
    else:
        outcomes = map_ordered(
            functools.partial(_local, options, problem),
            thetas,
            executor=executor,
            progress=progress,
            desc="fit starts",
        )
    best = min(outcomes, key=lambda s: s.cost)
    if not np.isfinite(best.cost):
        raise DataError(f"every start failed; the first failure: {outcomes[0].message}")
    return FitResult(
        problem.parameters,
        problem.values(best.theta),
        best.theta,
        best.cost,
        tuple(outcomes),
        time.perf_counter() - clock,
    )
