"""PEtab export of a calibration problem, checked by the petab library's linter."""

from __future__ import annotations

import csv

import pytest
from test_fitting import production

import follicle as fl
from follicle import fitting
from follicle.fitting import petab as petab_export

petab = pytest.importorskip("petab.v1")
# petab 0.8 calls pandas options that pandas deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*(float_precision|inplace keyword).*")
pytest.importorskip("libsbml")


def _problem(**kwargs):
    model = production()
    conditions = [
        fitting.Condition("control"),
        fitting.Condition("slow", params={"k_d": 0.3}, initial={"X": 0.5}),
    ]
    data = fitting.synthetic(
        model, {"X": ("lognormal", 0.1)}, [1.0, 2.0, 5.0], seed=1, conditions=conditions
    )
    return fitting.Problem(model, data, ["k_p"], **kwargs)


def test_exported_problem_lints_clean_and_round_trips(tmp_path):
    problem = _problem()
    fit = fitting.estimate(problem, starts=0, x0={"k_p": 2.0})
    yaml = petab_export.export(problem, tmp_path, fit=fit)
    loaded = petab.Problem.from_yaml(str(yaml))
    assert petab.lint.lint_problem(loaded) is False  # False: no errors
    assert len(loaded.measurement_df) == len(problem.data.measurements)
    assert set(loaded.observable_df["observableTransformation"]) == {"log"}
    row = loaded.parameter_df.loc["k_p"]
    assert row["parameterScale"] == "log" and row["estimate"] == 1
    assert row["nominalValue"] == pytest.approx(fit.best["k_p"])
    with (tmp_path / "conditions.tsv").open() as handle:
        rows = {r["conditionId"]: r for r in csv.DictReader(handle, delimiter="\t")}
    assert float(rows["slow"]["k_d"]) == 0.3 and float(rows["control"]["k_d"]) == 0.5
    assert float(rows["slow"]["X"]) == 0.5


def test_what_petab_v1_cannot_hold_is_refused(tmp_path):
    with pytest.raises(fl.errors.ExportError, match="priors on k_p"):
        petab_export.export(_problem(priors={"k_p": (2.0, 1.0)}), tmp_path)
    data, model = fitting.datasets.load("karin_ageing_synthetic")
    problem = fitting.Problem(model, data, ["eta"], bounds={"eta": (0.01, 1.0)})
    with pytest.raises(fl.errors.ExportError, match="different schedules"):
        petab_export.export(problem, tmp_path)


def _moving_problem(unit="nmol"):
    """X -> Y at rate k X from X(0) = x0: the initial value of X is an expression of the
    parameter x0 (X is an SBML species when its unit is an amount)."""
    m = fl.Module("conversion")
    x0 = m.parameter("x0", 1.0, unit, bounds=(0.01, 100), provenance="test")
    k = m.parameter("k", 0.5, "1/day", bounds=(0.01, 100), provenance="test")
    x, y = m.state("X", unit, x0), m.state("Y", unit, 0.0)
    m.flow(x, y, k * x)
    model = fl.Model("conversion", [m])
    conditions = [
        fitting.Condition("control"),
        fitting.Condition("high", params={"x0": 3.0}),
        fitting.Condition("set", initial={"X": 0.5}),
    ]
    data = fitting.synthetic(
        model, {"X": ("lognormal", 0.1)}, [1.0, 2.0], seed=1, conditions=conditions
    )
    return fitting.Problem(model, data, ["k"])


def test_a_condition_that_does_not_set_an_initial_assignment_leaves_it_to_the_model(tmp_path):
    """PEtab's NaN for a species: the model's initial value, here the initial assignment
    X = x0, which follows the condition's x0 (a number would fix X(0) at 1 in 'high')."""
    yaml = petab_export.export(_moving_problem(), tmp_path)
    loaded = petab.Problem.from_yaml(str(yaml))
    assert petab.lint.lint_problem(loaded) is False
    assert loaded.sbml_model.getInitialAssignment("X").getMath() is not None
    with (tmp_path / "conditions.tsv").open() as handle:
        rows = {r["conditionId"]: r for r in csv.DictReader(handle, delimiter="\t")}
    assert [rows[c]["X"] for c in ("control", "high", "set")] == ["NaN", "NaN", "0.5"]
    assert [float(rows[c]["x0"]) for c in ("control", "high", "set")] == [1.0, 3.0, 1.0]
    with pytest.raises(fl.errors.ExportError, match=r"state 'X'.*only for a species"):
        petab_export.export(_moving_problem("nM"), tmp_path)  # a concentration: rate rules
