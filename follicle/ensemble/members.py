"""Members' parameters and initial states from the user's mappings: columns of values with
units, checked, into the matrices a batch takes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pint

from follicle.errors import (
    FollicleError,
    ParameterValueError,
    UnitError,
    UnknownNameError,
    shown,
)
from follicle.units import as_magnitude

__all__ = ["fill_matrix", "member_columns"]


def member_columns(model, values, what: str, size: int | None):
    """``{name: array (B,)}`` from a mapping of scalars/arrays or a sequence of mappings.

    Returns ``(columns, size)``: arrays of length ``size`` (broadcast from scalars).
    """
    if values is None:
        return {}, size
    if isinstance(values, Mapping):
        columns = {}
        for name, column in values.items():
            arr = _column(model, name, column, what)
            if arr.ndim != 1:
                raise FollicleError(f"{what} {name!r}: give one value per member (a 1-D array)")
            if arr.size != 1:
                if size is not None and arr.size != size:
                    raise FollicleError(
                        f"{what} {name!r} has {arr.size} values but the ensemble has {size} "
                        "members"
                    )
                size = arr.size
            columns[name] = arr
        return columns, size
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise FollicleError(
            f"{what}s must be a mapping of names to values or arrays, or a list of such "
            f"mappings (one per member), got {shown(values)}"
        )
    rows = list(values)
    if not all(isinstance(row, Mapping) for row in rows):
        raise FollicleError(
            f"{what}s given as a list need one mapping of names to values per member, got "
            f"{shown(rows)}"
        )
    if size is not None and len(rows) != size:
        raise FollicleError(f"{len(rows)} {what} sets given but the ensemble has {size} members")
    names = sorted({k for row in rows for k in row})
    columns = {}
    for name in names:
        default = (
            model.parameters[name].value
            if name in model.parameters
            # a state whose initial value follows the parameters: each member's own
            # (nan marks "not given"; fill_matrix evaluates it from the member's parameters)
            else (math.nan if name in model.initial_expressions else model.states[name].initial)
            if name in model.states
            else None
        )
        columns[name] = np.array(
            [_number(model, name, row.get(name, default), what) for row in rows]
        )
    return columns, len(rows)


def _column(model, name, column, what) -> np.ndarray:
    """One member column of ``{name: values}``: numbers in the model's unit, or a pint
    quantity (array) converted to it."""
    unit = model.unit(name)
    if hasattr(column, "to"):  # a pint quantity (array)
        try:
            column = column.to(unit).magnitude
        except pint.errors.DimensionalityError:
            raise UnitError(
                f"{what} {name!r}: {shown(column)} is not in a unit compatible with {unit}"
            ) from None
    try:
        return np.atleast_1d(np.asarray(column, dtype=float))
    except (TypeError, ValueError):
        raise ParameterValueError(
            f"{what} {name!r}: expected numbers in {unit} (one per member), got "
            f"{shown(column)}; quantities with units go in one at a time with a list of "
            "mappings, or as a pint array"
        ) from None


def _number(model, name, value, what) -> float:
    if isinstance(value, int | float):  # out-of-range numbers are flagged per member later
        return float(value)
    return as_magnitude(value, model.unit(name), what=f"{what} {name!r}")


def fill_matrix(model, columns, kind, size, params=None):
    """Matrix ``(n, size)`` of defaults with ``columns`` substituted, and a mask and reasons
    for members whose values are outside the declared ranges or not finite.

    For ``kind="state"``, ``params`` (parameters x members) is what initial values that
    are expressions of the parameters (``model.initial_expressions``) are evaluated from.
    """
    table = model.parameters if kind == "parameter" else model.states
    names = model.parameter_names if kind == "parameter" else model.state_names
    reasons = np.full(size, None, dtype=object)
    if kind == "state" and params is not None and model.initial_expressions:
        matrix = model.initial_matrix(params)
        for name in set(model.initial_expressions) - set(columns):
            row, state = matrix[names.index(name)], table[name]
            bad = ~np.isfinite(row) | ((row < 0) if state.nonnegative else False)
            for m in np.flatnonzero(bad & (reasons == None)):  # noqa: E711 - elementwise
                reasons[m] = (
                    f"the initial value of state {name!r} is {row[m]:g} "
                    f"{state.unit} with this member's parameters"
                )
    else:
        default = np.array([p.value if kind == "parameter" else p.initial for p in table.values()])
        matrix = np.repeat(default[:, None], size, axis=1)
    for name, column in columns.items():
        if name not in table:
            raise UnknownNameError(kind, name, table)
        row = np.broadcast_to(column, (size,))
        if kind == "state" and name in model.initial_expressions:
            row = np.where(np.isnan(row), matrix[names.index(name)], row)  # not given
        matrix[names.index(name)] = row
        if kind == "parameter":
            low, high = table[name].bounds
            unit = table[name].unit
            bad = ~(np.isfinite(row) & (row >= low) & (row <= high))
            expected = f"in [{low:g}, {high:g}] {unit}"
        else:
            bad = ~np.isfinite(row) | ((row < 0) if table[name].nonnegative else False)
            expected = f"finite{' and >= 0' if table[name].nonnegative else ''} {table[name].unit}"
        for m in np.flatnonzero(bad & (reasons == None)):  # noqa: E711 - elementwise
            reasons[m] = f"{kind} {name!r} = {row[m]:g} is not {expected}"
    if kind == "state" and columns:
        broken = model.conservation_violations(matrix)
        unset = reasons == None  # noqa: E711 - elementwise
        reasons[unset] = broken[unset]
    return matrix, reasons
