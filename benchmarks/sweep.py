"""Sweep and ensemble benchmarks against libRoadRunner running our SBML export (issue 5).

Model: the coupled model (:func:`follicle.models.coupled`) under a 120-day dosing scenario
(the macrophage-targeted WNT inhibitor course of the ``macrophage_wnt_inhibition``
scenario, simulated for 120 days). Readout: the first anagen onset, the anagen fraction
crossing 0.5 upwards (:data:`follicle.models.anagen_onset`, as in
``tests/findings/_cycle.py``). libRoadRunner integrates the SBML export with CVODE at the
same tolerances (rtol 1e-7, atol 1e-9 times each state's scale, per state) on a 0.1-day
output grid, and its onset is located on the cubic through the four grid points around the
crossing; follicle locates it on its step interpolant.

Parameter sets: a seeded Latin hypercube within +-20 % of the defaults of five parameters
(clipped to their declared ranges). Each benchmark prints both times and the ratio
(libRoadRunner time / follicle time: above 1 means follicle is faster).

Run ``make bench`` or, for single-core numbers, ``taskset -c 0 python benchmarks/sweep.py``.
Options: ``--members`` (default 10,000), ``--peer-members`` (members libRoadRunner runs,
default 1,000; its time per member is constant, so the ratio uses per-member times),
``--scaling`` (member counts of the scaling runs), ``--dask`` (members of the Dask run);
0 or an empty list skips a part. Run the Dask part without ``taskset``, which would pin its
workers to the same core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import roadrunner

import follicle as fl
from follicle import compile as fl_compile

DAYS = 120.0
AXES = ("k_CA", "tau_anagen", "p_W", "k_act", "d_W")
SEED = 20261121
#: Both tools' relative tolerance (``--rtol``). At 1e-6 a few members whose anagen fraction
#: crosses 0.5 almost tangentially (slope ~2e-3 per day) amplify libRoadRunner's state error
#: to a 1e-4 difference in onset; at 1e-7 both agree to 2e-5.
RTOL = 1e-7


def scenario_schedule():
    return fl.models.scenario("macrophage_wnt_inhibition").schedule


def design(model, n):
    ranges = {}
    for name in AXES:
        low, high = model.parameters[name].bounds
        value = model.parameters[name].value
        ranges[name] = (max(low, 0.8 * value), min(high, 1.2 * value))
    return fl.latin_hypercube(ranges, n, seed=SEED)


def run_sweep(model, members, **options):
    return fl.sweep(
        model,
        members,
        fl.models.anagen_onset,
        days=DAYS,
        schedule=scenario_schedule(),
        rtol=RTOL,
        **options,
    )


class Peer:
    """libRoadRunner on the SBML export, one member at a time."""

    def __init__(self, model):
        self.text = fl.sbml.export(model, scenario_schedule())
        self.ids = fl.sbml.sbml_ids(model)
        self.model = model
        self.rr = self.load()

    def load(self):
        rr = roadrunner.RoadRunner(self.text)
        integrator = rr.getIntegrator()
        integrator.setValue("relative_tolerance", RTOL)
        integrator.setValue("maximum_num_steps", 10**6)
        for name, state in self.model.states.items():
            integrator.setIndividualTolerance(self.ids[name], 1e-9 * state.scale)
        return rr

    def onset(self, values: dict[str, float]) -> float:
        rr = self.rr
        rr.resetAll()
        for name, value in values.items():
            rr[self.ids[name]] = value
        out = rr.simulate(0.0, DAYS, int(DAYS * 10) + 1, selections=["time", self.ids["anagen"]])
        t, a = out[:, 0], out[:, 1]
        i = np.flatnonzero((a[:-1] < 0.5) & (a[1:] >= 0.5))
        if not i.size:
            return np.nan
        return _cubic_crossing(t, a - 0.5, int(i[0]))


def _cubic_crossing(t, g, i):
    """Where ``g`` crosses zero between ``t[i]`` and ``t[i + 1]``, from the cubic through the
    four grid points around them (linear interpolation errs by 1e-4 where the crossing is
    nearly tangential)."""
    lo = min(max(i - 1, 0), len(t) - 4)
    tt, gg = t[lo : lo + 4], g[lo : lo + 4]
    roots = np.roots(np.polyfit(tt - t[i], gg, 3)) + t[i]
    real = roots[(np.abs(roots.imag) < 1e-12) & (roots.real >= t[i]) & (roots.real <= t[i + 1])]
    if real.size:
        return float(real.real.min())
    return float(t[i] + (t[i + 1] - t[i]) * (-g[i]) / (g[i + 1] - g[i]))


#: Every comparison printed, for ``--json`` (times in seconds).
RESULTS: list[dict] = []
#: The issue's targets for the ratio (libRoadRunner time / follicle time).
TARGETS = {
    "sweep, time per member (numba step)": 1.0,
    "one simulation, simulate_ensemble (1 member), median of 5": 1 / 3,
}


def line(what, ours, peer, unit="s"):
    ratio = peer / ours
    scale = {"s": 1.0, "ms": 1e-3}[unit]
    RESULTS.append(
        {
            "benchmark": what,
            "follicle_s": ours * scale,
            "peer_s": peer * scale,
            "ratio": ratio,
            "target": TARGETS.get(what),
        }
    )
    print(
        f"{what:<58} follicle {ours:10.4g} {unit}   libRoadRunner {peer:10.4g} {unit}   "
        f"ratio {ratio:6.2f}",
        flush=True,
    )


def bench_sweep(model, members, peer_members, blocks=10):
    """Both tools in alternating blocks, so that a change of machine load during the run
    weighs on both alike."""
    dsg = design(model, members)
    peer = Peer(model)
    run_sweep(model, fl.points({n: dsg.values[:2, i] for i, n in enumerate(AXES)}))  # warm
    ours = peer_time = 0.0
    mine, theirs, status, steps = [], [], [], []
    per_block = max(1, peer_members // blocks)
    for rows in np.array_split(dsg.values, blocks):
        peer_rows = rows[:per_block]
        t0 = time.perf_counter()
        res = run_sweep(
            model, fl.points({n: rows[:, i] for i, n in enumerate(AXES)}), progress=False
        )
        ours += time.perf_counter() - t0
        t0 = time.perf_counter()
        theirs += [peer.onset(dict(zip(AXES, row, strict=True))) for row in peer_rows]
        peer_time += time.perf_counter() - t0
        mine.append(res.readouts["readout"][:per_block])
        status.append(res.status)
        steps.append(res.steps)
    mine, theirs = np.concatenate(mine), np.array(theirs)
    peer_members = len(theirs)
    worst = float(np.nanmax(np.abs(mine - theirs) / np.abs(theirs)))
    print(
        f"sweep: {members} members (follicle), {peer_members} (libRoadRunner), in {blocks} "
        f"alternating blocks; all ok: {bool(np.all(np.concatenate(status) == 'ok'))}; max "
        f"relative difference in onset {worst:.2e} ({'<=' if worst <= 1e-4 else '>'} 1e-4);"
        f" mean steps {np.concatenate(steps).mean():.0f}"
    )
    line(
        "sweep, time per member (numba step)",
        ours / members * 1e3,
        peer_time / peer_members * 1e3,
        "ms",
    )
    subset = fl.points({n: dsg.values[: members // 10, i] for i, n in enumerate(AXES)})
    t0 = time.perf_counter()
    run_sweep(model, subset, progress=False, backend="numpy")
    numpy_time = (time.perf_counter() - t0) / len(subset)
    line(
        f"sweep, time per member (NumPy step, {len(subset)} members)",
        numpy_time * 1e3,
        peer_time / peer_members * 1e3,
        "ms",
    )


def bench_kernel_build():
    """Numba compiles the model's step once per machine: time a fresh cache (cold) and a
    new process that finds it (cached), each up to the end of a one-member ensemble."""
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold", "cached"):
            code = (
                "import time; t0 = time.perf_counter(); import follicle as fl; "
                "m = fl.models.coupled(); fl.simulate_ensemble(m, days=120, "
                "readouts=fl.models.anagen_onset); print(time.perf_counter() - t0)"
            )
            out = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "FOLLICLE_CACHE": cache},
            )
            print(
                f"{'new process to first ensemble run, numba kernel ' + label:<58} follicle "
                f"{float(out.stdout.split()[-1]):10.4g} s",
                flush=True,
            )


def bench_single(model):
    peer = Peer(model)
    sched = scenario_schedule()
    ours, ens, theirs = [], [], []
    for _ in range(5):
        t0 = time.perf_counter()
        fl.simulate(model, days=DAYS, schedule=sched, rtol=RTOL)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fl.simulate_ensemble(
            model, days=DAYS, schedule=sched, rtol=RTOL, readouts=fl.models.anagen_onset
        )
        ens.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        peer.onset({})
        theirs.append(time.perf_counter() - t0)
    line("one simulation, fl.simulate (BDF), median of 5", np.median(ours), np.median(theirs))
    line(
        "one simulation, simulate_ensemble (1 member), median of 5",
        np.median(ens),
        np.median(theirs),
    )


def bench_build():
    sched = scenario_schedule()
    results = {}
    for label in ("cold", "cached"):
        if label == "cold":
            fl_compile._CACHE.clear()
        t0 = time.perf_counter()
        model = fl.models.coupled.__wrapped__()  # build from the definition, bypassing cache
        fl.simulate(model, days=DAYS, schedule=sched, rtol=RTOL)
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        Peer(model).onset({})  # SBML export, load (LLVM compile), first simulation
        results[label] = (ours, time.perf_counter() - t0)
    for label, (ours, theirs) in results.items():
        line(f"model build to first simulation ({label})", ours, theirs)


def bench_scaling(sizes):
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--scale-one", str(n), "--rtol", str(RTOL)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        print(out.strip(), flush=True)


def scale_one(n):
    model = fl.models.coupled()
    model.compiled  # noqa: B018 - compile before timing
    t0, cpu0 = time.perf_counter(), time.process_time()
    res = run_sweep(model, design(model, n), progress=False)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
    print(
        f"scaling: {n:>8} members  {elapsed / n * 1e3:8.3f} ms per member "
        f"({cpu / n * 1e3:.3f} ms CPU)  peak memory {peak:8.0f} MiB  "
        f"ok {int(np.sum(res.status == 'ok'))}"
    )


def _warm_up():
    model = fl.models.coupled()
    run_sweep(model, fl.points({AXES[0]: [model.parameters[AXES[0]].value]}), progress=False)


def bench_dask(model, members):
    from dask.distributed import Client, LocalCluster

    dsg = design(model, members)
    chunk = max(1, members // 4)
    t0 = time.perf_counter()
    here = run_sweep(model, dsg, chunk_size=chunk, progress=False)
    alone = time.perf_counter() - t0
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_warm_up)  # imports, the compiled model and its kernel on every worker
        t0 = time.perf_counter()
        there = run_sweep(model, dsg, chunk_size=chunk, executor=client, progress=False)
        dask_time = time.perf_counter() - t0
    same = np.array_equal(here.readouts["readout"], there.readouts["readout"], equal_nan=True)
    print(f"dask: {members} members in {members // chunk} chunks; identical results: {same}")
    print(
        f"{'sweep, Dask LocalCluster (2 workers) vs in-process':<58} dask {dask_time:10.4g} s"
        f"   in-process {alone:10.4g} s   speed-up {alone / dask_time:6.2f}"
    )
    RESULTS.append(
        {
            "benchmark": f"sweep of {members} members, Dask (2 workers) against in-process",
            "follicle_s": dask_time,
            "peer_s": alone,
            "peer": "follicle in-process",
            "ratio": alone / dask_time,
            "target": None,
        }
    )


def main() -> None:
    global RTOL
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--peer-members", type=int, default=1_000)
    parser.add_argument("--scaling", default="100,1000,10000")
    parser.add_argument("--dask", type=int, default=2_000)
    parser.add_argument("--rtol", type=float, default=RTOL)
    parser.add_argument("--json", type=Path, help="also write the comparisons to this file")
    parser.add_argument("--scale-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    RTOL = args.rtol
    if args.scale_one:
        scale_one(args.scale_one)
        return
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        f"(affinity {sorted(os.sched_getaffinity(0))}), Python {platform.python_version()}, "
        f"NumPy {np.__version__}, libRoadRunner {roadrunner.__version__}"
    )
    load = os.getloadavg()
    print(f"machine: {machine}")
    print(f"load average at start: {load}; rtol {RTOL:g}", flush=True)
    model = fl.models.coupled()
    bench_build()
    bench_kernel_build()
    bench_single(model)
    if args.members:
        bench_sweep(model, args.members, min(args.peer_members, args.members))
    bench_scaling([int(s) for s in args.scaling.split(",") if s])
    if args.dask:
        bench_dask(model, args.dask)
    print(f"load average at end: {os.getloadavg()}")
    if args.json:
        record = {
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "machine": machine,
            "command": "python benchmarks/sweep.py " + " ".join(sys.argv[1:]),
            "note": f"load average {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at "
            f"the end; rtol {RTOL:g}",
            "rows": RESULTS,
        }
        args.json.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
