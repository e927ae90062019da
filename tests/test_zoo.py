"""The model zoo reproduces its papers' behaviour, and the analysis engine finds it.

Run with ``-s`` to print the measured numbers quoted in ``docs/zoo.md`` and
``docs/analysis.md``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import follicle as fl
from follicle.models.zoo.karin2019 import PARAMETER_SETS

zoo = fl.models.zoo

#: The citation of each model as the science brief gives it.
CITED = {
    "halloy2002": "Halloy, Bernard, Loussouarn & Goldbeter 2002, J Theor Biol 214:469",
    "alnuaimi2012": "Al-Nuaimi, Goodfellow, Paus & Baier 2012, J Theor Biol 310:143",
    "karin2019": "Karin et al. 2019, Nat Commun 10:5495",
}
MONTH = 30.4375  # days (pint's month: a Julian year / 12)


# -- every model: provenance -----------------------------------------------------------
@pytest.mark.parametrize("name", sorted(zoo.ZOO))
def test_every_parameter_cites_the_paper_or_says_assumed(name):
    model = zoo.ZOO[name]()
    assert CITED[name] in model.modules[0].doc  # the docstring cites it
    for parameter in model.parameters.values():
        cites = parameter.provenance.startswith(CITED[name])
        assert cites or parameter.provenance.startswith("assumed: "), parameter
        low, high = parameter.bounds
        assert low <= parameter.value <= high
        assert fl.units.ureg.parse_units(parameter.unit) is not None


# -- Halloy et al. 2002 ----------------------------------------------------------------
DURATIONS = [
    {"mu_A": 3.6, "mu_T": 2.4, "mu_L": 2.0},  # published
    {"mu_A": 36.0, "mu_T": 3.0, "mu_L": 4.0},
    {"mu_A": 0.5, "mu_T": 10.0, "mu_L": 1.0},
]


@pytest.mark.parametrize("mu", DURATIONS, ids=["published", "long anagen", "long telogen"])
def test_halloy_steady_state_is_the_closed_form(mu):
    found = fl.steady_states(zoo.halloy2002(), mu)
    (state,) = found
    total = sum(mu.values())
    for phase in "ATL":
        assert state[phase] == pytest.approx(mu[f"mu_{phase}"] / total, rel=1e-12)
    (law,) = found.conservation
    assert dict(law.weights) == pytest.approx({"A": 1, "T": 1, "L": 1})
    assert law.total == pytest.approx(1.0)
    # the restricted Jacobian's eigenvalues solve l^2 + (a + b + c) l + (ab + bc + ca) = 0
    # with a, b, c = 1/mu per day
    a, b, c = (1 / (mu[f"mu_{p}"] * MONTH) for p in "ATL")
    expected = np.roots([1.0, a + b + c, a * b + b * c + c * a])
    np.testing.assert_allclose(
        np.sort_complex(state.eigenvalues), np.sort_complex(expected), rtol=1e-9
    )
    assert state.stable


def test_halloy_published_fractions_and_simulation():
    (state,) = fl.steady_states(zoo.halloy2002())
    assert (state["A"], state["T"], state["L"]) == pytest.approx((0.45, 0.30, 0.25), rel=1e-12)
    assert state.stability == "stable focus"  # approached as a damped oscillation
    run = fl.simulate(zoo.halloy2002(), days=10 * 365.25)
    total = run["A"] + run["T"] + run["L"]
    assert np.max(np.abs(total - 1)) < 1e-9
    for phase in "ATL":
        assert run[phase][-1] == pytest.approx(state[phase], abs=1e-7)
        assert run[phase].min() >= 0
    # from 1/3 each the anagen fraction first overshoots 0.45 (a focus), then settles
    assert run["A"].max() > 0.45


# -- Karin et al. 2019 -----------------------------------------------------------------
def quasi_steady(p: dict, age_days: float) -> float:
    """X* = kappa eta a / (beta - eta a), with eta a in 1/day (a in years)."""
    production = p["eta"] * age_days / 365.25
    return p["kappa"] * production / (p["beta"] - production)


@pytest.mark.parametrize("parameter_set", ["A", "B"])
@pytest.mark.parametrize("years", [0.25, 1.0, 1.5])
def test_karin_quasi_steady_state_at_a_frozen_age(parameter_set, years):
    p = PARAMETER_SETS[parameter_set]
    age = years * 365.25
    (state,) = fl.steady_states(zoo.karin2019(parameter_set), time=f"{years} year")
    x = quasi_steady(p, age)
    assert state["X"] == pytest.approx(x, rel=1e-10)
    # linearised removal rate beta kappa / (kappa + X*)^2
    rate = p["beta"] * p["kappa"] / (p["kappa"] + x) ** 2
    assert state.eigenvalues[0].real == pytest.approx(-rate, rel=1e-8)
    assert state.stability == "stable node"


def test_karin_has_no_quasi_steady_state_past_beta_over_eta():
    # set A: production eta * a outgrows removal beta at a = 0.15 / 0.084 = 1.79 years
    assert len(fl.steady_states(zoo.karin2019("A"), time="1.7 year")) == 1
    assert len(fl.steady_states(zoo.karin2019("A"), time="1.9 year")) == 0


def test_karin_parameter_sets_differ_and_unknown_set_is_refused():
    a, b = zoo.karin2019("A"), zoo.karin2019("B")
    assert a.parameters["eta"].value == 0.084 and b.parameters["eta"].value == 0.15
    assert "set B" in b.parameters["beta"].provenance
    assert "unsettled" in b.parameters["beta"].provenance
    with pytest.raises(fl.errors.UnknownNameError, match="parameter set 'C'"):
        zoo.karin2019("C")


def half_life(model, age_days: float, pulse: float, span: float = 400.0) -> tuple[float, float]:
    """Half-life (days) of an extra burden ``pulse`` given at ``age_days``: the time for the
    excess over an unpulsed run to halve. Also returns the burden at that age."""
    t_eval = np.linspace(age_days, age_days + span, 40001)
    dose = [fl.Bolus("X", pulse, f"{age_days} day")]
    options = {"t_span": (0.0, age_days + span), "t_eval": t_eval, "rtol": 1e-10}
    pulsed = fl.simulate(model, schedule=dose, **options)
    plain = fl.simulate(model, **options)
    excess = pulsed["X"] - plain["X"]
    assert excess[0] == pytest.approx(pulse)
    i = int(np.flatnonzero(excess <= pulse / 2)[0])
    t_half = np.interp(pulse / 2, excess[i : i - 2 : -1], t_eval[i : i - 2 : -1])
    return float(t_half - age_days), float(plain["X"][0])


@pytest.mark.parametrize("parameter_set", ["A", "B"])
def test_karin_turnover_slows_with_age(parameter_set):
    model = zoo.karin2019(parameter_set)
    months = [3, 6, 12, 18]
    lives = [half_life(model, m * MONTH, pulse=0.1)[0] for m in months]
    print(
        f"\nKarin set {parameter_set}: half-life (days) of a 0.1 pulse at ages (months) "
        + ", ".join(f"{m}: {h:.2f}" for m, h in zip(months, lives, strict=True))
    )
    assert np.all(np.diff(lives) > 0), lives
    assert lives[0] < 7  # days when young
    assert lives[-1] > 14  # weeks when old


def test_karin_young_half_life_matches_the_linearised_removal_rate():
    # a small pulse decays at the linearised removal rate beta kappa / (kappa + X)^2
    p = PARAMETER_SETS["A"]
    measured, x = half_life(zoo.karin2019("A"), 3 * MONTH, pulse=0.01)
    linear = math.log(2) * (p["kappa"] + x) ** 2 / (p["beta"] * p["kappa"])
    print(
        f"\nKarin set A at 3 months: half-life of a 0.01 pulse {measured:.3f} days; "
        f"linearised ln2 (kappa + X)^2 / (beta kappa) = {linear:.3f} days (X = {x:.4f})"
    )
    # the burden keeps rising with age during the decay, so the half-life is a bit longer
    assert linear < measured < 1.1 * linear


# -- Al-Nuaimi et al. 2012 -------------------------------------------------------------
@pytest.fixture(scope="module")
def alnuaimi():
    return zoo.alnuaimi2012()


def crossings(t, x, level, up):
    d = x - level
    i = np.flatnonzero((d[:-1] < 0) & (d[1:] >= 0) if up else (d[:-1] >= 0) & (d[1:] < 0))
    return t[i] + (t[i + 1] - t[i]) * (level - x[i]) / (x[i + 1] - x[i])


def test_alnuaimi_defaults_give_relaxation_oscillations(alnuaimi):
    cycle = fl.find_cycle(alnuaimi, days=4000, transient=2000)
    assert cycle.oscillating
    period, low, high = cycle.period, cycle.low("x"), cycle.high("x")
    start = 3000.0
    run = fl.simulate(
        alnuaimi,
        t_span=(0, start + 2 * period),
        method="LSODA",
        rtol=1e-9,
        t_eval=np.linspace(start, start + 2 * period, 200001),
    )
    t, x = run.t, run["x"]
    plateau, trough = high / 2, 2 * low  # anagen: x >= max/2; telogen: x <= 2 min
    # one cycle from the start of a fall: high plateau -> fall -> low plateau -> rise
    fall_start = crossings(t, x, plateau, up=False)[0]
    fall_end = crossings(t, x, trough, up=False)[0]
    rise_start = crossings(t, x, trough, up=True)[0]
    rise_end = crossings(t, x, plateau, up=True)[0]
    next_fall = crossings(t, x, plateau, up=False)[1]
    fall, telogen = fall_end - fall_start, rise_start - fall_end
    rise, anagen = rise_end - rise_start, next_fall - rise_end
    assert fall + telogen + rise + anagen == pytest.approx(period, rel=1e-3)
    print(
        f"\nAl-Nuaimi defaults: period {period:.2f}, x in [{low:.4f}, {high:.4f}]; "
        f"anagen (x >= {plateau:.2f}) {anagen:.1f} ({anagen / period:.1%}), "
        f"fall to x <= {trough:.3f} {fall:.1f} ({fall / period:.1%}), "
        f"telogen {telogen:.1f} ({telogen / period:.1%}), rise {rise:.1f} "
        f"({rise / period:.1%})"
    )
    assert anagen > 0.75 * period  # a long high plateau
    assert fall < 0.1 * period and fall < anagen / 5  # a fast fall
    assert 0.03 * period < telogen < 0.15 * period  # a short low plateau
    assert telogen < anagen / 5
    assert rise < anagen / 5
    # relaxation: x drifts slowly on the plateau and drops fast
    speed = np.abs(np.gradient(x, t))
    assert speed.max() > 30 * np.median(speed[x >= plateau])


def test_alnuaimi_tau_rescales_time_only(alnuaimi):
    one = fl.find_cycle(alnuaimi, days=4000, transient=2000)
    two = fl.find_cycle(alnuaimi, {"tau": 2.0}, days=8000, transient=4000)
    assert two.period == pytest.approx(2 * one.period, rel=1e-3)
    assert two.high("x") == pytest.approx(one.high("x"), rel=1e-4)


def test_alnuaimi_defaults_are_bistable(alnuaimi):
    # a stable steady state (a focus) coexists with the relaxation cycle
    (state,) = fl.steady_states(alnuaimi)
    assert state.stability == "stable focus"
    near = state.as_dict() | {"x": state["x"] * 1.01}
    assert not fl.find_cycle(alnuaimi, initial=near, days=2000).oscillating
    assert fl.find_cycle(alnuaimi, days=2000).oscillating  # from the model's x = 0.5


@pytest.fixture(scope="module")
def p1_scan(alnuaimi):
    return fl.scan(alnuaimi, "p1", np.linspace(0.3, 1.2, 91))


def test_alnuaimi_p1_scan_finds_a_hopf_point_and_two_folds(p1_scan):
    found = [(b.kind, b.value) for b in p1_scan.bifurcations]
    print("\nAl-Nuaimi p1 scan:")
    for b in p1_scan.bifurcations:
        print(
            f"  {b!r} {b.criticality} at x = {b['x']:.4f}; cycles at -+{b.offset:.3g}: "
            f"{b.below!r}, {b.above!r}"
        )
    assert [kind for kind, _ in found] == ["hopf", "fold", "fold"]
    # measured values (docs/analysis.md); the tests below check that each is genuine
    assert [value for _, value in found] == pytest.approx([0.50655, 0.56708, 0.94421], abs=1e-4)
    # one S-shaped branch through both folds, from p1 = 0.3 to 1.2
    (branch,) = p1_scan.branches
    assert branch.parameter[0] == pytest.approx(0.3) and branch.parameter[-1] == pytest.approx(1.2)
    turns = np.flatnonzero(np.diff(np.sign(np.diff(branch.parameter))) != 0)
    assert len(turns) == 2


def test_alnuaimi_oscillation_is_born_at_a_subcritical_hopf_point(alnuaimi, p1_scan):
    hopf = p1_scan.hopf[0]
    assert hopf.criticality == "subcritical"
    delta = hopf.offset
    # genuine: the leading complex pair crosses the imaginary axis
    (before,) = fl.steady_states(alnuaimi, {"p1": hopf.value - delta})
    (after,) = fl.steady_states(alnuaimi, {"p1": hopf.value + delta})
    assert before.eigenvalues[0].real < 0 < after.eigenvalues[0].real
    assert abs(before.eigenvalues[0].imag) == pytest.approx(hopf.frequency, rel=0.05)
    assert (before.stability, after.stability) == ("stable focus", "saddle-focus")
    # as the scan claims: next to the focus below, no cycle; above, the large cycle
    assert not hopf.below.oscillating and hopf.above.oscillating
    near = before.as_dict() | {"x": before["x"] * 1.001}
    assert not fl.find_cycle(
        alnuaimi, {"p1": hopf.value - delta}, initial=near, days=3000
    ).oscillating
    cycle = fl.find_cycle(alnuaimi, {"p1": hopf.value + delta}, days=6000)
    assert cycle.oscillating
    assert cycle.period == pytest.approx(hopf.above.period, rel=0.01)
    assert cycle.high("x") > 10 * before["x"]  # a relaxation cycle, not a small one


def test_alnuaimi_oscillation_ends_at_the_fold_on_the_anagen_plateau(alnuaimi, p1_scan):
    fold = p1_scan.folds[0]
    delta = fold.offset
    # genuine: two steady states (a saddle and a stable node) appear at high x
    before = fl.steady_states(alnuaimi, {"p1": fold.value - delta})
    after = fl.steady_states(alnuaimi, {"p1": fold.value + delta})
    assert len(before) == 1 and len(after) == 3
    node = after[-1]
    assert node.stability == "stable node" and after[1].stability == "saddle"
    assert node["x"] > 4  # on the anagen plateau: the cycle stops in anagen
    # as the scan claims: a cycle below the fold, none above
    assert fold.below.oscillating and not fold.above.oscillating
    below = fl.find_cycle(alnuaimi, {"p1": fold.value - delta}, days=8000)
    assert below.oscillating
    assert below.period == pytest.approx(fold.below.period, rel=0.01)
    run = fl.simulate(alnuaimi, days=4000, params={"p1": fold.value + delta})
    assert run["x"][-1] == pytest.approx(node["x"], rel=1e-4)


def test_alnuaimi_period_grows_without_bound_towards_the_fold(alnuaimi, p1_scan):
    # the saddle-node appears on the cycle (SNIC): the period diverges at the fold
    fold = p1_scan.folds[0].value
    values = [0.48, 0.52, 0.55, 0.56]
    periods = [fl.find_cycle(alnuaimi, {"p1": p1}, days=14000).period for p1 in values]
    print(
        "\nAl-Nuaimi period vs p1: "
        + ", ".join(f"{p1}: {period:.1f}" for p1, period in zip(values, periods, strict=True))
    )
    assert np.all(np.diff(periods) > 0)
    assert periods[-1] > 5 * periods[0]
    # like (p_fold - p1)^(-1/2) as p1 -> p_fold
    ratio = periods[-1] / periods[-2]
    expected = math.sqrt((fold - values[-2]) / (fold - values[-1]))
    assert ratio == pytest.approx(expected, rel=0.2)


def test_alnuaimi_upper_fold_joins_the_low_and_middle_branches(alnuaimi, p1_scan):
    fold = p1_scan.folds[1]
    before = fl.steady_states(alnuaimi, {"p1": fold.value - fold.offset})
    after = fl.steady_states(alnuaimi, {"p1": fold.value + fold.offset})
    assert len(before) == 3 and len(after) == 1
    assert after[0].stability == "stable node" and after[0]["x"] > 5
    assert not fold.below.oscillating and not fold.above.oscillating


def test_the_shipped_repressilator_loads_and_oscillates():
    """The published repressilator (Elowitz & Leibler 2000, Benchmark-Models-PEtab) loads,
    its initial assignments follow their parameters, and GFP oscillates (period ~2.6 h)."""
    pytest.importorskip("libsbml")
    model = fl.sbml.load(zoo.SBML["Elowitz_Nature2000"], time_unit="minute")
    assert model.state_names[:3] == ("X_protein", "Y_protein", "Z_protein")
    minutes = np.linspace(0, 1000, 201)
    days = model.sbml.model_times(minutes)
    run = fl.simulate(model, t_span=(0, days[-1]), t_eval=days, params={"init_X_protein": 7.0})
    assert run["X_protein"][0] == pytest.approx(7.0 * model.parameters["cell"].value)
    gfp = run["GFP"]
    peaks = minutes[1:-1][(gfp[1:-1] > gfp[:-2]) & (gfp[1:-1] > gfp[2:])]
    assert len(peaks) >= 5
    assert 120 < np.diff(peaks[2:]).mean() < 200
