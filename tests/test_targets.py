"""Literature targets (follicle.fitting.targets): the table's honesty, scoring, fitting."""

from __future__ import annotations

import math

import numpy as np
import pytest

import follicle as fl
from follicle import fitting
from follicle.fitting import targets


@pytest.fixture(scope="module")
def table():
    return targets.load()


def test_every_target_says_where_its_number_comes_from(table):
    readouts = {t.readout for t in table.values()}
    for needed in (
        "cycle.anagen",
        "cycle.catagen",
        "cycle.telogen",
        "turnover.half_life_young",
        "turnover.half_life_old",
        "apoptosis.onset_shift",
        "induction.retention",
        "senolytic.fur_restored",
    ):
        assert needed in readouts
    for t in table.values():
        assert t.sd > 0 and t.provenance.strip()
        if t.source == "brief":
            assert "BRIEF" in t.provenance
        else:
            assert t.provenance.startswith("assumption")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"readout": "cycle.nothing"}, "unknown readout 'cycle.nothing'"),
        ({"readout": "moon.phase"}, "unknown readout 'moon.phase'"),
        ({"sd": 0.0}, "sd must be > 0"),
        ({"scale": "cubic"}, "scale 'cubic'"),
        ({"source": "hearsay"}, "source 'hearsay'"),
    ],
)
def test_bad_target_tables_are_named(tmp_path, change, message):
    entry = {
        "readout": "cycle.anagen",
        "value": 17.0,
        "sd": 3.0,
        "scale": "linear",
        "unit": "day",
        "source": "brief",
        "provenance": "BRIEF",
    } | change
    text = "[t]\n" + "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in entry.items())
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(fl.errors.DataError, match=message):
        targets.load(path)
    path.write_text("[t]\nreadout = 'cycle.anagen'\n")
    with pytest.raises(fl.errors.DataError, match="lacks"):
        targets.load(path)


def test_defaults_meet_the_briefs_phase_durations(table):
    cycle = [table[k] for k in ("anagen_duration", "catagen_duration", "telogen_duration")]
    for name, (value, residual) in targets.score(cycle).items():
        assert math.isfinite(value) and abs(residual) < 1, name


def test_log_scale_residual_and_missing_readout():
    t = targets.Target(
        "x", "turnover.half_life_old", 30.0, 0.7, "log", "day", "assumption", "assumption: test"
    )
    assert t.residual(60.0) == pytest.approx(math.log(2) / 0.7)
    assert t.residual(math.inf) == targets.MISSING
    assert t.residual(-1.0) == targets.MISSING


def test_a_target_problem_fits_with_estimate_and_its_differences_are_accurate(table):
    """Removal capacity beta_sen fitted to the two half-life targets (a closed-form
    readout, so the test is fast); the forward differences (step 1e-2, so a truncation
    error of order 1e-2) match central ones of a tiny step."""
    chosen = [table["half_life_young"], table["half_life_old"]]
    problem = targets.TargetProblem(chosen, ["beta_sen"], bounds={"beta_sen": (0.13, 0.4)})
    theta = problem.theta()
    h = 1e-5
    central = (problem.residuals(theta + h) - problem.residuals(theta - h)) / (2 * h)
    np.testing.assert_allclose(problem.jacobian(theta)[:, 0], central, rtol=0.05)
    fit = fitting.estimate(problem, starts=3, seed=0)
    assert fit.converged
    assert fit.cost < problem.cost(theta)
