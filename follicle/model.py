"""Model definition: states, parameters, rate terms, observables, and their composition.

A model is written as one or more :class:`Module` objects, one per biological compartment,
that share states and parameters *by name*. :class:`Model` assembles them, checks that every
name is defined exactly once and that every rate term has the unit of its state per unit
time, and hands the result to :mod:`follicle.codegen.arrays` for fast numeric code.

The time symbol :data:`t` (in the model's time unit, :attr:`Model.time_unit`, days by
default) may appear in rate terms, e.g. for age-dependent production.

Examples
--------
>>> import follicle as fl
>>> m = fl.Module("decay")
>>> X = m.state("X", unit="nM", initial=1.0, description="ligand")
>>> k = m.parameter("k", 0.1, "1/day", bounds=(0, 10), provenance="assumed: example")
>>> m.rate(X, -k * X, label="degradation")
>>> model = fl.Model("decay", [m])
>>> model.state_names
('X',)
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pint
import sympy as sp

from follicle.errors import (
    ModelDefinitionError,
    ParameterValueError,
    UnitError,
    UnknownNameError,
    shown,
)
from follicle.units import (
    as_magnitude,
    convert_expression,
    expression_unit,
    parse_unit,
)

__all__ = [
    "Conservation",
    "Flow",
    "Model",
    "Module",
    "Observable",
    "Parameter",
    "RateTerm",
    "State",
    "t",
]

#: The time symbol (unit: day). Use it in rate terms that depend on time or age.
t = sp.Symbol("t", real=True)
_RESERVED = {"t"}


def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def _real(value: sp.Expr, state: str) -> float:
    """The number a closed expression (an initial value at the default parameters) is."""
    try:
        number = complex(value)
    except TypeError:
        number = complex("nan")
    if number.imag != 0:
        raise ParameterValueError(
            f"the initial value of state {state!r} is {shown(value, 80)} at the default "
            "parameters, not a real number"
        )
    return number.real


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ModelDefinitionError(
            f"{what} name {shown(name)} is not a valid identifier; use letters, digits and '_'"
        )
    if name in _RESERVED:
        raise ModelDefinitionError(f"{what} name {name!r} is reserved for time")


@dataclass(frozen=True)
class State:
    """A dynamic variable.

    Attributes
    ----------
    name : str
    unit : str
        A pint unit string, e.g. ``"cell/mm**2"``.
    initial : float or sympy.Expr
        Initial value in ``unit``: a number (or quantity), or a sympy expression of the
        model's parameters (for example ``a * b``; an SBML initial assignment). An
        expression is evaluated from each run's own parameter values, so setting a
        parameter it uses changes the initial value; :attr:`Model.initial_expressions`
        holds it and ``initial`` becomes its value at the default parameters.
    description : str
    nonnegative : bool
        Whether the state is a physical amount that can never be negative. Negative
        initial values are rejected and the solver output is checked.
    scale : float
        Typical magnitude in ``unit``; sets the default absolute tolerance
        (``1e-9 * scale``).
    """

    name: str
    unit: str
    initial: float
    description: str = ""
    nonnegative: bool = True
    scale: float = 1.0

    def __post_init__(self):
        _check_name(self.name, "state")
        parse_unit(self.unit, what=f"state {self.name!r}")
        if isinstance(self.initial, sp.Expr) and not self.initial.is_Number:
            return  # an expression of the parameters: Model evaluates and checks it
        value = as_magnitude(self.initial, self.unit, what=f"initial value of {self.name!r}")
        object.__setattr__(self, "initial", value)
        if self.nonnegative and value < 0:
            raise ParameterValueError(
                f"initial value of state {self.name!r} is {value} {self.unit}, but the state "
                "is non-negative; give a value >= 0 or declare nonnegative=False"
            )
        if not (
            isinstance(self.scale, int | float)
            and not isinstance(self.scale, bool)
            and math.isfinite(self.scale)
            and self.scale > 0
        ):
            raise ModelDefinitionError(f"state {self.name!r}: scale must be > 0, got {self.scale}")

    @property
    def symbol(self) -> sp.Symbol:
        return _symbol(self.name)


@dataclass(frozen=True)
class Parameter:
    """A constant of the model, with its unit, allowed range and provenance.

    Attributes
    ----------
    name : str
    value : float
        Default value in ``unit``.
    unit : str
    bounds : tuple of float
        Inclusive allowed range ``(low, high)`` in ``unit``; values outside are rejected.
    provenance : str
        Where the value comes from: a citation, or ``"assumed: <reason>"``.
    description : str
    """

    name: str
    value: float
    unit: str
    bounds: tuple[float, float] = (0.0, math.inf)
    provenance: str = ""
    description: str = ""

    def __post_init__(self):
        _check_name(self.name, "parameter")
        parse_unit(self.unit, what=f"parameter {self.name!r}")
        if not isinstance(self.provenance, str) or not self.provenance.strip():
            raise ModelDefinitionError(
                f"parameter {self.name!r} has no provenance; cite its source or write "
                "'assumed: <reason>'"
            )
        try:
            low, high = (float(b) for b in self.bounds)
        except (TypeError, ValueError):
            raise ModelDefinitionError(
                f"parameter {self.name!r}: bounds must be two numbers (low, high) in "
                f"{self.unit}, got {shown(self.bounds)}"
            ) from None
        if math.isnan(low) or math.isnan(high) or low > high:
            raise ModelDefinitionError(
                f"parameter {self.name!r}: bounds {self.bounds} are not an interval (low, high)"
            )
        object.__setattr__(self, "bounds", (low, high))
        object.__setattr__(self, "value", self.validate(self.value))

    @property
    def symbol(self) -> sp.Symbol:
        return _symbol(self.name)

    def validate(self, value) -> float:
        """Convert ``value`` (number, quantity or string) to ``unit`` and check the range."""
        magnitude = as_magnitude(value, self.unit, what=f"parameter {self.name!r}")
        low, high = self.bounds
        if not low <= magnitude <= high:
            raise ParameterValueError(
                f"parameter {self.name!r} = {magnitude:g} {self.unit} is outside its allowed "
                f"range [{low:g}, {high:g}] {self.unit}"
            )
        return magnitude


@dataclass(frozen=True, eq=False)
class Flow:
    """Material moved from one state to another at rate ``expr``, declared by
    :meth:`Module.flow`; its two halves are :class:`RateTerm` objects that refer to it.

    Compared by identity: two flows declared alike are still two flows.
    """

    source: str
    target: str
    expr: sp.Expr
    label: str


@dataclass(frozen=True)
class RateTerm:
    """One additive term of d(state)/dt, with a label for error messages and documentation.

    ``flow`` is the :class:`Flow` this term is one half of (``-expr`` in the source,
    ``+expr`` in the target), or ``None`` for a term added by :meth:`Module.rate`.
    """

    state: str
    expr: sp.Expr
    label: str
    module: str
    flow: Flow | None = None


@dataclass(frozen=True)
class Observable:
    """A named expression of states, parameters and time, e.g. a readout."""

    name: str
    expr: sp.Expr
    unit: str | None = None
    description: str = ""
    module: str = ""

    def __post_init__(self):
        _check_name(self.name, "observable")


@dataclass(frozen=True)
class Conservation:
    """A declared invariant: the states' values add up to ``total`` at every time.

    Declared with :meth:`Module.conserve`. :class:`Model` checks that the rate terms keep
    the sum constant; initial values that break it are refused; non-negative states are
    clipped in output without changing it.
    """

    states: tuple[str, ...]
    total: float
    label: str
    module: str


#: Relative tolerance of a conserved total in initial values (round-off of typed fractions).
CONSERVATION_RTOL = 1e-9


@dataclass
class Module:
    """A building block of a model, usually one biological compartment.

    States and parameters declared here are shared with other modules by name: a module
    that needs a state defined elsewhere refers to it with :meth:`symbol`.
    """

    name: str
    doc: str = ""
    states: list[State] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)
    terms: list[RateTerm] = field(default_factory=list)
    observables: list[Observable] = field(default_factory=list)
    conserved: list[Conservation] = field(default_factory=list)
    interventions: dict[str, str] = field(default_factory=dict)

    def state(self, name, unit, initial, description="", *, nonnegative=True, scale=1.0):
        """Declare a state and return its sympy symbol."""
        s = State(name, unit, initial, description, nonnegative, scale)
        self.states.append(s)
        return s.symbol

    def parameter(self, name, value, unit, *, bounds=(0.0, math.inf), provenance, description=""):
        """Declare a parameter and return its sympy symbol."""
        if isinstance(bounds, str) or not isinstance(bounds, Iterable):
            raise ModelDefinitionError(
                f"parameter {shown(name)}: bounds must be two numbers (low, high), got "
                f"{shown(bounds)}"
            )
        p = Parameter(name, value, unit, tuple(bounds), provenance, description)
        self.parameters.append(p)
        return p.symbol

    def add_parameter(self, parameter: Parameter) -> sp.Symbol:
        """Add an already built :class:`Parameter` (e.g. loaded from a table)."""
        self.parameters.append(parameter)
        return parameter.symbol

    @staticmethod
    def symbol(name: str) -> sp.Symbol:
        """The symbol of a state or parameter declared in another module."""
        return _symbol(name)

    def rate(self, state, expr, label: str = "") -> None:
        """Add ``expr`` to d(state)/dt.

        ``expr`` is a sympy expression built from the model's symbols (or a number); text
        is refused, since turning it into an expression would evaluate it as Python.
        """
        name = _name_of(state)
        what = f"rate term of d({name})/dt in module {self.name!r}"
        expr = _expression(expr, what)
        self.terms.append(RateTerm(name, expr, label or str(expr), self.name))

    def flow(self, source, target, expr, label: str = "") -> None:
        """Move material: subtract ``expr`` from d(source)/dt and add it to d(target)/dt.

        Flows conserve the total of ``source + target`` exactly, which is how phase
        fractions are kept summing to one. The two terms refer to one :class:`Flow`, so
        the flow stays visible in the built model (SBML export writes it as a reaction).
        """
        source, target = _name_of(source), _name_of(target)
        expr = _expression(expr, f"flow {source} -> {target} in module {self.name!r}")
        text = label or str(expr)
        flow = Flow(source, target, expr, text)
        self.terms.append(RateTerm(source, -expr, f"{text} (out)", self.name, flow))
        self.terms.append(RateTerm(target, expr, f"{text} (in)", self.name, flow))

    def conserve(self, states, total: float = 1.0, *, label: str = "") -> None:
        """Declare that ``states`` (symbols or names) add up to ``total`` at every time.

        Phase fractions that move only by :meth:`flow` are the typical case. The model then
        refuses initial values whose sum differs from ``total`` (relative tolerance
        :data:`CONSERVATION_RTOL`) and checks that the rate terms keep the sum constant.
        """
        names = tuple(_name_of(s) for s in states)
        if len(names) < 2 or len(set(names)) != len(names):
            raise ModelDefinitionError(
                f"module {self.name!r}: conserve() needs two or more distinct states, got "
                f"{shown(names)}"
            )
        value = as_magnitude(total, "1", what=f"conserved total of module {self.name!r}")
        text = label or f"sum of {names[0]}..{names[-1]}"
        self.conserved.append(Conservation(names, value, text, self.name))

    def intervention(self, name: str, state) -> None:
        """Name the dosing of ``state`` (a symbol or name): sweeps then call the amount of
        its doses ``"<name>.amount"`` (e.g. ``"wnt_inhibitor.amount"`` for ``D_wnt``)."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ModelDefinitionError(
                f"module {self.name!r}: an intervention's name must be an identifier, got "
                f"{shown(name)}"
            )
        self.interventions[name] = _name_of(state)

    def observable(self, name, expr, unit=None, description="") -> sp.Symbol:
        """Declare an observable and return a symbol standing for it in later observables.

        ``expr`` is a sympy expression or a number, never text (see :meth:`rate`).
        """
        expr = _expression(expr, f"observable {shown(name)} of module {self.name!r}")
        self.observables.append(Observable(name, expr, unit, description, self.name))
        return _symbol(name)


def initial_matrix(default: np.ndarray, compiled, params: np.ndarray) -> np.ndarray:
    """Initial values ``(n_states, members)`` for each column of ``params``: ``default``
    with the rows ``compiled.initial_rows`` (states whose initial value is an expression
    of the parameters) evaluated by ``compiled.initial``; ``compiled`` None when there are
    none. Values are not checked here (a member's may be negative or not finite)."""
    params = np.asarray(params, dtype=float)
    params = params.reshape(params.shape[0], -1)
    out = np.repeat(np.asarray(default, dtype=float)[:, None], params.shape[1], axis=1)
    if compiled is not None and compiled.initial_rows.size:
        with np.errstate(all="ignore"):
            out[compiled.initial_rows] = compiled.initial(params)
    return out


def conservation_violations(laws, groups, initial: np.ndarray) -> np.ndarray:
    """For each column of ``initial`` (states x members), ``None`` or a sentence naming the
    conservation of ``laws`` (state indices ``groups``) it breaks, the sum and the total."""
    reasons = np.full(initial.shape[1], None, dtype=object)
    for law, group in zip(laws, groups, strict=True):
        sums = initial[group].sum(axis=0)
        tolerance = CONSERVATION_RTOL * max(1.0, abs(law.total))
        for m in np.flatnonzero(~(np.abs(sums - law.total) <= tolerance)):
            if reasons[m] is None:
                reasons[m] = (
                    f"the conservation {law.label!r} (module {law.module!r}): "
                    f"{' + '.join(law.states[:4])}{' + ...' if len(law.states) > 4 else ''}"
                    f" = {sums[m]:.10g}, but must be {law.total:g}; change the other "
                    "states of the group too so that the sum stays"
                )
    return reasons


def clip_conserving(y: np.ndarray, nonnegative: np.ndarray, groups) -> np.ndarray:
    """Clip the ``nonnegative`` rows of ``y`` (states first) at zero in place, then scale
    each conserved group (an index array of ``groups``) back to its sum before clipping.

    The integrator lets a non-negative state undershoot zero by its error tolerance;
    clipping alone would add that much to a conserved total, scaling takes it back from
    the group's positive members.
    """
    if y.size == 0 or y.min() >= 0:  # the usual case: nothing to clip
        return y
    sums = [y[group].sum(axis=0) for group in groups]
    y[nonnegative] = np.maximum(y[nonnegative], 0.0)
    for group, before in zip(groups, sums, strict=True):
        after = y[group].sum(axis=0)
        y[group] *= np.divide(before, after, out=np.ones_like(after), where=after > 0)
    return y


def _expression(expr, what: str) -> sp.Expr:
    """``expr`` as a sympy expression; text and other objects are refused, not parsed."""
    if isinstance(expr, str):
        raise ModelDefinitionError(
            f"{what}: got the text {shown(expr)}; text is not evaluated. Build the "
            "expression from symbols, e.g. k = Module.symbol('k'); X = Module.symbol('X'); "
            "m.rate(X, -k * X)"
        )
    try:
        converted = sp.sympify(expr, strict=True)
    except sp.SympifyError:
        converted = None
    if not isinstance(converted, sp.Expr):
        raise ModelDefinitionError(
            f"{what}: expected a sympy expression of the model's symbols or a number, got "
            f"{shown(expr)} ({type(expr).__name__})"
        )
    return converted


def _mapping(overrides, what: str) -> Mapping:
    """``overrides`` (None or a mapping of names to values), checked."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise ModelDefinitionError(
            f"{what} must be a mapping of names to values, e.g. {{'k': 0.5}}, got "
            f"{shown(overrides)} ({type(overrides).__name__})"
        )
    return overrides


def _name_of(x) -> str:
    if isinstance(x, sp.Symbol):
        return x.name
    if isinstance(x, str):
        return x
    raise ModelDefinitionError(f"expected a state symbol or name, got {x!r}")


class Model:
    """A complete model assembled from modules, unit-checked and ready to compile.

    Parameters
    ----------
    name : str
    modules : iterable of Module
        Every state and parameter must be declared in exactly one module. Rate terms and
        observables may use any state, parameter, earlier observable, or :data:`t`.
    time_unit : str, optional
        The model's unit of time (default ``"day"``, the unit of the biology): :data:`t`
        is in it, rates are per it, and :func:`~follicle.simulate`, output times,
        schedules and readouts take bare-number times in it (times with units are
        converted to it). An SBML document keeps its own.

    Raises
    ------
    ModelDefinitionError
        Duplicate or invalid names, a rate term for an undeclared state.
    UnknownNameError
        A symbol in an expression that no module declares (with close matches).
    UnitError
        A rate term whose unit is not that of its state per unit time; the message names
        the state, the term and both units.

    Notes
    -----
    The right-hand side is assembled from the unit-converted terms:

    .. math:: \\frac{dx_i}{dt} = \\sum_k c_{ik}\\, f_{ik}(x, p, t),

    where :math:`c_{ik}` converts the unit of term :math:`f_{ik}` to
    ``unit(x_i) / time_unit`` (it is 1 when the units already agree).
    """

    def __init__(self, name: str, modules: Iterable[Module], *, time_unit: str = "day"):
        self.name = name
        self.time_unit = parse_unit(time_unit, what="time_unit")
        if not (1 * self.time_unit).check("[time]"):
            raise ModelDefinitionError(
                f"time_unit {time_unit!r} is not a unit of time; give e.g. 'day' or 'second'"
            )
        self.modules = tuple(modules)
        self.states = self._collect("state", [s for m in self.modules for s in m.states])
        self.parameters = self._collect(
            "parameter", [p for m in self.modules for p in m.parameters]
        )
        clash = set(self.states) & set(self.parameters)
        if clash:
            raise ModelDefinitionError(f"names used both as state and parameter: {sorted(clash)}")
        self.initial_expressions = self._initial_expressions()
        self.terms = tuple(term for m in self.modules for term in m.terms)
        self._check_terms()
        self.observables = self._build_observables()
        self.rhs_expressions = self._build_rhs()
        self.conservation = tuple(law for m in self.modules for law in m.conserved)
        self.interventions = self._collect_interventions()
        self._check_conservation()

    # -- assembly -----------------------------------------------------------------------
    def _collect(self, kind, items):
        out: dict = {}
        owner = {}
        for module in self.modules:
            for item in getattr(module, kind + "s"):
                owner.setdefault(item.name, []).append(module.name)
        for item in items:
            if item.name in out:
                raise ModelDefinitionError(
                    f"{kind} {item.name!r} is declared in more than one module "
                    f"({', '.join(owner[item.name])}); declare it once and use "
                    f"Module.symbol({item.name!r}) elsewhere"
                )
            out[item.name] = item
        return out

    def _unit_of(self, symbol: sp.Symbol, extra: Mapping[str, pint.Unit] | None = None):
        name = symbol.name
        if name == "t":
            return self.time_unit
        if name in self.states:
            return parse_unit(self.states[name].unit)
        if name in self.parameters:
            return parse_unit(self.parameters[name].unit)
        if extra and name in extra:
            return extra[name]
        known = [*self.states, *self.parameters, *(extra or {})]
        raise UnknownNameError("symbol", name, known)

    def _initial_expressions(self) -> dict[str, sp.Expr]:
        """The states whose initial value is an expression of the parameters, each in the
        state's unit; their :class:`State` takes the value at the default parameters."""
        out = {}
        for name, state in self.states.items():
            if not isinstance(state.initial, sp.Expr):
                continue
            expr = self._canonical(state.initial)
            strangers = sorted(s.name for s in expr.free_symbols if s.name not in self.parameters)
            if strangers:
                raise ModelDefinitionError(
                    f"the initial value of state {name!r} ({shown(expr, 80)}) may use only "
                    f"parameters, but uses {', '.join(map(repr, strangers))}"
                )
            what = f"the initial value of state {name!r}"
            try:
                converted, unit = expression_unit(expr, self._unit_of)
            except UnitError as exc:
                raise UnitError(f"{what}: {exc}") from None
            target = parse_unit(state.unit)
            if unit.dimensionality != target.dimensionality:
                raise UnitError(
                    f"{what} ({shown(expr, 80)}) has unit {unit:~P}, but the state's unit is "
                    f"{target:~P}"
                )
            out[name] = convert_expression(converted, unit, target)
        for name, expr in out.items():
            value = expr.xreplace({p.symbol: p.value for p in self.parameters.values()})
            self.states[name] = replace(
                self.states[name],
                initial=as_magnitude(
                    _real(value, name), self.states[name].unit, what=f"initial value of {name!r}"
                ),
            )
        return out

    def initial_matrix(self, params: np.ndarray) -> np.ndarray:
        """Default initial values for each column of ``params`` (parameters x members):
        the states of :attr:`initial_expressions` evaluated from the column's parameters,
        the others their declared values. Shape ``(n_states, members)``."""
        default = np.array([s.initial for s in self.states.values()], dtype=float)
        return initial_matrix(default, self.compiled if self.initial_expressions else None, params)

    def _canonical(self, expr: sp.Expr) -> sp.Expr:
        """Replace symbols by name so that ``sp.Symbol('X')`` and ``X`` are the same."""
        return expr.xreplace({s: _symbol(s.name) for s in expr.free_symbols})

    def _check_terms(self):
        for term in self.terms:
            if term.state not in self.states:
                raise UnknownNameError(
                    f"state (in a rate term of module {term.module!r})",
                    term.state,
                    self.states,
                )

    def _build_rhs(self, factor=None):
        rhs = {name: sp.Integer(0) for name in self.states}
        for term, expr in zip(self.terms, self.term_expressions(factor), strict=True):
            rhs[term.state] += expr
        return tuple(rhs[name] for name in self.states)

    def term_expressions(self, factor=None) -> tuple[sp.Expr, ...]:
        """Each of :attr:`terms` in the unit of its state per time unit (``factor`` as for
        :meth:`expressions`); d(state)/dt is the sum of its terms."""
        out = []
        for term in self.terms:
            state = self.states[term.state]
            expected = parse_unit(state.unit) / self.time_unit
            expr = self._canonical(term.expr)
            try:
                converted, unit = expression_unit(expr, self._unit_of, factor=factor)
            except UnitError as exc:
                raise UnitError(
                    f"rate term {term.label!r} of d({term.state})/dt in module "
                    f"{term.module!r}: {exc}"
                ) from None
            if unit.dimensionality != expected.dimensionality:
                raise UnitError(
                    f"rate term {term.label!r} of d({term.state})/dt (module {term.module!r}) "
                    f"has unit {unit:~P}, but d({term.state})/dt needs {expected:~P} "
                    f"(state unit {state.unit} per {self.time_unit})"
                )
            out.append(convert_expression(converted, unit, expected, factor))
        return tuple(out)

    def _collect_interventions(self) -> dict[str, str]:
        """Every module's named interventions, ``{name: dosed state}``."""
        found: dict[str, str] = {}
        for m in self.modules:
            for name, state in m.interventions.items():
                if name in found or name in self.states or name in self.parameters:
                    raise ModelDefinitionError(
                        f"module {m.name!r}: the intervention name {name!r} is already a "
                        "state, a parameter or another module's intervention"
                    )
                if state not in self.states:
                    raise UnknownNameError(
                        f"dosed state (of the intervention {name!r} of module {m.name!r})",
                        state,
                        self.states,
                    )
                found[name] = state
        return found

    def _check_conservation(self) -> None:
        """Check the declared invariants against the rate terms and default values."""
        for law in self.conservation:
            for name in law.states:
                if name not in self.states:
                    raise UnknownNameError(
                        f"state (in the conservation {law.label!r} of module {law.module!r})",
                        name,
                        self.states,
                    )
            rates = sp.Add(*(self.rhs_expressions[self.state_names.index(n)] for n in law.states))
            if rates != 0 and sp.expand(rates) != 0:
                raise ModelDefinitionError(
                    f"module {law.module!r} declares {law.label!r} conserved, but the rate "
                    f"terms change the sum by {shown(rates, 120)}; move material with "
                    "Module.flow between the listed states only"
                )
        reasons = self.conservation_violations(
            np.array([s.initial for s in self.states.values()], dtype=float).reshape(-1, 1)
        )
        if reasons[0] is not None:
            raise ModelDefinitionError(f"the default initial values break {reasons[0]}")

    @cached_property
    def conservation_groups(self) -> tuple[np.ndarray, ...]:
        """The state indices of each declared conservation, in model order."""
        names = self.state_names
        return tuple(np.array([names.index(n) for n in law.states]) for law in self.conservation)

    def conservation_violations(self, initial: np.ndarray) -> np.ndarray:
        """:func:`conservation_violations` of this model's declared conservation."""
        return conservation_violations(self.conservation, self.conservation_groups, initial)

    def clip_nonnegative(self, y: np.ndarray) -> np.ndarray:
        """``y`` (states first) clipped in place by :func:`clip_conserving`."""
        nonnegative = np.array([s.nonnegative for s in self.states.values()], dtype=bool)
        return clip_conserving(y, nonnegative, self.conservation_groups)

    def _build_observables(self, factor=None):
        out: dict[str, tuple[Observable, sp.Expr]] = {}
        units: dict[str, pint.Unit] = {}
        for module in self.modules:
            for obs in module.observables:
                if obs.name in out or obs.name in self.states or obs.name in self.parameters:
                    raise ModelDefinitionError(f"observable name {obs.name!r} is already used")
                expr = self._canonical(obs.expr)
                try:
                    converted, unit = expression_unit(
                        expr, lambda s: self._unit_of(s, units), factor=factor
                    )
                except UnitError as exc:
                    raise UnitError(f"observable {obs.name!r}: {exc}") from None
                if obs.unit is not None:
                    declared = parse_unit(obs.unit, what=f"observable {obs.name!r}")
                    if unit.dimensionality != declared.dimensionality:
                        raise UnitError(
                            f"observable {obs.name!r} is declared in {declared:~P} but its "
                            f"expression has unit {unit:~P}"
                        )
                    converted = convert_expression(converted, unit, declared, factor)
                    unit = declared
                # Substitute earlier observables so each expression is in states only.
                converted = converted.xreplace({_symbol(n): e for n, (_, e) in out.items()})
                units[obs.name] = unit
                out[obs.name] = (replace(obs, unit=f"{unit:~P}" if unit != 1 else "1"), converted)
        return out

    def expressions(self, factor=None):
        """Right-hand sides and observables with every unit conversion built by ``factor``.

        Parameters
        ----------
        factor : Callable[[float, pint.Unit, pint.Unit], sympy.Expr], optional
            Called as ``factor(value, source, target)`` for each conversion the unit check
            inserts (``value`` takes a magnitude in ``source`` to one in ``target``). Default:
            the number ``value``, which gives :attr:`rhs_expressions` and the observables'
            expressions.

        Returns
        -------
        rhs : tuple of sympy.Expr
            d(state)/dt in the unit of the state per time unit, in model order.
        observables : dict of str to sympy.Expr
            Each observable in its declared unit, written in states, parameters and ``t``.
        """
        observables = self._build_observables(factor)
        return self._build_rhs(factor), {n: e for n, (_, e) in observables.items()}

    # -- names and vectors ---------------------------------------------------------------
    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(self.states)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(self.parameters)

    @property
    def observable_names(self) -> tuple[str, ...]:
        return tuple(self.observables)

    @cached_property
    def variable_names(self) -> tuple[str, ...]:
        """The states, then the observables: the rows of a trajectory."""
        return (*self.state_names, *self.observable_names)

    @cached_property
    def variable_units(self) -> tuple[str, ...]:
        """The unit of each of :attr:`variable_names`."""
        return tuple(self.unit(n) for n in self.variable_names)

    @cached_property
    def parameter_units(self) -> tuple[str, ...]:
        """The unit of each parameter, in model order."""
        return tuple(self.parameters[n].unit for n in self.parameter_names)

    def unit(self, name: str) -> str:
        """The unit of a state, parameter or observable."""
        if name in self.states:
            return self.states[name].unit
        if name in self.parameters:
            return self.parameters[name].unit
        if name in self.observables:
            return self.observables[name][0].unit
        raise UnknownNameError("name", name, [*self.states, *self.parameters, *self.observables])

    def parameter_vector(self, overrides: Mapping | None = None) -> np.ndarray:
        """Default parameter values with ``overrides`` applied, validated, in model order."""
        values = {n: p.value for n, p in self.parameters.items()}
        for name, value in _mapping(overrides, "params").items():
            if name not in self.parameters:
                raise UnknownNameError("parameter", name, self.parameters)
            values[name] = self.parameters[name].validate(value)
        return np.array([values[n] for n in self.parameters], dtype=float)

    def initial_vector(
        self, overrides: Mapping | None = None, params: np.ndarray | None = None
    ) -> np.ndarray:
        """Default initial state with ``overrides`` applied, validated, in model order.

        ``params`` (a parameter vector, default :meth:`parameter_vector`) is what the
        states of :attr:`initial_expressions` are evaluated from.
        """
        overrides = _mapping(overrides, "initial")
        values = {n: s.initial for n, s in self.states.items()}
        if self.initial_expressions:
            p = self.parameter_vector() if params is None else params
            values = dict(zip(self.states, self.initial_matrix(p)[:, 0], strict=True))
            for name in self.initial_expressions.keys() - overrides.keys():
                state = self.states[name]
                if not math.isfinite(values[name]) or (state.nonnegative and values[name] < 0):
                    raise ParameterValueError(
                        f"the initial value of state {name!r}, "
                        f"{shown(self.initial_expressions[name], 80)}, is {values[name]:g} "
                        f"{state.unit} with these parameters; it must be finite"
                        f"{' and >= 0' if state.nonnegative else ''} (or give initial= for it)"
                    )
        for name, value in overrides.items():
            if name not in self.states:
                raise UnknownNameError("state", name, self.states)
            values[name] = replace(self.states[name], initial=value).initial
        vector = np.array([values[n] for n in self.states], dtype=float)
        reason = self.conservation_violations(vector[:, None])[0]
        if reason is not None:
            raise ParameterValueError(
                f"initial values {shown(dict(overrides or {}), 120)} break {reason}"
            )
        return vector

    def with_defaults(self, **values) -> Model:
        """A copy whose default parameter values are changed; it reuses the compiled code."""
        new = object.__new__(Model)
        new.__dict__.update(self.__dict__)
        new.parameters = dict(self.parameters)
        for name, value in values.items():
            if name not in self.parameters:
                raise UnknownNameError("parameter", name, self.parameters)
            new.parameters[name] = replace(self.parameters[name], value=value)
        if self.initial_expressions:  # their defaults follow the new parameters
            new.states = dict(self.states)
            column = new.initial_matrix(new.parameter_vector())[:, 0]
            for name in self.initial_expressions:
                value = column[new.state_names.index(name)]
                new.states[name] = replace(self.states[name], initial=value)
        return new

    # -- compiled form -------------------------------------------------------------------
    @cached_property
    def compiled(self):
        """The compiled numeric model (built once per model structure, then cached)."""
        from follicle.codegen.arrays import compile_model

        return compile_model(self)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("compiled", None)  # rebuilt (or fetched from the cache) on demand
        return state

    def __repr__(self) -> str:
        return (
            f"<Model {self.name!r}: {len(self.states)} states, {len(self.parameters)} "
            f"parameters, {len(self.observables)} observables>"
        )

    def _repr_html_(self) -> str:
        from follicle.display import model_html

        return model_html(self)
