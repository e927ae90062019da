"""Global sensitivity: Sobol indices of a readout over a box of parameter values.

For a readout :math:`Y = f(p_1, \\dots, p_d)` with the parameters independent and uniform
on their ranges, the first-order and total Sobol indices are

.. math::

    S_i = \\frac{\\operatorname{Var}_{p_i}\\big(E[Y \\mid p_i]\\big)}{\\operatorname{Var} Y},
    \\qquad
    S_{T,i} = \\frac{E_{p_{\\sim i}}\\big(\\operatorname{Var}[Y \\mid p_{\\sim i}]\\big)}
                    {\\operatorname{Var} Y}:

the share of the variance that :math:`p_i` explains alone, and with all its interactions.
They are estimated with SALib (the ``[sensitivity]`` extra): Saltelli's scheme on a
scrambled Sobol sequence of :math:`N(d + 2)` points, the estimators of Saltelli et al.
(2010), and bootstrap confidence intervals. The engine knows nothing of what the readout
means; it only needs ``readout(params) -> float``. The points run through
:func:`~follicle.executors.map_ordered`.

>>> import follicle as fl
>>> m = fl.Module("line")
>>> y = m.state("y", "1", 0.0)
>>> a = m.parameter("a", 1.0, "1/day", provenance="assumed: example")
>>> b = m.parameter("b", 1.0, "1/day", provenance="assumed: example")
>>> m.rate(y, a + 3 * b)
>>> model = fl.Model("line", [m])
>>> readout = lambda p: p["a"] + 3 * p["b"]
>>> result = fl.fitting.sobol_indices(model, ["a", "b"], readout, n=256)
>>> result.ranking()
('b', 'a')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from follicle.analysis.results import ReadOnly
from follicle.errors import AnalysisError, FollicleError, ParameterValueError, UnknownNameError
from follicle.executors import map_ordered
from follicle.model import Model

__all__ = ["SobolIndices", "sobol_indices"]


@dataclass(frozen=True, eq=False)
class SobolIndices(ReadOnly):
    """First-order and total Sobol indices of one readout.

    Attributes
    ----------
    names : tuple of str
        The parameters, in the order of the arrays.
    ranges : ndarray, shape ``(d, 2)``
        The uniform range of each parameter, in its unit.
    first, first_conf : ndarray
        :math:`S_i` and the half-width of its confidence interval.
    total, total_conf : ndarray
        :math:`S_{T,i}` and the half-width of its confidence interval.
    n : int
        Base sample size :math:`N`; the readout was evaluated :math:`N(d + 2)` times.
    conf_level : float
        Confidence level of the intervals.
    """

    names: tuple[str, ...]
    ranges: np.ndarray
    first: np.ndarray
    first_conf: np.ndarray
    total: np.ndarray
    total_conf: np.ndarray
    n: int
    conf_level: float

    _arrays = ("ranges", "first", "first_conf", "total", "total_conf")

    @property
    def evaluations(self) -> int:
        """Readout evaluations used, :math:`N(d + 2)`."""
        return self.n * (len(self.names) + 2)

    def ranking(self, by: str = "total") -> tuple[str, ...]:
        """Parameter names, most influential first, by ``"total"`` or ``"first"`` index."""
        if by not in ("total", "first"):
            raise FollicleError(f"rank by 'total' or 'first', got {by!r}")
        order = np.argsort(-getattr(self, by), kind="stable")
        return tuple(self.names[i] for i in order)

    def index(self, name: str) -> tuple[float, float]:
        """``(first, total)`` index of parameter ``name``."""
        i = self._position(name)
        return float(self.first[i]), float(self.total[i])

    def table(self) -> str:
        """A Markdown table, most influential (total index) first."""
        level = f"{self.conf_level:.0%}"
        lines = [
            f"| parameter | range | S1 (± {level}) | ST (± {level}) |",
            "| --- | --- | --- | --- |",
        ]
        for name in self.ranking():
            i = self.names.index(name)
            lo, hi = self.ranges[i]
            lines.append(
                f"| `{name}` | [{lo:.4g}, {hi:.4g}] | {self.first[i]:.3f} ± "
                f"{self.first_conf[i]:.3f} | {self.total[i]:.3f} ± {self.total_conf[i]:.3f} |"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        top = ", ".join(f"{n} (ST {self.index(n)[1]:.2f})" for n in self.ranking()[:3])
        return f"<SobolIndices N={self.n}, {len(self.names)} parameters; top: {top}>"


def _ranges(model: Model, parameters, spread: float, ranges) -> np.ndarray:
    if isinstance(parameters, str) or not isinstance(parameters, Sequence) or not parameters:
        raise ParameterValueError(
            f"parameters must be a non-empty list of parameter names, got {parameters!r}"
        )
    if len(set(parameters)) != len(parameters):
        raise ParameterValueError(f"parameters are listed twice in {list(parameters)}")
    if not (isinstance(spread, int | float) and 0 < spread < 1):
        raise ParameterValueError(f"spread must be a fraction in (0, 1), got {spread!r}")
    ranges = dict(ranges or {})
    for name in [*parameters, *ranges]:
        if name not in model.parameters:
            raise UnknownNameError("parameter", name, model.parameters)
    extra = set(ranges) - set(parameters)
    if extra:
        raise ParameterValueError(f"ranges given for parameters not sampled: {sorted(extra)}")
    out = []
    for name in parameters:
        spec = model.parameters[name]
        if name in ranges:
            lo, hi = (spec.validate(v) for v in ranges[name])
        else:
            low, high = spec.bounds
            lo = max(spec.value * (1 - spread), low)
            hi = min(spec.value * (1 + spread), high)
        if not lo < hi:
            raise ParameterValueError(
                f"parameter {name!r} would be sampled on [{lo:g}, {hi:g}] {spec.unit}, an "
                f"empty range (default {spec.value:g} {spec.unit}, bounds {spec.bounds}); "
                "give ranges={name: (low, high)}"
            )
        out.append((lo, hi))
    return np.array(out)


def _evaluate(rows, *, names, readout, vectorized) -> np.ndarray:
    """Readout values of a batch of sample rows (module level: executors pickle it)."""
    if vectorized:
        values = np.asarray(readout(dict(zip(names, rows.T, strict=True))), dtype=float)
        if values.shape != (len(rows),):
            raise AnalysisError(
                f"a vectorized readout must return one value per sample point: got shape "
                f"{values.shape} for {len(rows)} points"
            )
    else:
        points = (dict(zip(names, map(float, row), strict=True)) for row in rows)
        values = np.array([readout(point) for point in points], dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        point = dict(zip(names, map(float, rows[bad[0]]), strict=True))
        raise AnalysisError(
            f"the readout is {values[bad[0]]} at {point}; Sobol indices need a finite value "
            "at every sampled point (narrow the ranges or make the readout total)"
        )
    return values


def sobol_indices(
    model: Model,
    parameters: Sequence[str],
    readout: Callable[[Mapping[str, float]], float],
    *,
    n: int = 256,
    spread: float = 0.2,
    ranges: Mapping[str, tuple] | None = None,
    seed: int = 0,
    conf_level: float = 0.95,
    resamples: int = 200,
    batch: int | None = None,
    vectorized: bool = False,
    executor: Any = None,
    progress: bool | None = None,
) -> SobolIndices:
    """First-order and total Sobol indices of ``readout`` over ``parameters`` of ``model``.

    Parameters
    ----------
    model : Model
        Gives the parameters' defaults, units and allowed ranges.
    parameters : sequence of str
        The parameters varied (the others stay at the values ``readout`` uses).
    readout : callable
        ``readout({name: value}) -> float``, values in each parameter's unit; typically
        simulates the model with those parameters. Picklable when an executor is given.
        With ``vectorized``, ``readout({name: array}) -> array``: a batch of points at
        once (for example one :func:`~follicle.simulate_ensemble` per batch).
    n : int
        Base sample size :math:`N`, a power of two (the Sobol sequence's balance).
    spread : float
        Each parameter is uniform on ``value * (1 -+ spread)``, clipped to its bounds...
    ranges : mapping, optional
        ...unless given here as ``{name: (low, high)}`` (within its bounds).
    seed : int
        Seeds the scrambling of the sequence and the bootstrap.
    conf_level, resamples : float, int
        Confidence level and bootstrap resamples of the intervals.
    batch : int, optional
        Sample points per work item handed to the executor (default 32, or 1024 when
        ``vectorized``).
    vectorized : bool
        Whether ``readout`` takes arrays of points (see ``readout``).
    executor, progress
        As in :func:`~follicle.executors.map_ordered`.

    Returns
    -------
    SobolIndices

    Raises
    ------
    UnknownNameError
        An unknown parameter.
    ParameterValueError
        ``n`` not a power of two, a range empty or outside the parameter's bounds.
    AnalysisError
        The readout is not finite somewhere, or does not vary at all.
    FollicleError
        SALib is not installed (``pip install "follicle[sensitivity]"``).
    """
    try:
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise FollicleError(
            'Sobol indices need SALib: pip install "follicle[sensitivity]"'
        ) from None
    if not isinstance(model, Model):
        raise FollicleError(f"a follicle Model is needed, got {type(model).__name__}")
    if not (isinstance(n, int) and n >= 2 and n & (n - 1) == 0):
        raise ParameterValueError(f"n must be a power of two >= 2 (Sobol sequence), got {n!r}")
    if batch is None:
        batch = 1024 if vectorized else 32
    if not (isinstance(batch, int) and batch >= 1):
        raise ParameterValueError(f"batch must be an int >= 1, got {batch!r}")
    bounds = _ranges(model, parameters, spread, ranges)
    names = tuple(parameters)
    problem = {"num_vars": len(names), "names": list(names), "bounds": bounds.tolist()}
    samples = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    batches = [samples[i : i + batch] for i in range(0, len(samples), batch)]
    results = map_ordered(
        partial(_evaluate, names=names, readout=readout, vectorized=vectorized),
        batches,
        executor=executor,
        progress=progress,
        desc="Sobol samples",
    )
    values = np.concatenate(results)
    if np.ptp(values) == 0:
        raise AnalysisError(
            f"the readout is {values[0]:g} at every sampled point: it does not depend on "
            f"{list(names)} over these ranges, so there is no variance to share out"
        )
    # SALib seeds its bootstrap only `if seed:`; seed 0 would leave the intervals to
    # NumPy's global random state, so it gets seed + 1 (>= 1 for every valid seed).
    found = sobol_analyze.analyze(
        problem,
        values,
        calc_second_order=False,
        num_resamples=resamples,
        conf_level=conf_level,
        seed=seed + 1,
    )
    return SobolIndices(
        names, bounds, found["S1"], found["S1_conf"], found["ST"], found["ST_conf"], n, conf_level
    )
