"""Bad data files and bad problems fail early with a DataError that names the culprit."""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl
from follicle import fitting

PROV = "assumed: test model"
HEADER = "# synthetic: true\n# provenance: test\n"
COLUMNS = "observableId,simulationConditionId,time,measurement,noiseParameters"


@pytest.fixture
def model():
    m = fl.Module("decay")
    x = m.state("X", "nM", 1.0)
    k = m.parameter("k_deg", 0.5, "1/day", bounds=(0.01, 10), provenance=PROV)
    m.parameter("k_free", 0.0, "1/day", bounds=(0, 10), provenance=PROV)
    m.rate(x, -k * x)
    return fl.Model("decay", [m])


def _write(tmp_path, text, name="m.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"{COLUMNS}\nY,c,1,0.5,0.1\n", "unknown observable 'Y'"),
        (f"{COLUMNS}\nX,c,1,0.5,-0.1\n", r"m.csv:4: noise -0.1 is not at least 1e-100"),
        (f"{COLUMNS}\nX,c,1,0.5,0\n", "noise 0 is not at least 1e-100"),
        (f"{COLUMNS}\nX,c,-1,0.5,0.1\n", "before the simulation start"),
        (f"{COLUMNS}\nX,c,1,abc,0.1\n", "m.csv:4: column measurement is 'abc', not a number"),
        (f"{COLUMNS}\nX,c,1,nan,0.1\n", "must be finite"),
        (f"{COLUMNS}\nX,c,1,0.5\n", "4 fields, but the header has 5"),
        (
            "observableId,time,measurement,noiseParameters\nX,1,0.5,0.1\n",
            "missing column.*simulationConditionId",
        ),
        (
            f"{COLUMNS},noiseDistribution\nX,c,1,-0.5,0.1,lognormal\n",
            "must be > 0 under log-normal",
        ),
        (f"{COLUMNS},noiseDistribution\nX,c,1,0.5,0.1,laplace\n", "noise model 'laplace'"),
        (
            f"{COLUMNS},noiseDistribution\nX,c,1,0.5,0.1,normal\nX,c,2,0.5,0.1,lognormal\n",
            "one noise model per observable",
        ),
    ],
)
def test_bad_measurement_tables(tmp_path, model, body, message):
    with pytest.raises(fl.errors.DataError, match=message):
        fitting.load_dataset(_write(tmp_path, HEADER + body), model)


def test_missing_metadata_and_files(tmp_path, model):
    with pytest.raises(fl.errors.DataError, match="synthetic: true"):
        fitting.load_dataset(_write(tmp_path, f"{COLUMNS}\nX,c,1,0.5,0.1\n"), model)
    with pytest.raises(fl.errors.DataError, match="provenance"):
        fitting.load_dataset(
            _write(tmp_path, f"# synthetic: false\n{COLUMNS}\nX,c,1,0.5,0.1\n"), model
        )
    with pytest.raises(fl.errors.DataError, match="no such file"):
        fitting.load_dataset(tmp_path / "absent.csv", model)


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ("conditionId,days\nc,5\n", r"time 6 day is outside the simulated span \[0, 5\]"),
        ("conditionId\nother\n", "unknown condition 'c'"),
        ("conditionId,k_dge\nc,1\n", "column 'k_dge' is neither a parameter nor a state"),
        ("conditionId,scenario\nc,nope\n", "unknown scenario 'nope'"),
        ("conditionId\nc\nc\n", "defined twice"),
        ("conditionId\tdays\nc\t-2\n", "days = -2.0 must be > 0"),
        ("conditionId,days\nc,-2\n", "days = -2.0 must be > 0"),
    ],
)
def test_bad_condition_tables(tmp_path, model, conditions, message):
    measurements = _write(tmp_path, HEADER + f"{COLUMNS}\nX,c,6,0.5,0.1\n")
    with pytest.raises(fl.errors.DataError, match=message):
        fitting.load_dataset(
            measurements,
            model,
            _write(tmp_path, conditions, "c.tsv" if "\t" in conditions else "c.csv"),
        )


def test_tsv_tables_and_condition_overrides_load(tmp_path, model):
    body = HEADER + f"{COLUMNS}\nX,c,1,0.6,0.1\n".replace(",", "\t")
    data = fitting.load_dataset(
        _write(tmp_path, body, "m.tsv"),
        model,
        _write(tmp_path, "conditionId,X,days\nc,2.0,3\n", "c.csv"),
    )
    assert data.conditions["c"].initial == {"X": 2.0}
    assert data.conditions["c"].days == 3.0
    assert data.synthetic and data.provenance == "test"


def test_bad_problems_fail_before_the_optimiser(tmp_path, model):
    data = fitting.synthetic(model, {"X": ("normal", 0.1)}, [1.0, 2.0], seed=0)
    with pytest.raises(fl.errors.DataError, match=r"'k_free' is estimated in log space"):
        fitting.Problem(model, data, ["k_free"])
    with pytest.raises(fl.errors.DataError, match="leave its declared range"):
        fitting.Problem(model, data, ["k_deg"], bounds={"k_deg": (0.001, 1)})
    with pytest.raises(fl.errors.DataError, match="both fixed and estimated"):
        fitting.Problem(model, data, ["k_deg"], fixed={"k_deg": 1.0})
    with pytest.raises(fl.errors.UnknownNameError, match="k_dge"):
        fitting.Problem(model, data, ["k_dge"])
    overriding = fitting.Dataset(
        data.measurements,
        {"default": fitting.Condition("default", params={"k_deg": 1.0})},
        True,
        "test",
    )
    with pytest.raises(fl.errors.DataError, match="overrides the estimated parameter"):
        fitting.Problem(model, overriding, ["k_deg"])
    problem = fitting.Problem(model, data, ["k_deg"])
    with pytest.raises(fl.errors.DataError, match="starts must be"):
        fitting.estimate(problem, starts=0)


def test_written_measurements_read_back(tmp_path, model):
    data = fitting.synthetic(model, {"X": ("lognormal", 0.1)}, np.array([0.5, 1.0]), seed=3)
    back = fitting.load_dataset(fitting.write_measurements(data, tmp_path / "d.csv"), model)
    assert back.synthetic and back.provenance.startswith("synthetic")
    assert [m.value for m in back.measurements] == [m.value for m in data.measurements]
    assert back.noise_models == {"X": "lognormal"}
