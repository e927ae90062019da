"""SBML import: an SBML Level 2 or 3 core document as a :class:`~follicle.Model`.

:func:`load` reads a document with python-libsbml and builds one
:class:`~follicle.Module` from it, so that the result simulates, sweeps and exports like
any model written by hand. It needs the ``[sbml]`` extra.

SBML to follicle
----------------
species
    A state holding the species' **amount** (substance), whatever the document declares:
    reactions change amounts, so this is exact also in compartments whose size changes.
    Where the document's maths names a species that is not ``hasOnlySubstanceUnits``, the
    loader writes ``amount / size of its compartment`` (its concentration). Boundary and
    constant species are states with no rate term. A species of a zero-dimensional
    compartment without size has no concentration: its symbol is its amount (SBML Level
    2's rule, which the SBML Test Suite keeps for Level 3). The SBML id of each state is in
    ``model.sbml.ids``, its compartment in ``model.sbml.compartment_of``.
compartment, parameter, species reference with an id
    A constant :class:`~follicle.Parameter` (allowed range: any real number), unless a rate
    rule makes it a state or an assignment rule an expression. A reaction's local
    parameters become parameters named ``<reaction>_<local id>``, so that they can be swept.
reaction
    One rate term ``stoichiometry * rate`` (times the species' or the model's
    ``conversionFactor``) for each reactant (negative) and product; a stoichiometry may be
    a number, an id with rules, or a Level 2 ``stoichiometryMath``.
rate rule
    The state's rate. A rate rule on a species in concentration changes its amount by
    ``size * rule + amount / size * d(size)/dt``.
assignment rule
    The variable becomes an :class:`~follicle.Observable` and its expression is
    substituted wherever it is used (rules in any order; cycles are refused).
initial assignment
    Kept as an expression of the parameters it uses (through other initial values and
    assignment rules at time 0): a state's becomes its initial value
    (:attr:`~follicle.Model.initial_expressions`), evaluated from each run's parameters,
    so setting, sweeping or fitting a parameter moves the initial values that use it; a
    constant's makes it an observable that follows those parameters (not a parameter that
    setting would not change). A constant that an event assigns keeps the value computed
    at load. ``rateOf(x)`` in an initial assignment is x's rate at time 0, written in the
    initial values (so it follows the parameters too).
algebraic rule
    Solved exactly for the variables it determines, which then become assignment rules:
    the algebraic rules must name as many variables that nothing else determines (no
    rule, not ``constant``, not a non-boundary species of a reaction) as there are rules,
    and be linear in them with a determinant that is not identically zero.
function definition
    Inlined.
hierarchical model (``comp``)
    Flattened by libsbml's comp converter into SBML core before loading (element ids get
    their submodel's prefix, e.g. ``sub1__s1``); external model definitions are read
    relative to the document's path.
``rateOf(x)``
    The rate of ``x``: its rate rule, its reactions' terms (over its compartment's size
    for a concentration), or 0 for a constant.
event
    With ``events=True``, the result is an :class:`~follicle.sbml.events.EventModel`,
    which applies the events (with their delays, priorities, persistence and
    ``useValuesFromTriggerTime``) in its own ``simulate``; otherwise a document with
    events is refused. An event whose trigger has no maths never triggers.
maths
    The operators and functions of SBML's MathML subset: arithmetic, powers and roots,
    ``exp``, ``ln``, ``log``, ``abs``, ``floor``, ``ceiling``, ``min``, ``max``, ``rem``,
    ``quotient``, the trigonometric and hyperbolic functions and their inverses,
    ``piecewise`` (with no ``otherwise``, the value is NaN where no piece holds), relations
    and logic, ``pi``, ``exponentiale``, ``true``, ``false``, ``infinity``,
    ``notanumber``, ``avogadro`` and ``time``.
time
    The document's ``timeUnits`` (a unit of time; Level 2's default is the second) is the
    model's time unit (:attr:`Model.time_unit <follicle.Model.time_unit>`; a unit other
    than a second, minute, hour, day or week becomes seconds), kept as written in
    ``model.sbml.time_unit``; a document that declares none takes the ``time_unit``
    argument (default ``"second"``). So ``fl.simulate(model, 100)`` runs 100 of the
    document's time units, and schedules, output times and readouts take its numbers. A
    fixed parameter ``per_<unit>`` (1 per model time unit) multiplies every rate and the
    ``time`` csymbol, which lets the unit check confirm every rate is per unit time.
units
    Every value is the document's number: states and parameters carry the unit ``"1"``
    (the document's own units are not carried over). Where the document declares them,
    they are checked with pint: a kinetic law not in extent per time, or a rule not in
    its variable's unit (per time), gives one :class:`~follicle.FollicleWarning` naming
    them (the simulation is the document's numbers either way).

Refused on import
-----------------
:class:`~follicle.errors.SBMLImportError`, naming the element and the feature, for:
any event without ``events=True``, an event trigger with an equality (and, when
``EventModel.simulate`` meets them, events of equal priority executing together whose
result depends on their order, which SBML makes random), algebraic rules that are
nonlinear in, underdetermine or do not uniquely determine their variables (or determine
one that has an initial assignment), fast reactions, constraints, ``delay``, ``rateOf`` of
an assigned variable or of a concentration in a changing compartment, ``factorial`` of a
non-constant argument, a required SBML package other than ``comp`` (``fbc``, ...), a
``comp`` document libsbml cannot flatten (e.g. an external model file that is missing) or
SBML text with external model definitions, a variable with no value where it is used, a
cycle of assignment rules, booleans used as numbers and numbers as booleans, infinite or
NaN values, a species with a rate rule in concentration whose compartment changes by an
assignment rule, and a document that libsbml reads with errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from follicle.errors import FollicleError, SBMLImportError
from follicle.model import Model, Module, t
from follicle.units import parse_unit

__all__ = ["SBMLInfo", "SBMLModel", "load"]

_KEYWORDS = frozenset(__import__("keyword").kwlist) | {"t"}
#: Seconds in the named time units of pint that an SBML time unit may equal exactly.
_NAMED_TIME = {1.0: "second", 60.0: "minute", 3600.0: "hour", 86400.0: "day", 604800.0: "week"}
_NAMED_TIME_SECONDS = {name: seconds for seconds, name in _NAMED_TIME.items()}


@dataclass(frozen=True)
class SBMLInfo:
    """What a loaded document says beyond the equations.

    Attributes
    ----------
    ids : dict of str to str
        Our name -> SBML id of every state, parameter and observable that comes from the
        document (local parameters: ``"<reaction id>/<local id>"``).
    time_unit : str
        The document's unit of time (or the ``time_unit`` argument of :func:`load` when the
        document declares none).
    time_unit_declared : bool
        Whether the document declares its time unit.
    seconds_per_time_unit : float
    time_parameter : str
        The fixed parameter (1 per model time unit) that makes every rate per unit time.
    compartment_of : dict of str to str
        Each species' state name -> the name of its compartment.
    concentration : dict of str to bool
        Each species' state name -> whether the document's maths reads it as a
        concentration (not ``hasOnlySubstanceUnits``).
    reaction_rates : dict of str to sympy.Expr
        Each reaction's SBML id -> its rate (the kinetic law's value, per document time
        unit) in the model's states, parameters and ``t``, where the document's time is
        ``t * <time_parameter>``: with ``t`` in the document's unit and the time
        parameter 1, it evaluates to the rate along a trajectory.
    """

    ids: dict
    time_unit: str
    time_unit_declared: bool
    seconds_per_time_unit: float
    time_parameter: str
    compartment_of: dict
    concentration: dict
    reaction_rates: dict = field(default_factory=dict)

    @property
    def model_time_unit(self) -> str:
        """The model's time unit: the document's, or seconds for a unit with no name."""
        return _NAMED_TIME.get(self.seconds_per_time_unit, "second")

    def model_times(self, times):
        """Times in the document's unit in the model's time unit (what
        :func:`follicle.simulate` takes: the same numbers unless the document's unit has
        no name among second, minute, hour, day and week)."""
        seconds = _NAMED_TIME_SECONDS[self.model_time_unit]
        return _as_float(times) * (self.seconds_per_time_unit / seconds)

    def days(self, times):
        """Deprecated: :meth:`model_times` (the model now runs in the document's time unit,
        so this returns what :func:`follicle.simulate` takes, not days)."""
        import warnings

        warnings.warn(
            "model.sbml.days() is deprecated: a loaded model runs in its document's time "
            f"unit ({self.model_time_unit}), so give simulate the document's times "
            "(model.sbml.model_times converts a unit without a name)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.model_times(times)


def _as_float(x):
    import numpy as np

    return np.asarray(x, dtype=float)


class SBMLModel(Model):
    """A :class:`~follicle.Model` loaded from SBML; :attr:`sbml` is its :class:`SBMLInfo`."""

    def __init__(self, name, modules, sbml: SBMLInfo):
        super().__init__(name, modules, time_unit=sbml.model_time_unit)
        self.sbml = sbml


def _pint_unit(L, definition):
    """A libsbml ``UnitDefinition`` as a pint quantity (its factor and unit), or None if a
    unit kind has no pint counterpart."""
    from follicle.units import Q_, ureg

    quantity = Q_(1.0, ureg.dimensionless)
    for u in definition.getListOfUnits():
        kind = L.UnitKind_toString(u.getKind())
        name = {
            "litre": "liter",
            "metre": "meter",
            "item": "count",
            "avogadro": "count",
            "dimensionless": "dimensionless",
        }.get(kind, kind)
        try:
            unit = ureg(name)
        except Exception:  # a kind pint does not know (e.g. katal in an old pint): no check
            return None
        factor = u.getMultiplier() * 10.0 ** u.getScale()
        quantity = quantity * (factor * unit) ** u.getExponent()
    return quantity


def _shown_unit(quantity) -> str:
    """``mol/s``, ``1``, or ``1.15741e-05 count/s`` (a factor only when it is not 1)."""
    unit = f"{quantity.units:~P}" or "1"
    return unit if quantity.magnitude == 1 else f"{quantity.magnitude:g} {unit}"


def _named_unit(L, m, unit_id):
    """The UnitDefinition of ``unit_id`` (a unitDefinition of ``m`` or a base kind)."""
    definition = m.getUnitDefinition(unit_id)
    if definition is not None:
        return definition
    kind = L.UnitKind_forName(unit_id)
    if kind == L.UNIT_KIND_INVALID:
        return None
    definition = L.UnitDefinition(m.getLevel(), m.getVersion())
    unit = definition.createUnit()
    unit.setKind(kind), unit.setExponent(1), unit.setScale(0), unit.setMultiplier(1.0)
    return definition


def _warn_unit_inconsistencies(L, m):
    """Check with pint that every kinetic law is in extent per time and every rate and
    assignment rule in its variable's unit (per time), where the document declares the
    units involved; warn once, naming up to five, if any is not. The engine does not carry
    the document's units (every value is the document's number), so a mismatch does not
    change the simulation; it says the document's declared units are inconsistent."""
    level3 = m.getLevel() >= 3
    time_id = m.getTimeUnits() if level3 else ("time" if m.getUnitDefinition("time") else "second")
    extent_id = (
        m.getExtentUnits()
        if level3
        else ("substance" if m.getUnitDefinition("substance") else "mole")
    )
    time = _named_unit(L, m, time_id) if time_id else None
    extent = _named_unit(L, m, extent_id) if extent_id else None
    time_q = None if time is None else _pint_unit(L, time)
    extent_q = None if extent is None else _pint_unit(L, extent)
    checks = []
    if extent_q is not None and time_q is not None:
        for r in m.getListOfReactions():
            law = r.getKineticLaw()
            if law is not None and law.isSetMath():
                checks.append(
                    (
                        f"the kinetic law of reaction {r.getId()!r}",
                        law,
                        extent_q / time_q,
                        "extent per time",
                    )
                )
    for rule in m.getListOfRules():
        variable = m.getElementBySId(rule.getVariable()) if rule.getVariable() else None
        if variable is None or not rule.isSetMath() or rule.isAlgebraic():
            continue
        declared = variable.getDerivedUnitDefinition()
        wanted = None if declared is None else _pint_unit(L, declared)
        if wanted is None or declared.getNumUnits() == 0:
            continue
        if rule.isRate():
            if time_q is None:
                continue
            checks.append(
                (
                    f"the rate rule of {rule.getVariable()!r}",
                    rule,
                    wanted / time_q,
                    f"{rule.getVariable()}'s unit per time",
                )
            )
        else:
            checks.append(
                (
                    f"the assignment rule of {rule.getVariable()!r}",
                    rule,
                    wanted,
                    f"{rule.getVariable()}'s unit",
                )
            )
    problems = []
    for where, element, expected, what in checks:
        if element.containsUndeclaredUnits():
            continue
        derived = element.getDerivedUnitDefinition()
        got = None if derived is None else _pint_unit(L, derived)
        if got is None:
            continue
        ratio = (got / expected).to_base_units()
        if not ratio.dimensionless or abs(ratio.magnitude - 1.0) > 1e-9:
            problems.append(
                f"{where} is in {_shown_unit(got)}, not {what} ({_shown_unit(expected)})"
            )
    if problems:
        import warnings

        from follicle.errors import FollicleWarning

        more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
        warnings.warn(
            f"SBML units (checked with pint where declared): {'; '.join(problems[:5])}{more}; "
            "the values are simulated as written, in the document's numbers",
            FollicleWarning,
            stacklevel=3,
        )


def _libsbml():
    try:
        import libsbml
    except ImportError:
        raise SBMLImportError(
            "SBML import needs python-libsbml; install it with pip install 'follicle[sbml]'"
        ) from None
    return libsbml


# The class names are the printer's: the engine's code generator prints them as numpy.floor
# and numpy.ceil; only their derivatives differ from sympy's (unevaluated there).
class floor(sp.floor):
    """``floor`` whose derivative is zero (almost everywhere), as the engine's Heaviside."""

    def _eval_derivative(self, s):
        return sp.S.Zero


class ceiling(sp.ceiling):
    """``ceiling`` whose derivative is zero (almost everywhere)."""

    def _eval_derivative(self, s):
        return sp.S.Zero


def _read(source):
    """The libsbml document of a path or of SBML text, refusing one read with errors."""
    L = _libsbml()
    text = str(source)
    if isinstance(source, str) and text.lstrip().startswith("<"):
        doc, origin = L.readSBMLFromString(text), "the SBML text"
    else:
        path = Path(source)
        if not path.is_file():
            raise SBMLImportError(f"no SBML file at {str(path)!r}")
        doc, origin = L.readSBMLFromFile(str(path)), str(path)
    errors = [
        doc.getError(i)
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= L.LIBSBML_SEV_ERROR
    ]
    if errors:
        listing = "; ".join(f"line {e.getLine()}: {e.getMessage().strip()}" for e in errors[:3])
        raise SBMLImportError(f"libsbml reads {origin} with {len(errors)} error(s): {listing}")
    if doc.getModel() is None:
        raise SBMLImportError(f"{origin} holds no <model>")
    if doc.getLevel() >= 3 and doc.isPkgEnabled("comp"):
        _flatten(L, doc, origin, from_text=origin == "the SBML text")
    for i in range(doc.getNumPlugins()):
        package = doc.getPlugin(i).getPackageName()
        # libsbml reads Level 3 Version 2 core maths through its own "l3v2extendedmath", and
        # offers layout on every Level 2 document; only a Level 3 package can be required.
        if (
            doc.getLevel() >= 3
            and package != "l3v2extendedmath"
            and doc.getPackageRequired(package)
        ):
            raise SBMLImportError(
                f"{origin} requires the SBML package {package!r}, which changes the model's "
                "meaning; only SBML core is supported"
            )
    return L, doc


def _flatten(L, doc, origin, from_text):
    """Replace a hierarchical (``comp``) document's model by its flat equivalent, in place.

    libsbml's comp flattening converter instantiates every submodel, renames its elements
    with the submodel's prefix, applies replacements and deletions and drops the package,
    so that the loader reads the result as SBML core. An external model definition names
    a file relative to the document; from SBML text there is no document location, so
    such a reference is refused.
    """
    comp = doc.getPlugin("comp")
    external = [
        comp.getExternalModelDefinition(i) for i in range(comp.getNumExternalModelDefinitions())
    ]
    if external and from_text:
        sources = ", ".join(repr(e.getSource()) for e in external)
        raise SBMLImportError(
            f"{origin} refers to external model definition(s) in {sources}, which are files "
            "relative to a document: load the document from its path"
        )
    props = L.ConversionProperties()
    props.addOption("flatten comp", True)
    doc.getErrorLog().clearLog()
    if doc.convert(props) != L.LIBSBML_OPERATION_SUCCESS:
        problems = [
            doc.getError(i).getMessage().strip().splitlines()[0]
            for i in range(doc.getNumErrors())
            if doc.getError(i).getSeverity() >= L.LIBSBML_SEV_ERROR
        ]
        raise SBMLImportError(
            f"libsbml cannot flatten the comp model of {origin}: "
            + ("; ".join(problems[:2]) or "the converter failed")
        )


def load(source, *, time_unit: str = "second", name: str | None = None, events: bool = False):
    """Load an SBML document (Level 2 or 3 core) as a model of the engine.

    Parameters
    ----------
    source : str or path-like
        A file path, or the SBML text itself (a string starting with ``<``).
    time_unit : str
        The unit of time of a document that declares none (a pint unit of time). A declared
        ``timeUnits`` always wins.
    name : str, optional
        The model's name (default: the document's model name, else its id).
    events : bool
        Accept a document with events: the result is then an
        :class:`~follicle.sbml.events.EventModel`, simulated by its own ``simulate``.
        Without it, a document with events is refused.

    Returns
    -------
    SBMLModel or EventModel
        A :class:`~follicle.Model` with the document's states, parameters and assignment
        rules (as observables); ``model.sbml`` says which SBML id each name came from and
        the time unit. Species states are amounts. An EventModel (``events=True`` and a
        document with events) holds such a model and the events.

    Raises
    ------
    SBMLImportError
        The document cannot be read, or uses a feature the engine does not carry; the
        message names the element and the feature (see the module documentation).
    """
    L, doc = _read(source)
    try:
        return _Loader(L, doc, time_unit, events).build(name)
    except SBMLImportError:
        raise
    except FollicleError as exc:  # e.g. an infinite parameter value, a name clash
        raise SBMLImportError(f"the document does not make a valid model: {exc}") from None


class _Loader:
    """Turns one libsbml Model into an :class:`SBMLModel`."""

    def __init__(self, L, doc, time_unit, events):
        self.L, self.doc, self.m, self.events = L, doc, doc.getModel(), events
        self.level = doc.getLevel()
        if not _UNARY:
            _tables(L)
        self._refuse_unsupported()
        self.names: dict[str, str] = {}  # SBML id -> our name
        self.taken: set[str] = set()
        self.functions = {}
        for fd in self.m.getListOfFunctionDefinitions():
            if fd.getBody() is None:
                raise SBMLImportError(f"function definition {fd.getId()!r} has no body")
            args = [fd.getArgument(i).getName() for i in range(fd.getNumArguments())]
            self.functions[fd.getId()] = (args, fd.getBody())
        self.time = sp.Dummy("time")
        self._terms, self._rating, self.missing = None, set(), {}
        self.derived: dict[str, sp.Expr] = {}  # set in build(): see _derived_constants
        self._symbolic: dict | None = None  # initial values as expressions, by name
        self._time_unit(time_unit)
        self._amounts_in_zero_dimensions()
        self._classify()

    # -- refusals --------------------------------------------------------------------------
    def _refuse_unsupported(self):
        m = self.m
        if m.getNumEvents() and not self.events:
            ids = ", ".join(repr(e.getId() or f"#{i}") for i, e in enumerate(m.getListOfEvents()))
            raise SBMLImportError(
                f"the model has {m.getNumEvents()} event(s) ({ids}); fl.simulate applies "
                "discontinuities only from dosing schedules, not from SBML triggers; "
                "load(..., events=True) gives an EventModel that applies them"
            )
        if m.getNumConstraints():
            raise SBMLImportError(
                f"the model has {m.getNumConstraints()} constraint(s); the engine does not "
                "check constraints during a simulation"
            )
        for r in m.getListOfReactions():
            if r.isSetFast() and r.getFast():
                raise SBMLImportError(
                    f"reaction {r.getId()!r} is fast (fast='true'): the engine has no "
                    "rapid-equilibrium reactions"
                )

    # -- names -----------------------------------------------------------------------------
    def _name(self, sid: str, wanted: str | None = None) -> str:
        """Our (Python-identifier) name for SBML id ``sid``, unique in the model."""
        base = wanted or sid
        name = base + "_" if base in _KEYWORDS else base
        k = 2
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.add(name)
        self.names[sid] = name
        return name

    # -- the document's time ---------------------------------------------------------------
    def _time_unit(self, fallback):
        from follicle.units import Q_

        m = self.m
        unit_id = m.getTimeUnits() if self.level >= 3 and m.isSetTimeUnits() else ""
        if self.level < 3:
            definition = m.getUnitDefinition("time")
            unit_id = "time" if definition is not None else "second"
        self.time_unit_declared = bool(unit_id)
        if not unit_id:
            text = fallback
            try:
                seconds = Q_(1.0, parse_unit(fallback, what="time_unit")).to("second").magnitude
            except Exception as exc:
                raise SBMLImportError(
                    f"time_unit {fallback!r} is not a unit of time ({exc})"
                ) from None
        else:
            text, seconds = unit_id, self._seconds(unit_id)
        self.time_unit, self.seconds = text, float(seconds)
        named = _NAMED_TIME.get(self.seconds)
        self.per_time_unit = f"1/{named}" if named else "1/second"
        self.per_time_value = 1.0 if named else 1.0 / self.seconds

    def _seconds(self, unit_id):
        """Seconds in the SBML unit ``unit_id`` (a base unit or a unitDefinition)."""
        L = self.L
        if unit_id == "second":
            return 1.0
        definition = self.m.getUnitDefinition(unit_id)
        if definition is None:
            raise SBMLImportError(f"the model's time unit {unit_id!r} is not a unit of time")
        units = [definition.getUnit(i) for i in range(definition.getNumUnits())]
        if (
            len(units) != 1
            or units[0].getKind() != L.UNIT_KIND_SECOND
            or units[0].getExponent() != 1
        ):
            raise SBMLImportError(
                f"the model's time unit {unit_id!r} is not a multiple of the second"
            )
        u = units[0]
        return u.getMultiplier() * 10.0 ** u.getScale()

    # -- variables -------------------------------------------------------------------------
    def _amounts_in_zero_dimensions(self):
        """Read each species of a zero-dimensional compartment without size as its amount.

        Such a species has no concentration. SBML Level 2 reads its symbol as the amount;
        Level 3 dropped the rule, and the SBML Test Suite's Level 3 versions of those cases
        declare ``hasOnlySubstanceUnits="true"`` since 2022 (sbml-test-suite pull request
        86) for the same meaning. A compartment that an initial assignment or a rule
        sizes is left alone."""
        m = self.m
        sized = {ia.getSymbol() for ia in m.getListOfInitialAssignments()}
        sized |= {r.getVariable() for r in m.getListOfRules() if not r.isAlgebraic()}
        for s in m.getListOfSpecies():
            c = m.getCompartment(s.getCompartment())
            if (
                c is not None
                and c.getSpatialDimensions() == 0
                and not c.isSetSize()
                and c.getId() not in sized
            ):
                s.setHasOnlySubstanceUnits(True)

    def _classify(self):
        """Sort every variable into states, parameters and assigned expressions."""
        m = self.m
        self.assigned, self.rate_rules, algebraic = {}, {}, []
        for rule in m.getListOfRules():
            if rule.getMath() is None:  # Level 3 Version 2: a rule without maths does nothing
                continue
            if rule.isAlgebraic():
                algebraic.append(rule)
                continue
            target = rule.getVariable()
            (self.assigned if rule.isAssignment() else self.rate_rules)[target] = rule
        self.species = {s.getId(): s for s in m.getListOfSpecies()}
        self.compartments = {c.getId(): c for c in m.getListOfCompartments()}
        self.parameters = {p.getId(): p for p in m.getListOfParameters()}
        self.references = {}
        for r in m.getListOfReactions():
            for sr in [*r.getListOfReactants(), *r.getListOfProducts()]:
                if self.level >= 3 and sr.isSetId():
                    self.references[sr.getId()] = sr
        self.reactions = {r.getId(): r for r in m.getListOfReactions()}
        for sid in [*self.compartments, *self.species, *self.parameters, *self.references]:
            self._name(sid)
        self.locals = {}  # (reaction id, local id) -> our name
        for rid, r in self.reactions.items():
            law = r.getKineticLaw()
            if law is None:
                continue
            if law.getMath() is None:
                raise SBMLImportError(f"the kinetic law of reaction {rid!r} has no maths")
            for p in [*law.getListOfParameters(), *law.getListOfLocalParameters()]:
                key = (rid, p.getId())
                if key not in self.locals:
                    self.locals[key] = self._name(f"{rid}/{p.getId()}", f"{rid}_{p.getId()}")
        for rid in self.reactions:
            self._name(rid)
        seconds_name = self.per_time_unit.split("/")[1]
        self.time_parameter = self._name(f"(per {self.time_unit})", f"per_{seconds_name}")
        self.solved = self._solve_algebraic(algebraic) if algebraic else {}
        self.assigned |= dict.fromkeys(self.solved)
        self.states = [
            sid
            for sid in [*self.compartments, *self.species, *self.parameters, *self.references]
            if sid in self.rate_rules or (sid in self.species and sid not in self.assigned)
        ]
        self.constants = [
            sid
            for sid in [*self.compartments, *self.parameters, *self.references]
            if sid not in self.assigned and sid not in self.rate_rules
        ]

    def symbol(self, sid):
        return sp.Symbol(self.names[sid], real=True)

    def assignment(self, sid):
        """The raw expression of an assigned variable: its assignment rule's maths, or the
        algebraic rules solved for it."""
        if sid in self.solved:
            return self.solved[sid]
        return self.math(self.assigned[sid].getMath(), f"the assignment rule of {sid!r}")

    # -- algebraic rules -------------------------------------------------------------------
    def _undetermined(self):
        """Ids of the variables no rule, reaction or ``constant`` attribute determines.

        Only these may be determined by an algebraic rule (SBML Level 3 core, AlgebraicRule):
        a species that is a reactant or product of a reaction and not a boundary species
        is determined by the reactions."""
        in_reactions = {
            sr.getSpecies()
            for r in self.reactions.values()
            for sr in [*r.getListOfReactants(), *r.getListOfProducts()]
        }
        out = []
        for table in (self.compartments, self.species, self.parameters, self.references):
            for sid, element in table.items():
                if (
                    element.getConstant()
                    or sid in self.assigned
                    or sid in self.rate_rules
                    or (
                        table is self.species
                        and sid in in_reactions
                        and not element.getBoundaryCondition()
                    )
                ):
                    continue
                out.append(sid)
        return out

    def _solve_algebraic(self, rules):
        r"""Each variable the algebraic rules determine -> its raw expression.

        The rules :math:`0 = f_i(x, y)` must name exactly as many undetermined variables
        :math:`y` (see :meth:`_undetermined`) as there are rules, and be linear in them,
        :math:`f = A y - b` with :math:`\det A \neq 0`: then :math:`y = A^{-1} b` holds at
        every time and is exactly an assignment rule for each :math:`y_j`. Anything else
        (a nonlinear rule, more or fewer such variables than rules, a singular system, an
        initial assignment to a determined variable) is refused by name; ``rateOf`` of a
        determined variable is refused like that of any assigned one. A determinant that
        depends on parameters is accepted when it is not identically zero; where it
        vanishes, the rules do not determine :math:`y` and the expressions are infinite.
        """
        texts = ", ".join(repr(self.L.formulaToL3String(r.getMath())) for r in rules)
        where = f"algebraic rule(s) {texts}"
        exprs = [
            self.math(r.getMath(), f"the algebraic rule {i + 1}") for i, r in enumerate(rules)
        ]
        named = set().union(*(e.free_symbols for e in exprs))
        unknowns = [sid for sid in self._undetermined() if self.symbol(sid) in named]
        if len(unknowns) != len(rules):
            raise SBMLImportError(
                f"{where}: {len(rules)} rule(s) in {len(unknowns)} variable(s) that nothing "
                f"else determines ({', '.join(map(repr, unknowns)) or 'none'}); only "
                "algebraic rules that determine one such variable each are supported"
            )
        symbols = [self.symbol(sid) for sid in unknowns]
        try:
            A, b = sp.linear_eq_to_matrix(exprs, symbols)
        except (sp.PolynomialError, ValueError):  # NonlinearError is a ValueError
            A = None
        if A is None or any(e.has(*symbols) for e in [*A, *b]):
            raise SBMLImportError(
                f"{where} are not linear in {', '.join(map(repr, unknowns))}; only "
                "algebraic rules linear in the variables they determine are supported"
            )
        det = sp.simplify(A.det())
        if det == 0:
            raise SBMLImportError(
                f"{where} do not determine {', '.join(map(repr, unknowns))} uniquely "
                "(a singular linear system)"
            )
        for ia in self.m.getListOfInitialAssignments():
            if ia.getSymbol() in unknowns and ia.getMath() is not None:
                raise SBMLImportError(
                    f"{where} determine {ia.getSymbol()!r}, which also has an initial "
                    "assignment; the rules would hold at time 0 only if the two agree"
                )
        # With numbers only, LU is exact; with symbols, a pivot may vanish where the
        # determinant does not, so Cramer's rule (the adjugate over the determinant).
        solution = A.LUsolve(b) if A.is_symbolic() is False else A.adjugate() * b / det
        return dict(zip(unknowns, solution, strict=True))

    # -- maths -----------------------------------------------------------------------------
    def math(self, node, where, local=None, boolean=False):
        """sympy of a libsbml AST in the raw symbols (our names, the time placeholder)."""
        if node is None:
            raise SBMLImportError(f"{where} has no maths")
        try:
            expr = self._ast(node, where, local or {})
        except (TypeError, AttributeError) as exc:
            text = self.L.formulaToL3String(node)
            raise SBMLImportError(f"{where}: cannot read {text!r} ({exc})") from None
        return _as_condition(expr) if boolean else _as_number(expr)

    def _ast(self, node, where, local):
        L = self.L
        kind = node.getType()
        kids = (
            [self._ast(node.getChild(i), where, local) for i in range(node.getNumChildren())]
            if kind not in (L.AST_FUNCTION, L.AST_FUNCTION_PIECEWISE)
            else None
        )
        if kind in _LOGIC or kind == L.AST_LOGICAL_IMPLIES:
            kids = [_as_condition(k) for k in kids]
        elif kids:
            kids = [_as_number(k) for k in kids]
        if kind == L.AST_INTEGER:
            return sp.Integer(node.getInteger())
        if kind == L.AST_RATIONAL:
            return sp.Rational(node.getNumerator(), node.getDenominator())
        if kind in (L.AST_REAL, L.AST_REAL_E):
            value = node.getReal()
            if math.isnan(value):
                return sp.nan
            if math.isinf(value):
                return sp.oo if value > 0 else -sp.oo
            return sp.Float(value)
        if kind == L.AST_NAME:
            return self._name_node(node.getName(), where, local)
        if kind == L.AST_NAME_TIME:
            return self.time
        if kind == L.AST_NAME_AVOGADRO:
            return sp.Float(node.getReal())
        if kind == L.AST_CONSTANT_PI:
            return sp.pi
        if kind == L.AST_CONSTANT_E:
            return sp.E
        if kind in (L.AST_CONSTANT_TRUE, L.AST_CONSTANT_FALSE):
            return sp.true if kind == L.AST_CONSTANT_TRUE else sp.false
        if kind == L.AST_PLUS:
            return sp.Add(*kids)
        if kind == L.AST_TIMES:
            return sp.Mul(*kids)
        if kind == L.AST_MINUS:
            return -kids[0] if len(kids) == 1 else kids[0] - kids[1]
        if kind == L.AST_DIVIDE:
            return kids[0] / kids[1]
        if kind in (L.AST_POWER, L.AST_FUNCTION_POWER):
            return kids[0] ** kids[1]
        if kind == L.AST_FUNCTION_ROOT:
            return kids[-1] ** (1 / kids[0]) if len(kids) == 2 else sp.sqrt(kids[0])
        if kind == L.AST_FUNCTION_LOG:
            return sp.log(kids[-1]) / sp.log(kids[0] if len(kids) == 2 else 10)
        if kind in _UNARY:
            return _UNARY[kind](kids[0])
        if kind == L.AST_FUNCTION_FACTORIAL:
            if not kids[0].is_number:
                raise SBMLImportError(
                    f"{where}: factorial of the non-constant {kids[0]}: the engine's "
                    "compiled maths has no gamma function"
                )
            return sp.factorial(kids[0])
        if kind in (L.AST_FUNCTION_MAX, L.AST_FUNCTION_MIN):
            return (sp.Max if kind == L.AST_FUNCTION_MAX else sp.Min)(*kids)
        if kind in (L.AST_FUNCTION_QUOTIENT, L.AST_FUNCTION_REM):
            ratio = kids[0] / kids[1]
            whole = sp.sign(ratio) * floor(sp.Abs(ratio))  # truncated towards zero
            return whole if kind == L.AST_FUNCTION_QUOTIENT else kids[0] - kids[1] * whole
        if kind in _RELATIONS:
            relation = _RELATIONS[kind]
            if len(kids) == 2:
                return relation(*kids)
            return sp.And(*(relation(a, b) for a, b in zip(kids, kids[1:], strict=False)))
        if kind in _LOGIC:
            return _LOGIC[kind](*kids)
        if kind == L.AST_LOGICAL_IMPLIES:
            return sp.Or(sp.Not(kids[0]), kids[1])
        if kind == L.AST_FUNCTION_PIECEWISE:
            return self._piecewise(node, where, local)
        if kind == L.AST_FUNCTION:
            return self._call(node, where, local)
        if kind == L.AST_FUNCTION_DELAY:
            raise SBMLImportError(
                f"{where}: delay() makes a delay differential equation, "
                "which the engine does not integrate"
            )
        if kind == L.AST_FUNCTION_RATE_OF:
            if len(kids) != 1 or not isinstance(kids[0], sp.Symbol) or kids[0] == self.time:
                raise SBMLImportError(f"{where}: rateOf takes the id of one variable")
            return _RateOf(kids[0])
        raise SBMLImportError(
            f"{where}: the MathML element {node.getName() or L.formulaToL3String(node)!r} "
            "is not supported"
        )

    def _name_node(self, sid, where, local):
        if sid in local:
            return local[sid]
        if sid in self.names:
            return sp.Symbol(self.names[sid], real=True)
        raise SBMLImportError(f"{where}: {sid!r} is not an element of the model")

    def _piecewise(self, node, where, local):
        kids = [self._ast(node.getChild(i), where, local) for i in range(node.getNumChildren())]
        pieces = [(kids[i], _as_condition(kids[i + 1])) for i in range(0, len(kids) - 1, 2)]
        otherwise = kids[-1] if len(kids) % 2 else sp.nan
        if all(_is_boolean(v) for v, _ in pieces) and _is_boolean(otherwise):
            # A truth-valued piecewise (e.g. a condition): the same in logic.
            out = otherwise
            for v, cond in reversed(pieces):
                out = sp.Or(sp.And(cond, v), sp.And(sp.Not(cond), out))
            return out
        pieces = [(_as_number(v), cond) for v, cond in pieces]
        return sp.Piecewise(*pieces, (_as_number(otherwise), True))

    def _call(self, node, where, local):
        fid = node.getName()
        if fid not in self.functions:
            raise SBMLImportError(f"{where}: {fid!r} is not a function definition")
        args, body = self.functions[fid]
        values = [self._ast(node.getChild(i), where, local) for i in range(node.getNumChildren())]
        if len(values) != len(args):
            raise SBMLImportError(
                f"{where}: function {fid!r} takes {len(args)} argument(s), given {len(values)}"
            )
        return self._ast(
            body, f"function {fid!r} (called in {where})", dict(zip(args, values, strict=True))
        )

    # -- raw expressions of every variable -------------------------------------------------
    def kinetic(self, rid):
        """The rate of reaction ``rid`` in raw symbols (local parameters by our names)."""
        r = self.reactions[rid]
        law = r.getKineticLaw()
        if law is None:
            raise SBMLImportError(f"reaction {rid!r} has no kinetic law")
        local = {
            p.getId(): sp.Symbol(self.locals[(rid, p.getId())], real=True)
            for p in [*law.getListOfParameters(), *law.getListOfLocalParameters()]
        }
        return self.math(law.getMath(), f"the kinetic law of reaction {rid!r}", local)

    def stoichiometry(self, rid, sr):
        where = f"the stoichiometry of {sr.getSpecies()!r} in reaction {rid!r}"
        if self.level >= 3 and sr.isSetId():
            return self.symbol(sr.getId())
        if self.level == 2 and sr.isSetStoichiometryMath():
            return self.math(sr.getStoichiometryMath().getMath(), where)
        if self.level >= 3 and not sr.isSetStoichiometry():
            raise SBMLImportError(f"{where} is not set")
        return (
            sp.Float(sr.getStoichiometry())
            if not float(sr.getStoichiometry()).is_integer()
            else sp.Integer(int(sr.getStoichiometry()))
        )

    def declared(self, sid):
        """The raw expression of a variable's declared value at time 0."""
        if sid in self.species:
            s = self.species[sid]
            size = self.symbol(s.getCompartment())
            if s.isSetInitialAmount():
                amount = sp.Float(s.getInitialAmount())
                return amount if s.getHasOnlySubstanceUnits() else amount / size
            if s.isSetInitialConcentration():
                conc = sp.Float(s.getInitialConcentration())
                return conc * size if s.getHasOnlySubstanceUnits() else conc
            return None
        if sid in self.compartments:
            c = self.compartments[sid]
            if c.isSetSize():
                return sp.Float(c.getSize())
            # Level 2: a compartment without size has size 1 unless it has zero dimensions.
            if self.level < 3 and c.getSpatialDimensions() != 0:
                return sp.Float(1.0)
            return None
        if sid in self.parameters:
            p = self.parameters[sid]
            return sp.Float(p.getValue()) if p.isSetValue() else None
        sr = self.references[sid]
        return sp.Float(sr.getStoichiometry()) if sr.isSetStoichiometry() else None

    def initial_values(self):
        """Every variable's value at time 0 (initial assignments, rules, declared values)."""
        raw = {}
        for sid in [*self.compartments, *self.species, *self.parameters, *self.references]:
            raw[self.names[sid]] = self.declared(sid)
        for rid, r in self.reactions.items():
            law = r.getKineticLaw()
            if law is not None:
                raw[self.names[rid]] = self.kinetic(rid)
                for p in [*law.getListOfParameters(), *law.getListOfLocalParameters()]:
                    raw[self.locals[(rid, p.getId())]] = sp.Float(p.getValue())
        for sid in self.assigned:
            raw[self.names[sid]] = self.assignment(sid)
        for ia in self.m.getListOfInitialAssignments():
            sid = ia.getSymbol()
            if ia.getMath() is None:  # Level 3 Version 2: no maths, no assignment
                continue
            if sid not in self.names:
                raise SBMLImportError(f"initial assignment to {sid!r}, which is not a variable")
            raw[self.names[sid]] = self.math(ia.getMath(), f"the initial assignment of {sid!r}")
        values = {}
        by_name = {v: k for k, v in self.names.items()}

        def value(name, path=()):
            if name in values:
                return values[name]
            if name in path:
                raise SBMLImportError(
                    "the initial values depend on each other in a cycle: "
                    + " -> ".join(by_name.get(n, n) for n in (*path, name))
                )
            expr = raw.get(name)
            if expr is None:
                raise _NoValue(
                    f"{by_name.get(name, name)!r} has no value: no initial value, initial "
                    "assignment or assignment rule sets it"
                )
            # pi and e as floats, so that a relation such as P1 == pi compares floats.
            if expr.has(_RateOf):
                expr = expr.replace(
                    lambda e: isinstance(e, _RateOf),
                    lambda e: self._initial_rate(
                        e.args[0].name, lambda n: value(n, (*path, name))
                    ),
                )
            expr = expr.xreplace(
                {self.time: sp.Integer(0), sp.pi: sp.Float(math.pi), sp.E: sp.Float(math.e)}
            )
            subs = {s: value(s.name, (*path, name)) for s in expr.free_symbols}
            values[name] = _number(expr.xreplace(subs), by_name.get(name, name))
            return values[name]

        out = {}  # self.missing: our name -> why it has no value, raised only where used
        for sid in [*self.compartments, *self.species, *self.parameters, *self.references]:
            try:
                out[sid] = value(self.names[sid])
            except _NoValue as exc:
                self.missing[self.names[sid]] = exc
        self._initial_raw, self._initial_numbers = raw, values
        return out

    def _derived_constants(self, init):
        """Constants whose initial assignment uses other parameters, as expressions of
        them (engine name -> expression): they are not parameters of the loaded model but
        follow the ones they use, as SBML defines (a constant keeps its value at time 0).
        Constants that events assign stay parameters with their value at load."""
        assigned_by_events = {
            ea.getVariable()
            for e in self.m.getListOfEvents()
            for ea in e.getListOfEventAssignments()
        }
        targets = {
            ia.getSymbol()
            for ia in self.m.getListOfInitialAssignments()
            if ia.getMath() is not None
        }
        derived = {}
        for sid in self.constants:
            if sid in targets and sid not in assigned_by_events and sid in init:
                expr = self.initial_expression(sid)
                if expr.free_symbols:
                    derived[self.names[sid]] = expr
        return derived

    def initial_expression(self, sid):
        """``sid``'s value at time 0 as an expression of the loaded model's parameters
        (the constants no initial assignment sets), or a number when it uses none: so an
        initial assignment such as ``x0 = k * total`` follows ``k`` and ``total`` when a
        run sets them. Call after :meth:`initial_values`."""
        raw, numbers = self._initial_raw, self._initial_numbers
        if self._symbolic is None:  # shared by every call: each value derived once
            targets = {
                ia.getSymbol()
                for ia in self.m.getListOfInitialAssignments()
                if ia.getMath() is not None
            }
            self._free = {self.names[c] for c in self.constants if c not in targets}
            self._symbolic = {}
        free, memo = self._free, self._symbolic

        def symbolic(name):
            if name in free:
                return sp.Symbol(name, real=True)
            if name not in memo:
                expr = raw.get(name)
                if expr is None or not expr.free_symbols - {self.time}:
                    memo[name] = sp.Float(numbers[name])
                else:
                    expr = expr.replace(  # rateOf(x) at time 0, from the initial values
                        lambda e: isinstance(e, _RateOf),
                        lambda e: self._initial_rate(e.args[0].name, symbolic),
                    )
                    expr = expr.xreplace(
                        {
                            self.time: sp.Integer(0),
                            sp.pi: sp.Float(math.pi),
                            sp.E: sp.Float(math.e),
                        }
                    )
                    memo[name] = expr.xreplace({s: symbolic(s.name) for s in expr.free_symbols})
            return memo[name]

        return symbolic(self.names[sid])

    # -- engine expressions ----------------------------------------------------------------
    def engine_values(self):
        """The engine expression of every raw symbol (states, parameters, t, assignments)."""
        by_name = {v: k for k, v in self.names.items()}
        raws = {self.names[sid]: self.assignment(sid) for sid in self.assigned}
        raws |= {
            self.names[rid]: self.kinetic(rid)
            for rid, r in self.reactions.items()
            if r.getKineticLaw() is not None
        }
        resolved: dict[str, sp.Expr] = {}

        def value(name, path=()):
            if name in resolved:
                return resolved[name]
            if name in path:
                raise SBMLImportError(
                    "assignment rules or reaction rates depend on each other in a cycle: "
                    + " -> ".join(by_name.get(n, n) for n in (*path, name))
                )
            sid = by_name.get(name)
            symbol = sp.Symbol(name, real=True)
            if name in self.missing and name not in raws and sid not in self.rate_rules:
                raise self.missing[name]
            if name in raws:
                result = self._resolve(raws[name], lambda n: value(n, (*path, name)))
            elif name in self.derived:
                result = self.derived[name]
            elif sid in self.species and not self.species[sid].getHasOnlySubstanceUnits():
                result = symbol / value(
                    self.names[self.species[sid].getCompartment()], (*path, name)
                )
            else:
                result = symbol
            resolved[name] = result
            return result

        self._value = value
        return value

    def build(self, name):
        m = self.m
        value = self.engine_values()  # lazy: initial rateOf values use it
        init = self.initial_values()
        self.derived = self._derived_constants(init)
        rates = self._rates(value)
        for sid in self.states:
            if sid not in init:
                raise self.missing[self.names[sid]]
        model_name = name or m.getName() or m.getId() or "sbml"
        module = Module(model_name, doc=f"Loaded from SBML (model id {m.getId()!r}).")
        origin = f"SBML model {m.getId() or model_name!r}"
        q = module.parameter(
            self.time_parameter,
            self.per_time_value,
            self.per_time_unit,
            bounds=(self.per_time_value, self.per_time_value),
            provenance=f"{origin}: the document's time unit, fixed",
            description=f"1 per {self.time_unit}: the document's time in its own unit",
        )
        ids = {}
        for sid in self.constants:
            nm = self.names[sid]
            if sid not in init or nm in self.derived:  # unused, or an expression (below)
                continue
            module.parameter(
                nm,
                init[sid],
                "1",
                bounds=(-math.inf, math.inf),
                provenance=f"{origin}: {self._kind(sid)} {sid!r}",
            )
            ids[nm] = sid
        for (rid, pid), nm in self.locals.items():
            p = self.reactions[rid].getKineticLaw().getParameter(pid) or self.reactions[
                rid
            ].getKineticLaw().getLocalParameter(pid)
            if not p.isSetValue():
                raise SBMLImportError(f"local parameter {pid!r} of reaction {rid!r} has no value")
            module.parameter(
                nm,
                p.getValue(),
                "1",
                bounds=(-math.inf, math.inf),
                provenance=f"{origin}: local parameter {pid!r} of reaction {rid!r}",
            )
            ids[nm] = f"{rid}/{pid}"
        compartment_of, concentration = {}, {}
        for sid in self.states:
            nm = self.names[sid]
            start = self.initial_expression(sid)
            if sid in self.species:
                s = self.species[sid]
                compartment_of[nm] = self.names[s.getCompartment()]
                concentration[nm] = not s.getHasOnlySubstanceUnits()
                if concentration[nm]:
                    value(compartment_of[nm])  # raises if the compartment has no value
                    start = start * self.initial_expression(s.getCompartment())
            if not start.free_symbols:  # a number: the value computed with the others
                start = init[sid] * (
                    init[self.species[sid].getCompartment()]
                    if sid in self.species and concentration[nm]
                    else 1.0
                )
            module.state(nm, "1", start, f"{self._kind(sid)} {sid!r}", nonnegative=False)
            ids[nm] = sid
        for sid in self.states:
            for label, expr in rates.get(sid, ()):
                if expr != 0:  # 0 * per_<unit> would be a dimensionless term
                    module.rate(self.names[sid], expr * q, label)
        for sid in self.constants:
            nm = self.names[sid]
            if nm in self.derived:
                description = f"{self._kind(sid)} {sid!r}, set by an initial assignment"
                module.observable(nm, self.derived[nm], unit="1", description=description)
                ids[nm] = sid
        for sid in self.assigned:
            nm = self.names[sid]
            if sid in self.species:
                compartment_of[nm] = self.names[self.species[sid].getCompartment()]
                concentration[nm] = not self.species[sid].getHasOnlySubstanceUnits()
            # Unit "1" makes the unit check turn time (t * per_<unit>) into a pure number.
            rule = "algebraic rule solved for" if sid in self.solved else "assignment rule of"
            module.observable(nm, value(nm), unit="1", description=f"{rule} {sid!r}")
            ids[nm] = sid
        info = SBMLInfo(
            ids,
            self.time_unit,
            self.time_unit_declared,
            self.seconds,
            self.time_parameter,
            compartment_of,
            concentration,
            {
                rid: value(self.names[rid])
                for rid, r in self.reactions.items()
                if r.getKineticLaw() is not None
            },
        )
        model = SBMLModel(model_name, [module], info)
        _warn_unit_inconsistencies(self.L, self.m)
        if not self.m.getNumEvents():
            return model
        from follicle.sbml.events import EventModel

        # An event whose trigger has no maths (Level 3 Version 2) never triggers.
        return EventModel(
            model,
            [
                self._event(i, e, model, value)
                for i, e in enumerate(self.m.getListOfEvents())
                if e.getTrigger() is not None and e.getTrigger().getMath() is not None
            ],
        )

    def _event(self, i, e, model, value):
        """An :class:`~follicle.sbml.events.Event` in the engine's symbols."""
        from follicle.sbml.events import Event

        sid = e.getId() or f"#{i}"
        trigger = self._engine(
            e.getTrigger().getMath(), f"the trigger of event {sid!r}", value, boolean=True
        )
        # The unit check of a model, as for its rates: turns time into a pure number.
        if trigger not in (sp.true, sp.false):  # e.g. a trigger on a constant rule's value
            trigger = self._plain(sp.Piecewise((1, trigger), (0, True))).args[0].cond
        assignments = []
        for ea in e.getListOfEventAssignments():
            target = ea.getVariable()
            if ea.getMath() is None:  # Level 3 Version 2: no maths, no assignment
                continue
            where = f"the assignment to {target!r} in event {sid!r}"
            expr = self._plain(self._engine(ea.getMath(), where, value))
            name = self.names.get(target)
            scale = sp.Integer(1)
            if name in model.state_names:
                kind, index = "state", model.state_names.index(name)
                species = self.species.get(target)
                if species is not None and not species.getHasOnlySubstanceUnits():
                    scale = value(self.names[species.getCompartment()])
            elif name in model.parameter_names:
                kind, index = "parameter", model.parameter_names.index(name)
            else:
                raise SBMLImportError(f"{where}: {target!r} is not a state or parameter")
            assignments.append((kind, index, expr, self._plain(scale)))
        delay, priority = (
            None
            if part is None or part.getMath() is None
            else self._plain(self._engine(part.getMath(), f"the {what} of event {sid!r}", value))
            for part, what in ((e.getDelay(), "delay"), (e.getPriority(), "priority"))
        )
        # Level 2 triggers have neither attribute: true at time 0, and persistent.
        level3 = self.level >= 3
        return Event(
            sid,
            trigger,
            e.getTrigger().getInitialValue() if level3 else True,
            e.getTrigger().getPersistent() if level3 else True,
            tuple(assignments),
            delay,
            priority,
            e.getUseValuesFromTriggerTime(),
        )

    def _kind(self, sid):
        for kind, table in (
            ("compartment", self.compartments),
            ("species", self.species),
            ("parameter", self.parameters),
            ("species reference", self.references),
        ):
            if sid in table:
                return kind
        return "variable"

    def _rates(self, value):
        """Rate terms ``(label, expression per document time unit)`` of each state."""
        rates = {sid: list(terms) for sid, terms in self._reaction_terms(value).items()}
        for sid, rule in self.rate_rules.items():
            expr = self._engine(rule.getMath(), f"the rate rule of {sid!r}", value)
            if sid in self.species and not self.species[sid].getHasOnlySubstanceUnits():
                expr = self._concentration_rate(sid, expr, value)
            rates.setdefault(sid, []).append((f"rate rule of {sid}", expr))
        return rates

    def _reaction_terms(self, value):
        """Each species' reaction terms ``(label, expression)`` (built once)."""
        if self._terms is not None:
            return self._terms
        rates: dict[str, list] = {}
        model_factor = self.m.getConversionFactor() if self.level >= 3 else ""
        for rid, r in self.reactions.items():
            if r.getKineticLaw() is None:
                continue
            rate = value(self.names[rid])
            for sign, refs in ((-1, r.getListOfReactants()), (1, r.getListOfProducts())):
                for sr in refs:
                    sid = sr.getSpecies()
                    s = self.species[sid]
                    if s.getBoundaryCondition() or s.getConstant():
                        continue
                    if sid in self.assigned or sid in self.rate_rules:
                        raise SBMLImportError(
                            f"species {sid!r} is changed by reaction {rid!r} and by a rule"
                        )
                    stoich = self._resolve(self.stoichiometry(rid, sr), value)
                    factor_id = (
                        s.getConversionFactor()
                        if self.level >= 3 and s.isSetConversionFactor()
                        else model_factor
                    )
                    factor = value(self.names[factor_id]) if factor_id else 1
                    rates.setdefault(sid, []).append(
                        (f"reaction {rid}", sign * stoich * factor * rate)
                    )
        self._terms = rates
        return rates

    def _initial_rate(self, name, initial):
        """``rateOf(name)`` at time 0, from the initial value ``initial(n)`` of each name
        (numbers, or expressions of the parameters)."""
        by_name = {v: k for k, v in self.names.items()}
        expr = self._rate_of(name, self._value)
        q = sp.Symbol(self.time_parameter, real=True)
        values = {t: sp.Integer(0), q: sp.Float(self.per_time_value)}
        for symbol in expr.free_symbols - set(values):
            sid = by_name[symbol.name]
            value = initial(symbol.name)
            species = self.species.get(sid)
            if species is not None and not species.getHasOnlySubstanceUnits():
                value *= initial(self.names[species.getCompartment()])  # the amount
            values[symbol] = value if isinstance(value, sp.Expr) else sp.Float(value)
        return expr.xreplace(values)

    def _rate_of(self, name, value):
        """``rateOf(name)``: the variable's rate per document time unit, in engine symbols."""
        sid = next(k for k, v in self.names.items() if v == name)
        if name in self._rating:
            raise SBMLImportError(f"rateOf({sid}) depends on itself")
        self._rating.add(name)
        try:
            if sid in self.rate_rules:
                return self._engine(
                    self.rate_rules[sid].getMath(), f"the rate rule of {sid!r}", value
                )
            if sid in self.assigned:
                raise SBMLImportError(
                    f"rateOf({sid}): {sid!r} is set by an assignment rule, "
                    "whose rate would need its derivative"
                )
            if sid not in self.species:
                return sp.Integer(0)  # a constant
            total = sp.Add(*(e for _, e in self._reaction_terms(value).get(sid, ())))
            species = self.species[sid]
            if species.getHasOnlySubstanceUnits():
                return total
            cid = species.getCompartment()
            if cid in self.rate_rules or cid in self.assigned:
                raise SBMLImportError(
                    f"rateOf({sid}): the concentration's rate in the "
                    f"changing compartment {cid!r} is not supported"
                )
            return total / value(self.names[cid])
        finally:
            self._rating.discard(name)

    def _plain(self, expr):
        """``expr`` (in states, parameters and ``t``) as a pure number, with the unit
        conversions the engine's unit check inserts."""
        from follicle.units import convert_expression, expression_unit, ureg

        per = parse_unit(self.per_time_unit)

        def unit_of(symbol):
            if symbol == t:
                return parse_unit(self.per_time_unit.split("/")[1])
            return per if symbol.name == self.time_parameter else ureg.dimensionless

        converted, unit = expression_unit(expr, unit_of)
        return convert_expression(converted, unit, ureg.dimensionless)

    def _engine(self, node, where, value, boolean=False):
        return self._resolve(self.math(node, where, boolean=boolean), value)

    def _resolve(self, expr, value):
        """A raw expression in the engine's symbols (``value`` from :meth:`engine_values`).

        Symbols, the time and each ``rateOf`` are replaced at once, so that no replacement
        is replaced again."""
        q = sp.Symbol(self.time_parameter, real=True)
        rates = {}

        def placeholder(e):
            rates[sp.Dummy()] = e.args[0].name
            return next(reversed(rates))

        expr = expr.replace(lambda e: isinstance(e, _RateOf), placeholder)
        return expr.xreplace(
            {
                s: t * q
                if s == self.time
                else self._rate_of(rates[s], value)
                if s in rates
                else value(s.name)
                for s in expr.free_symbols
            }
        )

    def _concentration_rate(self, sid, rule, value):
        """d(amount)/dt of a species whose rate rule is on its concentration."""
        cid = self.species[sid].getCompartment()
        size = value(self.names[cid])
        if cid in self.assigned:
            raise SBMLImportError(
                f"species {sid!r} has a rate rule on its concentration and its compartment "
                f"{cid!r} changes by an assignment rule; d(amount)/dt would need the "
                "derivative of that rule"
            )
        amount = sp.Symbol(self.names[sid], real=True)
        if cid in self.rate_rules:
            d_size = self._engine(
                self.rate_rules[cid].getMath(), f"the rate rule of {cid!r}", value
            )
            return size * rule + amount / size * d_size
        return size * rule


class _RateOf(sp.Function):
    """SBML's ``rateOf(x)``, until the loader replaces it by the rate of ``x``."""


class _NoValue(SBMLImportError):
    """A variable has no value (raised where the value is needed)."""


def _is_boolean(expr) -> bool:
    """Whether ``expr`` is a truth value (sympy's symbols are both numbers and booleans)."""
    return isinstance(expr, sp.logic.boolalg.Boolean) and not isinstance(expr, sp.Expr)


def _as_number(expr):
    """``expr`` in a numeric context: a truth value is 1 or 0 (SBML Level 3 Version 2)."""
    if not _is_boolean(expr):
        return expr
    if expr in (sp.true, sp.false):
        return sp.Integer(1 if expr == sp.true else 0)
    return sp.Piecewise((1, expr), (0, True))


def _as_condition(expr):
    """``expr`` in a logical context: a number is true unless it is 0 (SBML Level 3
    Version 2)."""
    return expr if _is_boolean(expr) else sp.Ne(expr, 0)


def _number(expr, sid) -> float:
    """A float from a closed sympy expression (an initial value)."""
    try:
        return float(sp.N(expr, 17))
    except TypeError:
        raise SBMLImportError(
            f"the initial value of {sid!r} ({expr}) is not a real number"
        ) from None


_UNARY = {}
_RELATIONS = {}
_LOGIC = {}


def _tables(L):
    """Fill the MathML -> sympy tables from libsbml ``L`` (imported only when used)."""
    inv = lambda f: lambda x: f(1 / x)  # noqa: E731 - arcsec(x) = arccos(1/x), ...
    _UNARY.update(
        {
            L.AST_FUNCTION_EXP: sp.exp,
            L.AST_FUNCTION_LN: sp.log,
            L.AST_FUNCTION_ABS: sp.Abs,
            L.AST_FUNCTION_FLOOR: floor,
            L.AST_FUNCTION_CEILING: ceiling,
            L.AST_FUNCTION_SIN: sp.sin,
            L.AST_FUNCTION_COS: sp.cos,
            L.AST_FUNCTION_TAN: sp.tan,
            L.AST_FUNCTION_SEC: lambda x: 1 / sp.cos(x),
            L.AST_FUNCTION_CSC: lambda x: 1 / sp.sin(x),
            L.AST_FUNCTION_COT: lambda x: 1 / sp.tan(x),
            L.AST_FUNCTION_SINH: sp.sinh,
            L.AST_FUNCTION_COSH: sp.cosh,
            L.AST_FUNCTION_TANH: sp.tanh,
            L.AST_FUNCTION_SECH: lambda x: 1 / sp.cosh(x),
            L.AST_FUNCTION_CSCH: lambda x: 1 / sp.sinh(x),
            L.AST_FUNCTION_COTH: lambda x: 1 / sp.tanh(x),
            L.AST_FUNCTION_ARCSIN: sp.asin,
            L.AST_FUNCTION_ARCCOS: sp.acos,
            L.AST_FUNCTION_ARCTAN: sp.atan,
            L.AST_FUNCTION_ARCSEC: inv(sp.acos),
            L.AST_FUNCTION_ARCCSC: inv(sp.asin),
            L.AST_FUNCTION_ARCCOT: inv(sp.atan),
            L.AST_FUNCTION_ARCSINH: sp.asinh,
            L.AST_FUNCTION_ARCCOSH: sp.acosh,
            L.AST_FUNCTION_ARCTANH: sp.atanh,
            L.AST_FUNCTION_ARCSECH: inv(sp.acosh),
            L.AST_FUNCTION_ARCCSCH: inv(sp.asinh),
            L.AST_FUNCTION_ARCCOTH: inv(sp.atanh),
        }
    )
    _RELATIONS.update(
        {
            L.AST_RELATIONAL_EQ: sp.Eq,
            L.AST_RELATIONAL_NEQ: sp.Ne,
            L.AST_RELATIONAL_LT: sp.Lt,
            L.AST_RELATIONAL_GT: sp.Gt,
            L.AST_RELATIONAL_LEQ: sp.Le,
            L.AST_RELATIONAL_GEQ: sp.Ge,
        }
    )
    _LOGIC.update(
        {
            L.AST_LOGICAL_AND: sp.And,
            L.AST_LOGICAL_OR: sp.Or,
            L.AST_LOGICAL_XOR: _xor,
            L.AST_LOGICAL_NOT: sp.Not,
        }
    )


def _xor(*args):
    """Exclusive or in And/Or/Not (what the engine's unit check reads): true when an odd
    number of arguments is."""
    out = sp.false
    for a in args:
        out = sp.Or(sp.And(out, sp.Not(a)), sp.And(sp.Not(out), a))
    return out
