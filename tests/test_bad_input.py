"""User mistakes raise a :class:`follicle.FollicleError` subclass whose message names the
offending name, value or unit and, for unknown names, suggests the closest existing one."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
import sympy as sp
from _models import PROV, blow_up, decay, one_compartment

import follicle as fl


@pytest.fixture
def pk():
    return one_compartment(0.3)  # state 'drug' (mg/kg), parameter 'k_el' in [0, 50] 1/day


# -- the exception family -------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (fl.errors.ModelDefinitionError, ValueError),
        (fl.errors.UnitError, ValueError),
        (fl.errors.ParameterValueError, ValueError),
        (fl.errors.ScheduleError, ValueError),
        (fl.errors.TimeSpanError, ValueError),
        (fl.errors.SolverError, RuntimeError),
        (fl.errors.UnknownNameError, KeyError),
    ],
)
def test_every_error_is_a_follicle_error_and_a_builtin(cls, builtin):
    assert issubclass(cls, fl.FollicleError)
    assert issubclass(cls, builtin)


def test_unknown_name_error_lists_suggestions_and_is_not_quoted():
    err = fl.errors.UnknownNameError("parameter", "k_dge", ["k_deg", "k_syn", "K_m"])
    assert err.suggestions == ["k_deg"]
    assert str(err).startswith("unknown parameter 'k_dge'.")  # not KeyError's repr quoting
    assert "Known parameters: K_m, k_deg, k_syn." in str(err)


# -- names -----------------------------------------------------------------------------
def test_unknown_parameter_override_suggests_the_close_name():
    with pytest.raises(fl.errors.UnknownNameError, match="Did you mean 'k_deg'"):
        fl.simulate(decay(), days=1, params={"k_dge": 1.0})


def test_unknown_state_in_initial(pk):
    with pytest.raises(
        fl.errors.UnknownNameError, match=r"unknown state 'drugg'.*Did you mean 'drug'"
    ):
        fl.simulate(pk, days=1, initial={"drugg": 1.0})


def test_unknown_bolus_target(pk):
    with pytest.raises(
        fl.errors.UnknownNameError, match=r"dose target.*'durg'.*Did you mean 'drug'"
    ):
        fl.simulate(pk, days=1, schedule=[fl.Bolus("durg", 1.0, 0.5)])


def test_unknown_infusion_target(pk):
    with pytest.raises(fl.errors.UnknownNameError, match="Did you mean 'drug'"):
        fl.simulate(pk, days=1, schedule=[fl.Infusion("Drug", 1.0, 0.1, 0.5)])


def test_unknown_parameter_in_a_step(pk):
    with pytest.raises(fl.errors.UnknownNameError, match=r"'k_e'.*Did you mean 'k_el'"):
        fl.simulate(pk, days=1, schedule=[fl.ParameterStep("k_e", 1.0, 0.1, 0.5)])


def test_undeclared_symbol_in_a_rate_term():
    m = fl.Module("typo")
    x = m.state("X", unit="nM", initial=1.0)
    m.parameter("k_deg", 0.5, "1/day", provenance=PROV)
    m.rate(x, -sp.Symbol("k_dge") * x, label="degradation")
    with pytest.raises(fl.errors.UnknownNameError, match=r"'k_dge'.*Did you mean 'k_deg'"):
        fl.Model("typo", [m])


def test_rate_term_for_an_undeclared_state():
    m = fl.Module("producer")
    m.state("ligand", unit="nM", initial=0.0)
    k = m.parameter("k_syn", 1.0, "nM/day", provenance=PROV)
    m.rate("ligandd", k, label="synthesis")
    with pytest.raises(
        fl.errors.UnknownNameError, match=r"module 'producer'.*'ligandd'.*Did you mean 'ligand'"
    ):
        fl.Model("producer", [m])


def test_unknown_name_in_trajectory_indexing():
    run = fl.simulate(one_compartment(), days=1)
    with pytest.raises(fl.errors.UnknownNameError, match=r"'drug_u'.*Did you mean 'drug_ug'"):
        run["drug_u"]
    with pytest.raises(KeyError):  # generic handlers keep working
        run["nothing"]
    with pytest.raises(fl.errors.UnknownNameError, match="unknown event"):
        run.event_times("half")


def test_unknown_threshold_variable(pk):
    with pytest.raises(fl.errors.UnknownNameError, match="Did you mean 'drug'"):
        fl.simulate(pk, days=1, events=[fl.Threshold("drugs", 0.5)])


def test_threshold_on_a_parameter_is_an_unknown_state_or_observable(pk):
    with pytest.raises(fl.errors.UnknownNameError, match="'k_el'"):
        fl.simulate(pk, days=1, events=[fl.Threshold("k_el", 0.5)])


def test_unknown_atol_state(pk):
    with pytest.raises(fl.errors.UnknownNameError, match="Did you mean 'drug'"):
        fl.simulate(pk, days=1, atol={"drugs": 1e-9})


def test_with_defaults_unknown_parameter():
    with pytest.raises(fl.errors.UnknownNameError, match="Did you mean 'k_deg'"):
        decay().with_defaults(kdeg=1.0)


# -- values ----------------------------------------------------------------------------
def test_parameter_outside_its_bounds(pk):
    with pytest.raises(fl.errors.ParameterValueError) as info:
        fl.simulate(pk, days=1, params={"k_el": 75.0})
    message = str(info.value)
    assert "'k_el'" in message and "75" in message and "[0, 50]" in message
    assert "1/day" in message


def test_parameter_with_the_wrong_dimension(pk):
    with pytest.raises(fl.errors.UnitError) as info:
        fl.simulate(pk, days=1, params={"k_el": "2 nM"})
    message = str(info.value)
    assert "'k_el'" in message and "nM" in message and "1/d" in message


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "nan 1/day"])
def test_non_finite_parameter(pk, value):
    with pytest.raises(fl.errors.ParameterValueError, match=r"'k_el'.*not finite"):
        fl.simulate(pk, days=1, params={"k_el": value})


@pytest.mark.parametrize("value", [None, "fast", [1.0], True])
def test_parameter_that_is_not_a_number(pk, value):
    with pytest.raises((fl.errors.ParameterValueError, fl.errors.UnitError), match="'k_el'"):
        fl.simulate(pk, days=1, params={"k_el": value})


def test_negative_initial_value_for_a_nonnegative_state(pk):
    with pytest.raises(fl.errors.ParameterValueError, match=r"'drug'.*-2.*non-negative"):
        fl.simulate(pk, days=1, initial={"drug": -2.0})
    m = fl.Module("neg")
    with pytest.raises(fl.errors.ParameterValueError, match=r"'X'.*nonnegative=False"):
        m.state("X", unit="nM", initial=-1.0)
    # Declared signed states accept negative values.
    m.state("V", unit="AU", initial=-1.0, nonnegative=False)


def test_default_value_outside_bounds_at_declaration():
    m = fl.Module("m")
    with pytest.raises(fl.errors.ParameterValueError, match=r"'k'.*12.*\[0, 10\]"):
        m.parameter("k", 12.0, "1/day", bounds=(0, 10), provenance=PROV)


def test_bounds_that_are_not_an_interval():
    with pytest.raises(fl.errors.ModelDefinitionError, match=r"'k'.*not an interval"):
        fl.model.Parameter("k", 1.0, "1/day", bounds=(5, 1), provenance=PROV)


# -- time spans ------------------------------------------------------------------------
@pytest.mark.parametrize("days", [0, -3, "0 day"])
def test_empty_span(pk, days):
    with pytest.raises(fl.errors.TimeSpanError, match="empty or reversed"):
        fl.simulate(pk, days=days)


def test_reversed_t_span(pk):
    with pytest.raises(fl.errors.TimeSpanError, match=r"\[5, 1\] day is empty or reversed"):
        fl.simulate(pk, t_span=(5, 1))


def test_span_given_twice_or_not_at_all(pk):
    with pytest.raises(fl.errors.TimeSpanError, match="exactly one of"):
        fl.simulate(pk, days=3, t_span=(0, 3))
    with pytest.raises(fl.errors.TimeSpanError, match="exactly one of"):
        fl.simulate(pk)


def test_span_in_the_wrong_unit(pk):
    with pytest.raises(fl.errors.TimeSpanError, match="days"):
        fl.simulate(pk, days="3 nM")


def test_t_eval_outside_the_span(pk):
    with pytest.raises(fl.errors.TimeSpanError, match=r"from 0 to 12 day, outside.*\[0, 10\]"):
        fl.simulate(pk, days=10, t_eval=np.linspace(0, 12, 5))


@pytest.mark.parametrize("t_eval", [[0, 2, 1], [0, 1, 1, 2]])
def test_t_eval_not_increasing(pk, t_eval):
    with pytest.raises(fl.errors.TimeSpanError, match="strictly increasing"):
        fl.simulate(pk, days=10, t_eval=t_eval)


def test_t_eval_empty_or_non_finite(pk):
    with pytest.raises(fl.errors.TimeSpanError, match="empty"):
        fl.simulate(pk, days=10, t_eval=[])
    with pytest.raises(fl.errors.TimeSpanError, match="non-finite"):
        fl.simulate(pk, days=10, t_eval=[0, np.nan])


# -- schedules -------------------------------------------------------------------------
@pytest.mark.parametrize("amount", ["2 mg", "2 nM", "2 cell"])
def test_dose_in_the_wrong_unit(pk, amount):
    with pytest.raises(fl.errors.UnitError) as info:
        fl.simulate(pk, days=3, schedule=[fl.Bolus("drug", amount, 1)])
    message = str(info.value)
    assert "'drug'" in message and amount.split()[1] in message and "mg/kg" in message


def test_infusion_rate_without_per_time(pk):
    with pytest.raises(fl.errors.UnitError, match=r"infusion rate into 'drug'.*mg/kg"):
        fl.simulate(pk, days=3, schedule=[fl.Infusion("drug", "2 mg/kg", 0, 1)])


def test_negative_bolus(pk):
    with pytest.raises(fl.errors.ScheduleError, match=r"'drug' at day 1.*-2 mg/kg is negative"):
        fl.simulate(pk, days=3, schedule=[fl.Bolus("drug", -2.0, 1)])


def test_negative_infusion_rate(pk):
    with pytest.raises(fl.errors.ScheduleError, match=r"'drug'.*-1.*negative"):
        fl.simulate(pk, days=3, schedule=[fl.Infusion("drug", -1.0, 0, 1)])


def test_infusion_whose_stop_precedes_its_start():
    with pytest.raises(fl.errors.ScheduleError, match=r"'drug'.*stop \(t = 2\).*start \(t = 5\)"):
        fl.Infusion("drug", 1.0, start=5, stop=2)


def test_dose_time_in_the_wrong_unit():
    with pytest.raises(fl.errors.ScheduleError, match="time of the bolus into 'drug'"):
        fl.Bolus("drug", 1.0, "3 nM")


def test_overlapping_parameter_steps(pk):
    steps = [fl.ParameterStep("k_el", 1.0, 1, 4), fl.ParameterStep("k_el", 2.0, 3, 6)]
    with pytest.raises(fl.errors.ScheduleError, match=r"'k_el'.*overlapping.*\[1, 4\).*\[3, 6\)"):
        fl.simulate(pk, days=10, schedule=steps)


def test_parameter_step_outside_bounds(pk):
    with pytest.raises(fl.errors.ParameterValueError, match=r"'k_el' = 60"):
        fl.simulate(pk, days=10, schedule=[fl.ParameterStep("k_el", 60.0, 1, 4)])


@pytest.mark.parametrize("times", [0, -1, 2.5, True])
def test_repeat_with_a_bad_count(times):
    with pytest.raises(fl.errors.ScheduleError, match=f"count.*{re.escape(repr(times))}"):
        fl.repeat(fl.Bolus("drug", 1.0, 1), every=7, times=times)


@pytest.mark.parametrize("every", [0, -7, "0 day"])
def test_repeat_with_a_non_positive_interval(every):
    with pytest.raises(fl.errors.ScheduleError, match="interval must be > 0"):
        fl.repeat(fl.Bolus("drug", 1.0, 1), every=every, times=3)


def test_repeat_of_an_infusion_longer_than_the_interval():
    with pytest.raises(fl.errors.ScheduleError, match="lasts longer"):
        fl.repeat(fl.Infusion("drug", 1.0, 0, 5), every=3, times=2)


def test_schedule_that_is_not_events(pk):
    with pytest.raises(fl.errors.ScheduleError, match="schedule must be"):
        fl.simulate(pk, days=3, schedule="bolus at day 1")
    with pytest.raises(fl.errors.ScheduleError, match="schedule must be"):
        fl.simulate(pk, days=3, schedule=[("drug", 1.0, 1)])


# -- model definitions ------------------------------------------------------------------
def test_unparseable_unit_in_a_state():
    m = fl.Module("m")
    with pytest.raises(
        fl.errors.UnitError, match=r"state 'X'.*cannot understand the unit .nanomolarr"
    ):
        m.state("X", unit="nanomolarr/litre", initial=1.0)


def test_unparseable_unit_in_a_parameter():
    m = fl.Module("m")
    with pytest.raises(fl.errors.UnitError, match=r"parameter 'k'.*'1/dya'"):
        m.parameter("k", 1.0, "1/dya", provenance=PROV)


@pytest.mark.parametrize("provenance", ["", "   "])
def test_missing_provenance(provenance):
    m = fl.Module("m")
    with pytest.raises(
        fl.errors.ModelDefinitionError, match=r"'k_deg' has no provenance.*assumed"
    ):
        m.parameter("k_deg", 1.0, "1/day", provenance=provenance)


def test_duplicate_state_across_modules():
    a, b = fl.Module("liver"), fl.Module("blood")
    a.state("drug", unit="nM", initial=0.0)
    b.state("drug", unit="nM", initial=0.0)
    with pytest.raises(
        fl.errors.ModelDefinitionError,
        match=r"state 'drug'.*more than one module \(liver, blood\).*symbol",
    ):
        fl.Model("pk", [a, b])


def test_duplicate_parameter_across_modules():
    a, b = fl.Module("a"), fl.Module("b")
    a.parameter("k", 1.0, "1/day", provenance=PROV)
    b.parameter("k", 2.0, "1/day", provenance=PROV)
    with pytest.raises(fl.errors.ModelDefinitionError, match=r"parameter 'k'.*\(a, b\)"):
        fl.Model("m", [a, b])


def test_name_used_as_state_and_parameter():
    m = fl.Module("m")
    m.state("X", unit="nM", initial=0.0)
    m.parameter("X", 1.0, "nM", provenance=PROV)
    with pytest.raises(fl.errors.ModelDefinitionError, match=r"both as state and parameter.*'X'"):
        fl.Model("m", [m])


def test_observable_name_clash():
    m = fl.Module("m")
    x = m.state("X", unit="nM", initial=0.0)
    m.observable("X", 2 * x)
    with pytest.raises(
        fl.errors.ModelDefinitionError, match="observable name 'X' is already used"
    ):
        fl.Model("m", [m])


@pytest.mark.parametrize("name", ["t", "lambda", "2x", "my state", ""])
def test_invalid_state_name(name):
    with pytest.raises(fl.errors.ModelDefinitionError, match="name"):
        fl.Module("m").state(name, unit="nM", initial=0.0)


def test_non_positive_scale():
    with pytest.raises(fl.errors.ModelDefinitionError, match=r"'X'.*scale must be > 0"):
        fl.Module("m").state("X", unit="nM", initial=0.0, scale=0.0)


# -- simulate options and solver failures ---------------------------------------------
def test_unknown_method(pk):
    with pytest.raises(fl.FollicleError, match=r"unknown method 'RK4'.*RK45.*DOP853"):
        fl.simulate(pk, days=1, method="RK4")


@pytest.mark.parametrize("rtol", [0, 1.5, -1e-6, "1e-6"])
def test_bad_rtol(pk, rtol):
    with pytest.raises(fl.errors.ParameterValueError, match="rtol"):
        fl.simulate(pk, days=1, rtol=rtol)


@pytest.mark.parametrize("atol", [0.0, -1e-9, math.nan])
def test_bad_atol(pk, atol):
    with pytest.raises(fl.errors.ParameterValueError, match="atol"):
        fl.simulate(pk, days=1, atol=atol)


def test_simulate_something_that_is_not_a_model():
    with pytest.raises(fl.FollicleError, match="needs a follicle Model, got Module"):
        fl.simulate(fl.Module("m"), days=1)


def test_bad_threshold_direction():
    with pytest.raises(fl.FollicleError, match="'sideways'"):
        fl.Threshold("drug", 1.0, direction="sideways")


def _reported_time(message):
    match = re.search(r"t = ([0-9.eE+-]+) day", message)
    assert match, message
    return float(match.group(1))


@pytest.mark.parametrize("method", ["BDF", "RK45", "LSODA"])
def test_finite_time_blow_up_is_a_solver_error(method):
    # dX/dt = X^2 with X(0) = 1 blows up at t = 1.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(fl.errors.SolverError) as info:
            fl.simulate(blow_up(1.0, 1.0), days=3, method=method)
    message = str(info.value)
    assert "X" in message and "nM" in message
    assert 0.9 <= _reported_time(message) <= 1.0


def test_division_by_a_state_at_zero_is_a_solver_error():
    m = fl.Module("div")
    x = m.state("X", unit="nM", initial=0.0)
    y = m.state("Y", unit="nM", initial=1.0)
    k = m.parameter("k", 1.0, "nM/day", provenance=PROV)
    m.rate(x, k, label="production")
    m.rate(y, k * y / x, label="division by X")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(fl.errors.SolverError) as info:
            fl.simulate(fl.Model("div", [m]), days=1)
    message = str(info.value)
    assert _reported_time(message) == 0.0
    assert "Y" in message and "divides by zero" in message


def test_removal_of_more_than_is_there_is_caught():
    # Zero-order removal drives a non-negative state far below zero.
    m = fl.Module("overdraw")
    x = m.state("X", unit="nM", initial=1.0)
    k = m.parameter("k", 1.0, "nM/day", provenance=PROV)
    m.rate(x, -k, label="zero-order removal")
    with pytest.raises(
        fl.errors.SolverError, match=r"non-negative state 'X' reached -1.* nM at t = 2"
    ):
        fl.simulate(fl.Model("overdraw", [m]), days=2)
