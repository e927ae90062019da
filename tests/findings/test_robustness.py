"""Robustness: every finding's direction holds for at least 90% of 100 seeded parameter
sets within +-20% of the defaults (each value clipped to its declared range).

Each set is checked with one cheap simulation per treatment; doses are timed relative to
the set's own cycle (the refractory period, the first onset) so that a slower or faster
cycle is treated at the same phase as the defaults are. The fractions are printed at the
end of the test session (see ``conftest.py``).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
from follicle.models.readouts import anagen_ends, anagen_onsets, first_anagen_onset
from scipy.stats import qmc

import follicle as fl
from follicle.executors import map_ordered

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


def _half_life(values, age):
    """Days for a small extra senescent burden in skin of ``age`` years to halve."""
    model = fl.models.compartment("senescence")
    own = {k: v for k, v in values.items() if k in model.parameters}
    model = model.with_defaults(**{**own, "age0": age})
    base = fl.simulate(model, days=200)
    pulsed = fl.simulate(model, days=200, schedule=[fl.Bolus("X", 0.1, 5)])
    excess = pulsed["X"] - base["X"]
    return pulsed.t[np.flatnonzero((pulsed.t > 5) & (excess < 0.05))[0]] - 5


def directions(values: dict) -> dict[str, bool]:
    """Whether each finding's direction holds for one parameter set."""
    model = fl.models.coupled().with_defaults(**values)

    def run(days, *schedule, **options):
        return fl.simulate(model, days=days, schedule=list(schedule), **options)

    untreated = run(250)
    onset = first_anagen_onset(untreated)
    competent = values["tau_refractory"]  # follicles start in refractory telogen
    out = {}

    starts, stops = anagen_onsets(untreated), anagen_ends(untreated)
    anagen = stops[: len(starts)] - starts[: len(stops)]
    out["F1"] = len(starts) >= 5 and bool(np.all((anagen > 10) & (anagen < 30)))

    out["F2"] = (
        first_anagen_onset(run(80, fl.models.dose("apoptosis_inducer", competent + 3, 20))) < onset
    )
    wnt = fl.models.course("wnt_inhibitor", competent - 6, 2.0, every="2 day", times=6)
    out["F3"] = first_anagen_onset(run(80, *wnt)) > onset
    antiinfl = fl.models.course("anti_inflammatory", competent, 5.0, times=5)
    out["F4"] = first_anagen_onset(run(80, *antiinfl)) < onset

    induced = run(120, fl.models.induce_senescence(0, 21))
    peak_time, peak = fl.readouts.peak(induced, "senescent_burden")
    out["F5"] = (
        mean(induced, "proliferation", 21, 90) < mean(untreated, "proliferation", 21, 90)
        and mean(induced, "telogen", 21, 90) > mean(untreated, "telogen", 21, 90)
        and mean(induced, "fur_density", 42, 120) < mean(untreated, "fur_density", 42, 120)
        and fl.readouts.value_at(induced, "senescent_burden", peak_time + 14) > 0.5 * peak
    )
    rescued = run(
        120, fl.models.induce_senescence(0, 21), *fl.models.course("senolytic", 28, 10.0, times=7)
    )
    out["F6"] = mean(rescued, "fur_density", 35, 120) > mean(induced, "fur_density", 35, 120)

    old = run(150, **fl.models.aged_skin(1.5))
    out["F7"] = _half_life(values, 0.25) < _half_life(values, 1.5) and mean(
        old, "fur_density", 30, 150
    ) < mean(untreated, "fur_density", 30, 150)

    senolytic = fl.models.course("senolytic", 0, 10.0, times=7)
    out["F8"] = first_anagen_onset(run(80, *senolytic, *wnt)) > first_anagen_onset(
        run(80, *senolytic)
    )

    pulse = onset + 4  # early anagen of the set's own first cycle
    chemo = fl.models.dose("chemotherapy", pulse, 150.0)
    hit = run(pulse + 120, chemo)
    spared = fl.simulate(
        model.with_defaults(k_chemo_senescence=0.0), days=pulse + 120, schedule=[chemo]
    )
    treated = run(pulse + 120, chemo, *fl.models.course("senolytic", pulse + 3, 5.0, times=7))
    window = (hit.t >= pulse) & (hit.t <= pulse + 30)
    shed = hit["fur_density"][window] < 0.5 * np.interp(
        hit.t[window], untreated.t, untreated["fur_density"]
    )
    slow = regrowth_days(hit, untreated, pulse, pulse + 120)
    out["F9"] = bool(
        shed.any()
        and regrowth_days(spared, untreated, pulse, pulse + 120) < slow
        and regrowth_days(treated, untreated, pulse, pulse + 120) < slow
    )
    return out


def test_each_finding_holds_in_most_parameter_sets(request):
    sets = parameter_sets(fl.models.coupled())
    with ProcessPoolExecutor(2) as pool:
        results = map_ordered(directions, sets, executor=pool)
    fractions = {key: float(np.mean([r[key] for r in results])) for key in results[0]}
    if hasattr(request.config, "cache"):  # not with -p no:cacheprovider
        request.config.cache.set(CACHE_KEY, fractions)
    print("robustness:", fractions)
    weak = {key: f for key, f in fractions.items() if f < REQUIRED}
    assert not weak, f"findings holding in fewer than {REQUIRED:.0%} of sets: {weak}"
