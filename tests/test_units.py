"""Unit checking: planted inconsistencies are caught with helpful messages, every correct
model of the suite is accepted, and the field's units parse."""

from __future__ import annotations

import math

import numpy as np
import pint
import pytest
import sympy as sp
from _models import ALL_BUILDERS, PROV

import follicle as fl
from follicle.units import as_magnitude, expression_unit, parse_unit, ureg


def _module():
    m = fl.Module("planted")
    x = m.state("X", unit="nM", initial=1.0)
    c = m.state("C", unit="cell", initial=10.0)
    k = m.parameter("k_deg", 0.5, "1/day", provenance=PROV)
    return m, x, c, k


# -- every correct model is accepted --------------------------------------------------
@pytest.mark.parametrize("name", sorted(ALL_BUILDERS))
def test_every_suite_model_builds_and_has_consistent_units(name):
    model = ALL_BUILDERS[name]()
    assert isinstance(model, fl.Model)
    assert len(model.rhs_expressions) == len(model.state_names)
    for state in model.state_names:
        assert parse_unit(model.unit(state)) == parse_unit(model.states[state].unit)
    for obs in model.observable_names:
        parse_unit(model.unit(obs))  # stored observable units parse back


def test_fixture_models_build(
    decay_model,
    chain_model,
    erlang_model,
    logistic_model,
    pk_model,
    mm_model,
    hill_model,
    twenty_state_model,
    blow_up_model,
):
    models = [
        decay_model,
        chain_model,
        erlang_model,
        logistic_model,
        pk_model,
        mm_model,
        hill_model,
        twenty_state_model,
        blow_up_model,
    ]
    assert [len(m.state_names) for m in models] == [1, 4, 5, 1, 1, 1, 3, 20, 1]


# -- planted inconsistencies ----------------------------------------------------------
def test_term_with_wrong_dimension_names_state_label_and_both_units():
    m, x, _, k = _module()
    m.rate(x, -k, label="leaky degradation")
    with pytest.raises(fl.errors.UnitError) as info:
        fl.Model("planted", [m])
    message = str(info.value)
    assert "d(X)/dt" in message
    assert "'leaky degradation'" in message
    assert "1/d" in message  # the term's unit
    assert "nM/d" in message  # the unit the state needs
    assert "module 'planted'" in message


def test_term_in_cells_for_a_concentration_state():
    m, x, c, k = _module()
    m.rate(x, k * c, label="cells become molecules")
    with pytest.raises(fl.errors.UnitError, match=r"'cells become molecules'.*cell/d.*nM/d"):
        fl.Model("planted", [m])


def test_adding_nanomolar_to_cells():
    m, x, c, k = _module()
    m.rate(x, -k * (x + c), label="mixed sum")
    with pytest.raises(fl.errors.UnitError) as info:
        fl.Model("planted", [m])
    message = str(info.value)
    assert "'mixed sum'" in message and "d(X)/dt" in message
    assert "[cell]" in message and "[nM]" in message
    assert "dimensions differ" in message


def test_exp_of_a_dimensional_quantity():
    m, x, _, k = _module()
    m.rate(x, -k * x * sp.exp(x), label="exponential feedback")
    with pytest.raises(
        fl.errors.UnitError, match=r"'exponential feedback'.*exp.*dimensionless.*nM"
    ):
        fl.Model("planted", [m])


def test_symbolic_exponent_of_a_dimensional_base():
    m, x, _, k = _module()
    n = m.parameter("n_hill", 2.0, "1", provenance=PROV)
    m.rate(x, -k * x**n, label="hill without scale")
    with pytest.raises(fl.errors.UnitError, match=r"'hill without scale'.*symbolic.*nM"):
        fl.Model("planted", [m])


def test_dimensional_exponent():
    m, x, _, k = _module()
    m.rate(x, -k * x * 2 ** (k * fl.t * x), label="weird power")
    with pytest.raises(fl.errors.UnitError, match=r"exponent.*must be dimensionless"):
        fl.Model("planted", [m])


def test_piecewise_branches_must_agree():
    m, x, c, k = _module()
    m.rate(x, -k * sp.Piecewise((x, fl.t < 1), (c, True)), label="switch")
    with pytest.raises(fl.errors.UnitError, match="switch"):
        fl.Model("planted", [m])


def test_condition_comparing_time_with_concentration():
    m, x, _, k = _module()
    m.rate(x, -k * x * sp.Heaviside(x - fl.t), label="bad condition")
    with pytest.raises(fl.errors.UnitError, match="bad condition"):
        fl.Model("planted", [m])


def test_observable_declared_in_incompatible_unit():
    m, x, _, k = _module()
    m.rate(x, -k * x)
    m.observable("ligand_in_cells", 2 * x, unit="cell")
    with pytest.raises(fl.errors.UnitError) as info:
        fl.Model("planted", [m])
    message = str(info.value)
    assert "'ligand_in_cells'" in message and "cell" in message and "nM" in message


def test_observable_with_inconsistent_expression():
    m, x, c, k = _module()
    m.rate(x, -k * x)
    m.observable("nonsense", x + c)
    with pytest.raises(fl.errors.UnitError, match=r"observable 'nonsense'.*dimensions differ"):
        fl.Model("planted", [m])


# -- conversions inserted by the checker ----------------------------------------------
def test_compatible_units_are_converted_not_rejected():
    m = fl.Module("convert")
    x = m.state("X", unit="nM", initial=0.0)
    src = m.parameter("src", 2.0, "uM/week", provenance=PROV)
    m.rate(x, src, label="production in uM/week")
    model = fl.Model("convert", [m])
    # 2 uM/week = 2000/7 nM/day.
    rate = model.compiled.rhs(0.0, np.array([0.0]), np.array([2.0]))
    assert rate[0] == pytest.approx(2000 / 7, rel=1e-13)


def test_observable_declared_in_compatible_unit_is_converted():
    m = fl.Module("obs")
    x = m.state("X", unit="nM", initial=1500.0)
    m.observable("X_um", x, unit="uM")
    m.observable("X_twice", 2 * sp.Symbol("X_um"))
    model = fl.Model("obs", [m])
    run = fl.simulate(model, days=1)
    np.testing.assert_allclose(run["X_um"], 1.5)
    np.testing.assert_allclose(run["X_twice"], 3.0)
    assert run.unit("X_um") == "µM" and run.unit("X_twice") == "µM"
    assert run.quantity("X_um")[0].to("nM").magnitude == pytest.approx(1500.0)


def test_mg_per_kg_into_a_dimensionless_transcendental_is_a_pure_ratio():
    expr, unit = expression_unit(sp.exp(sp.Symbol("d")), lambda s: parse_unit("mg/kg"))
    assert unit == ureg.dimensionless
    assert float(expr.subs(sp.Symbol("d"), 1.0)) == pytest.approx(math.exp(1e-6))


# -- parsing ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "dimensionality"),
    [
        ("cell", "[cell]"),
        ("cells", "[cell]"),
        ("cells/mm**2", "[cell] / [length] ** 2"),
        ("cell/mm**2", "[cell] / [length] ** 2"),
        ("nM", "[substance] / [length] ** 3"),
        ("mg/kg", "dimensionless"),
        ("day", "[time]"),
        ("week", "[time]"),
        ("AU", "[arbitrary]"),
        ("1/day", "1 / [time]"),
        ("1", "dimensionless"),
        ("", "dimensionless"),
    ],
)
def test_field_units_parse(text, dimensionality):
    unit = parse_unit(text)
    assert isinstance(unit, pint.Unit)
    if dimensionality == "dimensionless":
        assert unit.dimensionality == ureg.dimensionless.dimensionality
    else:
        assert str(unit.dimensionality) == dimensionality


def test_unit_magnitudes():
    assert as_magnitude("1 week", "day", what="t") == 7.0
    assert as_magnitude("3 cells/mm**2", "cell/cm**2", what="d") == pytest.approx(300.0)
    assert as_magnitude("1 uM", "nM", what="c") == pytest.approx(1000.0)
    assert as_magnitude("2 mg/kg", "ug/kg", what="dose") == pytest.approx(2000.0)
    assert as_magnitude(fl.units.Q_(5, "AU"), "AU", what="signal") == 5.0
    assert as_magnitude(2, "nM", what="bare number") == 2.0


def test_cells_and_arbitrary_units_are_their_own_dimensions():
    for a, b in [("cell", "1"), ("AU", "1"), ("cell", "AU"), ("cell", "mol")]:
        assert parse_unit(a).dimensionality != parse_unit(b).dimensionality
    with pytest.raises(fl.errors.UnitError, match="dimension"):
        as_magnitude("3 cell", "AU", what="signal")


@pytest.mark.parametrize("bad", ["nanomolarr", "cells/", "1/dya", "m**"])
def test_unparseable_unit(bad):
    with pytest.raises(fl.errors.UnitError, match="cannot understand the unit"):
        parse_unit(bad, what="state 'X'")


def test_non_string_unit_is_rejected():
    with pytest.raises(fl.errors.UnitError, match="expected a unit string"):
        parse_unit(3.0)


# -- the grammar: a number and a unit, never arithmetic (issue 16, finding 3) -------------
@pytest.mark.parametrize(
    "text",
    [
        "9**9**9 day",
        "1 day**9**9**9",
        "2 + 3 day",
        "__import__('os').getpid()",
        "1 day)",
        "(1 day",
        "2 day 3",
        "1 m**13",
        "1 day" + " " * 90,
    ],
)
def test_quantity_text_is_a_number_and_a_unit_only(text):
    with pytest.raises(fl.errors.UnitError, match="days: ") as err:
        as_magnitude(text, "day", what="days")
    assert "e.g. '2 mg/kg'" in str(err.value)


def test_a_huge_exponent_is_refused_before_pint_computes_it():
    with pytest.raises(fl.errors.UnitError, match="exponent 99 is larger than 12"):
        parse_unit("m**99", what="state 'X'")


def test_a_long_unit_text_is_refused_and_quoted_truncated():
    with pytest.raises(fl.errors.UnitError, match=r"longer than 80 characters") as err:
        parse_unit("m*" * 500 + "m", what="state 'X'")
    assert "(1003 characters)" in str(err.value)
    assert len(str(err.value)) < 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cell/mm²", "cell/mm**2"),
        ("mg·kg⁻¹", "mg/kg"),
        ("day**(-1)", "1/day"),
        ("(1/day)**2", "1/day**2"),
        ("mg kg", "mg*kg"),
        ("nM/d", "nM/day"),
    ],
)
def test_the_grammar_reads_the_forms_follicle_prints(text, expected):
    assert parse_unit(text) == ureg.parse_units(expected)


def test_infinite_quantity_is_refused():
    with pytest.raises(fl.errors.ParameterValueError, match="not finite"):
        as_magnitude("1e999 day", "day", what="days")


def test_a_bare_number_in_text_is_in_the_expected_unit():
    assert as_magnitude("4", "day", what="days") == 4.0
    assert as_magnitude("0.5 week", "day", what="days") == 3.5
