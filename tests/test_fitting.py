"""Estimation and uncertainty (follicle.fitting): recovery, identifiability, the Karin model."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest

import follicle as fl
from follicle import fitting
from follicle.fitting.profile import IDENTIFIABLE, STRUCTURAL, fisher, profile

PROV = "assumed: test model"
TRUTH = {"k_p": 2.0, "k_d": 0.5}


def production(pair: bool = False) -> fl.Model:
    """``dX/dt = k_p - k_d X`` (or ``a b - k_d X``: only the product ``a b`` matters)."""
    m = fl.Module("production")
    x = m.state("X", "nM", 0.0)
    k_d = m.parameter("k_d", 0.5, "1/day", bounds=(0.01, 100), provenance=PROV)
    if pair:
        a = m.parameter("a", 2.0, "nM/day", bounds=(0.1, 10), provenance=PROV)
        b = m.parameter("b", 1.0, "1", bounds=(0.1, 10), provenance=PROV)
        m.rate(x, a * b - k_d * x)
    else:
        k_p = m.parameter("k_p", 2.0, "nM/day", bounds=(0.01, 100), provenance=PROV)
        m.rate(x, k_p - k_d * x)
    return fl.Model("production", [m])


def _problem(n_times, seed, pair=False):
    model = production(pair)
    data = fitting.synthetic(
        model, {"X": ("normal", 0.1)}, np.linspace(0.5, 10, n_times), seed=seed
    )
    names = ["a", "b", "k_d"] if pair else ["k_p", "k_d"]
    return fitting.Problem(model, data, names, rtol=1e-7)


def test_jacobian_from_sensitivities_matches_differences():
    problem = _problem(10, seed=0)
    model = production()
    lognormal = fitting.synthetic(model, {"X": ("lognormal", 0.05)}, [1.0, 4.0], seed=0)
    for p in (
        problem,
        fitting.Problem(model, lognormal, ["k_p", "k_d"], rtol=1e-10, priors={"k_d": (0.4, 0.1)}),
    ):
        theta = p.theta({"k_p": 1.3, "k_d": 0.7})
        h = 1e-6
        fd = np.stack(
            [
                (p.residuals(theta + h * e) - p.residuals(theta - h * e)) / (2 * h)
                for e in np.eye(2)
            ],
            axis=1,
        )
        np.testing.assert_allclose(p.jacobian(theta), fd, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def recoveries():
    out = []
    for seed in (1, 2, 3):
        problem = _problem(20, seed)
        fit = fitting.estimate(problem, starts=4, seed=seed)
        out.append((problem, fit, profile(problem, fit)))
    return out


def test_fits_converge_and_every_start_is_reported(recoveries):
    for _, fit, _ in recoveries:
        assert fit.converged and len(fit.starts) == 4
        assert fit.n_at_best() >= 3  # the problem is well posed: most starts agree
        assert fit.cost == min(s.cost for s in fit.starts)


def test_true_values_lie_in_profile_intervals_in_two_of_three_seeds(recoveries):
    for name, truth in TRUTH.items():
        inside = 0
        for _, _, profiles in recoveries:
            low, high = profiles[name].interval
            assert profiles[name].classification == IDENTIFIABLE
            inside += low < truth < high
        assert inside >= 2, name


def test_profile_and_fisher_intervals_agree_for_a_nearly_linear_problem(recoveries):
    problem, fit, profiles = recoveries[0]
    wald = fisher(problem, fit).intervals
    for name in TRUTH:
        np.testing.assert_allclose(profiles[name].interval, wald[name], rtol=0.02)


def test_interval_shrinks_as_data_grow():
    widths = []
    for n in (8, 64):
        problem = _problem(n, seed=5)
        fit = fitting.estimate(problem, starts=0, x0=TRUTH)
        low, high = profile(problem, fit, ["k_d"])["k_d"].interval
        widths.append(np.log(high / low))
    assert widths[1] < 0.6 * widths[0]  # about 1/sqrt(8) in theory


def test_planted_product_pair_is_structurally_non_identifiable():
    problem = _problem(15, seed=4, pair=True)
    # Start in the middle of the valley, so that a flat stretch of a factor e on both
    # sides fits inside the bounds of a and b (profile's flat_width).
    fit = fitting.estimate(problem, starts=0, x0={"a": 1.4, "b": 1.4, "k_d": 0.5})
    assert fit.best["a"] * fit.best["b"] == pytest.approx(2.0, rel=0.1)
    profiles = profile(problem, fit)
    assert profiles["a"].classification == STRUCTURAL
    assert profiles["b"].classification == STRUCTURAL
    assert profiles["k_d"].classification == IDENTIFIABLE
    eigenvalues = fisher(problem, fit).eigenvalues
    assert eigenvalues[0] < 1e-8 * eigenvalues[-1]


def test_starts_run_the_same_in_a_process_pool():
    problem = _problem(10, seed=1)
    here = fitting.estimate(problem, starts=2, seed=7)
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        there = fitting.estimate(problem, starts=2, seed=7, executor=pool)
    np.testing.assert_allclose(there.theta, here.theta, rtol=1e-12)
    for a, b in zip(here.starts, there.starts, strict=True):
        np.testing.assert_array_equal(a.theta0, b.theta0)


def test_karin_model_is_recovered_from_the_shipped_synthetic_ageing_data():
    data, model = fitting.datasets.load("karin_ageing_synthetic")
    assert data.synthetic and "synthetic" in data.provenance
    truth = {"eta": 0.084, "beta": 0.15, "kappa": 0.5}  # set A, which generated the data
    problem = fitting.Problem(
        model,
        data,
        list(truth),
        rtol=1e-7,
        bounds={"eta": (0.01, 1.0), "beta": (0.01, 5.0), "kappa": (0.01, 20.0)},
    )
    fit = fitting.estimate(problem, starts=4, seed=3)
    assert fit.converged
    wald = fisher(problem, fit).intervals
    for name, value in truth.items():
        assert fit.best[name] == pytest.approx(value, rel=0.15), name
        low, high = wald[name]
        assert low < value < high, name
