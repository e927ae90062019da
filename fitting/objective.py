"""The calibration problem: weighted residuals of a model against a data set, with gradients.

Parameters are estimated in log space, :math:`\\theta_j = \\ln p_j`, between positive
bounds. For measurement :math:`k` of observable :math:`g` at time :math:`t_k` in its
condition, with simulated value :math:`\\hat y_k(\\theta)`, the residual is

.. math::

    r_k = \\frac{\\hat y_k - y_k}{\\sigma_k} \\quad \\text{(normal)}, \\qquad
    r_k = \\frac{\\ln \\hat y_k - \\ln y_k}{\\sigma_k} \\quad \\text{(log-normal)},

and an optional Gaussian prior :math:`p_j \\sim N(\\mu_j, s_j^2)` adds
:math:`r = (p_j - \\mu_j)/s_j`. The objective is the negative log-likelihood up to a
constant, :math:`c(\\theta) = \\tfrac12 \\sum r^2`.

The Jacobian comes from the forward sensitivities :math:`\\partial \\hat y/\\partial p` of
:mod:`follicle.sensitivities` (derived symbolically, never differenced):

.. math::

    \\frac{\\partial r_k}{\\partial \\theta_j} = \\frac{p_j}{\\sigma_k}
    \\frac{\\partial \\hat y_k}{\\partial p_j} \\quad \\text{(normal)}, \\qquad
    \\frac{\\partial r_k}{\\partial \\theta_j} = \\frac{p_j}{\\sigma_k \\hat y_k}
    \\frac{\\partial \\hat y_k}{\\partial p_j} \\quad \\text{(log-normal)}.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from follicle.errors import DataError, UnknownNameError
from follicle.fitting.data import Dataset
from follicle.sensitivities import simulate_sensitivities

__all__ = ["LogParameters", "Problem"]

#: Simulated values below this are floored before taking logs (log-normal noise).
_TINY = 1e-300


@dataclass(frozen=True)
class _Block:
    """The measurements of one condition, ready to simulate."""

    condition: object
    times: np.ndarray  # unique, increasing output times
    rows: np.ndarray  # residual row of each measurement
    variables: tuple[str, ...]  # observable of each measurement
    time_index: np.ndarray  # index into ``times`` of each measurement
    values: np.ndarray
    noise: np.ndarray
    lognormal: np.ndarray  # bool per measurement


class LogParameters:
    """Estimated parameters in log space, :math:`\\theta = \\ln p`, within positive bounds.

    The part every calibration problem shares: names, bounds, the conversions
    :meth:`values` and :meth:`theta`, and :meth:`cost` from the residuals that a subclass's
    :meth:`evaluate` returns (with their Jacobian, cached for the last ``theta``).
    :func:`~follicle.fitting.estimate` and :func:`~follicle.fitting.profile.profile` need no
    more than this.

    Raises
    ------
    DataError
        No parameters, or bounds that are not positive and finite or leave the declared
        range.
    UnknownNameError
        A parameter the model does not have.
    """

    def __init__(self, model, parameters: Sequence[str], bounds: Mapping | None = None):
        self.model = model
        self.parameters = tuple(parameters)
        if not self.parameters:
            raise DataError("give at least one parameter to estimate")
        for name in self.parameters:
            if name not in model.parameters:
                raise UnknownNameError("parameter", name, model.parameters)
        self.bounds = {n: self._bounds(n, (bounds or {}).get(n)) for n in self.parameters}
        self.lower = np.log([self.bounds[n][0] for n in self.parameters])
        self.upper = np.log([self.bounds[n][1] for n in self.parameters])
        self._last: tuple[bytes, np.ndarray, np.ndarray] | None = None

    def _bounds(self, name, given):
        declared = self.model.parameters[name].bounds
        low, high = given if given is not None else declared
        if low < declared[0] or high > declared[1]:
            raise DataError(
                f"bounds ({low:g}, {high:g}) of {name!r} leave its declared range "
                f"[{declared[0]:g}, {declared[1]:g}] {self.model.parameters[name].unit}"
            )
        if not (0 < low < high < math.inf):
            raise DataError(
                f"parameter {name!r} is estimated in log space and needs bounds "
                f"0 < low < high < inf (unit {self.model.parameters[name].unit}); got "
                f"({low:g}, {high:g}); pass bounds={{{name!r}: (low, high)}}"
            )
        return float(low), float(high)

    # -- parameter vectors ------------------------------------------------------------
    def values(self, theta) -> dict[str, float]:
        """Parameter values :math:`p = e^\\theta` by name (kept inside the bounds, which
        :math:`e^{\\ln p}` can leave by a rounding error)."""
        lows = [self.bounds[n][0] for n in self.parameters]
        highs = [self.bounds[n][1] for n in self.parameters]
        p = np.clip(np.exp(theta), lows, highs)
        return dict(zip(self.parameters, map(float, p), strict=True))

    def theta(self, values: Mapping | None = None) -> np.ndarray:
        """:math:`\\theta = \\ln p` of ``values`` (default: the model's defaults)."""
        values = values or {}
        return np.log([values.get(n, self.model.parameters[n].value) for n in self.parameters])

    def evaluate(self, theta) -> tuple[np.ndarray, np.ndarray]:
        """Residuals ``r`` and their Jacobian ``dr/dtheta`` (cached for the last ``theta``)."""
        theta = np.asarray(theta, dtype=float)
        key = theta.tobytes()
        if self._last is None or self._last[0] != key:
            self._last = (key, *self._evaluate(theta))
        return self._last[1], self._last[2]

    def _evaluate(self, theta) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def evaluate_many(self, thetas) -> list[tuple[np.ndarray, np.ndarray]]:
        """:meth:`evaluate` at each of ``thetas`` (uncached); a subclass that can evaluate
        points together (one ensemble) overrides it."""
        return [self._evaluate(np.asarray(theta, dtype=float)) for theta in thetas]

    def with_evaluator(self, evaluate) -> LogParameters:
        """A shallow copy that computes residuals and Jacobian with ``evaluate(theta)`` (its
        own last-point cache); :func:`~follicle.fitting.lockstep.map_together` gives each
        optimisation one whose points wait for the others'."""
        view = copy.copy(self)
        view._last = None
        view._evaluate = evaluate
        return view

    def residuals(self, theta) -> np.ndarray:
        """Weighted residuals at ``theta`` (for a :class:`Problem`: data, then priors)."""
        return self.evaluate(theta)[0]

    def jacobian(self, theta) -> np.ndarray:
        """:math:`\\partial r/\\partial \\theta`, shape ``(n_residuals, n_parameters)``."""
        return self.evaluate(theta)[1]

    def cost(self, theta) -> float:
        """:math:`c(\\theta) = \\tfrac12 \\sum_k r_k^2`."""
        r = self.residuals(theta)
        return 0.5 * float(r @ r)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_last"] = None
        return state


class Problem(LogParameters):
    """A model, a data set, the parameters to estimate and their bounds and priors.

    Parameters
    ----------
    model : Model
    data : Dataset
    parameters : sequence of str
        Names of the parameters to estimate.
    bounds : mapping of str to (low, high), optional
        Search bounds (in the parameter's unit, ``0 < low < high < inf``); default the
        parameter's declared range, which must then be positive and finite.
    priors : mapping of str to (mean, sd), optional
        Gaussian priors on parameter values.
    fixed : mapping of str to float, optional
        Values of other parameters for every condition (a condition's own overrides win).
    rtol, atol : float
        Integration tolerances of the simulations (tight by default: the optimiser and
        the profile need residuals smooth to well below the noise).

    Raises
    ------
    DataError
        Non-positive or infinite bounds, a condition that overrides an estimated
        parameter, a prior with a non-positive sd.
    UnknownNameError
        A parameter the model does not have.
    """

    def __init__(
        self,
        model,
        data: Dataset,
        parameters: Sequence[str],
        *,
        bounds: Mapping | None = None,
        priors: Mapping | None = None,
        fixed: Mapping | None = None,
        rtol: float = 1e-8,
        atol: float | None = None,
    ):
        super().__init__(model, parameters, bounds)
        data.check(model)
        self.data = data
        for name in [*(priors or {}), *(fixed or {})]:
            if name not in model.parameters:
                raise UnknownNameError("parameter", name, model.parameters)
        self.priors = dict(priors or {})
        for name, (_, sd) in self.priors.items():
            if not sd > 0:
                raise DataError(f"prior on {name!r}: sd {sd!r} must be > 0")
        self.fixed = dict(fixed or {})
        if set(self.fixed) & set(self.parameters):
            raise DataError(
                f"{sorted(set(self.fixed) & set(self.parameters))} are both fixed "
                "and estimated; drop them from one of the two"
            )
        self.rtol, self.atol = rtol, atol
        self._blocks = self._build_blocks()
        self.n_data = len(data.measurements)

    def _build_blocks(self):
        by_condition: dict[str, list[int]] = {}
        for k, m in enumerate(self.data.measurements):
            by_condition.setdefault(m.condition, []).append(k)
        blocks = []
        for cid, rows in by_condition.items():
            condition = self.data.conditions[cid]
            clash = set(condition.params) & set(self.parameters)
            if clash:
                raise DataError(
                    f"condition {cid!r} overrides the estimated parameter(s) "
                    f"{sorted(clash)}; estimate them or drop the override"
                )
            ms = [self.data.measurements[k] for k in rows]
            times = np.unique([m.time for m in ms])
            blocks.append(
                _Block(
                    condition,
                    times,
                    np.array(rows),
                    tuple(m.observable for m in ms),
                    np.searchsorted(times, [m.time for m in ms]),
                    np.array([m.value for m in ms]),
                    np.array([m.noise for m in ms]),
                    np.array([m.noise_model == "lognormal" for m in ms]),
                )
            )
        return blocks

    def _evaluate(self, theta) -> tuple[np.ndarray, np.ndarray]:
        p = np.exp(theta)
        values = self.values(theta)
        r = np.empty(self.n_data + len(self.priors))
        jac = np.zeros((r.size, theta.size))
        for b in self._blocks:
            c = b.condition
            days = c.days if c.days is not None else max(float(b.times[-1]), 1.0)
            run = simulate_sensitivities(
                self.model,
                self.parameters,
                t_span=(0.0, days),
                t_eval=b.times,
                params={**self.fixed, **c.params, **values},
                initial=c.initial,
                schedule=c.schedule,
                rtol=self.rtol,
                atol=self.atol,
            )
            idx = [run.names.index(v) for v in b.variables]
            sim = run.values[idx, b.time_index]
            dsim = run.sensitivities[idx, :, b.time_index] * p  # d sim / d theta
            floor = np.maximum(sim, _TINY)
            r[b.rows] = (
                np.where(b.lognormal, np.log(floor) - np.log(b.values), sim - b.values) / b.noise
            )
            scale = np.where(b.lognormal, 1.0 / floor, 1.0) / b.noise
            jac[b.rows] = dsim * scale[:, None]
        for k, (name, (mean, sd)) in enumerate(self.priors.items()):
            value = values.get(name, self.fixed.get(name, self.model.parameters[name].value))
            r[self.n_data + k] = (value - mean) / sd
            if name in self.parameters:
                j = self.parameters.index(name)
                jac[self.n_data + k, j] = p[j] / sd
        return r, jac

    def __repr__(self) -> str:
        return (
            f"<Problem: {len(self.parameters)} parameters of {self.model.name!r}, "
            f"{self.n_data} measurements in {len(self._blocks)} conditions>"
        )
