"""Steady states: a seeded multi-start Newton search in the conservation class of the
initial state, each root with its eigenvalues and stability label."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.optimize import root

from follicle.analysis.results import SteadyStates
from follicle.analysis.system import ACCEPT_TOL, System, check_model, frozen_time, same_state
from follicle.errors import (
    AnalysisError,
    ParameterValueError,
)
from follicle.model import Model


def generator(seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def starting_points(system: System, starts, z_initial, rng) -> np.ndarray:
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


def newton_roots(system: System, points: np.ndarray, p=None) -> list[np.ndarray]:
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
            if z is None or not system.admissible(z) or system.step_left(z, p) > ACCEPT_TOL:
                continue
            if not any(same_state(z, other) for other in found):
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
    check_model(model)
    frozen, reported = frozen_time(model, time)
    p = model.parameter_vector(params)
    y0 = model.initial_vector(initial, p)
    rng = generator(seed)
    system = System(model, p, frozen, y0, rng)
    if system.Q.shape[1] == 0:
        raise AnalysisError(
            f"every state of model {model.name!r} is conserved: every state is a steady state"
        )
    points = starting_points(system, starts, y0 / system.sigma, rng)
    roots = newton_roots(system, points)
    return SteadyStates(
        states=tuple(system.steady_state(z) for z in roots),
        model_name=model.name,
        parameters=tuple(zip(model.parameter_names, map(float, p), strict=True)),
        time=reported,
        conservation=system.laws(),
        starts=len(points),
    )
