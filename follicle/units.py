"""The package's single pint unit registry and conversions at the user boundary.

Units the field uses are defined here: ``cell`` (a count of cells, its own dimension so that
cells are never silently added to concentrations), ``AU`` (arbitrary units, also its own
dimension, for signals such as a WNT level whose absolute scale is unknown), plus pint's
``nM``, ``mg/kg``, ``day``, ``week`` and ``year``.

Inside a compiled model every number is a plain float in the unit declared for its state or
parameter, and time is in the model's time unit (days, :data:`TIME_UNIT`, unless the model
says otherwise).
"""

from __future__ import annotations

import math
import re
from numbers import Real

import pint

from follicle.errors import ParameterValueError, UnitError, shown

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


#: The longest unit or quantity text read (the field's longest unit has 16 characters).
TEXT_LIMIT = 80
#: The largest exponent a unit may carry (``cell/mm**2`` has 2).
EXPONENT_LIMIT = 12

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_µμ][A-Za-z0-9_µμ]*)|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<super>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)|(?P<op>\*\*|[*/^()·+-]))"
)
_NUMBER = re.compile(
    r"\s*([+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?|(?i:nan|inf(?:inity)?)))"
    r"(?=\s|$|[A-Za-z_µμ(])"
)
_UNIT_HELP = (
    "Write units as a product of unit names with '*', '/', '**' and integer or decimal "
    "exponents, e.g. 'nM', 'cell/mm**2', '1/day', 'mg/kg' (no arithmetic)."
)


class _UnitParser:
    """Recursive descent over the unit grammar::

        unit   := factor (('*' | '·' | '/' | ' ') factor)*
        factor := atom [('**' | '^') exponent | superscript]
        atom   := name | '1' | '(' unit ')'

    Only names of the registry become units; numbers appear only as exponents (at most
    :data:`EXPONENT_LIMIT`) or as the ``1`` of ``1/day``. Nothing is evaluated, so no
    text can make pint compute (``9**9**9``) or call anything.
    """

    def __init__(self, text: str):
        self.tokens, position = [], 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                if text[position:].strip():
                    raise ValueError(f"unexpected character {text[position]!r}")
                break
            kind = match.lastgroup
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.position = 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.position += 1
        return token

    def parse(self) -> pint.Unit:
        unit = self.unit()
        if self.peek()[0] is not None:
            raise ValueError(f"unexpected {self.peek()[1]!r}")
        return unit

    def unit(self) -> pint.Unit:
        unit = self.factor()
        while True:
            kind, value = self.peek()
            if kind == "op" and value in {"*", "·", "/"}:
                self.take()
                unit = unit / self.factor() if value == "/" else unit * self.factor()
            elif kind == "name" or (kind == "op" and value == "("):
                unit = unit * self.factor()  # juxtaposition: 'mg kg'
            else:
                return unit

    def factor(self) -> pint.Unit:
        unit = self.atom()
        kind, value = self.peek()
        if kind == "super":
            self.take()
            return unit ** self.bounded(value.translate(_SUPERSCRIPTS))
        if kind == "op" and value in {"**", "^"}:
            self.take()
            parenthesised = self.peek() == ("op", "(")
            if parenthesised:
                self.take()
            sign = ""
            if self.peek()[0] == "op" and self.peek()[1] in {"+", "-"}:
                sign = self.take()[1]
            kind, number = self.take()
            if kind != "number":
                raise ValueError("an exponent must be a number")
            if parenthesised and self.take() != ("op", ")"):
                raise ValueError("missing ')' after the exponent")
            return unit ** self.bounded(sign + number)
        return unit

    @staticmethod
    def bounded(text: str) -> float:
        exponent = float(text)
        if abs(exponent) > EXPONENT_LIMIT:
            raise ValueError(f"the exponent {text} is larger than {EXPONENT_LIMIT}")
        return int(exponent) if exponent.is_integer() else exponent

    def atom(self) -> pint.Unit:
        kind, value = self.take()
        if kind == "name":
            try:
                return ureg.Unit(value)
            except pint.errors.UndefinedUnitError:
                raise ValueError(f"{value!r} is not a unit follicle knows") from None
        if kind == "number" and float(value) == 1:
            return ureg.dimensionless
        if (kind, value) == ("op", "("):
            unit = self.unit()
            if self.take() != ("op", ")"):
                raise ValueError("missing ')'")
            return unit
        raise ValueError("expected a unit name" + ("" if kind is None else f", got {value!r}"))


#: Unit texts already read (pint units are immutable), at most this many: a schedule's
#: units are read on every simulation, and pint's parser costs about 0.5 ms a unit.
_PARSED: dict[str, pint.Unit] = {}
_PARSED_LIMIT = 4096


def parse_unit(unit: str | pint.Unit, *, what: str = "unit") -> pint.Unit:
    """Return the pint unit for ``unit``, raising :class:`UnitError` if it cannot be parsed.

    ``"1"``, ``""`` and ``"dimensionless"`` mean dimensionless. The text is read by a small
    grammar (see :class:`_UnitParser`), at most :data:`TEXT_LIMIT` characters, never
    evaluated.
    """
    if isinstance(unit, pint.Unit):
        return unit
    if not isinstance(unit, str):
        raise UnitError(
            f"{what}: expected a unit string such as 'nM' or '1/day', got {shown(unit)}"
        )
    text = unit.strip()
    if text in {"", "1", "dimensionless"}:
        return ureg.dimensionless
    if len(text) > TEXT_LIMIT:
        raise UnitError(
            f"{what}: the unit {shown(unit)} is longer than {TEXT_LIMIT} characters. " + _UNIT_HELP
        )
    if text in _PARSED:
        return _PARSED[text]
    try:
        parsed = _UnitParser(text).parse()
    except ValueError as exc:
        raise UnitError(
            f"{what}: cannot understand the unit {shown(unit)} ({exc}). " + _UNIT_HELP
        ) from None
    if len(_PARSED) < _PARSED_LIMIT:  # every call resolves a schedule's units again
        _PARSED[text] = parsed
    return parsed


def as_magnitude(value, unit: str | pint.Unit, *, what: str) -> float:
    """Convert a user value to a float in ``unit``.

    Parameters
    ----------
    value
        A number (taken to be in ``unit`` already), a pint quantity, or a string with a
        number and a unit such as ``"2 mg/kg"`` or ``"3 day"`` (no arithmetic; at most
        :data:`TEXT_LIMIT` characters).
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
    target = parse_unit(unit, what=what)
    if isinstance(value, str):
        value = parse_quantity(value, target, what=what)
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
            f"{what}: expected a number or a quantity in {target:~P}, got {shown(value)}"
        )
    try:
        magnitude = float(magnitude)
    except (TypeError, ValueError):  # e.g. a quantity wrapping an array or a string
        raise ParameterValueError(
            f"{what}: expected one number in {target:~P}, got {shown(value)}"
        ) from None
    if not math.isfinite(magnitude):
        raise ParameterValueError(
            f"{what}: value {magnitude} is not finite; give a finite number in {target:~P}"
        )
    return magnitude


def parse_quantity(
    text: str, target: pint.Unit = ureg.dimensionless, *, what: str = "quantity"
) -> pint.Quantity:
    """``text`` (a number, then a unit, no arithmetic) as a quantity, raising
    :class:`UnitError` if it cannot be read.

    The unit defaults to ``target`` only when the text is a bare number; the text is read by
    the same small grammar as :func:`parse_unit`, never evaluated.

    >>> parse_quantity("20 1/day")
    <Quantity(20, '1 / day')>
    """
    help_ = "write a number and a unit, e.g. '2 mg/kg' or '3 day'"
    if target != ureg.dimensionless:
        help_ += f" (expected unit {target:~P})"
    if len(text) > TEXT_LIMIT:
        raise UnitError(f"{what}: {shown(text)} is longer than {TEXT_LIMIT} characters; {help_}")
    match = _NUMBER.match(text)
    if match is None:
        raise UnitError(f"{what}: cannot read {shown(text)} as a quantity; {help_}")
    digits = match.group(1)
    # Whole numbers stay int, so messages quote "3 nM" as written (at most 80 digits).
    number = int(digits) if digits.lstrip("+-").isdigit() else float(digits)
    rest = text[match.end() :].strip()
    if not rest:
        return Q_(number, target)
    try:
        unit = _UnitParser(rest).parse()
    except ValueError as exc:
        raise UnitError(
            f"{what}: cannot read {shown(text)} as a quantity ({exc}); {help_}"
        ) from None
    return Q_(number, unit)


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
            raise UnitError(f"{context} must be dimensionless, but {e} has unit {u:~P}")
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
        raise UnitError(
            f"cannot infer the unit of {e} (unsupported expression type {type(e).__name__})"
        )

    def relational(cond):
        if cond in (sp.true, sp.false):
            return cond
        if isinstance(cond, sp.core.relational.Relational):
            (lhs, rhs), _ = same_unit([cond.lhs, cond.rhs], f"in the condition {cond}")
            return cond.func(lhs, rhs)
        if isinstance(cond, (sp.And, sp.Or, sp.Not, sp.Xor, sp.ITE)):
            return cond.func(*[relational(c) for c in cond.args])
        raise UnitError(f"unsupported condition {cond}")

    return walk(sp.sympify(expr))
