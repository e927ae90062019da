"""The package's single pint unit registry and conversions at the user boundary.

Units the field uses are defined here: ``cell`` (a count of cells, its own dimension so that
cells are never silently added to concentrations), ``AU`` (arbitrary units, also its own
dimension, for signals such as a WNT level whose absolute scale is unknown), plus pint's
``nM``, ``mg/kg``, ``day``, ``week`` and ``year``.

Inside a compiled model every number is a plain float in the unit declared for its state or
parameter, and time is in days (:data:`TIME_UNIT`).
"""

from __future__ import annotations

import math
from numbers import Real

import pint

from follicle.errors import UnitError

__all__ = [
    "Q_",
    "TIME_UNIT",
    "as_magnitude",
    "convert_expression",
    "expression_unit",
    "parse_unit",
    "ureg",
]

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("cell = [cell] = _ = cells")
ureg.define("arbitrary_unit = [arbitrary] = AU = au")
ureg.define("fraction = [] = _")
Q_ = ureg.Quantity
pint.set_application_registry(ureg)

#: Internal unit of time for every compiled model.
TIME_UNIT = ureg.day


def parse_unit(unit: str | pint.Unit, *, what: str = "unit") -> pint.Unit:
    """Return the pint unit for ``unit``, raising :class:`UnitError` if it cannot be parsed.

    ``"1"``, ``""`` and ``"dimensionless"`` mean dimensionless.
    """
    if isinstance(unit, pint.Unit):
        return unit
    if not isinstance(unit, str):
        raise UnitError(f"{what}: expected a unit string such as 'nM' or '1/day', got {unit!r}")
    text = unit.strip()
    if text in {"", "1", "dimensionless"}:
        return ureg.dimensionless
    try:
        parsed = ureg.parse_units(text)
    except Exception as exc:  # pint raises a zoo of types (even AssertionError) on bad strings
        raise UnitError(
            f"{what}: cannot understand the unit {unit!r} ({exc}). "
            "Write units as pint understands them, e.g. 'nM', 'cell/mm**2', '1/day', 'mg/kg'."
        ) from None
    return parsed


def as_magnitude(value, unit: str | pint.Unit, *, what: str) -> float:
    """Convert a user value to a float in ``unit``.

    Parameters
    ----------
    value
        A number (taken to be in ``unit`` already), a pint quantity, or a string with a unit
        such as ``"2 mg/kg"`` or ``"3 day"``.
    unit
        The unit the caller wants the magnitude in.
    what
        Name of the quantity, used in error messages (e.g. ``"parameter 'k'"``).

    Raises
    ------
    UnitError
        If the value's dimension differs from ``unit``'s or the string cannot be parsed.
    ParameterValueError
        If the value is not a finite real number.
    """
    from follicle.errors import ParameterValueError

    target = parse_unit(unit, what=what)
    if isinstance(value, str):
        try:
            value = Q_(value)
        except Exception as exc:  # pint raises a zoo of types on bad strings
            raise UnitError(
                f"{what}: cannot read {value!r} as a quantity ({exc}); write e.g. '2 mg/kg'"
            ) from None
    if isinstance(value, pint.Quantity):
        try:
            magnitude = value.to(target).magnitude
        except pint.errors.DimensionalityError:
            raise UnitError(
                f"{what}: {value:~P} has dimension {value.dimensionality}, but the expected "
                f"unit is {target:~P} ({target.dimensionality}); give it in {target:~P} or a "
                "compatible unit"
            ) from None
    elif isinstance(value, Real) and not isinstance(value, bool):
        magnitude = value
    else:
        raise ParameterValueError(
            f"{what}: expected a number or a quantity in {target:~P}, got {value!r}"
        )
    magnitude = float(magnitude)
    if not math.isfinite(magnitude):
        raise ParameterValueError(f"{what}: value {magnitude} is not finite")
    return magnitude


def _factor(source: pint.Unit, target: pint.Unit) -> float:
    """Multiplier taking a magnitude in ``source`` to one in ``target`` (same dimension)."""
    return float(Q_(1.0, source).to(target).magnitude)


def convert_expression(expr, source: pint.Unit, target: pint.Unit, factor=None):
    """``expr``, a magnitude in ``source``, as a magnitude in ``target`` (same dimension).

    Multiplies by the conversion value, built by ``factor(value, source, target)`` when
    given (see :func:`expression_unit`), and leaves ``expr`` alone when the value is 1.
    """
    import sympy as sp

    f = _factor(source, target)
    if f == 1.0:
        return expr
    return (sp.Float(f) if factor is None else factor(f, source, target)) * expr


def expression_unit(expr, unit_of, *, factor=None):
    """Infer the unit of a sympy expression and insert the conversions it needs.

    Walks ``expr`` bottom-up. Terms of a sum, arguments of ``Min``/``Max`` and the branches
    of a ``Piecewise`` must share a dimension and are converted to the unit of the first;
    arguments of transcendental functions and symbolic exponents must be dimensionless (and
    are converted to pure numbers, so ``mg/kg`` becomes its ratio ``1e-6``).

    Parameters
    ----------
    expr : sympy.Expr
        The expression.
    unit_of : Callable[[sympy.Symbol], pint.Unit]
        The unit of each free symbol.
    factor : Callable[[float, pint.Unit, pint.Unit], sympy.Expr], optional
        Builds each inserted conversion from ``(value, source, target)``: ``value`` takes a
        magnitude in ``source`` to one in ``target``. Default: the number ``value`` itself.
        An exporter that must state the unit of every constant (SBML) passes its own.

    Returns
    -------
    converted : sympy.Expr
        ``expr`` with numeric conversion factors inserted, so that evaluating it with every
        symbol's magnitude in its own unit gives the magnitude in ``unit``.
    unit : pint.Unit

    Raises
    ------
    UnitError
        With the offending sub-expression and the units that clash.
    """
    import sympy as sp

    def convert(e, u, target):
        return convert_expression(e, u, target, factor)

    def dimensionless(e, u, context):
        if u.dimensionality != ureg.dimensionless.dimensionality:
            raise UnitError(
                f"{context} must be dimensionless, but {e} has unit {u:~P}"
            )
        return convert(e, u, ureg.dimensionless)

    def same_unit(args, context):
        walked = [walk(a) for a in args]
        first_unit = walked[0][1]
        out = []
        for (e, u), original in zip(walked, args, strict=True):
            if u.dimensionality != first_unit.dimensionality:
                raise UnitError(
                    f"{context}: cannot combine {args[0]} [{first_unit:~P}] with "
                    f"{original} [{u:~P}]; their dimensions differ"
                )
            out.append(convert(e, u, first_unit))
        return out, first_unit

    def walk(e):
        if e.is_Symbol:
            return e, unit_of(e)
        if e.is_Number or e in (sp.pi, sp.E):
            return e, ureg.dimensionless
        if e.is_Add:
            terms, u = same_unit(e.args, f"in the sum {e}")
            return sp.Add(*terms), u
        if e.is_Mul:
            factors, u = [], ureg.dimensionless
            for a in e.args:
                ea, ua = walk(a)
                factors.append(ea)
                u = u * ua
            return sp.Mul(*factors), u
        if e.is_Pow:
            base, bu = walk(e.base)
            exp, eu = walk(e.exp)
            exp = dimensionless(exp, eu, f"the exponent of {e}")
            if e.exp.is_Number:
                return base**exp, bu ** float(e.exp)
            base = dimensionless(base, bu, f"the base of {e} (its exponent is symbolic)")
            return base**exp, ureg.dimensionless
        if isinstance(e, sp.Piecewise):
            branches, u = same_unit([b.expr for b in e.args], f"the branches of {e}")
            conds = [relational(b.cond) for b in e.args]
            return sp.Piecewise(*zip(branches, conds, strict=True)), u
        if isinstance(e, (sp.Min, sp.Max)):
            args, u = same_unit(list(e.args), f"in {e}")
            return e.func(*args), u
        if isinstance(e, sp.Abs):
            inner, u = walk(e.args[0])
            return sp.Abs(inner), u
        if isinstance(e, sp.Heaviside):
            inner, _ = walk(e.args[0])
            return sp.Heaviside(inner, *e.args[1:]), ureg.dimensionless
        if isinstance(e, sp.Function):
            args = [dimensionless(*walk(a), f"the argument of {e.func}") for a in e.args]
            return e.func(*args), ureg.dimensionless
        raise UnitError(f"cannot infer the unit of {e} (unsupported expression type "
                        f"{type(e).__name__})")

    def relational(cond):
        if cond in (sp.true, sp.false):
            return cond
        if isinstance(cond, sp.core.relational.Relational):
            (lhs, rhs), _ = same_unit([cond.lhs, cond.rhs], f"in the condition {cond}")
            return cond.func(lhs, rhs)
        if isinstance(cond, (sp.And, sp.Or, sp.Not)):
            return cond.func(*[relational(c) for c in cond.args])
        raise UnitError(f"unsupported condition {cond}")

    return walk(sp.sympify(expr))
