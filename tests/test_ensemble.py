"""simulate_ensemble: every member equals its own simulate() run within the tolerance, for
random parameter sets and schedules; readouts computed on the fly equal the readout
functions on the trajectory; a failing or invalid member is reported and the rest goes on."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import sympy as sp
from _models import blow_up, decay, hill_feedback, logistic, logistic_exact, one_compartment

import follicle as fl
from follicle.solvers.sparse_lu import SparseLU

RTOL = 1e-8
DAYS = 20.0
T = np.linspace(0.0, DAYS, 81)


def random_members(model, rng, size):
    """Parameters within +-30 % of the defaults (clipped to the ranges), and a schedule of
    boluses, an infusion and a parameter step per member, all seeded."""
    params = []
    schedules = []
    for _ in range(size):
        row = {}
        for name, par in model.parameters.items():
            low, high = par.bounds
            row[name] = float(np.clip(par.value * rng.uniform(0.7, 1.3), low, high))
        params.append(row)
        start = float(rng.uniform(0.0, DAYS - 2))
        schedules.append(
            [
                *fl.repeat(
                    fl.Bolus("X", float(rng.uniform(0.1, 3.0)), float(rng.uniform(0, 10))),
                    every=float(rng.uniform(1, 4)),
                    times=int(rng.integers(1, 4)),
                ),
                fl.Infusion("Y", float(rng.uniform(0.1, 1.0)), start, start + rng.uniform(0.5, 5)),
                fl.ParameterStep("k_y", float(rng.uniform(0.2, 2.0)), float(rng.uniform(0, DAYS))),
                fl.Bolus("W", 10.0, 0.0) if rng.random() < 0.5 else fl.Bolus("W", 5.0, DAYS),
            ]
        )
    return params, schedules


@pytest.mark.parametrize("seed", [1, 2])
def test_members_equal_single_simulations_under_random_parameters_and_schedules(seed):
    model = hill_feedback()
    rng = np.random.default_rng(seed)
    params, schedules = random_members(model, rng, 6)
    ens = fl.simulate_ensemble(
        model, days=DAYS, params=params, schedules=schedules, t_eval=T, rtol=RTOL
    )
    assert list(ens.status) == ["ok"] * 6
    for i in range(6):
        one = fl.simulate(
            model, days=DAYS, params=params[i], schedule=schedules[i], t_eval=T, rtol=RTOL
        )
        member = ens.member(i)
        assert member.stats.segments == one.stats.segments
        for name in one.names:
            scale = 1.0 if name not in model.states else model.states[name].scale
            np.testing.assert_allclose(
                member[name],
                one[name],
                rtol=1e-5,
                atol=1e-5 * scale,
                err_msg=f"member {i}, {name}",
            )


def test_a_member_follows_the_closed_form_to_the_tolerance():
    model = logistic()
    r = np.array([0.2, 0.8, 2.0, 5.0])
    ens = fl.simulate_ensemble(model, days=10, params={"r": r}, t_eval=T / 2, rtol=1e-9)
    for i, ri in enumerate(r):
        exact = logistic_exact(T / 2, ri, 1000.0, 10.0)
        np.testing.assert_allclose(ens.member(i)["N"], exact, rtol=2e-7)


def test_readouts_on_the_fly_equal_the_readout_functions_on_a_fine_trajectory():
    model = hill_feedback()
    readouts = {
        "up": fl.readouts.CrossingTime("X", 2.0, direction="up"),
        "down": fl.readouts.CrossingTime("Y", 1.0, direction="down", start=3.0),
        "never": fl.readouts.CrossingTime("X", 1e6),
        "mean": fl.readouts.TimeAverage("activity", start=5.0, stop=15.0),
        "at": fl.readouts.ValueAt("W", 7.25),
        "peak": fl.readouts.Peak("X", stop=12.0),
        "when": fl.readouts.Peak("X", stop=12.0, what="time"),
    }
    beta = np.array([2.0, 3.0, 4.5])
    schedule = [fl.Bolus("X", 1.5, 4.0)]
    ens = fl.simulate_ensemble(
        model, days=DAYS, params={"beta": beta}, schedule=schedule, readouts=readouts, rtol=RTOL
    )
    assert ens.values is None  # nothing but the readouts was kept
    fine = np.linspace(0.0, DAYS, 20001)
    for i, b in enumerate(beta):
        run = fl.simulate(
            model, days=DAYS, params={"beta": b}, schedule=schedule, t_eval=fine, rtol=RTOL
        )
        for name, spec in readouts.items():
            expected, got = spec(run), ens.readouts[name][i]
            if np.isnan(expected):
                assert np.isnan(got), name
            else:
                # Times from the grid are as good as its spacing (1e-3 day); a dose that
                # crosses the threshold at once is found exactly on the fly. The time of a
                # smooth maximum is ill-conditioned: on the fly it is the best of five points
                # per step.
                resolution = {"up": 1e-3, "down": 1e-3, "when": 1e-2}.get(name, 1e-6)
                assert got == pytest.approx(expected, rel=1e-5, abs=resolution), name


def test_a_blowing_up_member_fails_with_its_reason_and_the_others_finish():
    model = blow_up()
    k = np.array([0.1, 1.0, 0.2, 2.0])  # blow-up at t = 1/k: inside [0, 2] for 1.0 and 2.0
    ens = fl.simulate_ensemble(
        model, days=2, params={"k_auto": k}, readouts={"end": fl.readouts.ValueAt("X", 2.0)}
    )
    assert list(ens.status) == ["ok", "failed", "ok", "failed"]
    assert all(isinstance(r, str) and "t = " in r for r in ens.reason[[1, 3]])
    np.testing.assert_allclose(ens.readouts["end"][[0, 2]], 1 / (1 - 2 * k[[0, 2]]), rtol=1e-5)
    assert np.isnan(ens.readouts["end"][[1, 3]]).all()


def test_invalid_members_are_reported_by_parameter_and_range_and_not_integrated():
    model = hill_feedback()
    ens = fl.simulate_ensemble(
        model,
        days=5,
        params={"beta": [3.0, -1.0, np.nan, 200.0]},
        initial={"X": [1.0, 1.0, 1.0, -2.0]},
        readouts=fl.readouts.ValueAt("X", 5.0),
    )
    assert list(ens.status) == ["ok", "invalid", "invalid", "invalid"]
    assert "'beta' = -1 is not in [0, 100] nM/day" in ens.reason[1]
    assert "'beta' = nan" in ens.reason[2]
    assert "'beta' = 200" in ens.reason[3]
    assert np.isfinite(ens.readouts["readout"][0])
    assert np.isnan(ens.readouts["readout"][1:]).all()
    assert (ens.steps[1:] == 0).all()


def test_misspelt_names_fail_the_whole_call():
    with pytest.raises(fl.errors.UnknownNameError, match="beta"):
        fl.simulate_ensemble(hill_feedback(), days=5, params={"betta": [1.0, 2.0]})
    with pytest.raises(fl.errors.UnknownNameError, match="activity"):
        fl.simulate_ensemble(hill_feedback(), days=5, readouts=fl.readouts.ValueAt("activty", 1.0))


def test_ensembles_pickle_and_are_read_only():
    ens = fl.simulate_ensemble(
        logistic(), days=2, params={"r": [0.5, 1.0]}, readouts=fl.readouts.ValueAt("N", 1.0)
    )
    again = pickle.loads(pickle.dumps(ens))
    np.testing.assert_array_equal(again.readouts["readout"], ens.readouts["readout"])
    with pytest.raises(ValueError, match="read-only"):
        again.readouts["readout"][0] = 1.0


def test_the_sparse_lu_solves_like_a_dense_solve():
    model = fl.models.coupled()
    compiled = model.compiled
    lu = SparseLU(compiled.n_states, compiled.jac_rows, compiled.jac_cols)
    rng = np.random.default_rng(3)
    y = model.initial_vector()[:, None] * rng.uniform(0.5, 1.5, (compiled.n_states, 3))
    p = np.repeat(model.parameter_vector()[:, None], 3, axis=1)
    jac = compiled.jac(0.0, y, p)
    w = np.zeros((lu.nnz, 3))
    w[lu.jac_positions] = -compiled.jac_values(0.0, y, p)
    w[lu.diagonal] += 4.0 / 0.7
    b = rng.normal(size=(compiled.n_states, 3))
    x = b.copy()
    lu.factor(w)
    lu.solve(w, x)
    for m in range(3):
        dense = 4.0 / 0.7 * np.eye(compiled.n_states) - jac[:, :, m]
        np.testing.assert_allclose(dense @ x[:, m], b[:, m], atol=1e-10)
    assert lu.nnz < 1.2 * (len(compiled.jac_rows) + compiled.n_states)  # little fill-in


def test_coupled_model_members_equal_single_simulations():
    model = fl.models.coupled()
    rng = np.random.default_rng(5)
    names = ["k_CA", "tau_anagen", "p_W", "k_act", "d_W"]
    params = [
        {n: model.parameters[n].value * rng.uniform(0.8, 1.2) for n in names} for _ in range(2)
    ]
    schedules = [
        fl.models.course(
            "wnt_inhibitor",
            start=float(rng.uniform(5, 15)),
            amount=float(rng.uniform(0.5, 4)),
            every="2 day",
            times=3,
        ),
        [fl.models.dose("apoptosis_inducer", day=21, amount="20 mg/kg")],
    ]
    t = np.linspace(0.0, 40.0, 41)
    ens = fl.simulate_ensemble(
        model,
        days=40,
        params=params,
        schedules=schedules,
        t_eval=t,
        readouts={"onset": fl.models.anagen_onset},
    )
    for i in range(2):
        one = fl.simulate(model, days=40, params=params[i], schedule=schedules[i], t_eval=t)
        for name in ("anagen", "M", "M_ap", "W", "S", "D_wnt", "D_apo"):
            np.testing.assert_allclose(
                ens.member(i)[name], one[name], rtol=1e-4, atol=1e-7, err_msg=f"member {i}, {name}"
            )
        fine = fl.simulate(
            model,
            days=40,
            params=params[i],
            schedule=schedules[i],
            t_eval=np.linspace(0, 40, 4001),
        )
        assert ens.readouts["onset"][i] == pytest.approx(fl.models.anagen_onset(fine), rel=1e-4)


#: One readout of each kind, on a state and on an observable, some with windows.
EVERY_KIND = {
    "up": fl.readouts.CrossingTime("X", 2.0),
    "down_late": fl.readouts.CrossingTime("activity", 1.5, direction="down", start=5, stop=18),
    "at": fl.readouts.ValueAt("Y", 7.3),
    "mean": fl.readouts.TimeAverage("W", start=2, stop=12),
    "top": fl.readouts.Peak("activity", what="time"),
}


@pytest.mark.parametrize(
    "readouts, t_eval",
    [
        ({k: EVERY_KIND[k] for k in ("up", "down_late", "at")}, None),  # stops at events only
        (EVERY_KIND, None),  # averages and peaks see every step
        ({"up": EVERY_KIND["up"]}, T),  # and every output time
    ],
    ids=["events", "every-step", "time-courses"],
)
def test_the_retired_numpy_backend_warns_and_runs_the_one_integrator(readouts, t_eval):
    # backend="numpy" stepped the batch with a second copy of the method; it is gone, and
    # old calls get the compiled integrator's very steps and readouts, with a warning.
    model = hill_feedback()
    rng = np.random.default_rng(4)
    params, schedules = random_members(model, rng, 6)
    kw = dict(days=DAYS, params=params, schedules=schedules, t_eval=t_eval, readouts=readouts)
    with pytest.warns(DeprecationWarning, match="backend='numpy' is deprecated"):
        old = fl.simulate_ensemble(model, backend="numpy", **kw)
    new = fl.simulate_ensemble(model, **kw)
    np.testing.assert_array_equal(old.steps, new.steps)
    np.testing.assert_array_equal(old.rejected, new.rejected)
    assert all(new.status == "ok")
    for name in readouts:
        assert np.isfinite(new.readouts[name]).any(), name  # the readouts are not all nan
        np.testing.assert_array_equal(old.readouts[name], new.readouts[name])


def test_the_backend_is_checked():
    model = hill_feedback()
    with pytest.raises(fl.FollicleError, match="backend must be one of"):
        fl.simulate_ensemble(model, days=1, backend="fortran")


# -- edge cases found by reviewing the compiled loop against the (retired) NumPy step -----
BACKENDS = ("numba",)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_value_at_the_exact_end_of_a_step_is_recorded(backend):
    # All states start at zero, so the first step is Hairer's fallback of 1e-6 day and
    # ends exactly at the readout's time: dX/dt = 1 gives X = t there.
    ens = fl.simulate_ensemble(
        one_compartment(),
        days=5,
        schedule=[fl.Infusion("drug", 1.0, 0.0, 3.0)],
        readouts=fl.readouts.ValueAt("drug", 1e-6),
        backend=backend,
    )
    assert ens.readouts["readout"][0] == pytest.approx(1e-6, rel=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_readout_of_a_failed_member_is_nan(backend):
    # X = 1 / (1 - k t) crosses 3 at t = 2/(3k) and blows up at 1/k: k = 1 and 2 fail
    # within 2 days after crossing, k = 0.1 and 0.2 never fail.
    ens = fl.simulate_ensemble(
        blow_up(),
        days=2,
        params={"k_auto": [0.1, 1.0, 0.2, 2.0]},
        readouts={
            "cross": fl.readouts.CrossingTime("X", 1.1),
            "at": fl.readouts.ValueAt("X", 0.25),
            "mean": fl.readouts.TimeAverage("X"),
            "top": fl.readouts.Peak("X"),
        },
        backend=backend,
    )
    assert list(ens.status) == ["ok", "failed", "ok", "failed"]
    for name, values in ens.readouts.items():
        assert np.isnan(values[[1, 3]]).all(), name
        assert np.isfinite(values[[0, 2]]).all(), name
    assert ens.readouts["cross"][0] == pytest.approx(1 / 0.1 * (1 - 1 / 1.1), rel=1e-5)


def test_a_model_whose_rates_do_not_depend_on_its_states_runs_compiled():
    # No Jacobian entries at all: dX/dt = -k, so X(3) = 1 - 3k.
    m = fl.Module("zero_order")
    x = m.state("X", unit="nM", initial=1.0)
    k = m.parameter("k", 0.1, "nM/day", bounds=(0, 100), provenance="assumed: test")
    m.rate(x, -k, label="zero-order removal")
    ens = fl.simulate_ensemble(
        fl.Model("zero_order", [m]),
        days=3,
        readouts=fl.readouts.ValueAt("X", 3.0),
        backend="numba",
    )
    assert ens.readouts["readout"][0] == pytest.approx(0.7, rel=1e-9)


def test_a_rate_switched_on_at_a_breakpoint_belongs_to_the_next_segment():
    # A source H(t - T) switched on exactly at a dose's time T: before T, X decays from 1
    # at rate 1e-3/day. T was found by scanning for a step whose end, ta + (T - ta), rounds
    # short of T, where the slope taken at the breakpoint itself saw the source.
    m = fl.Module("switch")
    x = m.state("X", unit="nM", initial=1.0)
    k = m.parameter("k", 1e-3, "1/day", bounds=(0, 100), provenance="assumed: test")
    src = m.parameter("src", 50.0, "nM/day", bounds=(0, 1000), provenance="assumed: test")
    on = m.parameter("T_on", 5.0, "day", bounds=(0, 100), provenance="assumed: test")
    m.rate(x, -k * x, label="decay")
    m.rate(x, src * sp.Heaviside(fl.t - on), label="switched source")
    T = 3.455522672431776
    for backend in BACKENDS:
        ens = fl.simulate_ensemble(
            fl.Model("switch", [m]),
            days=12,
            params={"T_on": T},
            schedule=[fl.Bolus("X", 0.5, T)],
            readouts={
                "v": fl.readouts.ValueAt("X", 0.9 * T),
                "avg": fl.readouts.TimeAverage("X", start=0.0, stop=T),
            },
            backend=backend,
        )
        assert ens.readouts["v"][0] == pytest.approx(np.exp(-1e-3 * 0.9 * T), rel=1e-6), backend
        exact_mean = (1 - np.exp(-1e-3 * T)) / (1e-3 * T)
        assert ens.readouts["avg"][0] == pytest.approx(exact_mean, rel=1e-6), backend


@pytest.mark.parametrize("backend", BACKENDS)
def test_members_stop_when_their_readouts_are_final_and_no_readout_changes(backend):
    # Every readout here is final before the end (a crossing once found, a value once its
    # time is passed, an average once its window is): members stop there. An output grid
    # keeps every member running to the end; the readouts must not move.
    model = hill_feedback()
    rng = np.random.default_rng(7)
    params, schedules = random_members(model, rng, 6)
    readouts = {k: EVERY_KIND[k] for k in ("up", "down_late", "at", "mean")}
    runs = [
        fl.simulate_ensemble(
            model,
            days=DAYS,
            params=params,
            schedules=schedules,
            t_eval=t_eval,
            backend=backend,
            readouts=readouts,
        )
        for t_eval in (None, [0.0, DAYS])
    ]
    stopped, full = runs
    assert all(stopped.status == "ok") and all(full.status == "ok")
    for name in readouts:
        assert np.isfinite(full.readouts[name]).any(), name
        np.testing.assert_array_equal(stopped.readouts[name], full.readouts[name], err_msg=name)
    assert (stopped.steps <= full.steps).all()
    assert stopped.steps.sum() < full.steps.sum()  # some member did stop early


def test_simulate_computes_the_readouts_of_an_ensemble_member_on_the_fly():
    model = hill_feedback()
    readouts = {
        "up": fl.readouts.CrossingTime("X", 2.0, direction="up"),
        "mean": fl.readouts.TimeAverage("activity", start=5.0, stop=15.0),
        "at": fl.readouts.ValueAt("W", 7.25),
        "when": fl.readouts.Peak("X", stop=12.0, what="time"),
    }
    schedule = [fl.Bolus("X", 1.5, 4.0)]
    ens = fl.simulate_ensemble(
        model, days=DAYS, params={"beta": [3.0]}, schedule=schedule, readouts=readouts, rtol=RTOL
    )
    run = fl.simulate(
        model, days=DAYS, params={"beta": 3.0}, schedule=schedule, readouts=readouts, rtol=RTOL
    )
    for name, spec in readouts.items():
        # The same steps and the same reduction: equal to round-off, not to the tolerance.
        assert run.readout(name) == pytest.approx(ens.readouts[name][0], rel=1e-12), name
        # The readout called on the trajectory interpolates the 0.1-day output grid.
        assert spec(run) == pytest.approx(run.readout(name), rel=1e-2, abs=0.05), name
    with pytest.raises(fl.errors.UnknownNameError, match="readout"):
        run.readout("onset")
    one = fl.simulate(
        model, days=DAYS, params={"beta": 3.0}, schedule=schedule, readouts=readouts["up"],
        rtol=RTOL,
    )  # fmt: skip
    assert dict(one.readouts) == {"readout": run.readout("up")}  # one readout, named so


def test_a_simulated_crossing_readout_is_the_closed_form_to_the_tolerance():
    run = fl.simulate(decay(0.5), days=10, readouts=fl.readouts.CrossingTime("X", 0.5, "down"))
    assert run.readout("readout") == pytest.approx(math.log(2) / 0.5, rel=1e-5)


def test_a_plain_function_as_an_on_the_fly_readout_is_refused_with_what_to_do():
    with pytest.raises(fl.errors.FollicleError, match="on the run simulate returns"):
        fl.simulate(decay(0.5), days=10, readouts={"last": lambda run: run["X"][-1]})


def test_readouts_are_refused_by_scipys_methods_by_name():
    with pytest.raises(fl.errors.FollicleError, match="BDF"):
        fl.simulate(decay(0.5), days=10, readouts=fl.readouts.ValueAt("X", 1.0), method="BDF")


def test_a_dose_at_the_first_time_is_part_of_the_initial_state_not_a_crossing():
    model, dose = decay(0.5), [fl.Bolus("X", 2.0, 0.0)]
    onset = fl.readouts.CrossingTime("X", 2.0)  # X jumps from 1 to 3 at t = 0
    ens = fl.simulate_ensemble(model, days=5, schedule=dose, readouts=onset)
    run = fl.simulate(model, days=5, schedule=dose, readouts=onset)
    assert math.isnan(ens.readouts["readout"][0]) and math.isnan(run.readout("readout"))
    assert math.isnan(onset(run))  # the trajectory's first output is after the dose too
    peak = fl.simulate(model, days=5, schedule=dose, readouts=fl.readouts.Peak("X"))
    assert peak.readout("readout") == pytest.approx(3.0)


def test_a_terminal_event_leaves_readouts_it_cut_short_not_observed():
    halt = fl.Threshold("X", 0.5, direction="down", terminal=True)  # at ln 2 / 0.5 = 1.386
    readouts = {
        "mean": fl.readouts.TimeAverage("X"),  # over [0, 10]: not reached
        "early mean": fl.readouts.TimeAverage("X", stop=1.0),
        "late": fl.readouts.ValueAt("X", 5.0),
        "crossing": fl.readouts.CrossingTime("X", 0.7, direction="down"),
    }
    run = fl.simulate(decay(0.5), days=10, events=[halt], readouts=readouts, rtol=1e-8)
    assert math.isnan(run.readout("mean")) and math.isnan(run.readout("late"))
    assert run.readout("early mean") == pytest.approx(2 * (1 - math.exp(-0.5)), rel=1e-6)
    assert run.readout("crossing") == pytest.approx(2 * math.log(1 / 0.7), rel=1e-6)
