"""fl.sweep: designs are labelled and seeded, results do not depend on the executor (in
process, threads, processes, a two-worker Dask LocalCluster), planted failures are reported
exactly, and dose axes give what single simulations give."""

from __future__ import annotations

import functools
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
from _models import blow_up, decay, hill_feedback, one_compartment

import follicle as fl

ONSET = fl.readouts.CrossingTime("X", 2.0)


def test_a_grid_is_every_combination_in_c_order_and_results_take_its_shape():
    model = hill_feedback()
    res = fl.sweep(
        model,
        {"beta": [2.0, 3.0], "k_y": [0.5, 0.9, 1.5]},
        {"peak": fl.readouts.Peak("X"), "mean": fl.readouts.TimeAverage("Y")},
        days=10,
    )
    assert res.design.shape == (2, 3) and len(res) == 6
    np.testing.assert_array_equal(res.design.values[:, 0], [2, 2, 2, 3, 3, 3])
    np.testing.assert_array_equal(res.design.values[:, 1], [0.5, 0.9, 1.5] * 2)
    assert res["peak"].shape == (2, 3)
    one = fl.simulate(
        model, days=10, params={"beta": 3.0, "k_y": 0.9}, t_eval=np.linspace(0, 10, 10001)
    )
    assert res["mean"][1, 1] == pytest.approx(fl.readouts.time_average(one, "Y"), rel=1e-5)
    frame = res.to_pandas()
    assert list(frame.columns) == ["beta", "k_y", "peak", "mean", "status", "reason"]
    assert (frame["status"] == "ok").all()


def test_same_seed_same_samples_and_samples_stay_in_their_ranges():
    ranges = {"beta": (1.0, 4.0), "k_y": (0.5, 1.5)}
    a = fl.latin_hypercube(ranges, 50, seed=7)
    np.testing.assert_array_equal(a.values, fl.latin_hypercube(ranges, 50, seed=7).values)
    assert not np.array_equal(a.values, fl.latin_hypercube(ranges, 50, seed=8).values)
    # one sample in each of the 50 strata of every axis
    strata = np.floor((a.values - [1.0, 0.5]) / [3.0 / 50, 1.0 / 50]).astype(int)
    for column in strata.T:
        assert sorted(column) == list(range(50))
    s = fl.sobol(ranges, 64, seed=7)
    np.testing.assert_array_equal(s.values, fl.sobol(ranges, 64, seed=7).values)
    assert np.all((s.values >= [1.0, 0.5]) & (s.values <= [4.0, 1.5]))
    with pytest.raises(fl.FollicleError, match="powers of two"):
        fl.sobol(ranges, 50, seed=1)


def _planted():
    """Ten members; 2 and 7 are out of range, 4 and 8 blow up inside the span."""
    k = np.full(10, 0.2)
    k[[2, 7]] = [-1.0, 150.0]
    k[[4, 8]] = [1.0, 3.0]
    return fl.points({"k_auto": k})


def test_a_sweep_with_planted_failures_reports_exactly_those_and_completes():
    res = fl.sweep(blow_up(), _planted(), fl.readouts.ValueAt("X", 2.0), days=2, chunk_size=3)
    np.testing.assert_array_equal(res.failed, [2, 4, 7, 8])
    assert list(res.status[[2, 7]]) == ["invalid", "invalid"]
    assert list(res.status[[4, 8]]) == ["failed", "failed"]
    assert "'k_auto' = -1 is not in [0, 100]" in res.reason[2]
    ok = res.status == "ok"
    np.testing.assert_allclose(res["value:X"][ok], 1 / (1 - 2 * 0.2), rtol=1e-5)


def _sweep(executor):
    return fl.sweep(
        hill_feedback(),
        fl.latin_hypercube({"beta": (2, 4), "K_x": (0.5, 1)}, 12, seed=3),
        {"onset": ONSET, "mean": fl.readouts.TimeAverage("Y")},
        days=10,
        executor=executor,
        chunk_size=5,
        progress=False,
    )


@pytest.mark.parametrize("make", [lambda: ThreadPoolExecutor(2), lambda: ProcessPoolExecutor(2)])
def test_pools_give_the_in_process_answer_exactly(make):
    here = _sweep(None)
    with make() as pool:
        there = _sweep(pool)
    for name in here.readouts:
        np.testing.assert_array_equal(there.readouts[name], here.readouts[name])
    np.testing.assert_array_equal(there.status, here.status)


def test_a_two_worker_dask_local_cluster_gives_the_in_process_answer_exactly():
    from dask.distributed import Client, LocalCluster

    here = _sweep(None)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        there = _sweep(client)
    for name in here.readouts:
        np.testing.assert_array_equal(there.readouts[name], here.readouts[name])
    np.testing.assert_array_equal(there.status, here.status)


def _course(day, amount):
    return fl.repeat(fl.Bolus("drug", amount, day), every=1.0, times=3)


def test_dose_axes_give_what_single_simulations_give():
    model = one_compartment()
    spec = {"mean": fl.readouts.TimeAverage("drug"), "at": fl.readouts.ValueAt("drug", 6.0)}
    by_amount = fl.sweep(
        model, {"drug.amount": [1.0, 4.0]}, spec, days=8, schedule=_course(2.0, 1.0)
    )
    by_keyword = fl.sweep(
        model,
        {"day": [1.0, 2.5], "amount": [1.0, 4.0]},
        spec,
        days=8,
        schedule=functools.partial(_course),
    )
    grid_t = np.linspace(0, 8, 8001)
    for i, amount in enumerate([1.0, 4.0]):
        run = fl.simulate(model, days=8, schedule=_course(2.0, amount), t_eval=grid_t)
        assert by_amount.readouts["at"][i] == pytest.approx(run["drug"][6000], rel=1e-5)
    for (day, amount), at in zip(by_keyword.design.values, by_keyword.readouts["at"], strict=True):
        run = fl.simulate(model, days=8, schedule=_course(day, amount), t_eval=grid_t)
        assert at == pytest.approx(run["drug"][6000], rel=1e-5)


def test_a_negative_dose_makes_only_its_members_invalid():
    res = fl.sweep(
        one_compartment(),
        {"drug.amount": [1.0, -1.0, 2.0]},
        fl.readouts.ValueAt("drug", 3.0),
        days=4,
        schedule=_course(1.0, 1.0),
    )
    assert list(res.status) == ["ok", "invalid", "ok"]
    assert "negative" in res.reason[1]


def test_a_function_of_a_trajectory_is_a_readout_too():
    model = hill_feedback()
    res = fl.sweep(
        model,
        {"beta": [2.0, 3.0]},
        {
            "fn": functools.partial(fl.readouts.crossing_time, name="X", threshold=2.0),
            "spec": ONSET,
        },
        days=10,
    )
    np.testing.assert_allclose(res["fn"], res["spec"], rtol=1e-3)


def test_unknown_axes_are_refused_with_suggestions():
    with pytest.raises(fl.errors.UnknownNameError, match="beta"):
        fl.sweep(hill_feedback(), {"betaa": [1.0]}, ONSET, days=2)


def test_the_kernels_are_ready_before_the_progress_bar_starts(monkeypatch):
    """A first compilation happens before the batches are mapped (and their progress bar
    starts), so that it is not counted in the bar's rate."""
    import importlib

    from follicle import codegen

    sweep_module = importlib.import_module("follicle.sweep")  # the module, not fl.sweep

    model = decay(k=0.3)
    seen = []
    real = sweep_module.map_ordered

    def spy(fn, items, **kw):
        plan = fn.args[0].plan
        seen.append(getattr(codegen.loaded(plan.kernel), "ready", False))
        return real(fn, items, **kw)

    monkeypatch.setattr(sweep_module, "map_ordered", spy)
    monkeypatch.setattr(codegen, "_MODULES", {})  # as a new process: nothing loaded yet
    table = fl.sweep(model, {"k_deg": [0.2, 0.4]}, fl.readouts.ValueAt("X", 1.0), days=1)
    assert seen == [True]
    (values,) = table.readouts.values()
    np.testing.assert_allclose(values, np.exp(-np.array([0.2, 0.4])), rtol=1e-5)
