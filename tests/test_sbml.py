"""SBML export: every document passes libsbml's checks (units included), ids and units map
back to ours, what cannot be written is refused by name, and libRoadRunner and COPASI
integrate the exported coupled model to the trajectories of :func:`follicle.simulate` under
named and random dosing schedules, random parameter sets and every named scenario."""

from __future__ import annotations

import functools
from xml.etree import ElementTree

import basico
import libsbml
import numpy as np
import pytest
import roadrunner
import sympy as sp
from _models import ALL_BUILDERS, PROV, one_compartment

import follicle as fl
from follicle.models.drugs import DRUGS
from follicle.models.zoo import ZOO
from follicle.units import parse_unit

#: Both peers and the engine integrate with these tolerances.
RTOL, ATOL = 1e-10, 1e-12
#: A peer agrees when |peer - engine| <= AGREE * (|engine| + scale of the state).
AGREE = 1e-6
DAYS, POINTS = 120.0, 200
N_RANDOM, SEED = 20, 20261121
DRUG_STATES = [d.state for d in DRUGS.values()]


# -- helpers ---------------------------------------------------------------------------
def consistency_issues(text: str) -> list[str]:
    """Every error and warning of libsbml's full consistency check, units included."""
    doc = libsbml.readSBMLFromString(text)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    return [
        f"{doc.getError(i).getSeverityAsString()} {doc.getError(i).getErrorId()}: "
        f"{doc.getError(i).getMessage()}"
        for i in range(doc.getNumErrors())
    ]


# Both peers are given the output times themselves: asked for (0, days, points), each
# computes its last time as 119.99999999999999 instead of 120 and may report it before a
# dose given at exactly day 120.
def run_roadrunner(text, ids, t, atol):
    rr = roadrunner.RoadRunner(text)
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", RTOL)
    integrator.setValue("maximum_num_steps", 10**6)
    # One absolute tolerance per state, as for the engine. Given a single number,
    # libRoadRunner scales it by each state's value, and a state that has decayed to a
    # subnormal number then gets a zero tolerance, which CVODE rejects at the next event.
    for sid, value in atol.items():
        integrator.setIndividualTolerance(sid, value)
    out = np.asarray(rr.simulate(times=t, selections=["time", *ids]))
    return out[:, 0], out[:, 1:].T


def run_copasi(text, names, t):
    dm = basico.load_model_from_string(text)
    try:
        df = basico.run_time_course(
            values=list(t),
            r_tol=RTOL,
            a_tol=ATOL,
            max_steps=10**6,
            use_initial_values=True,
            model=dm,
        )
    finally:
        basico.remove_datamodel(dm)
    assert len(df) == len(t), f"COPASI stopped early, at day {df.index[-1]:g}"
    # Species are columns of their own name, parameters and observables "Values[name]".
    columns = [n if n in df.columns else f"Values[{n}]" for n in names]
    return df.index.to_numpy(), np.array([df[c].to_numpy() for c in columns])


def cross_check(
    model, schedule=None, *, params=None, initial=None, days=DAYS, points=POINTS, agree=AGREE
):
    """Export, integrate with the engine and both peers, and compare every state and
    observable at ``points`` times. Returns ``{peer: (worst, name, day)}``."""
    text = fl.sbml.export(model, schedule, params=params, initial=initial)
    names = [*model.state_names, *model.observable_names]
    scale = np.array([model.states[n].scale if n in model.states else 1.0 for n in names])
    t = np.linspace(0.0, days, points)
    atol = {n: ATOL * s.scale for n, s in model.states.items()}
    run = fl.simulate(
        model,
        t_eval=t,
        days=days,
        schedule=schedule,
        params=params,
        initial=initial,
        rtol=RTOL,
        atol=atol,
    )
    engine = np.array([run[n] for n in names])
    ids = fl.sbml.sbml_ids(model)
    peers = {
        "libRoadRunner": run_roadrunner(
            text, [ids[n] for n in names], t, {ids[n]: a for n, a in atol.items()}
        ),
        "COPASI": run_copasi(text, names, t),
    }
    worst = {}
    for peer, (times, values) in peers.items():
        # COPASI reports the time of an output on an event time to within a few ulps.
        np.testing.assert_allclose(times, t, rtol=1e-13, atol=0)
        assert np.all(np.isfinite(values)), f"{peer} returned non-finite values"
        error = np.abs(values - engine) / (np.abs(engine) + scale[:, None])
        i, j = np.unravel_index(np.argmax(error), error.shape)
        worst[peer] = (float(error[i, j]), names[i], float(t[j]))
        assert error[i, j] <= agree, (
            f"{peer} differs from follicle.simulate on {names[i]!r} at day {t[j]:g}: "
            f"{values[i, j]!r} vs {engine[i, j]!r}"
        )
    return worst


def draw(par, rng) -> float:
    """A value within the declared range: log-uniform where the range spans a decade or
    more (and starts above 0), uniform otherwise."""
    low, high = par.bounds
    if low > 0 and high >= 10 * low:
        return float(np.exp(rng.uniform(np.log(low), np.log(high))))
    return float(rng.uniform(low, high))


def random_parameters(model, rng) -> dict[str, float]:
    """Every parameter drawn by :func:`draw`."""
    return {name: draw(par, rng) for name, par in model.parameters.items()}


def random_schedule(model, rng, days=DAYS):
    """Two to five random interventions (boluses, courses, infusions, parameter steps),
    sometimes with a dose at day 0 or at the final day."""
    events, stepped = [], set()
    for _ in range(rng.integers(2, 6)):
        kind = rng.choice(["bolus", "course", "infusion", "step"])
        drug = str(rng.choice(DRUG_STATES))
        amount = float(np.exp(rng.uniform(np.log(0.1), np.log(50.0))))
        start = float(rng.uniform(0.0, days - 1.0))
        if kind == "bolus":
            events.append(fl.Bolus(drug, amount, start))
        elif kind == "course":
            every = float(rng.uniform(1.0, 7.0))
            events += fl.repeat(
                fl.Bolus(drug, amount, start), every=every, times=int(rng.integers(2, 7))
            )
        elif kind == "infusion":
            events.append(fl.Infusion(drug, amount / 5, start, start + rng.uniform(0.5, 30)))
        else:
            name = str(rng.choice([n for n in model.parameter_names if n not in stepped]))
            stepped.add(name)
            stop = None if rng.random() < 0.3 else start + float(rng.uniform(0.5, 40))
            value = draw(model.parameters[name], rng)
            events.append(fl.ParameterStep(name, value, start, stop))
    if rng.random() < 0.5:
        events.append(fl.Bolus(str(rng.choice(DRUG_STATES)), 5.0, 0.0))
    if rng.random() < 0.5:
        events.append(fl.Bolus(str(rng.choice(DRUG_STATES)), 5.0, days))
    return events


@functools.cache
def coupled():
    return fl.models.coupled()


@functools.cache
def untreated(days=DAYS, points=POINTS):
    return fl.simulate(coupled(), days=days, t_eval=np.linspace(0, days, points))


# -- documents pass libsbml's checks ----------------------------------------------------
@pytest.mark.parametrize("name", sorted(ALL_BUILDERS))
def test_every_test_model_exports_without_errors_or_warnings(name):
    assert consistency_issues(fl.sbml.export(ALL_BUILDERS[name]())) == []


@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_published_model_of_the_zoo_exports_cleanly_and_simulates_alike(name):
    model = ZOO[name]()
    assert consistency_issues(fl.sbml.export(model)) == []
    cross_check(model, days=100, points=101)


def test_the_coupled_model_exports_without_errors_or_warnings():
    assert consistency_issues(fl.sbml.export(coupled())) == []


def test_the_coupled_model_with_every_kind_of_schedule_exports_cleanly():
    schedule = [
        *SCHEDULES.values(),
        fl.Bolus("D_fx", 1.0, 0.0),
        fl.ParameterStep("k_CA", 10.0, 5.0),
    ]
    text = fl.sbml.export(coupled(), schedule)
    assert consistency_issues(text) == []
    model = libsbml.readSBMLFromString(text).getModel()
    assert model.getNumEvents() > 10


def test_the_unit_check_is_not_vacuous():
    # The same document with one wrong unit is flagged: the check really compares units.
    text = fl.sbml.export(coupled())
    doc = libsbml.readSBMLFromString(text)
    assert doc.getModel().getParameter("K_W").setUnits("day") == libsbml.LIBSBML_OPERATION_SUCCESS
    issues = consistency_issues(libsbml.writeSBMLToString(doc))
    assert issues and all("units" in i.lower() for i in issues)


# -- what maps to what -------------------------------------------------------------------
def _si(definition):
    """(factor, {kind: exponent}) of an SBML unit definition."""
    factor, kinds = 1.0, {}
    for k in range(definition.getNumUnits()):
        unit = definition.getUnit(k)
        e = unit.getExponentAsDouble()
        factor *= (unit.getMultiplier() * 10.0 ** unit.getScale()) ** e
        kind = libsbml.UnitKind_toString(unit.getKind())
        if kind != "dimensionless":
            kinds[kind] = kinds.get(kind, 0.0) + e
    return factor, kinds


_SBML_KIND = {
    "meter": "metre",
    "kilogram": "kilogram",
    "second": "second",
    "mole": "mole",
    "cell": "item",
}


@pytest.mark.parametrize(
    "builder", ["coupled", "hill_feedback", "logistic", "michaelis_menten_uM"]
)
def test_units_are_the_pint_units_in_si_base_units(builder):
    model = coupled() if builder == "coupled" else ALL_BUILDERS[builder]()
    sbml = libsbml.readSBMLFromString(fl.sbml.export(model)).getModel()
    ids = fl.sbml.sbml_ids(model)
    assert sbml.getTimeUnits() == "day"
    for name in (*model.state_names, *model.parameter_names):
        units = _units_of(sbml, ids[name])
        root = (1.0 * parse_unit(model.unit(name))).to_root_units()
        expected = {
            _SBML_KIND[n]: float(e) for n, e in root.unit_items() if n != "arbitrary_unit"
        }  # AU is dimensionless in SBML
        if units == "dimensionless":
            factor, kinds = 1.0, {}
        else:
            factor, kinds = _si(sbml.getUnitDefinition(units))
        assert kinds == expected, name
        assert factor == pytest.approx(root.magnitude, rel=1e-14), name


def _units_of(sbml, sid):
    """The units of a species (its substance units) or a parameter."""
    species = sbml.getSpecies(sid)
    return species.getSubstanceUnits() if species else sbml.getParameter(sid).getUnits()


def test_named_units_keep_their_names():
    sbml = libsbml.readSBMLFromString(fl.sbml.export(coupled())).getModel()
    assert sbml.getUnitDefinition(_units_of(sbml, "W")).getName() == "AU"
    exposure = sbml.getUnitDefinition(_units_of(sbml, "D_wnt"))
    assert exposure.getName() == "mg/kg"
    assert _si(exposure) == (pytest.approx(1e-6), {})
    day = sbml.getUnitDefinition("day")
    assert _si(day) == (86400.0, {"second": 1.0})


def test_a_unit_conversion_is_a_number_with_its_own_unit():
    # Senescent production eta (1/day/year) * (age0 [year] + t [day]): t is converted to
    # years by 1/365.25 with unit year/day, so the sum is unit-consistent.
    sbml = libsbml.readSBMLFromString(fl.sbml.export(coupled())).getModel()
    numbers = [
        (n.getValue(), n.getUnits())
        for law in _laws_of(sbml, "X")
        for n in _nodes(law)
        if n.isNumber()
    ]
    # (The zeros carrying units are the thresholds of the Hill terms' clipping steps.)
    conversions = [(v, u) for v, u in numbers if u != "dimensionless" and v != 0]
    assert conversions == [(pytest.approx(1 / 365.25, rel=1e-14), "year_per_day")]
    assert _si(sbml.getUnitDefinition("year_per_day")) == (pytest.approx(365.25), {})


def test_units_named_like_sbml_base_units_get_their_own_ids():
    m = fl.Module("si")
    x = m.state("X", "mole", 1.0)
    tau = m.parameter("tau", 2.0, "second", provenance=PROV)
    m.rate(x, -x / tau, label="decay")
    text = fl.sbml.export(fl.Model("si", [m]))
    assert consistency_issues(text) == []
    sbml = libsbml.readSBMLFromString(text).getModel()
    assert sbml.getSpecies("X").getSubstanceUnits() == "mole_2"
    assert _si(sbml.getUnitDefinition("second_2")) == (1.0, {"second": 1.0})


def test_expressions_default_to_the_compiled_right_hand_side():
    model = coupled()
    rhs, observables = model.expressions()
    assert rhs == model.rhs_expressions
    assert observables == {n: e for n, (_, e) in model.observables.items()}
    # With placeholders, putting the values back gives the same equations again.
    placeholders = {}

    def factor(value, source, target):
        placeholders[sp.Dummy()] = value
        return list(placeholders)[-1]

    marked, _ = model.expressions(factor)
    assert placeholders
    back = {d: sp.Float(v) for d, v in placeholders.items()}
    assert tuple(e.xreplace(back) for e in marked) == model.rhs_expressions


def test_parameters_carry_value_range_and_provenance():
    model = coupled()
    text = fl.sbml.export(model, params={"k_CA": 12.5})
    sbml = libsbml.readSBMLFromString(text).getModel()
    notes = _text(sbml.getNotesString())
    for name, par in model.parameters.items():
        p = sbml.getParameter(name)
        assert p.getName() == name
        assert p.getConstant()
        assert p.getValue() == pytest.approx(12.5 if name == "k_CA" else par.value, rel=1e-14)
        own = _text(p.getNotesString())
        assert f"Provenance: {par.provenance}" in own, name
        assert f"Allowed range: [{par.bounds[0]:g}, {par.bounds[1]:g}] {par.unit}" in own
        assert par.provenance in notes


def _text(notes: str) -> str:
    return " ".join(ElementTree.fromstring(notes).itertext())


def test_states_observables_and_initial_overrides():
    model = coupled()
    sbml = libsbml.readSBMLFromString(fl.sbml.export(model, initial={"W": 0.7})).getModel()
    for name, state in model.states.items():
        if name in DRUG_STATES:  # mg/kg: not the extent unit, so a rate-ruled parameter
            p = sbml.getParameter(name)
            assert not p.getConstant() and sbml.getRateRule(name) is not None
            value = p.getValue()
        else:
            s = sbml.getSpecies(name)
            assert s.getHasOnlySubstanceUnits() and not s.getConstant()
            assert not s.getBoundaryCondition() and sbml.getRateRule(name) is None
            value = s.getInitialAmount()
        assert value == pytest.approx(0.7 if name == "W" else state.initial)
    assert sbml.getCompartment(0).getSize() == 1.0
    for name in model.observable_names:
        assert sbml.getAssignmentRule(name) is not None
    assert sbml.getNumRules() == len(DRUG_STATES) + len(model.observables)
    assert sbml.getNumEvents() == 0


def test_time_is_the_time_csymbol():
    sbml = libsbml.readSBMLFromString(fl.sbml.export(coupled())).getModel()
    nodes = [n for law in _laws_of(sbml, "X") for n in _nodes(law)]
    times = [n for n in nodes if n.getType() == libsbml.AST_NAME_TIME]
    assert len(times) == 1
    names = {n.getName() for n in nodes if n.getType() == libsbml.AST_NAME}
    assert "t" not in names


def _laws_of(sbml, species):
    """The kinetic laws (maths) of the reactions that change ``species``."""
    for r in sbml.getListOfReactions():
        refs = [*r.getListOfReactants(), *r.getListOfProducts()]
        if any(ref.getSpecies() == species for ref in refs):
            yield r.getKineticLaw().getMath()


def _nodes(node):
    yield node
    for k in range(node.getNumChildren()):
        yield from _nodes(node.getChild(k))


# -- species and reactions -------------------------------------------------------------------
def _reactions(sbml):
    """{reaction id: (name, reactants, products, modifiers, kinetic law as text)}."""
    return {
        r.getId(): (
            r.getName(),
            [x.getSpecies() for x in r.getListOfReactants()],
            [x.getSpecies() for x in r.getListOfProducts()],
            [x.getSpecies() for x in r.getListOfModifiers()],
            libsbml.formulaToL3String(r.getKineticLaw().getMath()),
        )
        for r in sbml.getListOfReactions()
    }


def test_every_flow_between_species_is_one_reaction():
    model = coupled()
    sbml = libsbml.readSBMLFromString(fl.sbml.export(model)).getModel()
    reactions = _reactions(sbml)
    flows = list(dict.fromkeys(term.flow for term in model.terms if term.flow))
    plain = [term for term in model.terms if not term.flow and term.state not in DRUG_STATES]
    assert len(reactions) == len(flows) + len(plain)
    named = {name: (reactants, products) for name, reactants, products, *_ in reactions.values()}
    for flow in flows:  # every flow of the coupled model is between species
        assert named[flow.label] == ([flow.source], [flow.target]), flow.label
    law = "30 dimensionless * R1 / tau_refractory"
    assert reactions["R1_to_R2"][1:] == (["R1"], ["R2"], [], law)
    # A flow's rate that reads another species names it as a modifier.
    assert reactions["C2_to_A1"][1:4] == (["C2"], ["A1"], ["S"])


def test_other_terms_are_reactions_with_only_a_reactant_or_only_a_product():
    m = fl.Module("birth and death")
    x = m.state("X", "cell", 2.0)
    y = m.state("Y", "cell", 1.0)
    b = m.parameter("b", 3.0, "cell/day", provenance=PROV)
    k = m.parameter("k", 0.5, "1/day", provenance=PROV)
    m.rate(x, b, label="birth")
    half = m.parameter("K", 4.0, "cell", provenance=PROV)
    m.rate(x, -k * x * y / (y + half), label="death")
    m.flow(x, y, k * x, label="maturation")
    model = fl.Model("birth and death", [m])
    text = fl.sbml.export(model, fl.Bolus("Y", 2.0, 1.0))
    assert consistency_issues(text) == []
    sbml = libsbml.readSBMLFromString(text).getModel()
    assert sbml.getExtentUnits() == sbml.getSpecies("X").getSubstanceUnits() == "cell"
    assert _reactions(sbml) == {
        "gain_X": ("birth", [], ["X"], [], "b"),
        "loss_X": ("death", ["X"], [], ["Y"], "X * Y * k / (K + Y)"),
        "X_to_Y": ("maturation", ["X"], ["Y"], [], "X * k"),
    }
    assert sbml.getNumRules() == 0
    cross_check(model, fl.Bolus("Y", 2.0, 1.0), days=5, points=21)


def test_terms_of_one_rate_in_several_species_are_one_reaction():
    # As fl.sbml.load writes a reaction: the same rate v, -v in each reactant, +v in each
    # product (a species with the term twice has stoichiometry 2).
    m = fl.Module("binding")
    s, e, c = m.state("S", "mol", 2.0), m.state("E", "mol", 1.0), m.state("C", "mol", 0.0)
    kon = m.parameter("kon", 0.7, "1/mol/day", provenance=PROV)
    koff = m.parameter("koff", 0.2, "1/day", provenance=PROV)
    v = kon * s * e - koff * c
    for state, sign in ((s, -1), (s, -1), (e, -1), (c, 1)):
        m.rate(state, sign * v, label="binding")
    model = fl.Model("binding", [m])
    text = fl.sbml.export(model, fl.Bolus("E", 0.5, 1.0))
    assert consistency_issues(text) == []
    sbml = libsbml.readSBMLFromString(text).getModel()
    assert _reactions(sbml) == {
        "S_E_to_C": ("binding", ["S", "E"], ["C"], [], "E * S * kon - C * koff"),
    }
    assert sbml.getReaction(0).getReactant("S").getStoichiometry() == 2.0
    cross_check(model, fl.Bolus("E", 0.5, 1.0), days=5, points=21)


def test_states_in_another_unit_than_the_extent_keep_rate_rules():
    # mmol is the most common unit, so A and B are species; C (mol) keeps a rate rule
    # and the flow B -> C is one reaction for B and a term in C's rule (with the unit
    # conversion); a concentration (nM) is no substance, so it is never a species.
    m = fl.Module("mixed")
    a, b = m.state("A", "mmol", 1.0), m.state("B", "mmol", 0.0)
    c, n = m.state("C", "mol", 0.0), m.state("N", "nM", 1.0)
    k = m.parameter("k", 0.5, "1/day", provenance=PROV)
    m.flow(a, b, k * a, label="A -> B")
    m.flow(b, c, k * b, label="B -> C")
    m.rate(n, -k * n, label="decay")
    model = fl.Model("mixed", [m])
    text = fl.sbml.export(model)
    assert consistency_issues(text) == []
    sbml = libsbml.readSBMLFromString(text).getModel()
    assert [s.getId() for s in sbml.getListOfSpecies()] == ["A", "B"]
    assert {r.getVariable() for r in sbml.getListOfRules()} == {"C", "N"}
    assert _reactions(sbml) == {
        "A_to_B": ("A -> B", ["A"], ["B"], [], "A * k"),
        "loss_B": ("B -> C (out)", ["B"], [], [], "B * k"),
    }
    assert libsbml.formulaToL3String(sbml.getRateRule("C").getMath()) == (
        "B * k * 0.001 mole_per_millimole"
    )
    cross_check(model, days=5, points=21)


def test_the_reactions_and_rules_give_the_model_rates_exactly():
    # The loaded document's right-hand side, at random states and parameters, is ours to
    # rounding: every term is in exactly one reaction or rule.
    model = coupled()
    loaded = fl.sbml.load(fl.sbml.export(model))
    rng = np.random.default_rng(SEED)
    values = {s: rng.uniform(0.01, 1.0) for s in (*model.state_names, "t")}
    values |= random_parameters(model, rng)
    values |= {n: p.value for n, p in loaded.parameters.items() if n not in values}
    for name, ours in zip(model.state_names, model.rhs_expressions, strict=True):
        theirs = loaded.rhs_expressions[loaded.state_names.index(name)]
        subs = {sym: values[sym.name] for sym in ours.free_symbols | theirs.free_symbols}
        assert float(theirs.xreplace(subs)) == pytest.approx(
            float(ours.xreplace(subs)), rel=1e-13, abs=1e-15
        ), name


#: The round trip agrees when |back - engine| <= ROUND_TRIP * (|engine| + scale of the
#: state), both integrated with ROUND_TRIP_RTOL and absolute tolerance 1e-12 * scale.
ROUND_TRIP, ROUND_TRIP_RTOL = 1e-9, 1e-12


def _round_trip_error(model, run, back, t):
    names = [*model.state_names, *model.observable_names]
    scale = np.array([model.states[n].scale if n in model.states else 1.0 for n in names])
    ours = np.array([run[n] for n in names])
    theirs = np.array([back[n] for n in names])
    error = np.abs(theirs - ours) / (np.abs(ours) + scale[:, None])
    i, j = np.unravel_index(np.argmax(error), error.shape)
    return float(error[i, j]), names[i], float(t[j])


def test_round_trip_through_sbml_reproduces_the_coupled_model():
    model, t = coupled(), np.linspace(0.0, DAYS, 241)
    atol = {n: 1e-12 * s.scale for n, s in model.states.items()}
    run = fl.simulate(model, days=DAYS, t_eval=t, rtol=ROUND_TRIP_RTOL, atol=atol)
    loaded = fl.sbml.load(fl.sbml.export(model))
    back = fl.simulate(loaded, days=DAYS, t_eval=t, rtol=ROUND_TRIP_RTOL, atol=atol)
    worst = _round_trip_error(model, run, back, t)
    assert worst[0] <= ROUND_TRIP, worst


def test_round_trip_with_a_dosing_schedule_reproduces_the_coupled_model():
    # The loaded document applies the doses as SBML events (EventModel.simulate, LSODA),
    # the engine as its schedule; the course moves the biology (checked elsewhere).
    model, t = coupled(), np.linspace(0.0, DAYS, 241)
    schedule = SCHEDULES["WNT-inhibitor course"]
    atol = {n: 1e-12 * s.scale for n, s in model.states.items()}
    run = fl.simulate(
        model, days=DAYS, t_eval=t, schedule=schedule, rtol=ROUND_TRIP_RTOL, atol=atol
    )
    loaded = fl.sbml.load(fl.sbml.export(model, schedule), events=True)
    assert len(loaded.events) == 6  # one per dose: days 50, 52, ..., 60
    back = loaded.simulate(
        t,
        rtol=ROUND_TRIP_RTOL,
        atol=np.array([atol[n] for n in loaded.model.state_names]),
        method="LSODA",
    )
    worst = _round_trip_error(model, run, back, t)
    assert worst[0] <= ROUND_TRIP, worst


# -- identifiers ---------------------------------------------------------------------------
def _awkward_names():
    m = fl.Module("awkward names")
    a = m.state("α", "nM", 1.0)
    b = m.state("time", "nM", 0.5)
    c = m.state("_x3b1_", "nM", 0.0)
    k = m.parameter("pi", 0.4, "1/day", bounds=(0, 10), provenance=PROV)
    m.flow(a, b, k * a, label="α -> time")
    m.flow(b, c, k * b, label="time -> _x3b1_")
    m.observable("Infinity", a + b + c, "nM")
    return fl.Model("awkward names", [m])


def test_ids_keep_valid_names_and_escape_the_rest():
    model = _awkward_names()
    ids = fl.sbml.sbml_ids(model)
    assert ids == {
        "α": "_x3b1__2",
        "time": "time_",
        "_x3b1_": "_x3b1_",
        "pi": "pi_",
        "Infinity": "Infinity_",
    }
    text = fl.sbml.export(model)
    assert consistency_issues(text) == []
    sbml = libsbml.readSBMLFromString(text).getModel()
    for name, sid in ids.items():
        assert sbml.getParameter(sid).getName() == name
    assert sbml.getId() == "awkward_names"


def test_awkward_names_simulate_alike_in_every_peer():
    worst = cross_check(_awkward_names(), fl.Bolus("α", 2.0, 3.0), days=10, points=41)
    assert set(worst) == {"libRoadRunner", "COPASI"}


def test_ids_of_the_coupled_model_are_its_names():
    model = coupled()
    assert all(sid == name for name, sid in fl.sbml.sbml_ids(model).items())


# -- schedules -----------------------------------------------------------------------------
#: Every kind of schedule event, with the engine's edge cases: a dose before the start
#: (ignored), at the start, two doses at one time (they add up), a step handing over to
#: the next step of the same parameter, an infusion running at the start, a dose at the
#: final time (shown in the last output).
EDGE_CASES = [
    fl.Bolus("drug", 1.0, -1.0),
    fl.Bolus("drug", 1.0, 0.0),
    fl.Infusion("drug", 2.0, -1.0, 1.0),
    fl.ParameterStep("k_el", 1.0, 0.0, 2.0),
    fl.ParameterStep("k_el", 0.1, 2.0, 3.5),
    fl.Bolus("drug", 0.5, 2.0),
    fl.Bolus("drug", "250 ug/kg", 2.0),
    fl.Infusion("drug", "0.5 mg/kg/day", 2.5, 3.0),
    fl.Bolus("drug", 4.0, 4.0),
]


def test_what_holds_at_time_zero_is_in_the_initial_values():
    sbml = libsbml.readSBMLFromString(fl.sbml.export(one_compartment(0.3), EDGE_CASES))
    model = sbml.getModel()
    assert model.getSpecies("drug").getInitialAmount() == 1.0  # 0 + the dose at day 0
    assert model.getParameter("k_el").getValue() == 1.0  # the step from day 0
    assert not model.getParameter("k_el").getConstant()
    assert model.getParameter("infusion_drug").getValue() == 2.0
    assert model.getParameter("infusion_drug").getUnits() == "milligram_per_kilogram_day"
    infusion = model.getReaction("infusion_into_drug")
    assert [p.getSpecies() for p in infusion.getListOfProducts()] == ["drug"]
    assert infusion.getNumReactants() == 0
    assert libsbml.formulaToL3String(infusion.getKineticLaw().getMath()) == "infusion_drug"


def test_each_change_time_is_one_event_with_all_its_changes():
    model = libsbml.readSBMLFromString(fl.sbml.export(one_compartment(0.3), EDGE_CASES)).getModel()
    events = {}
    for k in range(model.getNumEvents()):
        ev = model.getEvent(k)
        assert ev.getUseValuesFromTriggerTime()
        assert ev.getTrigger().getPersistent() and not ev.getTrigger().getInitialValue()
        assert not ev.isSetDelay()
        trigger = libsbml.formulaToL3String(ev.getTrigger().getMath())
        day = float(trigger.removeprefix("time >= ").removesuffix(" day"))
        events[day] = {
            ev.getEventAssignment(i).getVariable(): libsbml.formulaToL3String(
                ev.getEventAssignment(i).getMath()
            )
            for i in range(ev.getNumEventAssignments())
        }
    assert events == {
        1.0: {"infusion_drug": "0 milligram_per_kilogram_day"},
        2.0: {"drug": "drug + 0.75 milligram_per_kilogram", "k_el": "0.1 per_day"},
        2.5: {"infusion_drug": "0.5 milligram_per_kilogram_day"},
        3.0: {"infusion_drug": "0 milligram_per_kilogram_day"},
        3.5: {"k_el": "0.3 per_day"},
        4.0: {"drug": "drug + 4 milligram_per_kilogram"},
    }


def test_schedule_edge_cases_simulate_alike_in_every_peer():
    # Output at every change time: after a dose, every simulator reports the dosed state,
    # the final-time dose included.
    cross_check(one_compartment(0.3), EDGE_CASES, days=4.0, points=9, agree=1e-8)


# -- the coupled model under named schedules ---------------------------------------------
SCHEDULES = {
    "WNT-inhibitor course": fl.repeat(
        fl.Bolus("D_wnt", "2 mg/kg", "50 day"), every="2 day", times=6
    ),
    "apoptosis-inducer bolus": fl.Bolus("D_apo", "10 mg/kg", "45 day"),
    "senolytic course": fl.repeat(fl.Bolus("D_sl", "20 mg/kg", "60 day"), every="3 day", times=5),
    "senescence induction": fl.ParameterStep("induction", 1, "20 day", "40 day"),
    "anti-inflammatory infusion": fl.Infusion("D_ai", "1 mg/kg/day", "30 day", "60 day"),
    "chemotherapy bolus": fl.Bolus("D_ch", "5 mg/kg", "70 day"),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_peers_reproduce_the_coupled_model_under_a_schedule(name):
    schedule = SCHEDULES[name]
    cross_check(coupled(), schedule)
    # The schedule reaches the biology, so the comparison exercises the events.
    run = fl.simulate(coupled(), days=DAYS, t_eval=np.linspace(0, DAYS, POINTS), schedule=schedule)
    biology = [n for n in coupled().state_names if n not in DRUG_STATES]
    effect = max(np.max(np.abs(run[n] - untreated()[n])) for n in biology)
    assert effect > 1e-3, f"{name} leaves the biology unchanged"


@pytest.mark.parametrize("name", list(fl.models.scenarios.SCENARIOS))
def test_every_scenario_exports_cleanly_and_peers_reproduce_it(name):
    scenario = fl.models.scenario(name)
    text = fl.sbml.export(
        coupled(), scenario.schedule, params=scenario.params, initial=scenario.initial
    )
    assert consistency_issues(text) == []
    cross_check(
        coupled(),
        scenario.schedule,
        params=dict(scenario.params),
        initial=dict(scenario.initial),
        days=scenario.days,
    )


@pytest.mark.parametrize("index", range(N_RANDOM))
def test_peers_reproduce_random_parameter_sets_and_schedules(index):
    rng = np.random.default_rng([SEED, index])
    model = coupled()
    params = random_parameters(model, rng)
    schedule = random_schedule(model, rng)
    cross_check(model, schedule, params=params)


def test_random_sets_span_the_ranges():
    draws = [
        random_parameters(coupled(), np.random.default_rng([SEED, i])) for i in range(N_RANDOM)
    ]
    for name, par in coupled().parameters.items():
        values = [d[name] for d in draws]
        low, high = par.bounds
        assert all(low <= v <= high for v in values), name
        assert len(set(values)) == N_RANDOM, name


# -- the small constructs the writer knows ----------------------------------------------
def _constructs():
    m = fl.Module("constructs")
    x = m.state("X", "nM", 1.0)
    y = m.state("Y", "1", 0.5)
    z = m.state("Z", "cell", 10.0, scale=10.0)
    k = m.parameter("k", 0.3, "1/day", provenance=PROV)
    big_k = m.parameter("K", 2.0, "uM", provenance=PROV)
    t_on = m.parameter("t_on", 3.0, "day", provenance=PROV)
    h = m.parameter("h", 1.5, "1", provenance=PROV)
    w = m.parameter("w", 48.0, "1/week", provenance=PROV)
    z_cap = m.parameter("Z_cap", 30.0, "cell", provenance=PROV)
    t = fl.t
    m.rate(
        x,
        k * sp.Max(x, big_k) - k * sp.Min(x, big_k / 2) * sp.Heaviside(t - t_on),
        label="max, min, step",
    )
    m.rate(x, -k * x * sp.exp(-y) * sp.Abs(sp.sin(w * t)), label="exp, abs, sin")
    m.rate(
        y,
        k
        * sp.Piecewise(
            (1 - y, sp.And(t > t_on, x < big_k)),
            (sp.sqrt(y) / 3, sp.Or(y > 0.9, t < t_on / 3)),
            (-y * sp.log(1 + x / big_k), True),
        ),
        label="piecewise, log",
    )
    m.rate(z, k * z * (1 - z / (sp.pi * z_cap)) ** h * sp.cos(w * t) ** 2, label="pi, cos")
    m.rate(z, k * z * sp.tanh(y) * sp.E ** (-t * k), label="tanh, e")
    m.observable("ratio", x / big_k, "1")
    return fl.Model("constructs", [m])


def test_every_supported_construct_exports_cleanly_and_simulates_alike():
    model = _constructs()
    assert consistency_issues(fl.sbml.export(model)) == []
    cross_check(model, fl.Bolus("X", "0.5 uM", 2.5), days=10, points=101)


# -- refusals ------------------------------------------------------------------------------
def _one_state(rate, unit="nM", name="refused"):
    m = fl.Module(name)
    x = m.state("X", unit, 1.0)
    k = m.parameter("k", 0.5, "1/day", provenance=PROV)
    m.rate(x, rate(x, k), label="the term")
    return fl.Model(name, [m])


def test_refuses_a_function_without_mathml():
    model = _one_state(lambda x, k: -k * x * sp.erf(k * fl.t))
    message = r"the rate of state 'X': erf .*no SBML MathML"
    with pytest.raises(fl.errors.ExportError, match=message):
        fl.sbml.export(model)


def test_refuses_an_undefined_function():
    g = sp.Function("g")
    model = _one_state(lambda x, k: -k * x * g(k * fl.t))
    with pytest.raises(fl.errors.ExportError, match=r"state 'X': g \(in g\(k\*t\)\) has no SBML"):
        fl.sbml.export(model)


def test_refuses_a_piecewise_without_otherwise():
    model = _one_state(lambda x, k: sp.Piecewise((-k * x, fl.t > 1 / k)))
    with pytest.raises(fl.errors.ExportError, match=r"state 'X': Piecewise .* no final branch"):
        fl.sbml.export(model)


def test_refuses_a_number_that_is_not_finite():
    model = _one_state(lambda x, k: -k * x * sp.oo)
    with pytest.raises(fl.errors.ExportError, match=r"state 'X': the number oo is not a finite"):
        fl.sbml.export(model)


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        ("degC", r"state 'X': the unit °C is not a multiple of SI base units \(an offset"),
        ("dB", r"state 'X': the unit dB is not a multiple of SI base units"),
        ("bit", r"state 'X': the unit bit contains the dimension 'bit', which has no SBML"),
    ],
)
def test_refuses_a_unit_sbml_cannot_express(unit, message):
    model = _one_state(lambda x, k: -k * x, unit=unit)
    with pytest.raises(fl.errors.ExportError, match=message):
        fl.sbml.export(model)


def test_refuses_to_run_without_libsbml(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "libsbml", None)
    with pytest.raises(fl.errors.ExportError, match=r"needs python-libsbml.*follicle\[sbml\]"):
        fl.sbml.export(one_compartment())


def test_export_errors_are_follicle_errors():
    assert issubclass(fl.errors.ExportError, fl.FollicleError)
    assert issubclass(fl.errors.ExportError, ValueError)


def test_bad_overrides_and_schedules_raise_as_in_simulate():
    with pytest.raises(fl.errors.UnknownNameError, match="Did you mean 'k_el'"):
        fl.sbml.export(one_compartment(), params={"k_ell": 1.0})
    with pytest.raises(fl.errors.ScheduleError, match="negative"):
        fl.sbml.export(one_compartment(), fl.Bolus("drug", -1.0, 1.0))


def test_to_file_writes_the_document(tmp_path):
    path = fl.sbml.to_file(tmp_path / "pk.xml", one_compartment(), EDGE_CASES)
    assert path.read_text(encoding="utf-8") == fl.sbml.export(one_compartment(), EDGE_CASES)
