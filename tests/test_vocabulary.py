"""One vocabulary in Python and on the command line: a dose axis is named after its
intervention (``wnt_inhibitor.amount``) in ``fl.sweep`` as in ``follicle sweep``, a value at
the end of a run is ``value:NAME`` in both, and the old spellings still work with a
DeprecationWarning that names the new one."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest
from _models import PROV, one_compartment

import follicle as fl
from follicle.errors import ModelDefinitionError, renamed
from follicle.models.cli import main


def test_renamed_warns_with_both_spellings_and_returns_the_new_one():
    with pytest.warns(DeprecationWarning, match="'old' is now spelled 'new'.*'old' is depr"):
        assert renamed("the thing", "old", "new") == "new"


def test_the_coupled_model_names_its_drugs_doses():
    model = fl.models.coupled()
    assert model.interventions["wnt_inhibitor"] == "D_wnt"
    assert set(model.interventions) == set(fl.models.drugs.DRUGS)


def _named_pk():
    """one_compartment's drug, dosed as the intervention 'pill'."""
    m = fl.Module("pk")
    c = m.state("drug", unit="mg/kg", initial=0.0)
    k = m.parameter("k_el", 0.3, "1/day", provenance=PROV)
    m.rate(c, -k * c, label="elimination")
    m.intervention("pill", c)
    return fl.Model("pk", [m])


def test_engine_sweep_names_a_dose_axis_by_its_intervention():
    schedule = [fl.Bolus("drug", 1.0, 1.0), fl.Bolus("drug", 1.0, 2.0)]
    final = fl.readouts.ValueAt("drug", 3.0)
    new = fl.sweep(
        _named_pk(), {"pill.amount": ["1 mg/kg", "2000 ug/kg"]}, final, days=3, schedule=schedule
    )
    assert new.design.names == ("pill.amount",) and new.axis_unit("pill.amount") == "mg/kg"
    # Two boluses of a each, eliminated at 0.3/day: a (e^-0.6 + e^-0.3) at day 3.
    expected = np.array([1.0, 2.0]) * (np.exp(-0.6) + np.exp(-0.3))
    np.testing.assert_allclose(new["value:drug"], expected, rtol=1e-6)
    with pytest.warns(DeprecationWarning, match="'drug.amount' is now spelled 'pill.amount'"):
        old = fl.sweep(_named_pk(), {"drug.amount": [1.0, 2.0]}, final, days=3, schedule=schedule)
    assert old.design.names == ("pill.amount",)
    np.testing.assert_array_equal(old["value:drug"], new["value:drug"])


def test_a_state_without_an_intervention_name_keeps_state_amount():
    schedule = [fl.Bolus("drug", 1.0, 1.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        result = fl.sweep(
            one_compartment(),
            {"drug.amount": [1.0, 3.0]},
            fl.readouts.ValueAt("drug", 1.0),
            days=2,
            schedule=schedule,
        )
    np.testing.assert_allclose(result["value:drug"], [1.0, 3.0], rtol=1e-9)


def test_an_unknown_dose_axis_lists_the_intervention_spelling():
    with pytest.raises(fl.errors.UnknownNameError, match=r"pill\.amount"):
        fl.sweep(_named_pk(), {"pil.amount": [1.0]}, fl.readouts.ValueAt("drug", 1.0), days=2)


@pytest.mark.parametrize(
    "schedule", [None, [fl.Infusion("drug", 1.0, 0.0, 1.0)]], ids=["no dose", "infusion only"]
)
def test_a_dose_axis_for_a_drug_the_schedule_never_boluses_is_refused(schedule):
    # Every member would repeat the same run: the amount axis would change nothing.
    with pytest.raises(fl.FollicleError, match=r"'pill\.amount'.*gives no bolus of 'drug'"):
        fl.sweep(
            _named_pk(),
            {"pill.amount": [1.0, 2.0]},
            fl.readouts.ValueAt("drug", 1.0),
            days=2,
            schedule=schedule,
        )


@pytest.mark.parametrize(
    ("name", "state", "says"),
    [
        ("k_el", "drug", "already a state, a parameter"),
        ("pill", "nothing", "unknown dosed state"),
        ("a pill", "drug", "must be an identifier"),
    ],
)
def test_bad_intervention_names_are_refused(name, state, says):
    m = fl.Module("pk")
    c = m.state("drug", unit="mg/kg", initial=0.0)
    k = m.parameter("k_el", 0.3, "1/day", provenance=PROV)
    m.rate(c, -k * c, label="elimination")
    with pytest.raises((ModelDefinitionError, fl.errors.UnknownNameError), match=says):
        m.intervention(name, state)
        fl.Model("pk", [m])


def _cli_sweep(tmp_path, capsys, readout):
    out = tmp_path / f"{readout.replace(':', '_')}.csv"
    code = main(
        [
            "sweep",
            "macrophage_wnt_inhibition",
            "wnt_inhibitor.amount",
            "0,2",
            "--days",
            "30",
            "--readout",
            readout,
            "--no-progress",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows, capsys.readouterr().err


def test_cli_value_readout_is_pythons_value_at_the_end(tmp_path, capsys):
    rows, err = _cli_sweep(tmp_path, capsys, "value:W")
    assert rows[0] == ["wnt_inhibitor.amount [mg/kg]", "value:W", "status"]
    assert "warning" not in err
    table = fl.models.scenario("macrophage_wnt_inhibition").sweep(
        {"wnt_inhibitor.amount": ["0 mg/kg", "2 mg/kg"]}, fl.readouts.ValueAt("W", 30), days=30
    )
    assert list(table.readouts) == ["value:W"]
    written = [float(r[1]) for r in rows[1:]]  # the CSV holds 10 digits
    np.testing.assert_allclose(written, table["value:W"], rtol=1e-9)


def test_cli_final_readout_still_works_with_a_one_line_warning(tmp_path, capsys):
    new, _ = _cli_sweep(tmp_path, capsys, "value:W")
    old, err = _cli_sweep(tmp_path, capsys, "final:W")
    assert old == new, "same column name and values"
    (line,) = [x for x in err.splitlines() if "warning" in x]
    assert line.startswith("follicle: warning: the readout 'final:W' is now spelled 'value:W'")


def test_names_that_left_the_face_still_work_with_a_warning_naming_their_home():
    with pytest.warns(DeprecationWarning, match=r"'follicle\.errors\.UnitError'"):
        assert fl.UnitError is fl.errors.UnitError
    with pytest.warns(DeprecationWarning, match=r"'follicle\.model\.State'"):
        assert fl.State is fl.model.State
    with pytest.raises(AttributeError, match="no attribute 'Nonsense'"):
        _ = fl.Nonsense


def test_the_face_is_small_and_every_name_in_it_exists():
    objects = [n for n in fl.__all__ if not isinstance(getattr(fl, n), type(fl))]
    assert len(objects) <= 30  # about 25 verbs and objects; the rest are namespaces
    assert all(hasattr(fl, n) for n in fl.__all__)
