"""Designs: the members of a sweep, as rows of axis values.

One constructor per kind of design: :func:`grid` (every combination), :func:`points`
(given rows), :func:`latin_hypercube` and :func:`sobol` (seeded samples within ranges,
from :mod:`scipy.stats.qmc`). Values and ranges are numbers (in the model's unit of the
axis) or quantities (pint quantities or strings such as ``"20 1/day"``);
:func:`follicle.sweep` converts them to the model's units.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pint
from scipy.stats import qmc

from follicle import limits
from follicle.errors import FollicleError, UnitError, shown
from follicle.units import as_magnitude, parse_quantity

__all__ = ["Design", "generator", "grid", "latin_hypercube", "points", "sobol"]


@dataclass(frozen=True, eq=False)
class Design:
    """The members of a sweep: one row of axis values per member.

    Attributes
    ----------
    names : tuple of str
        The axes.
    values : ndarray, shape (N, len(names))
        Axis values of each member (read-only).
    shape : tuple of int
        ``(len(axis_1), len(axis_2), ...)`` for a grid (members in C order, the last axis
        fastest), ``(N,)`` for samples.
    kind : str
        ``"grid"``, ``"latin_hypercube"``, ``"sobol"`` or ``"points"``.
    units : tuple of str
        Unit of each axis's values (``""`` for bare numbers, which :func:`sweep` reads in
        the model's unit of the axis). A design returned in a :class:`SweepResult` is in
        the model's units.
    """

    names: tuple[str, ...]
    values: np.ndarray
    shape: tuple[int, ...]
    kind: str
    units: tuple[str, ...] = ()

    def __post_init__(self):
        values = np.array(self.values, dtype=float)
        values.setflags(write=False)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "units", tuple(self.units) or ("",) * len(self.names))

    def __len__(self) -> int:
        return self.values.shape[0]

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__post_init__()


def _axis_name(name) -> str:
    if not isinstance(name, str) or not name:
        raise FollicleError(f"axis names must be non-empty strings, got {name!r}")
    return name


def _column(name, values) -> tuple[np.ndarray, str]:
    """An axis's values as floats and their unit: bare numbers (unit ``""``), or quantities
    and strings such as ``"20 1/day"``, all converted to the unit of the first."""
    if isinstance(values, pint.Quantity):
        magnitude = np.atleast_1d(np.asarray(values.magnitude, dtype=float))
        return magnitude, f"{values.units:D}" if not values.unitless else ""
    items = list(values) if isinstance(values, list | tuple | range | np.ndarray) else [values]
    given = [isinstance(v, str | pint.Quantity) for v in items]
    if not any(given):
        try:
            return np.atleast_1d(np.asarray(values, dtype=float)), ""
        except (TypeError, ValueError):
            raise FollicleError(
                f"sweep axis {name!r} needs numbers or quantities, got {shown(values)}"
            ) from None
    if not all(given):
        raise UnitError(
            f"sweep axis {name!r}: values {items!r} mix bare numbers and quantities; give "
            "every value with its unit, or none"
        )
    what = f"sweep axis {name!r}"
    try:
        first = parse_quantity(items[0], what=what) if isinstance(items[0], str) else items[0]
        unit = first.units
        column = np.array([as_magnitude(v, unit, what=what) for v in items], dtype=float)
    except (pint.PintError, FollicleError, TypeError, ValueError) as exc:
        raise FollicleError(
            f"{what} needs numbers or quantities with units, got {shown(values)} ({exc})"
        ) from None
    return column, f"{unit:D}"


def grid(axes: Mapping[str, object]) -> Design:
    """Every combination of the axis values (a full factorial grid).

    Values are numbers (in the model's unit of the axis) or quantities (pint quantities or
    strings such as ``"20 1/day"``), converted by :func:`sweep` to the model's unit.

    >>> grid({"a": [1, 2], "b": [10, 20, 30]}).shape
    (2, 3)
    >>> grid({"k_CA": ["20 1/day", "1 1/hour"]}).values[:, 0]
    array([20., 24.])
    """
    names = tuple(_axis_name(n) for n in axes)
    columns, units = [], []
    for name, values in axes.items():
        column, unit = _column(name, values)
        if column.ndim != 1 or column.size == 0:
            raise FollicleError(f"axis {name!r} needs a non-empty 1-D sequence of values")
        columns.append(column)
        units.append(unit)
    limits.check("members", math.prod(c.size for c in columns), "the number of grid members")
    mesh = np.meshgrid(*columns, indexing="ij")
    values = np.stack([m.ravel() for m in mesh], axis=1) if columns else np.empty((1, 0))
    return Design(names, values, tuple(c.size for c in columns), "grid", tuple(units))


def points(table: Mapping[str, object]) -> Design:
    """Given members: ``{axis: values}`` with one value per member in every column (numbers
    or quantities, as for :func:`grid`)."""
    names = tuple(_axis_name(n) for n in table)
    columns, units = (
        zip(*(_column(n, v) for n, v in table.items()), strict=True) if table else ((), ())
    )
    sizes = {c.size for c in columns}
    if len(sizes) != 1 or any(c.ndim != 1 for c in columns):
        raise FollicleError(f"points() needs 1-D columns of one length, got sizes {sorted(sizes)}")
    limits.check("members", columns[0].size, "the number of points")
    return Design(names, np.stack(columns, axis=1), (columns[0].size,), "points", units)


def generator(seed) -> np.random.Generator:
    """NumPy's generator for ``seed``: None, a whole number >= 0, or a Generator."""
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise FollicleError(
        f"seed must be None, a whole number >= 0 or a numpy Generator, got {shown(seed)}"
    )


def _ranges(ranges):
    names = tuple(_axis_name(n) for n in ranges)
    columns, units = [], []
    for name, pair in ranges.items():
        if not isinstance(pair, tuple | list | np.ndarray) or len(pair) != 2:
            raise FollicleError(f"sample range of {name!r} must be (low, high), got {pair!r}")
        column, unit = _column(name, list(pair))
        columns.append(tuple(column))
        units.append(unit)
    bounds = np.array(columns, dtype=float)
    if (
        bounds.ndim != 2
        or bounds.shape[1] != 2
        or not np.all(np.isfinite(bounds))
        or np.any(bounds[:, 0] >= bounds[:, 1])
    ):
        raise FollicleError(
            f"sample ranges must be finite (low, high) with low < high, got {dict(ranges)!r}"
        )
    return names, bounds, tuple(units)


def _check_count(n):
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
        raise FollicleError(f"the number of samples must be a whole number >= 1, got {n!r}")
    limits.check("members", n, "the number of samples")


def latin_hypercube(ranges: Mapping[str, tuple[float, float]], n: int, *, seed) -> Design:
    """``n`` Latin hypercube samples, uniform within each axis's ``(low, high)``.

    Bounds are numbers or quantities (``("10 1/day", "60 1/day")``), as for :func:`grid`.
    Each axis's range is cut into ``n`` equal strata and every stratum holds exactly one
    sample (:class:`scipy.stats.qmc.LatinHypercube`). The same ``seed`` gives the same
    samples.
    """
    _check_count(n)
    names, bounds, units = _ranges(ranges)
    unit = qmc.LatinHypercube(d=len(names), rng=generator(seed)).random(n)
    values = qmc.scale(unit, bounds[:, 0], bounds[:, 1])
    return Design(names, values, (n,), "latin_hypercube", units)


def sobol(ranges: Mapping[str, tuple[float, float]], n: int, *, seed) -> Design:
    """``n`` points of a scrambled Sobol sequence within the ranges (seeded).

    Sobol points are balanced only in powers of two; other ``n`` are refused.
    """
    _check_count(n)
    if n & (n - 1):
        raise FollicleError(
            f"Sobol samples come in powers of two; got n = {n} (try "
            f"{1 << max(0, n - 1).bit_length()})"
        )
    names, bounds, units = _ranges(ranges)
    unit = qmc.Sobol(d=len(names), scramble=True, rng=generator(seed)).random(n)
    return Design(names, qmc.scale(unit, bounds[:, 0], bounds[:, 1]), (n,), "sobol", units)
