"""Regime maps: which behaviour a model shows, classified from simulation, over two axes.

A *regime* is a label that a caller's ``classify(trajectory) -> str`` gives a simulation
(for example "oscillating" or "at rest"; the engine attaches no meaning to the labels).
:func:`regime_map` classifies a grid of two axes; :func:`boundary` locates, by bisection on
one axis, where the label changes.

An axis is a name and its values. By default a name is a parameter of the model (the value
overrides it) or a state (the value is its initial value). A caller's ``setup(point)`` can
give any other meaning: it receives ``{name: value}`` for the point and returns keywords
of :func:`~follicle.simulate` (``params``, ``initial``, ``schedule``), so a dose or a
start time can be an axis too. The points run through
:func:`~follicle.executors.map_ordered`, in this process, in a pool or on Dask.

>>> import numpy as np, follicle as fl
>>> m = fl.Module("decay")
>>> x = m.state("x", "1", 1.0)
>>> k = m.parameter("k", 0.5, "1/day", bounds=(-5, 5), provenance="assumed: example")
>>> m.rate(x, -k * x)
>>> model = fl.Model("decay", [m])
>>> grows = lambda run: "grows" if run["x"][-1] > 1 else "decays"
>>> edge = fl.boundary(model, ("k", -1.0, 1.0), grows, days=10, xtol=1e-3)
>>> edge.below, edge.above, abs(edge.value) < 1e-3
('grows', 'decays', True)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from follicle.analysis.results import ReadOnly
from follicle.errors import AnalysisError, FollicleError, ParameterValueError, UnknownNameError
from follicle.executors import map_ordered
from follicle.model import Model
from follicle.simulate import simulate

__all__ = ["RegimeMap", "Transition", "boundary", "regime_map"]

#: Keywords a ``setup`` may return.
_SETUP_KEYS = ("params", "initial", "schedule")


@dataclass(frozen=True, eq=False)
class RegimeMap(ReadOnly):
    """Labels of a grid of simulations over two axes.

    Attributes
    ----------
    x, y : str
        Names of the axes.
    x_values, y_values : ndarray
        The axes' values (read-only).
    labels : ndarray of str, shape ``(len(y_values), len(x_values))``
        ``labels[j, i]`` is the regime at ``x_values[i]``, ``y_values[j]``.
    """

    x: str
    x_values: np.ndarray
    y: str
    y_values: np.ndarray
    labels: np.ndarray

    _arrays = ("x_values", "y_values", "labels")

    @property
    def regimes(self) -> tuple[str, ...]:
        """The distinct labels, most frequent first."""
        return tuple(label for label, _ in Counter(self.labels.ravel().tolist()).most_common())

    def fraction(self, label: str) -> float:
        """Fraction of the grid's points with ``label`` (0 if it does not occur)."""
        return float(np.mean(self.labels == label))

    def at(self, x, y) -> str:
        """The label at the grid point nearest to ``(x, y)``."""
        i = int(np.argmin(np.abs(self.x_values - x)))
        j = int(np.argmin(np.abs(self.y_values - y)))
        return str(self.labels[j, i])

    def edge(self, label: str) -> np.ndarray:
        """For each ``y`` value, the last ``x`` value before ``label`` first stops holding.

        Scanning each row in increasing ``x``: ``nan`` where the row does not start with
        ``label``; the last ``x`` value where the label holds throughout the row.
        """
        out = np.full(self.y_values.size, math.nan)
        for j, row in enumerate(self.labels):
            if row[0] != label:
                continue
            stop = np.flatnonzero(row != label)
            out[j] = self.x_values[(stop[0] if stop.size else row.size) - 1]
        return out

    def __repr__(self) -> str:
        counts = ", ".join(f"{label}: {self.fraction(label):.0%}" for label in self.regimes)
        return (
            f"<RegimeMap {self.x} ({self.x_values.size}) x {self.y} "
            f"({self.y_values.size}): {counts}>"
        )


@dataclass(frozen=True)
class Transition:
    """Where the regime changes along one axis, located by bisection.

    Attributes
    ----------
    name : str
        The axis.
    low, high : float
        The final bracket: ``classify`` gives ``below`` at ``low`` and something else,
        ``above``, at ``high``.
    below, above : str
        The labels at the two ends of the bracket.
    evaluations : int
        Simulations run.
    """

    name: str
    low: float
    high: float
    below: str
    above: str
    evaluations: int

    @property
    def value(self) -> float:
        """The midpoint of the final bracket, the transition's estimate."""
        return 0.5 * (self.low + self.high)

    def __repr__(self) -> str:
        return (
            f"<Transition {self.name} = {self.value:.6g} (in [{self.low:.6g}, "
            f"{self.high:.6g}]): {self.below!r} below, {self.above!r} above>"
        )


def _default_setup(model: Model, point: Mapping[str, float]) -> dict:
    params, initial = {}, {}
    for name, value in point.items():
        if name in model.parameters:
            params[name] = value
        elif name in model.states:
            initial[name] = value
        else:
            raise UnknownNameError("parameter or state", name, [*model.parameters, *model.states])
    return {"params": params, "initial": initial}


def _classify_point(point, *, model, classify, setup, days, options) -> str:
    """Simulate one point and classify it (module level, so executors can pickle it)."""
    extra = _default_setup(model, point) if setup is None else setup(point)
    if not isinstance(extra, Mapping) or set(extra) - set(_SETUP_KEYS):
        raise FollicleError(
            f"setup(point) must return a mapping with keys among {_SETUP_KEYS}; got {extra!r}"
        )
    kwargs = dict(options)
    kwargs["params"] = {**options.get("params", {}), **extra.get("params", {})}
    kwargs["initial"] = {**options.get("initial", {}), **extra.get("initial", {})}
    kwargs["schedule"] = [*options.get("schedule", ()), *extra.get("schedule", ())]
    label = classify(simulate(model, days, **kwargs))
    if not isinstance(label, str):
        raise FollicleError(
            f"classify must return a str label; it returned {label!r} at {dict(point)}"
        )
    return label


def _axis(axis, what: str) -> tuple[str, np.ndarray]:
    try:
        name, values = axis
    except (TypeError, ValueError):
        raise ParameterValueError(
            f"the {what} must be a pair (name, values), got {axis!r}"
        ) from None
    if not isinstance(name, str):
        raise ParameterValueError(f"the {what}'s name must be a str, got {name!r}")
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        raise ParameterValueError(
            f"values of {name!r} ({what}) must be a sequence of numbers, got {values!r}"
        )
    grid = np.asarray(values, dtype=float)
    if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)):
        raise ParameterValueError(
            f"values of {name!r} ({what}) must be a non-empty list of finite numbers, "
            f"got {values!r}"
        )
    return name, grid


def _evaluator(model, classify, setup, days, options) -> Callable[[dict], str]:
    if not isinstance(model, Model):
        raise FollicleError(f"a follicle Model is needed, got {type(model).__name__}")
    if not callable(classify):
        raise FollicleError(f"classify must be callable (trajectory -> str), got {classify!r}")
    if setup is not None and not callable(setup):
        raise FollicleError(f"setup must be callable (point -> keywords), got {setup!r}")
    return partial(
        _classify_point, model=model, classify=classify, setup=setup, days=days, options=options
    )


def regime_map(
    model: Model,
    x,
    y,
    classify: Callable[[Any], str],
    *,
    days,
    setup: Callable[[Mapping[str, float]], Mapping] | None = None,
    executor: Any = None,
    progress: bool | None = None,
    **options,
) -> RegimeMap:
    """Classify simulations of ``model`` on the grid ``x`` by ``y``.

    Each grid point :math:`(x_i, y_j)` is simulated for ``days`` and its trajectory
    labelled, :math:`L_{ji} = \\mathrm{classify}(\\mathrm{simulate}(x_i, y_j))`.

    Parameters
    ----------
    model : Model
    x, y : (str, sequence of float)
        The axes: a name and its values (in the parameter's or state's unit, or as
        ``setup`` reads them).
    classify : callable
        ``classify(trajectory) -> str``; picklable when an executor is given.
    days : float, str or pint.Quantity
        Length of each simulation.
    setup : callable, optional
        ``setup({x: value, y: value}) -> {"params": ..., "initial": ..., "schedule": ...}``
        (any subset). Default: names of parameters override them, names of states set
        their initial values.
    executor : None, concurrent.futures.Executor or dask.distributed.Client
        Where the points run (:func:`~follicle.executors.map_ordered`).
    progress : bool, optional
        Show a progress bar.
    **options
        Passed to :func:`~follicle.simulate` for every point (``params``, ``initial`` and
        ``schedule`` given here are the base that each point's values extend).

    Returns
    -------
    RegimeMap

    Raises
    ------
    ParameterValueError
        An axis is not a name with a non-empty list of finite values, or both axes
        have the same name.
    UnknownNameError
        Without ``setup``: an axis is neither a parameter nor a state.
    FollicleError
        ``classify`` or ``setup`` is not callable or returns the wrong kind of value.
    """
    x_name, xs = _axis(x, "x axis")
    y_name, ys = _axis(y, "y axis")
    if x_name == y_name:
        raise ParameterValueError(f"the two axes must differ; both are {x_name!r}")
    evaluate = _evaluator(model, classify, setup, days, options)
    points = [{x_name: float(xv), y_name: float(yv)} for yv in ys for xv in xs]
    labels = map_ordered(evaluate, points, executor=executor, progress=progress, desc="regime map")
    return RegimeMap(x_name, xs, y_name, ys, np.array(labels, dtype=str).reshape(ys.size, -1))


def boundary(
    model: Model,
    axis,
    classify: Callable[[Any], str],
    *,
    days,
    setup: Callable[[Mapping[str, float]], Mapping] | None = None,
    xtol: float = 0.0,
    rtol: float = 1e-3,
    max_evaluations: int = 60,
    **options,
) -> Transition:
    """Bisect one axis for the value at which the regime changes.

    With :math:`a` and :math:`b` the ends of ``axis`` and :math:`L(v)` the label of a
    simulation at :math:`v`, :math:`L(a) \\ne L(b)` is required; the bracket
    :math:`[a, b]` is halved, keeping :math:`L = L(a)` at one end and
    :math:`L \\ne L(a)` at the other, until :math:`|b - a| \\le \\max(x_{tol},
    r_{tol}\\,|a + b|/2)`. If the label changes more than once in the range, one of the
    changes is found.

    Parameters
    ----------
    model : Model
    axis : (str, float, float)
        The name (as in :func:`regime_map`) and the two ends, in either order.
    classify, days, setup, **options
        As in :func:`regime_map`.
    xtol, rtol : float
        Absolute and relative width of the final bracket.
    max_evaluations : int
        At most this many simulations (including the two ends).

    Returns
    -------
    Transition

    Raises
    ------
    AnalysisError
        The two ends have the same label (nothing to bisect), or the bracket is still
        wider than asked after ``max_evaluations`` simulations.
    ParameterValueError
        Bad axis or tolerances.
    """
    try:
        name, a, b = axis
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        raise ParameterValueError(
            f"axis must be (name, one end, other end), got {axis!r}"
        ) from None
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        raise ParameterValueError(
            f"the ends of {name!r} must be two finite, different numbers, got {a!r} and {b!r}"
        )
    if not (xtol >= 0 and rtol >= 0 and xtol + rtol > 0):
        raise ParameterValueError(
            f"xtol and rtol must be >= 0 and not both 0; got xtol={xtol!r}, rtol={rtol!r}"
        )
    evaluate = _evaluator(model, classify, setup, days, options)
    below, above = evaluate({name: a}), evaluate({name: b})
    if below == above:
        raise AnalysisError(
            f"{name!r} = {a:g} and {b:g} both give {below!r}: there is no change of regime "
            "to bisect between them; widen the range"
        )
    count = 2
    while abs(b - a) > max(xtol, rtol * abs(a + b) / 2):
        if count >= max_evaluations:
            raise AnalysisError(
                f"the change of regime in {name!r} is still bracketed by [{a:g}, {b:g}] "
                f"after {count} simulations; loosen xtol/rtol or raise max_evaluations"
            )
        mid = 0.5 * (a + b)
        label = evaluate({name: mid})
        count += 1
        if label == below:
            a = mid
        else:
            b, above = mid, label
    low, high = min(a, b), max(a, b)
    if a > b:  # the bracket keeps the first end's label at `a`; report in increasing order
        below, above = above, below
    return Transition(name, low, high, below, above, count)
