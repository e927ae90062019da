"""Bad input to the coupled model, its interventions and scenarios fails clearly."""

from __future__ import annotations

import pytest

import follicle as fl
from follicle.errors import ParameterValueError, ScheduleError, UnknownNameError


def test_unknown_scenario_suggests_the_closest_name():
    with pytest.raises(UnknownNameError, match="anti_inflammatory"):
        fl.models.scenario("anti_inflamatory")


def test_unknown_intervention_suggests_the_closest_name():
    with pytest.raises(UnknownNameError, match="wnt_inhibitor"):
        fl.models.dose("wnt_inhibiter", 3, "2 mg/kg")


def test_senescence_induction_is_not_a_dose():
    with pytest.raises(ScheduleError, match="induce_senescence"):
        fl.models.dose("senescence_induction", 3, 1.0)


@pytest.mark.parametrize("amount", ["2 nM", "2 day", "2 cell"])
def test_dose_in_the_wrong_unit_names_the_drug_and_mg_per_kg(amount):
    with pytest.raises(ScheduleError, match=r"senolytic.*mg/kg|mg/kg.*senolytic"):
        fl.models.dose("senolytic", 3, amount)


def test_negative_dose_is_refused():
    with pytest.raises(ScheduleError, match=r"-2.*mg/kg|mg/kg.*-2"):
        fl.models.dose("senolytic", 3, "-2 mg/kg")


@pytest.mark.parametrize("every", ["-1 day", "0 day"])
def test_course_with_a_non_positive_interval_is_refused(every):
    with pytest.raises(ScheduleError, match="interval"):
        fl.models.course("senolytic", 3, 2.0, every=every, times=3)


def test_induction_that_stops_before_it_starts_is_refused():
    with pytest.raises(ScheduleError, match="stop"):
        fl.models.induce_senescence(start=21, stop=7)


def test_dose_time_in_the_wrong_unit_is_refused():
    with pytest.raises(ScheduleError, match="time"):
        fl.models.dose("senolytic", "3 mg/kg", 2.0)


@pytest.mark.parametrize(
    ("name", "value"), [("tau_anagen", 100.0), ("K_W", -1.0), ("age0", 3.5), ("induction", 2.0)]
)
def test_parameter_outside_its_declared_range_is_refused(name, value):
    with pytest.raises(ParameterValueError, match=name):
        fl.simulate(fl.models.coupled(), days=5, params={name: value})


def test_scenario_options_reach_the_simulation():
    run = fl.models.scenario("anti_inflammatory").run(params={"d_M_antiinfl": 0.0})
    assert run.parameter_values["d_M_antiinfl"] == 0.0


def test_with_doses_changes_every_dose_of_one_drug_and_nothing_else():
    scenario = fl.models.scenario("chemotherapy_then_senolytic")
    changed = scenario.with_doses("senolytic", "25 mg/kg")
    assert scenario.interventions() == ("chemotherapy", "senolytic")
    pairs = list(zip(scenario.schedule, changed.schedule, strict=True))
    for before, after in pairs:
        assert after.time == before.time
        assert after.amount == (25.0 if before.target == "D_sl" else before.amount)
    assert changed.days == scenario.days and changed.params == scenario.params


def test_with_doses_of_a_drug_the_scenario_does_not_give_is_refused():
    with pytest.raises(ScheduleError, match="gives no dose of 'wnt_inhibitor'"):
        fl.models.scenario("ageing").with_doses("wnt_inhibitor", 1.0)
    with pytest.raises(ScheduleError, match="mg/kg"):
        fl.models.scenario("abt737_after_induction").with_doses("senolytic", "1 day")


# -- no text is evaluated as an expression (issue 16, finding 4) --------------------------
@pytest.mark.parametrize("declare", ["rate", "flow", "observable"])
def test_text_in_a_rate_term_or_observable_is_refused_and_never_run(declare, tmp_path):
    marker = tmp_path / "ran"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    m = fl.Module("attacked")
    x = m.state("X", unit="nM", initial=1.0)
    y = m.state("Y", unit="nM", initial=1.0)
    calls = {
        "rate": lambda: m.rate(x, payload),
        "flow": lambda: m.flow(x, y, payload),
        "observable": lambda: m.observable("Z", payload),
    }
    with pytest.raises(fl.errors.ModelDefinitionError, match="text is not evaluated") as err:
        calls[declare]()
    assert "module 'attacked'" in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize("bad", [None, [1.0], {"X": 1}, True])
def test_a_rate_term_that_is_no_expression_is_refused(bad):
    m = fl.Module("m")
    x = m.state("X", unit="nM", initial=1.0)
    with pytest.raises(
        fl.errors.ModelDefinitionError, match=r"d\(X\)/dt.*expected a sympy expression"
    ):
        m.rate(x, bad)
