"""Issue 16 ("Hardening"): findings 6-8 at the boundary, one test per finding.

Silent drops become errors or documented warnings, sizes have documented limits, and every
loader and entry point answers bad input with a named FollicleError instead of a
traceback from inside a dependency. (Findings 1-5 are in test_kernel_cache.py,
test_units.py, test_model_input.py and test_conservation.py.)
"""

from __future__ import annotations

import math
import os
import stat
import warnings

import numpy as np
import pytest
from _models import decay, one_compartment

import follicle as fl
from follicle import fitting, limits
from follicle.fitting import targets

HEADER = "# synthetic: true\n# provenance: test\n"
COLUMNS = "observableId,simulationConditionId,time,measurement,noiseParameters"


# -- finding 6: silent drops -------------------------------------------------------------
def test_a_dose_before_the_run_starts_warns_and_is_not_given():
    with pytest.warns(fl.FollicleWarning, match=r"before the run starts at day 10.*not given"):
        run = fl.simulate(one_compartment(), t_span=(10, 20), schedule=[fl.Bolus("drug", 1.0, 5)])
    assert run["drug"].max() == 0.0


def test_an_infusion_ending_before_the_run_warns_one_running_into_it_is_given():
    model = one_compartment()
    with pytest.warns(fl.FollicleWarning, match="before the run starts"):
        fl.simulate(model, t_span=(10, 20), schedule=[fl.Infusion("drug", 1.0, 2, 10)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", fl.FollicleWarning)
        run = fl.simulate(model, t_span=(10, 20), schedule=[fl.Infusion("drug", 1.0, 2, 12)])
    assert run["drug"][run.t.searchsorted(12.0)] > 0


def test_a_dose_after_the_run_ends_warns():
    with pytest.warns(fl.FollicleWarning, match="after the run ends at day 5"):
        fl.simulate(one_compartment(), days=5, schedule=[fl.Bolus("drug", 1.0, 9)])


def test_none_inside_a_schedule_is_refused():
    with pytest.raises(fl.errors.ScheduleError, match="schedule item 1 is None"):
        fl.simulate(one_compartment(), days=5, schedule=[fl.Bolus("drug", 1.0, 1), None])


# -- finding 7: size limits ---------------------------------------------------------------
def test_a_huge_span_is_refused_with_the_limit_and_how_to_raise_it():
    with pytest.raises(limits.LimitError) as err:
        fl.simulate(decay(), days=1e300)
    message = str(err.value)
    assert "1e+300 day" in message and "limit of 100000 day" in message
    assert "FOLLICLE_MAX_SPAN" in message


def test_a_limit_can_be_raised(monkeypatch):
    monkeypatch.setenv("FOLLICLE_MAX_SPAN", "2e5")
    run = fl.simulate(decay(), days=1.5e5, t_eval=[0.0, 1.5e5])
    assert run["X"][-1] == pytest.approx(0.0, abs=1e-9)
    monkeypatch.setenv("FOLLICLE_MAX_SPAN", "lots")
    with pytest.raises(limits.LimitError, match="FOLLICLE_MAX_SPAN='lots'"):
        fl.simulate(decay(), days=1)


def test_too_many_members_are_refused_before_anything_is_allocated(monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "members", 1000)
    with pytest.raises(limits.LimitError, match="grid members is 1e\\+08"):
        fl.grid({"a": np.arange(10_000), "b": np.arange(10_000)})
    with pytest.raises(limits.LimitError, match="number of samples is 2048"):
        fl.latin_hypercube({"a": (0, 1)}, 2048, seed=1)
    with pytest.raises(limits.LimitError, match="ensemble members is 2000"):
        fl.simulate_ensemble(decay(), days=1, params={"k_deg": np.full(2000, 0.5)})


def test_a_repeat_of_a_huge_count_is_refused():
    with pytest.raises(limits.LimitError, match="repeat count is 1e\\+30"):
        fl.repeat(fl.Bolus("drug", 1.0, 1.0), 1.0, 10**30)


def test_a_max_step_that_would_take_forever_is_refused():
    with pytest.raises(limits.LimitError, match=r"span / max_step\) is 1e\+09"):
        fl.simulate(decay(), days=1, max_step=1e-9)


def test_too_many_stored_values_are_refused(monkeypatch):
    monkeypatch.setitem(limits.LIMITS, "output_points", 100)
    with pytest.raises(limits.LimitError, match="stored values"):
        fl.simulate_ensemble(
            decay(), days=1, t_eval=np.linspace(0, 1, 11), params={"k_deg": np.full(20, 0.5)}
        )
    with pytest.raises(limits.LimitError, match="output times"):
        fl.simulate(decay(), days=1, t_eval=np.linspace(0, 1, 101))


def test_the_cli_refuses_a_range_of_a_hundred_million_members(capsys):
    from follicle.models.cli import main

    code = main(["sweep", "early_telogen_macrophage_apoptosis", "k_CA", "0:1:100000000"])
    assert code == 1
    assert "values '0:1:100000000': N is 1e+08, above the limit" in capsys.readouterr().err


# -- finding 8: named errors instead of tracebacks ----------------------------------------
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (("observableId,x\ncafé,1\n").encode("latin-1"), r"m.csv:\d+: not UTF-8 text"),
        (b"\x00\x01\x02binary", "a binary file"),
        ((COLUMNS + '\nX,c,1,"0.5\n0.6",0.1\n').encode(), "unbalanced quote"),
    ],
)
def test_a_data_file_that_is_not_plain_csv_is_named(tmp_path, data, message):
    path = tmp_path / "m.csv"
    path.write_bytes(HEADER.encode() + data)
    with pytest.raises(fl.errors.DataError, match=message):
        fitting.load_dataset(path, decay())


def test_a_missing_or_malformed_target_table_is_named(tmp_path):
    with pytest.raises(fl.errors.DataError, match=r"absent.toml: cannot read"):
        targets.load(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[t\nreadout = 1\n")
    with pytest.raises(fl.errors.DataError, match=r"bad.toml: not valid TOML"):
        targets.load(bad)
    bad.write_text("t = 3\n")
    with pytest.raises(fl.errors.DataError, match=r"'t' must be a table"):
        targets.load(bad)


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() == 0, reason="root writes anywhere")
def test_an_unwritable_export_path_is_named(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    with pytest.raises(fl.errors.ExportError, match="cannot write the SBML file"):
        fl.sbml.to_file(folder / "m.xml", decay())


def test_an_export_path_in_a_missing_folder_is_named(tmp_path):
    pytest.importorskip("libsbml")
    with pytest.raises(fl.errors.ExportError, match=r"cannot write the SBML file .*absent"):
        fl.sbml.to_file(tmp_path / "absent" / "m.xml", decay())


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: fl.simulate(decay(), days=1, params=[0.5]),
            fl.errors.ModelDefinitionError,
            "params must be a mapping",
        ),
        (
            lambda: fl.simulate(decay(), days=1, max_step=0),
            fl.errors.ParameterValueError,
            "max_step must be a number > 0 in the model's time unit",
        ),
        (lambda: fl.simulate(decay(), days=1, t_eval="abc"), fl.errors.TimeSpanError, "t_eval"),
        (
            lambda: fl.latin_hypercube({"a": (0, 1)}, 4, seed="abc"),
            fl.FollicleError,
            "seed must be",
        ),
        (lambda: fl.grid({"a": ["x", "y"]}), fl.FollicleError, "axis 'a' needs numbers"),
        (
            lambda: fl.simulate_ensemble(decay(), days=1, params={"k_deg": ["fast"]}),
            fl.errors.ParameterValueError,
            "'k_deg': expected numbers",
        ),
        (
            lambda: fl.simulate_ensemble(decay(), days=1, params=[0.5]),
            fl.FollicleError,
            "one mapping of names to values per member",
        ),
    ],
)
def test_entry_points_name_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_measurement_noise_too_small_to_square_is_refused():
    with pytest.raises(fl.errors.DataError, match="noise 1e-300 is not at least 1e-100"):
        fitting.data.Measurement("X", "c", 1.0, 0.5, 1e-300)
    assert math.isfinite(1 / fitting.data.MIN_NOISE**2)
