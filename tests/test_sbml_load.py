"""SBML import: documents load onto the engine and simulate to closed forms and to the
models they were exported from; bad input and unsupported features are refused by name.
(The SBML Test Suite's cases are in test_sbml_suite.py, published models against
libRoadRunner in benchmarks/sbml_collection.py.)"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from _models import TIGHT, decay, logistic, logistic_exact

import follicle as fl

pytest.importorskip("libsbml")


def document(body: str, *, model_attributes: str = "", units: str = "") -> str:
    """A Level 3 Version 2 document with one compartment ``c`` of size 2 around ``body``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="m" {model_attributes}>
    {units}
    <listOfCompartments>
      <compartment id="c" size="2" spatialDimensions="3" constant="true"/>
    </listOfCompartments>
    {body}
  </model>
</sbml>"""


DECAY = """
    <listOfSpecies>
      <species id="S" compartment="c" initialConcentration="3" hasOnlySubstanceUnits="false"
               boundaryCondition="false" constant="false"/>
    </listOfSpecies>
    <listOfParameters><parameter id="k" value="0.5" constant="true"/></listOfParameters>
    <listOfReactions>
      <reaction id="R" reversible="false">
        <listOfReactants><speciesReference species="S" stoichiometry="1" constant="true"/>
        </listOfReactants>
        <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><times/><ci>c</ci><ci>k</ci><ci>S</ci></apply></math></kineticLaw>
      </reaction>
    </listOfReactions>"""


def test_a_reaction_in_concentration_decays_as_the_closed_form_with_its_time_unit():
    model = fl.sbml.load(document(DECAY), time_unit="hour")
    assert model.sbml.time_unit == "hour" and not model.sbml.time_unit_declared
    assert model.state_names == ("S",) and model.sbml.compartment_of == {"S": "c"}
    hours = np.linspace(0, 6, 13)
    days = model.sbml.model_times(hours)
    run = fl.simulate(model, t_span=(0, days[-1]), t_eval=days, **TIGHT)
    # The state is the amount, 3 * 2; k is per hour.
    np.testing.assert_allclose(run["S"], 6.0 * np.exp(-0.5 * hours), rtol=1e-8)


def test_a_declared_time_unit_wins_over_the_argument():
    units = """<listOfUnitDefinitions><unitDefinition id="min_"><listOfUnits>
      <unit kind="second" exponent="1" scale="0" multiplier="60"/></listOfUnits>
      </unitDefinition></listOfUnitDefinitions>"""
    model = fl.sbml.load(
        document(DECAY, model_attributes='timeUnits="min_"', units=units), time_unit="hour"
    )
    assert model.sbml.time_unit_declared and model.sbml.seconds_per_time_unit == 60.0
    assert str(model.time_unit) == "minute"  # the model runs in the document's unit
    run = fl.simulate(model, t_span=(0, "10 min"), t_eval=[0, 10], **TIGHT)
    assert run["S"][-1] == pytest.approx(6.0 * math.exp(-5.0), rel=1e-8)
    assert run.time_unit == "minute" and run.quantity("t")[-1].to("second").m == 600


@pytest.mark.parametrize(
    "build, exact",
    [
        (lambda: decay(0.7, 2.0), lambda t: 2.0 * np.exp(-0.7 * t)),
        (lambda: logistic(0.8, 1000.0, 10.0), lambda t: logistic_exact(t, 0.8, 1000.0, 10.0)),
    ],
)
def test_an_exported_model_loads_back_to_the_same_solution(build, exact):
    model = build()
    loaded = fl.sbml.load(fl.sbml.export(model))
    assert loaded.sbml.seconds_per_time_unit == 86400.0
    t = np.linspace(0, 10, 21)
    run = fl.simulate(loaded, days=10, t_eval=t, **TIGHT)
    name = model.state_names[0]
    np.testing.assert_allclose(run[name], exact(t), rtol=1e-8)


def test_assignment_rules_are_observables_substituted_in_rates():
    body = DECAY.replace("<ci>k</ci><ci>S</ci>", "<ci>v</ci>").replace(
        "</listOfParameters>",
        '<parameter id="v" constant="false"/></listOfParameters>'
        '<listOfRules><assignmentRule variable="v"><math '
        'xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>k</ci><ci>S</ci>'
        "</apply></math></assignmentRule></listOfRules>",
    )
    model = fl.sbml.load(document(body), time_unit="day")
    assert model.observable_names == ("v",)
    run = fl.simulate(model, days=2, t_eval=[0, 1, 2], **TIGHT)
    np.testing.assert_allclose(run["v"], 0.5 * 3 * np.exp(-0.5 * np.array([0, 1, 2])), rtol=1e-8)


def _event(trigger_time: float, assignment: str, extra: str = "") -> str:
    return f"""<listOfEvents><event id="kick" useValuesFromTriggerTime="true" {extra}>
        <trigger initialValue="false" persistent="true">
        <math xmlns="http://www.w3.org/1998/Math/MathML"><apply><gt/><csymbol encoding="text"
        definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol>
        <cn>{trigger_time}</cn></apply></math></trigger>
        <listOfEventAssignments><eventAssignment variable="S">
        <math xmlns="http://www.w3.org/1998/Math/MathML">{assignment}</math>
        </eventAssignment></listOfEventAssignments></event></listOfEvents>"""


def test_a_document_with_events_is_refused_unless_asked_for():
    text = document(DECAY + _event(1.0, "<cn>5</cn>"))
    with pytest.raises(fl.errors.SBMLImportError, match=r"1 event\(s\) \('kick'\).*events=True"):
        fl.sbml.load(text)
    loaded = fl.sbml.load(text, events=True, time_unit="day")
    with pytest.raises(fl.FollicleError, match="needs a follicle Model"):
        fl.simulate(loaded, days=2)  # never silently without its events


def test_an_event_resets_a_concentration_as_the_closed_form():
    # S decays from 3 (amount 6); at day 1 its concentration is set to 5 (amount 10).
    loaded = fl.sbml.load(
        document(DECAY + _event(1.0, "<cn>5</cn>")), events=True, time_unit="day"
    )
    times = np.array([0.0, 0.5, 1.0, 1.5, 3.0])
    run = loaded.simulate(times, rtol=1e-10, atol=1e-14)
    exact = np.where(times < 1.0, 6.0 * np.exp(-0.5 * times), 10.0 * np.exp(-0.5 * (times - 1.0)))
    np.testing.assert_allclose(run["S"], exact, rtol=1e-8)


def test_an_event_at_time_zero_fires_when_its_trigger_holds_initially():
    # Trigger time > -1 holds at 0 and initialValue is false: it fires at time 0.
    loaded = fl.sbml.load(
        document(DECAY + _event(-1.0, "<cn>1</cn>")), events=True, time_unit="day"
    )
    run = loaded.simulate([0.0, 2.0], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(run["S"], [2.0, 2.0 * math.exp(-1.0)], rtol=1e-8)


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            _event(1.0, "<cn>5</cn>").replace("<gt/>", "<eq/>"),
            r"event 'kick': the trigger relation .* is an equality",
        ),
    ],
)
def test_unsupported_features_are_refused_by_name(extra, message):
    with pytest.raises(fl.errors.SBMLImportError, match=message):
        fl.sbml.load(document(DECAY + extra), events=True)


def test_delay_is_refused_where_it_is_used():
    body = DECAY.replace(
        "<apply><times/><ci>c</ci><ci>k</ci><ci>S</ci></apply>",
        '<apply><times/><ci>k</ci><apply><csymbol encoding="text" definitionURL='
        '"http://www.sbml.org/sbml/symbols/delay">delay</csymbol><ci>S</ci><cn>1</cn>'
        "</apply></apply>",
    )
    with pytest.raises(fl.errors.SBMLImportError, match=r"kinetic law of reaction 'R': delay\(\)"):
        fl.sbml.load(document(body))


def test_bad_input_is_refused_by_name(tmp_path):
    with pytest.raises(fl.errors.SBMLImportError, match="no SBML file at"):
        fl.sbml.load(tmp_path / "missing.xml")
    with pytest.raises(fl.errors.SBMLImportError, match="libsbml reads the SBML text with"):
        fl.sbml.load("<sbml><model")
    no_value = DECAY.replace('value="0.5" ', "")
    with pytest.raises(fl.errors.SBMLImportError, match="'k' has no value"):
        fl.sbml.load(document(no_value))
    with pytest.raises(fl.errors.SBMLImportError, match="not a unit of time"):
        fl.sbml.load(document(DECAY), time_unit="metre")


def test_import_errors_are_follicle_errors():
    assert issubclass(fl.errors.SBMLImportError, fl.FollicleError)
    assert issubclass(fl.errors.SBMLImportError, ValueError)


def test_refuses_to_run_without_libsbml(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "libsbml", None)
    with pytest.raises(fl.errors.SBMLImportError, match=r"needs python-libsbml.*follicle\[sbml\]"):
        fl.sbml.load(document(DECAY))


# -- algebraic rules -------------------------------------------------------------------------
MATHML = 'xmlns="http://www.w3.org/1998/Math/MathML"'


def _mathml(formula: str) -> str:
    """MathML of a formula in libsbml's infix syntax."""
    import libsbml

    ast = libsbml.parseL3Formula(formula)
    assert ast is not None, formula
    return libsbml.writeMathMLToString(ast).split("?>", 1)[1]


def _algebraic(*formulas: str) -> str:
    """Algebraic rules ``0 = formula`` as SBML."""
    rules = "".join(f"<algebraicRule>{_mathml(f)}</algebraicRule>" for f in formulas)
    return f"<listOfRules>{rules}</listOfRules>"


def _with_parameters(body: str, *ids: str) -> str:
    """``body`` with non-constant parameters ``ids`` that have no value."""
    extra = "".join(f'<parameter id="{p}" constant="false"/>' for p in ids)
    return body.replace("</listOfParameters>", extra + "</listOfParameters>")


def test_an_algebraic_rule_determines_its_free_variable_as_the_closed_form():
    # x + S = T with S (a concentration, dS/dt = -k S from its reaction) known: x = T - S.
    body = _with_parameters(DECAY, "x").replace(
        "</listOfParameters>", '<parameter id="T" value="10" constant="true"/></listOfParameters>'
    )
    model = fl.sbml.load(document(body + _algebraic("x + S - T")), time_unit="day")
    assert model.state_names == ("S",) and "x" in model.observable_names
    t = np.linspace(0, 4, 9)
    run = fl.simulate(model, days=4, t_eval=t, **TIGHT)
    np.testing.assert_allclose(run["x"], 10.0 - 3.0 * np.exp(-0.5 * t), rtol=1e-9)
    np.testing.assert_allclose(run["S"], 6.0 * np.exp(-0.5 * t), rtol=1e-9)  # amount


def test_a_linear_system_of_algebraic_rules_is_solved_jointly():
    # x + y = S and x - 2 y = k: x = (2 S + k) / 3, y = (S - k) / 3.
    body = _with_parameters(DECAY, "x", "y")
    model = fl.sbml.load(document(body + _algebraic("x + y - S", "x - 2 * y - k")))
    t = np.array([0.0, 1.0, 2.0])
    run = fl.simulate(model, t_span=(0, 2), t_eval=t, **TIGHT)
    s = 3.0 * np.exp(-0.5 * t)
    np.testing.assert_allclose(run["x"], (2 * s + 0.5) / 3, rtol=1e-9)
    np.testing.assert_allclose(run["y"], (s - 0.5) / 3, rtol=1e-9)


def test_an_algebraic_rule_determines_a_boundary_species_the_reaction_does_not_change():
    # B is a product of R but a boundary species: the rule B = 2 S sets it, not R.
    body = DECAY.replace(
        "</listOfSpecies>",
        '<species id="B" compartment="c" initialConcentration="0" hasOnlySubstanceUnits="false"'
        ' boundaryCondition="true" constant="false"/></listOfSpecies>',
    ).replace(
        "</listOfReactants>",
        '</listOfReactants><listOfProducts><speciesReference species="B" stoichiometry="1"'
        ' constant="true"/></listOfProducts>',
    )
    model = fl.sbml.load(document(body + _algebraic("B - 2 * S")), time_unit="day")
    t = np.linspace(0, 2, 5)
    run = fl.simulate(model, days=2, t_eval=t, **TIGHT)
    np.testing.assert_allclose(run["B"], 6.0 * np.exp(-0.5 * t), rtol=1e-9)  # concentration
    # Not a boundary species: the reactions determine B, and the rule has no variable.
    with pytest.raises(fl.errors.SBMLImportError, match=r"1 rule\(s\) in 0 variable\(s\)"):
        fl.sbml.load(
            document(
                body.replace('boundaryCondition="true"', 'boundaryCondition="false"')
                + _algebraic("B - 2 * S")
            )
        )


@pytest.mark.parametrize(
    "free, formulas, message",
    [
        (("x",), ("x * x - k",), r"algebraic rule\(s\) 'x \* x - k' are not linear in 'x'"),
        (("x", "y"), ("x + y - k",), r"1 rule\(s\) in 2 variable\(s\) .*\('x', 'y'\)"),
        (("x", "y"), ("x + y - k", "2 * x + 2 * y - S"), r"do not determine 'x', 'y' uniquely"),
        ((), ("k - 1",), r"algebraic rule\(s\) 'k - 1': 1 rule\(s\) in 0 variable\(s\)"),
    ],
)
def test_an_algebraic_rule_that_does_not_determine_one_variable_is_refused(
    free, formulas, message
):
    body = _with_parameters(DECAY, *free)
    with pytest.raises(fl.errors.SBMLImportError, match=message):
        fl.sbml.load(document(body + _algebraic(*formulas)))


def test_an_algebraic_rule_on_a_variable_with_an_initial_assignment_is_refused():
    body = _with_parameters(DECAY, "x").replace(
        "<listOfReactions>",
        f"<listOfInitialAssignments><initialAssignment symbol='x'><math {MATHML}><cn>1</cn>"
        "</math></initialAssignment></listOfInitialAssignments><listOfReactions>",
    )
    message = "'x', which also has an initial assignment"
    with pytest.raises(fl.errors.SBMLImportError, match=message):
        fl.sbml.load(document(body + _algebraic("x - S")))


# -- hierarchical models (comp) --------------------------------------------------------------
COMP = 'xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1"'
#: A model of first-order decay, S' = -k S with S(0) = 1 and k = 0.5 (amounts).
DECAY_DEFINITION = f"""
    <listOfCompartments><compartment id="C" size="1" constant="true"/></listOfCompartments>
    <listOfSpecies><species id="S" compartment="C" initialAmount="1"
      hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false"/></listOfSpecies>
    <listOfParameters><parameter id="k" value="0.5" constant="true"/></listOfParameters>
    <listOfReactions><reaction id="R" reversible="false">
      <listOfReactants><speciesReference species="S" stoichiometry="1" constant="true"/>
      </listOfReactants>
      <kineticLaw><math {MATHML}><apply><times/><ci>k</ci><ci>S</ci></apply></math>
      </kineticLaw></reaction></listOfReactions>"""


def _hierarchical(definitions: str) -> str:
    """A comp document: two instances of the decay model, the first one's ``k`` replaced by
    the top model's ``k = 2``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" {COMP} level="3" version="2"
      comp:required="true">
  <model id="top">
    <listOfParameters><parameter id="k" value="2" constant="true">
      <comp:listOfReplacedElements>
        <comp:replacedElement comp:idRef="k" comp:submodelRef="A"/>
      </comp:listOfReplacedElements></parameter></listOfParameters>
    <comp:listOfSubmodels>
      <comp:submodel comp:id="A" comp:modelRef="decay"/>
      <comp:submodel comp:id="B" comp:modelRef="decay"/>
    </comp:listOfSubmodels>
  </model>
  {definitions}
</sbml>"""


def _decay_parts(prefix: str, k: str) -> tuple[str, str, str]:
    """Compartment, species and reaction of one decay instance whose ids carry ``prefix``;
    its rate constant is the parameter ``k``."""
    return (
        f'<compartment id="{prefix}C" size="1" constant="true"/>',
        f'<species id="{prefix}S" compartment="{prefix}C" initialAmount="1" '
        'hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false"/>',
        f'<reaction id="{prefix}R" reversible="false"><listOfReactants><speciesReference '
        f'species="{prefix}S" stoichiometry="1" constant="true"/></listOfReactants><kineticLaw>'
        f"<math {MATHML}><apply><times/><ci>{k}</ci><ci>{prefix}S</ci></apply></math>"
        "</kineticLaw></reaction>",
    )


def _hand_flattened() -> str:
    """The flat model the comp document means: A's S decays at the top k = 2, B's at its
    own k = 0.5."""
    a, b = _decay_parts("A__", "k"), _decay_parts("B__", "B__k")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="top">
    <listOfCompartments>{a[0]}{b[0]}</listOfCompartments>
    <listOfSpecies>{a[1]}{b[1]}</listOfSpecies>
    <listOfParameters><parameter id="k" value="2" constant="true"/>
      <parameter id="B__k" value="0.5" constant="true"/></listOfParameters>
    <listOfReactions>{a[2]}{b[2]}</listOfReactions>
  </model>
</sbml>"""


def test_a_hierarchical_model_is_flattened_to_the_hand_flattened_trajectory():
    definition = '<comp:listOfModelDefinitions><comp:modelDefinition id="decay">'
    definition += DECAY_DEFINITION + "</comp:modelDefinition></comp:listOfModelDefinitions>"
    model = fl.sbml.load(_hierarchical(definition), time_unit="day")
    flat = fl.sbml.load(_hand_flattened(), time_unit="day")
    assert sorted(model.state_names) == sorted(flat.state_names) == ["A__S", "B__S"]
    t = np.linspace(0, 3, 7)
    run = fl.simulate(model, days=3, t_eval=t, **TIGHT)
    hand = fl.simulate(flat, days=3, t_eval=t, **TIGHT)
    for name in ("A__S", "B__S"):
        np.testing.assert_allclose(run[name], hand[name], rtol=1e-12)
    np.testing.assert_allclose(run["A__S"], np.exp(-2.0 * t), rtol=1e-9)
    np.testing.assert_allclose(run["B__S"], np.exp(-0.5 * t), rtol=1e-9)


def test_an_external_model_definition_is_read_relative_to_the_document(tmp_path):
    (tmp_path / "decay.xml").write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="decay">{DECAY_DEFINITION}</model>
</sbml>"""
    )
    text = _hierarchical(
        "<comp:listOfExternalModelDefinitions><comp:externalModelDefinition comp:id="
        '"decay" comp:source="decay.xml" comp:modelRef="decay"/>'
        "</comp:listOfExternalModelDefinitions>"
    )
    (tmp_path / "top.xml").write_text(text)
    model = fl.sbml.load(tmp_path / "top.xml", time_unit="day")
    run = fl.simulate(model, days=2, t_eval=[0, 1, 2], **TIGHT)
    np.testing.assert_allclose(run["A__S"], np.exp(-2.0 * np.array([0, 1, 2])), rtol=1e-9)
    message = r"external model definition\(s\) in 'decay.xml'"
    with pytest.raises(fl.errors.SBMLImportError, match=message):
        fl.sbml.load(text)
    (tmp_path / "decay.xml").unlink()
    with pytest.raises(fl.errors.SBMLImportError, match="libsbml cannot flatten the comp model"):
        fl.sbml.load(tmp_path / "top.xml")


def test_a_species_in_a_zero_dimensional_compartment_without_size_is_an_amount():
    # S (initial amount 3) decays at k S with S read as its amount: there is no
    # concentration in a compartment without size.
    body = DECAY.replace('initialConcentration="3"', 'initialAmount="3"').replace(
        "<ci>c</ci><ci>k</ci>", "<ci>k</ci>"
    )
    text = document(body).replace(
        '<compartment id="c" size="2" spatialDimensions="3"',
        '<compartment id="c" spatialDimensions="0"',
    )
    model = fl.sbml.load(text, time_unit="day")
    assert model.sbml.concentration == {"S": False}
    t = np.linspace(0, 2, 5)
    run = fl.simulate(model, days=2, t_eval=t, **TIGHT)
    np.testing.assert_allclose(run["S"], 3.0 * np.exp(-0.5 * t), rtol=1e-9)


def test_booleans_are_numbers_and_numbers_are_booleans_as_in_sbml_level_3_version_2():
    # jump = 2 + (time > 1): 2, then 3; pick = piecewise(5, k, 7) with k = 0.5 (true): 5.
    rules = (
        f'<listOfRules><assignmentRule variable="jump">{_mathml("2 + (time > 1)")}'
        f'</assignmentRule><assignmentRule variable="pick">{_mathml("piecewise(5, k, 7)")}'
        "</assignmentRule></listOfRules>"
    )
    model = fl.sbml.load(
        document(_with_parameters(DECAY, "jump", "pick") + rules), time_unit="day"
    )
    run = fl.simulate(model, days=2, t_eval=[0.0, 0.5, 1.5, 2.0], **TIGHT)
    np.testing.assert_array_equal(run["jump"], [2.0, 2.0, 3.0, 3.0])
    np.testing.assert_array_equal(run["pick"], [5.0] * 4)


def test_each_reaction_rate_is_kept_in_the_models_symbols():
    import sympy as sp

    model = fl.sbml.load(document(DECAY), time_unit="day")
    rate = model.sbml.reaction_rates["R"]  # c * k * S in concentration: k * amount
    amount, k = sp.Symbol("S", real=True), sp.Symbol("k", real=True)
    assert rate.free_symbols == {amount, k}
    assert float(rate.subs({amount: 6.0, k: 0.5})) == pytest.approx(3.0, rel=1e-15)


_UNITS_DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="u" timeUnits="second" extentUnits="mole" substanceUnits="mole">
  <listOfUnitDefinitions>
   <unitDefinition id="per_s"><listOfUnits>
    <unit kind="second" exponent="-1" scale="0" multiplier="1"/>
   </listOfUnits></unitDefinition>
  </listOfUnitDefinitions>
  <listOfCompartments>
   <compartment id="c" size="2" units="litre" constant="true" spatialDimensions="3"/>
  </listOfCompartments>
  <listOfSpecies>
   <species id="S" compartment="c" initialConcentration="3" substanceUnits="mole"
            hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfParameters><parameter id="k" value="0.5" units="KUNIT" constant="true"/>
  </listOfParameters>
  <listOfReactions><reaction id="R" reversible="false">
   <listOfReactants><speciesReference species="S" stoichiometry="1" constant="true"/>
   </listOfReactants>
   <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><ci>c</ci><ci>k</ci><ci>S</ci></apply></math></kineticLaw>
  </reaction></listOfReactions>
 </model></sbml>"""


@pytest.mark.parametrize(("unit", "warns"), [("per_s", False), ("dimensionless", True)])
def test_declared_units_are_checked_with_pint(unit, warns):
    """c k S with c in litre, S in mol/litre: k in 1/s makes mol/s, extent per time; a
    dimensionless k makes mol, which the check names (the numbers are simulated as written)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fl.sbml.load(_UNITS_DOCUMENT.replace("KUNIT", unit))
    named = [str(w.message) for w in caught if issubclass(w.category, fl.FollicleWarning)]
    if warns:
        assert len(named) == 1
        assert "kinetic law of reaction 'R' is in mol, not extent per time (mol/s)" in named[0]
    else:
        assert named == []
    run = fl.simulate(model, 2, t_eval=[2.0])
    assert run["S"][-1] == pytest.approx(6.0 * math.exp(-1.0), rel=1e-5)
