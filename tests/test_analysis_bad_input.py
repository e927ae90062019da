"""Mistakes in calls to follicle.analysis raise a FollicleError subclass whose message names
the parameter, the value and what was expected."""

from __future__ import annotations

import pytest
from _models import hopf_normal_form, saddle_node

import follicle as fl


@pytest.fixture(scope="module")
def hopf():
    return hopf_normal_form()  # parameter 'mu' in [-5, 5] 1/day


def test_unknown_parameter_suggests_the_close_name(hopf):
    with pytest.raises(
        fl.errors.UnknownNameError, match=r"unknown parameter 'muu'.*Did you mean 'mu'"
    ):
        fl.scan(hopf, "muu", [0.0, 1.0])


@pytest.mark.parametrize("values", [[], [0.1]], ids=["empty", "one value"])
def test_too_few_values_name_the_parameter_and_its_range(hopf, values):
    with pytest.raises(
        fl.errors.ParameterValueError,
        match=r"'mu' needs at least two values.*"
        r"\[-5, 5\] 1/day; got",
    ):
        fl.scan(hopf, "mu", values)


def test_value_out_of_range_names_value_and_range(hopf):
    with pytest.raises(
        fl.errors.ParameterValueError,
        match=r"'mu' = 7 1/day is outside its allowed range \[-5, 5\] 1/day",
    ):
        fl.scan(hopf, "mu", [0.0, 7.0])


def test_non_monotone_values(hopf):
    with pytest.raises(
        fl.errors.ParameterValueError,
        match=r"strictly increasing or strictly "
        r"decreasing; got \[0.0, 0.2, 0.1\]",
    ):
        fl.scan(hopf, "mu", [0.0, 0.2, 0.1])


@pytest.mark.parametrize("values", ["0 1", 0.5], ids=["string", "scalar"])
def test_values_that_are_not_a_sequence(hopf, values):
    with pytest.raises(
        fl.errors.ParameterValueError, match="must be a sequence of numbers in 1/day"
    ):
        fl.scan(hopf, "mu", values)


def test_non_finite_value(hopf):
    with pytest.raises(fl.errors.ParameterValueError, match="'mu': value nan is not finite"):
        fl.scan(hopf, "mu", [0.0, float("nan")])


def test_values_in_the_wrong_unit(hopf):
    with pytest.raises(fl.errors.UnitError, match=r"'mu': 1 nM .* expected unit is 1/d"):
        fl.scan(hopf, "mu", ["1 nM", "2 nM"])


def test_values_with_units_are_converted(hopf):
    result = fl.scan(hopf, "mu", ["-2.4 1/day", "0.1 1/hour"], cycles=False)
    assert result.values.tolist() == pytest.approx([-2.4, 2.4])
    assert abs(result.hopf[0].value) < 1e-12


def test_scanned_parameter_also_in_params(hopf):
    with pytest.raises(fl.errors.ParameterValueError, match="'mu' is scanned, so it cannot also"):
        fl.scan(hopf, "mu", [0.0, 0.2], params={"mu": 0.1})


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ({"cycle_offset": -1.0}, "cycle_offset must be > 0, got -1 1/day"),
        ({"search_points": 0}, "search_points must be an integer >= 1, got 0"),
        ({"starts": -1}, "starts must be >= 0, got -1"),
        (
            {"starts": [[1.0, 2.0, 3.0]]},
            r"shape \(k, 2\) of starting states .* got shape \(1, 3\)",
        ),
    ],
)
def test_bad_options(hopf, option, match):
    with pytest.raises(fl.errors.ParameterValueError, match=match):
        fl.scan(hopf, "mu", [-0.1, 0.1], **option)


def test_no_steady_state_anywhere_in_the_scan():
    with pytest.raises(
        fl.errors.AnalysisError, match=r"no steady state .* of 'r' in \[0.5, 1\] 1/day"
    ):
        fl.scan(saddle_node(), "r", [0.5, 1.0])


def test_unknown_parameter_override_in_steady_states(hopf):
    with pytest.raises(fl.errors.UnknownNameError, match="Did you mean 'mu'"):
        fl.steady_states(hopf, {"muu": 1.0})


@pytest.mark.parametrize(
    "call",
    [
        lambda m: fl.steady_states(m),
        lambda m: fl.scan(m, "beta", [0.1, 0.2]),
    ],
    ids=["steady_states", "scan"],
)
def test_time_dependent_model_needs_a_frozen_time(call):
    with pytest.raises(fl.errors.AnalysisError, match=r"depend on time explicitly.*time='1 year'"):
        call(fl.models.zoo.karin2019())


def test_frozen_time_in_the_wrong_unit():
    with pytest.raises(fl.errors.UnitError, match="time: 3 nM"):
        fl.steady_states(fl.models.zoo.karin2019(), time="3 nM")


def test_not_a_model():
    with pytest.raises(fl.FollicleError, match="expected a follicle Model, got str"):
        fl.steady_states("halloy2002")


def test_find_cycle_transient_outside_the_run(hopf):
    with pytest.raises(
        fl.errors.TimeSpanError, match=r"transient = 20 day must lie in \[0, 10\) day"
    ):
        fl.find_cycle(hopf, days=10, transient=20)
