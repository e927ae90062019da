"""SBML export: a model and its dosing schedule as one SBML Level 3 Version 2 document.

:func:`export` writes a :class:`~follicle.Model` (with optional parameter and initial-state
overrides) and a :class:`~follicle.Schedule` as SBML text that other simulators
(libRoadRunner, COPASI, ...) integrate to the same trajectories as :func:`follicle.simulate`.
It needs the ``[sbml]`` extra (python-libsbml).

What maps to what
-----------------
state
    A ``<species>`` if its unit is the extent unit (below), else a ``<parameter
    constant="false">`` with a ``<rateRule>``: the sum of the state's rate terms, in the
    state's unit per day. Species sit in one compartment of size 1 and have
    ``hasOnlySubstanceUnits="true"``, so a species' value (its amount, in the state's unit
    as ``substanceUnits``) is the state's value whatever that unit is. SBML allows a
    species' amount and the extent of reactions only in units of a substance (multiples of
    mole, item, kilogram or dimensionless), and all reactions share one extent unit, so
    the most common such unit among the states is the extent unit (``1`` for the coupled
    model; its drug exposures in mg/kg keep rate rules). A species in another unit would
    need a ``conversionFactor``, which COPASI ignores; a concentration (nM) is no substance.
flow and rate term
    Each :meth:`~follicle.Module.flow` between two species is one ``<reaction>``: reactant
    the source, product the target, kinetic law the flow's rate. The other terms of
    species are grouped by their rate ``v``: the species with a term ``-v`` are the
    reactants of one reaction with kinetic law ``v``, those with ``+v`` its products (a
    reaction of a loaded SBML document is one reaction again); a term alone is a reaction
    with only a product (a source) or only a reactant (a sink). The direction is the one in
    which the rate is positive at the default values at time 0 (else: the rate has no
    leading minus). Species in a rate that are neither reactant nor product are
    modifiers. Every term of a species is in exactly one reaction, so the species' ODEs
    are exactly the model's.
parameter
    A constant ``<parameter>`` with its value and unit; its notes give the allowed range,
    the provenance and the description. A parameter that a schedule steps is not constant.
observable
    A ``<parameter constant="false">`` set by an ``<assignmentRule>``.
time ``t``
    The ``time`` csymbol, in the model's time unit (the document's ``timeUnits``).
maths
    sympy is written as MathML node by node; ``Heaviside(x)`` becomes
    ``piecewise(1, x >= 0, 0)`` (H(0) = 1, as the engine computes it).
units
    One ``<unitDefinition>`` per unit used, derived from pint: the unit is reduced to SI
    base units and the factor is written as a multiplier. The registry's own dimensions
    map as ``cell`` -> ``item`` (a count) and ``AU`` (arbitrary units) -> ``dimensionless``
    (SBML has no arbitrary unit; the definition keeps the name ``AU``). Every literal
    number carries a unit (``sbml:units``): plain numbers are dimensionless, and each unit
    conversion the unit check inserted is written with its own unit (target per source,
    e.g. year per day), so libsbml's unit check verifies every expression in full.
schedule
    :func:`follicle.schedule.resolve` splits time at every change, as
    :func:`follicle.simulate` does; what holds from time 0 is written into the initial
    values (a dose at time 0 is added to the state's initial value, a step or an infusion
    running at time 0 gives the parameter or the infusion rate its initial value). Each
    later change is one ``<event>`` triggered by ``time >= t_k`` (``initialValue`` false,
    ``persistent`` true, ``useValuesFromTriggerTime`` true, no delay) that applies
    everything happening at ``t_k`` at once: bolus jumps ``X = X + amount`` (in X's unit),
    new values of stepped parameters, and new infusion rates. An infusion adds a
    parameter ``infusion_<state>`` (state unit per day, set by the events) to the state's
    rate rule (for a species: a reaction ``infusion_into_<state>`` with that parameter as
    its rate). Grouping all changes at one time into one event reproduces the engine's
    same-time semantics (doses add up, a step that ends where the next begins hands over)
    without relying on the order in which a peer fires simultaneous events. Doses before
    time 0 are ignored, as by the engine.
ids
    Names that are valid SBML identifiers are kept; others are escaped (see
    :func:`sbml_ids`). Every element also carries our name in its ``name`` attribute.

What is refused
---------------
:class:`~follicle.errors.ExportError`, naming the culprit and where it occurs, for: a
function with no SBML MathML counterpart (e.g. ``erf``, ``gamma``, an undefined function),
numbers that are not finite (``oo``, ``nan``), a ``Piecewise`` without a final ``True``
branch (its value is undefined elsewhere), and a unit that is not a multiple of SI base
units (offset or logarithmic units such as ``degC`` or ``dB``, or a dimension SBML lacks).

Examples
--------
>>> import follicle as fl
>>> model = fl.models.coupled()
>>> doses = fl.repeat(fl.Bolus("D_wnt", "2 mg/kg", "50 day"), every="2 day", times=6)
>>> text = fl.sbml.export(model, doses)          # doctest: +SKIP
>>> fl.sbml.to_file("wnt_course.xml", model, doses)   # doctest: +SKIP
"""

from __future__ import annotations

import html
import itertools
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pint
import sympy as sp

from follicle.errors import ExportError
from follicle.schedule import Schedule, resolve
from follicle.units import expression_unit, parse_unit, ureg

__all__ = ["LEVEL", "VERSION", "export", "sbml_ids", "to_file"]

#: The SBML level and version written.
LEVEL, VERSION = 3, 2

_SID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: Valid identifiers that SBML tools read as built-in symbols; such names get a trailing "_".
_RESERVED = frozenset(
    "time avogadro pi exponentiale true false inf infinity nan notanumber".split()
)
#: pint root units -> SBML base unit kinds. ``arbitrary_unit`` (AU) is dimensionless in SBML.
_KINDS = {
    "meter": "METRE",
    "kilogram": "KILOGRAM",
    "second": "SECOND",
    "mole": "MOLE",
    "ampere": "AMPERE",
    "kelvin": "KELVIN",
    "candela": "CANDELA",
    "cell": "ITEM",
    "arbitrary_unit": None,
}
#: sympy functions, relations and logic -> MathML (libsbml ``AST_<name>``) applied to the
#: same arguments. Each trigonometric and hyperbolic function comes with its inverse.
_TRIG = "sin cos tan sec csc cot sinh cosh tanh sech csch coth".split()
_APPLY = {
    **{getattr(sp, f): f"FUNCTION_{f.upper()}" for f in _TRIG},
    **{getattr(sp, "a" + f): f"FUNCTION_ARC{f.upper()}" for f in _TRIG},
    **{getattr(sp, f): f"FUNCTION_{f.upper()}" for f in ("exp", "floor", "ceiling")},
    sp.log: "FUNCTION_LN",
    sp.Abs: "FUNCTION_ABS",
    sp.Min: "FUNCTION_MIN",
    sp.Max: "FUNCTION_MAX",
    **{getattr(sp, r): f"RELATIONAL_{r.upper()}" for r in ("Eq", "Lt", "Gt")},
    sp.Ne: "RELATIONAL_NEQ",
    sp.Le: "RELATIONAL_LEQ",
    sp.Ge: "RELATIONAL_GEQ",
    **{getattr(sp, op): f"LOGICAL_{op.upper()}" for op in ("And", "Or", "Xor", "Not")},
}


def _libsbml():
    try:
        import libsbml
    except ImportError:
        raise ExportError(
            "SBML export needs python-libsbml; install it with pip install 'follicle[sbml]'"
        ) from None
    return libsbml


# -- identifiers ---------------------------------------------------------------------------
def _escaped(text: str) -> str:
    out = "".join(
        c if c.isascii() and (c.isalnum() or c == "_") else f"_x{ord(c):x}_" for c in text
    )
    out = out if _SID.match(out) else "_" + out
    return out + "_" if out.lower() in _RESERVED else out


def _unique(text: str, taken: set[str]) -> str:
    sid, k = _escaped(text), 2
    base = sid
    while sid in taken:
        sid, k = f"{base}_{k}", k + 1
    taken.add(sid)
    return sid


def sbml_ids(model) -> dict[str, str]:
    """The SBML identifier of every state, parameter and observable, keyed by our name.

    A name that is a valid SBML SId (ASCII letters, digits, ``_``, not starting with a
    digit) is kept, unless SBML tools read it as a built-in symbol (``time``, ``pi``,
    ``avogadro``, ...), which gets a trailing ``_``. Other characters are escaped as
    ``_x<hex code>_``; a clash with another id gets a suffix ``_2``, ``_3``, ...
    """
    names = (*model.state_names, *model.parameter_names, *model.observable_names)
    kept = {n for n in names if _escaped(n) == n}
    taken = set(kept)
    return {n: n if n in kept else _unique(n, taken) for n in names}


# -- units ---------------------------------------------------------------------------------
def _unit_text(unit: pint.Unit) -> str:
    """A readable identifier for ``unit``: ``milligram_per_kilogram``, ``per_day``."""

    def part(name, exponent):
        power = "" if abs(exponent) == 1 else f"{abs(exponent):g}".replace(".", "p")
        return name + power

    items = list(ureg.Quantity(1.0, unit).unit_items())
    top = "_".join(part(n, e) for n, e in items if e > 0)
    bottom = "_".join(part(n, e) for n, e in items if e < 0)
    return f"{top}_per_{bottom}" if top and bottom else top or f"per_{bottom}"


class _Units:
    """The unit definitions of one document, created on first use."""

    def __init__(self, libsbml, model):
        self.L, self.model = libsbml, model
        self.ids: dict[pint.Unit, str] = {}
        # A unit definition may not take the name of an SBML base unit.
        kinds = range(libsbml.UNIT_KIND_AMPERE, libsbml.UNIT_KIND_INVALID)
        self.taken = {libsbml.UnitKind_toString(k) for k in kinds}

    def __call__(self, unit, what: str) -> str:
        unit = parse_unit(unit, what=what)
        if unit in self.ids:
            return self.ids[unit]
        if unit == ureg.dimensionless:
            self.ids[unit] = "dimensionless"
            return "dimensionless"
        root = ureg.Quantity(1.0, unit).to_root_units()
        if ureg.Quantity(0.0, unit).to_root_units().magnitude != 0.0:
            raise ExportError(
                f"{what}: the unit {unit:~P} is not a multiple of SI base units (an offset or "
                "logarithmic unit); SBML units cannot express it. Use an absolute unit."
            )
        factors = []
        for name, exponent in root.unit_items():
            if name not in _KINDS:
                raise ExportError(
                    f"{what}: the unit {unit:~P} contains the dimension {name!r}, which has "
                    "no SBML base unit; SBML units are made of the SI base units, item (our "
                    "cell) and dimensionless (our AU)"
                )
            if _KINDS[name]:
                factors.append((_KINDS[name], float(exponent)))
        definition = self.model.createUnitDefinition()
        sid = _unique(_unit_text(unit), self.taken)
        _check(definition.setId(sid), f"unit id {sid!r}")
        definition.setName(f"{unit:~P}")
        if not factors:
            factors = [("DIMENSIONLESS", 1.0)]
        # The magnitude goes on one factor as its multiplier: (m * kind)^e = m^e kind^e.
        carrier = next(
            (i for i, (_, e) in enumerate(factors) if e == 1.0),
            next((i for i, (_, e) in enumerate(factors) if e == -1.0), 0),
        )
        for i, (kind, exponent) in enumerate(factors):
            u = definition.createUnit()
            u.setKind(getattr(self.L, f"UNIT_KIND_{kind}"))
            u.setExponent(exponent)
            u.setScale(0)
            u.setMultiplier(root.magnitude ** (1.0 / exponent) if i == carrier else 1.0)
        self.ids[unit] = sid
        return sid


# -- maths ---------------------------------------------------------------------------------
class _Math:
    """sympy -> libsbml ASTNode, with a unit on every number.

    ``conversions`` maps the placeholder symbols standing for unit conversions to
    ``(value, pint unit)``; ``unit_of`` gives the pint unit of a model symbol.
    """

    def __init__(self, libsbml, ids, units, conversions, unit_of):
        self.L, self.ids, self.units = libsbml, ids, units
        self.conversions, self.unit_of = conversions, unit_of

    def node(self, kind, *children):
        n = self.L.ASTNode(getattr(self.L, f"AST_{kind}"))
        for child in children:
            _check(n.addChild(child), "a MathML node")
        return n

    def name(self, sid: str):
        n = self.L.ASTNode(self.L.AST_NAME)
        n.setName(sid)
        return n

    def time(self):
        n = self.L.ASTNode(self.L.AST_NAME_TIME)
        n.setName("time")
        return n

    def number(self, value, unit: str = "dimensionless"):
        value = float(value)
        integral = value.is_integer() and abs(value) < 2**31
        n = self.L.ASTNode(self.L.AST_INTEGER if integral else self.L.AST_REAL)
        n.setValue(int(value) if integral else value)
        n.setUnits(unit)
        return n

    def __call__(self, e, where: str):
        """``e`` as MathML; ``where`` names its place in the model for error messages."""
        return self._ast(sp.sympify(e), where)

    def _unit_id(self, e, where):
        def unit_of(s):
            return self.conversions[s][1] if s in self.conversions else self.unit_of(s)

        return self.units(expression_unit(e, unit_of)[1], where)

    def _ast(self, e, where):
        if e in self.conversions:
            value, unit = self.conversions[e]
            return self.number(value, self.units(unit, where))
        if e.is_Symbol:
            if e.name == "t":
                return self.time()
            return self.name(self.ids[e.name])
        if e is sp.pi or e is sp.E:
            return self.L.ASTNode(self.L.AST_CONSTANT_PI if e is sp.pi else self.L.AST_CONSTANT_E)
        if e in (sp.true, sp.false):
            return self.node("CONSTANT_TRUE" if e is sp.true else "CONSTANT_FALSE")
        if e.is_Number:
            if not e.is_finite or not e.is_real:
                raise ExportError(f"{where}: the number {e} is not a finite real number")
            return self.number(e)
        if e.is_Add:
            return self._add(e, where)
        if e.is_Mul:
            return self._mul(e, where)
        if e.is_Pow:
            return self._pow(e, where)
        if isinstance(e, sp.Piecewise):
            return self._piecewise(e, where)
        if isinstance(e, sp.Heaviside):  # H(0) = 1, as the engine computes it
            arg = e.args[0]
            zero = self.number(0, self._unit_id(arg, where))
            step = self.node("RELATIONAL_GEQ", self._ast(arg, where), zero)
            return self.node("FUNCTION_PIECEWISE", self.number(1), step, self.number(0))
        if type(e) in _APPLY:
            return self.node(_APPLY[type(e)], *(self._ast(a, where) for a in e.args))
        name = getattr(e, "func", type(e)).__name__
        raise ExportError(
            f"{where}: {name} (in {e}) has no SBML MathML counterpart; write it with "
            "exp, log, powers, trigonometric functions, abs, floor, ceiling, Min/Max, "
            "Heaviside or Piecewise"
        )

    def _add(self, e, where):
        plus, minus = [], []
        for term in e.args:
            negative = term.as_coeff_Mul()[0].is_negative
            (minus if negative else plus).append(-term if negative else term)

        def total(terms):
            nodes = [self._ast(a, where) for a in terms]
            return nodes[0] if len(nodes) == 1 else self.node("PLUS", *nodes)

        if not plus:
            return self.node("MINUS", total(minus))
        return self.node("MINUS", total(plus), total(minus)) if minus else total(plus)

    def _mul(self, e, where):
        coeff, factors = e.as_coeff_mul()
        negative = coeff.is_negative
        coeff = -coeff if negative else coeff
        top, bottom = [], []
        if coeff.is_Rational and not coeff.is_Integer:
            top += [coeff.p] if coeff.p != 1 else []
            bottom.append(coeff.q)
        elif coeff != 1:
            top.append(coeff)
        for f in factors:
            if f.is_Pow and f.exp.is_Number and f.exp.is_negative:
                bottom.append(f.base**-f.exp)
            else:
                top.append(f)

        def product(items):
            nodes = [self._ast(sp.sympify(a), where) for a in items] or [self.number(1)]
            return nodes[0] if len(nodes) == 1 else self.node("TIMES", *nodes)

        out = self.node("DIVIDE", product(top), product(bottom)) if bottom else product(top)
        return self.node("MINUS", out) if negative else out

    def _pow(self, e, where):
        base, exponent = e.args
        if exponent.is_Number and exponent.is_negative:
            return self.node("DIVIDE", self.number(1), self._ast(base**-exponent, where))
        if exponent == sp.S.Half:
            return self.node("FUNCTION_ROOT", self._ast(base, where))
        return self.node("POWER", self._ast(base, where), self._ast(exponent, where))

    def _piecewise(self, e, where):
        if e.args[-1].cond is not sp.true:
            raise ExportError(
                f"{where}: Piecewise {e} has no final branch with condition True, so its "
                "value is undefined where no condition holds; add an 'otherwise' branch"
            )
        nodes = []
        for branch in e.args[:-1]:
            nodes += [self._ast(branch.expr, where), self._ast(branch.cond, where)]
        nodes.append(self._ast(e.args[-1].expr, where))
        return self.node("FUNCTION_PIECEWISE", *nodes)


def _check(status, what):
    """Raise if a libsbml setter refused its value (it reports by return code)."""
    if status is not None and status != 0:  # LIBSBML_OPERATION_SUCCESS
        raise ExportError(f"libsbml refused {what} (code {status})")


def _notes(*paragraphs: str, table: list[list[str]] | None = None) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
    if table:
        head, *rows = table
        body += "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
        for row in rows:
            body += "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        body += "</table>"
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'


# -- the reaction network -----------------------------------------------------------------
def _sbml_unit(unit) -> tuple:
    """``unit`` as SBML sees it: (factor, ((kind, exponent), ...)) in SI base units, with
    AU dimensionless and a cell an item. Equal for units that SBML cannot tell apart."""
    root = ureg.Quantity(1.0, parse_unit(unit)).to_root_units()
    kinds = ((_KINDS.get(n, n), float(e)) for n, e in root.unit_items())
    return float(root.magnitude), tuple(sorted((k, e) for k, e in kinds if k))


#: The unit kinds of a species' amount in SBML (each with exponent 1), none = dimensionless.
_SUBSTANCE = frozenset({("MOLE", 1.0), ("ITEM", 1.0), ("KILOGRAM", 1.0)})


@dataclass(frozen=True)
class _Reaction:
    """One SBML reaction: ``sign`` times term ``term`` of the model is its rate; a state
    listed twice has stoichiometry 2."""

    name: str
    term: int
    sign: int
    reactants: tuple[str, ...]
    products: tuple[str, ...]

    @property
    def sid(self) -> str:
        """``A_to_B`` (names joined by ``_``), ``gain_B`` or ``loss_A``."""
        left, right = ("_".join(dict.fromkeys(s)) for s in (self.reactants, self.products))
        return (
            f"{left}_to_{right}"
            if left and right
            else f"gain_{right}"
            if right
            else f"loss_{left}"
        )


@dataclass(frozen=True)
class _Network:
    """The states written as species, the extent unit and the reactions between them."""

    species: frozenset[str]
    extent: str
    reactions: tuple[_Reaction, ...]


def _forward(law, at) -> bool:
    """Whether a reaction of rate ``law`` runs forward: its rate is positive at the values
    ``at`` (the model's defaults at time 0) or, where that value is 0 or not a number, it
    has no leading minus sign."""
    try:
        value = float(law.xreplace(at))
    except (TypeError, ValueError):
        value = math.nan
    if value != 0 and math.isfinite(value):
        return value > 0
    return not law.could_extract_minus_sign()


def _network(model) -> _Network:
    """Species, extent unit and reactions of ``model``.

    SBML allows a species' amount (and the extent of reactions) only in units of a
    substance: a multiple of mole, item (our cell), kilogram or dimensionless (our AU).
    All reactions share one extent unit, so the states in the most common such unit (as
    SBML sees it) are species and the others keep rate rules: a species in another unit
    would need a ``conversionFactor``, which COPASI ignores. Reactions: see
    :func:`_reactions`.
    """
    units = [_sbml_unit(s.unit) for s in model.states.values()]
    amounts = [u for u in units if _SUBSTANCE.issuperset(u[1])]
    if not amounts:
        return _Network(frozenset(), "1", ())
    extent = Counter(amounts).most_common(1)[0][0]
    names = model.state_names
    species = frozenset(n for n, u in zip(names, units, strict=True) if u == extent)
    unit = next(model.states[n].unit for n in names if n in species)
    return _Network(species, unit, _reactions(model, species))


def _reactions(model, species) -> tuple[_Reaction, ...]:
    """The reactions that carry every term of the ``species``, in the order of the terms.

    A flow between two species is one reaction. The other terms of species are grouped by
    their rate ``v``: the species with a term ``-v`` are the reactants of one reaction of
    rate ``v``, those with ``+v`` its products (so a reaction loaded from SBML is one
    reaction again, and a term of its own is a reaction with only a reactant or only a
    product), oriented by :func:`_forward`.
    """
    numeric = model.term_expressions()
    halves: dict[int, list[int]] = {}  # flow -> its (out, in) terms
    for k, term in enumerate(model.terms):
        if term.flow is not None:
            halves.setdefault(id(term.flow), []).append(k)
    reactions, done = {}, set()  # first term -> reaction
    for pair in halves.values():
        flow = model.terms[pair[0]].flow
        if (
            len(pair) == 2
            and {flow.source, flow.target} <= species
            and numeric[pair[1]] == -numeric[pair[0]]
        ):
            done.update(pair)
            reactions[pair[0]] = _Reaction(flow.label, pair[1], 1, (flow.source,), (flow.target,))
    groups: dict[sp.Expr, list[int]] = {}  # rate up to its sign -> terms
    for k, term in enumerate(model.terms):
        if k not in done and term.state in species and numeric[k] != 0:
            rate = -numeric[k] if numeric[k].could_extract_minus_sign() else numeric[k]
            groups.setdefault(rate, []).append(k)
    at = {sp.Symbol(n, real=True): s.initial for n, s in model.states.items()}
    at |= {sp.Symbol(n, real=True): p.value for n, p in model.parameters.items()}
    at[sp.Symbol("t", real=True)] = 0.0
    for rate, members in groups.items():
        law = rate if _forward(rate, at) else -rate
        product = {k: numeric[k] == law for k in members}
        labels = dict.fromkeys(model.terms[k].label for k in members)
        reactions[members[0]] = _Reaction(
            "; ".join(labels),
            members[0],
            1 if product[members[0]] else -1,
            tuple(model.terms[k].state for k in members if not product[k]),
            tuple(model.terms[k].state for k in members if product[k]),
        )
    return tuple(reactions[k] for k in sorted(reactions))


# -- the document --------------------------------------------------------------------------
def export(
    model, schedule=None, *, params: Mapping | None = None, initial: Mapping | None = None
) -> str:
    """Write ``model`` under ``schedule`` as an SBML Level 3 Version 2 document.

    Parameters
    ----------
    model : Model
    schedule : Schedule or iterable of events, optional
        Bolus, Infusion and ParameterStep events, written as SBML events with the
        semantics of :func:`follicle.simulate` for a simulation that starts at time 0.
    params, initial : mapping, optional
        Parameter and initial-state overrides ``{name: value}`` (values may carry units),
        validated as by :func:`follicle.simulate`.

    Returns
    -------
    str
        The SBML document (XML). Element ids follow :func:`sbml_ids`; numbers are written
        with libsbml's 15 significant digits.

    Raises
    ------
    ExportError
        Something in the model has no faithful SBML form (the message names it and where
        it occurs), or python-libsbml is not installed.
    UnknownNameError, ParameterValueError, UnitError, ScheduleError
        Bad overrides or schedule, as for :func:`follicle.simulate`.
    """
    L = _libsbml()
    p0 = model.parameter_vector(params)
    y0 = model.initial_vector(initial, p0)
    sched = Schedule.of(schedule)
    segments, _ = resolve(sched, model, 0.0, math.inf, p0)
    doc = L.SBMLDocument(LEVEL, VERSION)
    writer = _Writer(L, doc.createModel(), model)
    writer.states(y0, segments)
    writer.parameters(p0, segments)
    writer.infusions(segments)
    writer.reactions()
    writer.rules()
    writer.initial_assignments(initial, segments)
    writer.events(segments)
    writer.notes(sched, p0)
    return L.writeSBMLToString(doc)


def to_file(
    path, model, schedule=None, *, params: Mapping | None = None, initial: Mapping | None = None
) -> Path:
    """Write :func:`export`'s document to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    document = export(model, schedule, params=params, initial=initial)
    try:
        path.write_text(document, encoding="utf-8")
    except OSError as exc:
        raise ExportError(
            f"cannot write the SBML file {str(path)!r} ({exc.strerror}); choose a writable path"
        ) from None
    return path


def _vector(values, n):
    return np.zeros(n) if values is None else values


class _Writer:
    """Fills one libsbml Model with a follicle model, piece by piece."""

    def __init__(self, libsbml, sbml_model, model):
        self.L, self.m, self.model = libsbml, sbml_model, model
        self.ids = sbml_ids(model)
        self.taken = set(self.ids.values())
        self.rates: dict[int, str] = {}  # state index -> id of its infusion-rate parameter
        model_id = re.sub(r"\W", "_", model.name, flags=re.ASCII)
        _check(self.m.setId(_unique(model_id, set())), f"the model id for {model.name!r}")
        self.m.setName(model.name)
        self.units = _Units(libsbml, sbml_model)
        _check(self.m.setTimeUnits(self.units(model.time_unit, "time")), "the time unit")
        conversions: dict[sp.Symbol, tuple[float, pint.Unit]] = {}

        def factor(value, source, target):
            placeholder = sp.Dummy("conversion")
            conversions[placeholder] = (value, target / source)
            return placeholder

        self.rhs, self.observables = model.expressions(factor)
        self.terms = model.term_expressions(factor)
        self.obs_units = {n: parse_unit(o.unit) for n, (o, _) in model.observables.items()}
        self.math = _Math(libsbml, self.ids, self.units, conversions, self._unit_of)
        for name, state in model.states.items():  # refuse a unit SBML lacks, by name
            self.units(state.unit, f"state {name!r}")
        self.network = _network(model)
        self.species = self.network.species
        self.extent = self.network.extent

    def _unit_of(self, symbol):
        if symbol.name in self.obs_units:
            return self.obs_units[symbol.name]
        if symbol.name == "t":
            return self.model.time_unit
        return parse_unit(self.model.unit(symbol.name))

    def _rate_unit(self, i):
        return parse_unit(self.model.states[self.model.state_names[i]].unit) / self.model.time_unit

    def _parameter(self, kind, sid, name, value, unit, constant, notes):
        what = f"{kind} {name!r}"
        p = self.m.createParameter()
        _check(p.setId(sid), f"the id {sid!r} of {what}")
        p.setName(name)
        p.setValue(float(value))
        _check(p.setUnits(self.units(unit, what)), f"the units of {what}")
        p.setConstant(constant)
        _check(p.setNotes(notes), f"the notes of {name!r}")

    def states(self, y0, segments):
        """States with their values at time 0, a dose at time 0 included: species in one
        compartment of size 1, the others parameters."""
        start = y0 + _vector(segments[0].jumps, len(y0))
        if self.species:
            compartment = self.m.createCompartment()
            self.compartment = _unique("compartment", self.taken)
            _check(compartment.setId(self.compartment), "the compartment id")
            compartment.setName("the model (size 1: species amounts are the states)")
            compartment.setSize(1.0)
            compartment.setConstant(True)
            _check(compartment.setUnits("dimensionless"), "the compartment's units")
            _check(
                self.m.setExtentUnits(self.units(self.extent, "the extent unit")),
                "the extent unit",
            )
        for i, (name, state) in enumerate(self.model.states.items()):
            notes = _notes(
                f"State: {state.description or name}. Unit: {state.unit}.",
                f"Non-negative: {state.nonnegative}; typical scale: {state.scale:g}.",
            )
            if name not in self.species:
                self._parameter("state", self.ids[name], name, start[i], state.unit, False, notes)
                continue
            what = f"state {name!r}"
            species = self.m.createSpecies()
            _check(species.setId(self.ids[name]), f"the id of {what}")
            species.setName(name)
            species.setCompartment(self.compartment)
            species.setInitialAmount(float(start[i]))
            species.setHasOnlySubstanceUnits(True)
            species.setBoundaryCondition(False)
            species.setConstant(False)
            _check(species.setSubstanceUnits(self.units(state.unit, what)), f"the units of {what}")
            _check(species.setNotes(notes), f"the notes of {what}")

    def parameters(self, p0, segments):
        """Parameters with their values at time 0; those a schedule steps are not constant."""
        first = segments[0].params
        stepped = {int(j) for seg in segments for j in np.flatnonzero(seg.params != first)}
        for j, (name, par) in enumerate(self.model.parameters.items()):
            self._parameter(
                "parameter",
                self.ids[name],
                name,
                first[j],
                par.unit,
                j not in stepped,
                _notes(
                    f"Provenance: {par.provenance}",
                    f"Allowed range: [{par.bounds[0]:g}, {par.bounds[1]:g}] {par.unit}.",
                    par.description,
                ),
            )

    def infusions(self, segments):
        """One rate parameter per infused state, with the rate running at time 0."""
        n = len(self.model.states)
        infused = sorted(
            {int(i) for seg in segments for i in np.flatnonzero(_vector(seg.inputs, n))}
        )
        for i in infused:
            name = self.model.state_names[i]
            self.rates[i] = _unique(f"infusion_{self.ids[name]}", self.taken)
            self._parameter(
                "infusion rate",
                self.rates[i],
                f"infusion into {name}",
                _vector(segments[0].inputs, n)[i],
                self._rate_unit(i),
                False,
                _notes(f"Constant-rate input to d({name})/dt, switched by the events."),
            )

    def reactions(self):
        """A reaction per flow between species and per other term of a species, plus one
        per infusion into a species; every species in a rate that is neither reactant nor
        product is a modifier."""
        for r in self.network.reactions:
            where = f"the reaction {r.name!r}"
            law = r.sign * self.terms[r.term]
            self._reaction(r.sid, r.name, r.reactants, r.products, self.math(law, where), law)
        for i, rate in self.rates.items():
            name = self.model.state_names[i]
            if name in self.species:
                sid = f"infusion_into_{name}"
                self._reaction(sid, f"infusion into {name}", (), (name,), self.math.name(rate))

    def _reaction(self, sid, name, reactants, products, math, law=None):
        reaction = self.m.createReaction()
        _check(reaction.setId(_unique(sid, self.taken)), f"the id of the reaction {name!r}")
        reaction.setName(name)
        reaction.setReversible(False)
        for species, create in (
            (reactants, reaction.createReactant),
            (products, reaction.createProduct),
        ):
            for state, count in Counter(species).items():
                ref = create()
                ref.setSpecies(self.ids[state])
                ref.setStoichiometry(float(count))
                ref.setConstant(True)
        used = {s.name for s in law.free_symbols} if law is not None else set()
        for state in sorted((used & self.species) - {*reactants, *products}):
            reaction.createModifier().setSpecies(self.ids[state])
        _check(reaction.createKineticLaw().setMath(math), f"the rate of the reaction {name!r}")

    def initial_assignments(self, initial, segments):
        """An initial assignment per state whose initial value is an expression of the
        parameters (and not given in ``initial``), so that a simulator which changes a
        parameter changes that initial value too; a dose at time 0 is added to it."""
        jumps = _vector(segments[0].jumps, len(self.model.states))
        for name, expr in self.model.initial_expressions.items():
            if name in (initial or {}):
                continue
            where = f"the initial value of state {name!r}"
            i = self.model.state_names.index(name)
            node = self.math(expr + float(jumps[i]) if jumps[i] else expr, where)
            assignment = self.m.createInitialAssignment()
            _check(assignment.setSymbol(self.ids[name]), where)
            _check(assignment.setMath(node), where)

    def rules(self):
        """A rate rule per state that is not a species (plus its infusion), an assignment
        rule per observable."""
        for i, name in enumerate(self.model.state_names):
            if name in self.species:
                continue
            where = f"the rate of state {name!r}"
            rule = self.m.createRateRule()
            _check(rule.setVariable(self.ids[name]), where)
            if self.rhs[i] == 0:
                node = self.math.number(0, self.units(self._rate_unit(i), where))
            else:
                node = self.math(self.rhs[i], where)
            if i in self.rates:
                node = self.math.node("PLUS", node, self.math.name(self.rates[i]))
            _check(rule.setMath(node), where)
            labels = [term.label for term in self.model.terms if term.state == name]
            _check(rule.setNotes(_notes(*(f"+ {label}" for label in labels))), where)
        for name, expr in self.observables.items():
            where = f"observable {name!r}"
            obs = self.model.observables[name][0]
            self._parameter(
                "observable",
                self.ids[name],
                name,
                0.0,
                self.obs_units[name],
                False,
                _notes(f"Observable: {obs.description or name}. Unit: {obs.unit}."),
            )
            rule = self.m.createAssignmentRule()
            _check(rule.setVariable(self.ids[name]), where)
            _check(rule.setMath(self.math(expr, where)), where)

    def events(self, segments):
        """One event per later time at which the schedule changes something."""
        n = len(self.model.states)
        for k, (prev, seg) in enumerate(itertools.pairwise(segments), start=1):
            changes = [*self._jumps(seg), *self._steps(prev, seg)]
            before, after = _vector(prev.inputs, n), _vector(seg.inputs, n)
            for i in np.flatnonzero(after != before):
                rate = float(after[i])
                changes.append(
                    (
                        self.rates[i],
                        self.math.number(rate, self.units(self._rate_unit(i), "an infusion rate")),
                        f"infusion into {self.model.state_names[i]} = {rate:g} "
                        f"{self._rate_unit(i):~P}",
                    )
                )
            if changes:
                self._event(f"schedule_{k}", seg.start, changes)

    def _jumps(self, seg):
        for i in np.flatnonzero(_vector(seg.jumps, len(self.model.states))):
            name = self.model.state_names[i]
            unit = self.model.states[name].unit
            amount = self.math.number(seg.jumps[i], self.units(unit, f"state {name!r}"))
            total = self.math.node("PLUS", self.math.name(self.ids[name]), amount)
            yield self.ids[name], total, f"{name} + {seg.jumps[i]:g} {unit}"

    def _steps(self, prev, seg):
        for j in np.flatnonzero(seg.params != prev.params):
            name = self.model.parameter_names[j]
            unit = self.model.parameters[name].unit
            value = self.math.number(seg.params[j], self.units(unit, f"parameter {name!r}"))
            yield self.ids[name], value, f"{name} = {seg.params[j]:g} {unit}"

    def _event(self, sid, day, changes):
        event = self.m.createEvent()
        _check(event.setId(_unique(sid, self.taken)), f"the event id {sid!r}")
        event.setName(f"day {day:g}: " + "; ".join(text for _, _, text in changes))
        event.setUseValuesFromTriggerTime(True)
        trigger = event.createTrigger()
        trigger.setInitialValue(False)
        trigger.setPersistent(True)
        when = self.math.node(
            "RELATIONAL_GEQ",
            self.math.time(),
            self.math.number(day, self.units(self.model.time_unit, "time")),
        )
        _check(trigger.setMath(when), f"the trigger at day {day:g}")
        for target, value, _ in changes:
            assignment = event.createEventAssignment()
            _check(assignment.setVariable(target), f"an assignment to {target!r}")
            _check(assignment.setMath(value), f"an assignment to {target!r}")

    def notes(self, sched, p0):
        from follicle import __version__

        rows = [["name", "value", "unit", "range", "provenance", "description"]]
        for j, (name, par) in enumerate(self.model.parameters.items()):
            rows.append(
                [
                    name,
                    f"{p0[j]:.17g}",
                    par.unit,
                    f"[{par.bounds[0]:g}, {par.bounds[1]:g}]",
                    par.provenance,
                    par.description,
                ]
            )
        text = _notes(
            f"{self.model.name}, exported by follicle {__version__} as SBML Level {LEVEL} "
            f"Version {VERSION}. Time is in {self.model.time_unit}s. States in the extent unit "
            "are species "
            "(amounts, in a compartment of size 1) changed by reactions, the others "
            "parameters with a rate rule; each observable is a parameter with an "
            "assignment rule.",
            f"Schedule: {len(sched)} event(s). Values at time 0 include what the schedule "
            "does at time 0; each later change is one SBML event."
            if len(sched)
            else "No schedule.",
            "Parameters (values as exported, before any schedule step; provenance as given "
            "in the model):",
            table=rows,
        )
        _check(self.m.setNotes(text), "the model notes")
