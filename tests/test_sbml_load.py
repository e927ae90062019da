"""SBML import: documents load onto the engine and simulate to closed forms and to the
models they were exported from; bad input and unsupported features are refused by name.
(The SBML Test Suite's cases are in test_sbml_suite.py, published models against
libRoadRunner in benchmarks/sbml_collection.py.)"""

from __future__ import annotations

import math

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
    days = model.sbml.days(hours)
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
    run = fl.simulate(model, t_span=(0, "10 min"), t_eval=[0, 10 / 1440], **TIGHT)
    assert run["S"][-1] == pytest.approx(6.0 * math.exp(-5.0), rel=1e-8)


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
    with pytest.raises(fl.SBMLImportError, match=r"1 event\(s\) \('kick'\).*events=True"):
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
        (
            """<listOfRules><algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML">
        <apply><minus/><ci>k</ci><cn>1</cn></apply></math></algebraicRule></listOfRules>""",
            r"algebraic rule 'k - 1'",
        ),
    ],
)
def test_unsupported_features_are_refused_by_name(extra, message):
    with pytest.raises(fl.SBMLImportError, match=message):
        fl.sbml.load(document(DECAY + extra), events=True)


def test_delay_is_refused_where_it_is_used():
    body = DECAY.replace(
        "<apply><times/><ci>c</ci><ci>k</ci><ci>S</ci></apply>",
        '<apply><times/><ci>k</ci><apply><csymbol encoding="text" definitionURL='
        '"http://www.sbml.org/sbml/symbols/delay">delay</csymbol><ci>S</ci><cn>1</cn>'
        "</apply></apply>",
    )
    with pytest.raises(fl.SBMLImportError, match=r"kinetic law of reaction 'R': delay\(\)"):
        fl.sbml.load(document(body))


def test_bad_input_is_refused_by_name(tmp_path):
    with pytest.raises(fl.SBMLImportError, match="no SBML file at"):
        fl.sbml.load(tmp_path / "missing.xml")
    with pytest.raises(fl.SBMLImportError, match="libsbml reads the SBML text with"):
        fl.sbml.load("<sbml><model")
    no_value = DECAY.replace('value="0.5" ', "")
    with pytest.raises(fl.SBMLImportError, match="'k' has no value"):
        fl.sbml.load(document(no_value))
    with pytest.raises(fl.SBMLImportError, match="not a unit of time"):
        fl.sbml.load(document(DECAY), time_unit="metre")


def test_import_errors_are_follicle_errors():
    assert issubclass(fl.SBMLImportError, fl.FollicleError)
    assert issubclass(fl.SBMLImportError, ValueError)


def test_refuses_to_run_without_libsbml(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "libsbml", None)
    with pytest.raises(fl.SBMLImportError, match=r"needs python-libsbml.*follicle\[sbml\]"):
        fl.sbml.load(document(DECAY))
