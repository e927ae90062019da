"""Robustness: every finding's direction holds for at least 90% of 100 seeded parameter
sets within +-20% of the defaults (each value clipped to its declared range).

Each set is checked with one simulation per treatment; doses are timed relative to the
set's own cycle (the refractory period, the first onset) so that a slower or faster cycle
is treated at the same phase as the defaults are. Each treatment runs as one ensemble
(:func:`follicle.simulate_ensemble`) over the 100 sets. The fractions are printed at the
end of the test session (see ``conftest.py``).
"""

from __future__ import annotations

import numpy as np
from follicle.models.readouts import anagen_ends, anagen_onsets, first_anagen_onset
from scipy.stats import qmc

import follicle as fl

from ._cycle import mean, regrowth_days

N_SETS = 100
SPREAD = 0.2
SEED = 20261121
REQUIRED = 0.9
#: Switches are set by schedules, not perturbed.
FIXED = ("induction",)
CACHE_KEY = "follicle/robustness"  # read by tests/conftest.py


def parameter_sets(model: fl.Model, n: int = N_SETS, seed: int = SEED) -> list[dict]:
    """Latin-hypercube sample of every parameter within +-SPREAD of its default, clipped."""
    names = [name for name in model.parameters if name not in FIXED]
    unit = qmc.LatinHypercube(d=len(names), seed=seed).random(n)
    factors = 1 - SPREAD + 2 * SPREAD * unit
    sets = []
    for row in factors:
        values = {}
        for name, factor in zip(names, row, strict=True):
            p = model.parameters[name]
            values[name] = float(np.clip(p.value * factor, *p.bounds))
        sets.append(values)
    return sets


def _runs(model, sets, days, schedules, **shared) -> list[fl.Trajectory]:
    """One simulation per set (its own schedule) as one ensemble, each kept as a
    trajectory on :func:`~follicle.simulate`'s output grid."""
    params = [{**values, **shared.get("params", {})} for values in sets]
    ens = fl.simulate_ensemble(
        model,
        days=days,
        params=params,
        initial=shared.get("initial"),
        schedules=schedules,
        t_eval=np.linspace(0, days, int(10 * days) + 1),
    )
    return [ens.member(i) for i in range(len(sets))]


def _half_lives(sets, age) -> np.ndarray:
    """Days for a small extra senescent burden in skin of ``age`` years to halve."""
    model = fl.models.compartment("senescence")
    own = [{k: v for k, v in values.items() if k in model.parameters} for values in sets]
    shared = {"params": {"age0": age}}
    base = _runs(model, own, 200, [[]] * len(sets), **shared)
    pulsed = _runs(model, own, 200, [[fl.Bolus("X", 0.1, 5)]] * len(sets), **shared)
    lives = []
    for b, p in zip(base, pulsed, strict=True):
        excess = p["X"] - b["X"]
        lives.append(p.t[np.flatnonzero((p.t > 5) & (excess < 0.05))[0]] - 5)
    return np.array(lives)


def directions(sets: list[dict]) -> dict[str, np.ndarray]:
    """Whether each finding's direction holds, for every parameter set.

    Every treatment runs as one ensemble over the sets, each with its doses timed by its
    own cycle.
    """
    model = fl.models.coupled()
    n = len(sets)

    def run(days, schedules, **shared):
        return _runs(model, sets, days, schedules, **shared)

    def each(schedule):
        return [list(schedule)] * n

    untreated = run(250, each([]))
    onset = np.array([first_anagen_onset(u) for u in untreated])
    competent = [v["tau_refractory"] for v in sets]  # follicles start in refractory telogen
    out = {}

    def cycles_regularly(u):
        starts, stops = anagen_onsets(u), anagen_ends(u)
        anagen = stops[: len(starts)] - starts[: len(stops)]
        return len(starts) >= 5 and bool(np.all((anagen > 10) & (anagen < 30)))

    out["F1"] = np.array([cycles_regularly(u) for u in untreated])

    def onsets(days, schedules):
        return np.array([first_anagen_onset(r) for r in run(days, schedules)])

    inducer = [[fl.models.dose("apoptosis_inducer", c + 3, 20)] for c in competent]
    out["F2"] = onsets(80, inducer) < onset
    wnt = [
        fl.models.course("wnt_inhibitor", c - 6, 2.0, every="2 day", times=6) for c in competent
    ]
    out["F3"] = onsets(80, wnt) > onset
    antiinfl = [fl.models.course("anti_inflammatory", c, 5.0, times=5) for c in competent]
    out["F4"] = onsets(80, antiinfl) < onset

    def means(runs, name, start, stop):
        return np.array([mean(r, name, start, stop) for r in runs])

    induced = run(120, each([fl.models.induce_senescence(0, 21)]))
    lasting = []
    for r in induced:
        peak_time, peak = fl.readouts.peak(r, "senescent_burden")
        lasting.append(fl.readouts.value_at(r, "senescent_burden", peak_time + 14) > 0.5 * peak)
    out["F5"] = (
        (means(induced, "proliferation", 21, 90) < means(untreated, "proliferation", 21, 90))
        & (means(induced, "telogen", 21, 90) > means(untreated, "telogen", 21, 90))
        & (means(induced, "fur_density", 42, 120) < means(untreated, "fur_density", 42, 120))
        & np.array(lasting)
    )
    senolytic_after = fl.models.course("senolytic", 28, 10.0, times=7)
    rescued = run(120, each([fl.models.induce_senescence(0, 21), *senolytic_after]))
    out["F6"] = means(rescued, "fur_density", 35, 120) > means(induced, "fur_density", 35, 120)

    old = run(150, each([]), **fl.models.aged_skin(1.5))
    out["F7"] = (_half_lives(sets, 0.25) < _half_lives(sets, 1.5)) & (
        means(old, "fur_density", 30, 150) < means(untreated, "fur_density", 30, 150)
    )

    senolytic = fl.models.course("senolytic", 0, 10.0, times=7)
    out["F8"] = onsets(80, [[*senolytic, *w] for w in wnt]) > onsets(80, each(senolytic))

    # F9: a chemotherapy pulse in early anagen of each set's own first cycle. The runs
    # need a common span: the latest pulse plus 120 days.
    pulse = onset + 4
    days = float(np.ceil(pulse.max())) + 120
    chemo = [[fl.models.dose("chemotherapy", t, 150.0)] for t in pulse]
    hit = run(days, chemo)
    spared = run(days, chemo, params={"k_chemo_senescence": 0.0})
    treated = run(
        days,
        [
            [*c, *fl.models.course("senolytic", t + 3, 5.0, times=7)]
            for c, t in zip(chemo, pulse, strict=True)
        ],
    )
    f9 = []
    for i, t in enumerate(pulse):
        control = untreated[i]  # 250 days: longer than every pulse + 120
        window = (hit[i].t >= t) & (hit[i].t <= t + 30)
        shed = hit[i]["fur_density"][window] < 0.5 * np.interp(
            hit[i].t[window], control.t, control["fur_density"]
        )
        slow = regrowth_days(hit[i], control, t, t + 120)
        f9.append(
            shed.any()
            and regrowth_days(spared[i], control, t, t + 120) < slow
            and regrowth_days(treated[i], control, t, t + 120) < slow
        )
    out["F9"] = np.array(f9)
    return out


def test_each_finding_holds_in_most_parameter_sets(request):
    held = directions(parameter_sets(fl.models.coupled()))
    fractions = {key: float(np.mean(values)) for key, values in held.items()}
    if hasattr(request.config, "cache"):  # not with -p no:cacheprovider
        request.config.cache.set(CACHE_KEY, fractions)
    print("robustness:", fractions)
    weak = {key: f for key, f in fractions.items() if f < REQUIRED}
    assert not weak, f"findings holding in fewer than {REQUIRED:.0%} of sets: {weak}"
