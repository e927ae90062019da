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
from follicle.codegen import arrays as fl_compile

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
    """libRoadRunner on the SBML export, in its fastest loop for one readout per member.

    The export gets one more event, triggered when the anagen fraction reaches 0.5 from
    below (``initialValue`` true, so a start above 0.5 is not a crossing), which writes the
    time into a parameter ``bench_onset``: CVODE's root finder locates the onset, and the
    run records no output grid (two points, start and end). Between members the loop calls
    ``reset()`` (time, rate-rule variables and species to their initial values) and sets, by
    index and in one call, the swept parameters, every parameter the schedule's events
    assign, and ``bench_onset``. :meth:`check` compares this loop with ``resetAll()`` on a
    few members.
    """

    def __init__(self, model, rtol=None):
        import libsbml

        self.model = model
        self.ids = fl.sbml.sbml_ids(model)
        doc = libsbml.readSBMLFromString(fl.sbml.export(model, scenario_schedule()))
        m = doc.getModel()
        p = m.createParameter()
        p.setId("bench_onset")
        p.setConstant(False)
        p.setValue(-1.0)
        ev = m.createEvent()
        ev.setId("bench_onset_event")
        ev.setUseValuesFromTriggerTime(True)
        trigger = ev.createTrigger()
        trigger.setInitialValue(True)
        trigger.setPersistent(True)
        trigger.setMath(
            libsbml.parseL3Formula(f"({self.ids['anagen']} >= 0.5) && (bench_onset < 0)")
        )
        assign = ev.createEventAssignment()
        assign.setVariable("bench_onset")
        assign.setMath(libsbml.parseL3Formula("time"))
        assigned = {
            m.getEvent(i).getEventAssignment(j).getVariable()
            for i in range(m.getNumEvents())
            for j in range(m.getEvent(i).getNumEventAssignments())
        }
        self.text = libsbml.writeSBMLToString(doc)
        self.rr = roadrunner.RoadRunner(self.text)
        self.set_rtol(RTOL if rtol is None else rtol)
        gp = list(self.rr.model.getGlobalParameterIds())
        self.restored = [
            (gp.index(sid), m.getParameter(sid).getValue())
            for sid in sorted(assigned)
            if sid in gp and m.getParameter(sid) is not None
        ]
        self.swept = np.array([gp.index(self.ids[a]) for a in AXES], dtype=np.int32)
        self.index = np.concatenate([self.swept, [i for i, _ in self.restored]]).astype(np.int32)
        self.base = np.array([v for _, v in self.restored], dtype=float)
        self.onset_index = gp.index("bench_onset")

    def set_rtol(self, rtol):
        integrator = self.rr.getIntegrator()
        integrator.setValue("relative_tolerance", rtol)
        integrator.setValue("maximum_num_steps", 10**6)
        for name, state in self.model.states.items():
            integrator.setIndividualTolerance(self.ids[name], rtol * 1e-2 * state.scale)

    def onset(self, row=None, days=DAYS) -> float:
        """The onset for one member: ``row`` holds the values of :data:`AXES` (default: the
        model's values)."""
        rr = self.rr
        rr.reset()
        if row is None:
            row = [self.model.parameters[a].value for a in AXES]
        rr.model.setGlobalParameterValues(self.index, np.concatenate([row, self.base]))
        rr.model.setGlobalParameterValues([self.onset_index], [-1.0])
        rr.simulate(0.0, days, 2, selections=["time"])
        value = rr.model.getGlobalParameterValues([self.onset_index])[0]
        return float(value) if value >= 0 else np.nan

    def onset_reset_all(self, row) -> float:
        """The same member after ``resetAll()`` (everything to its initial value, initial
        assignments re-evaluated), parameters set by name."""
        rr = self.rr
        rr.resetAll()
        for name, value in zip(AXES, row, strict=True):
            rr[self.ids[name]] = value
        rr.simulate(0.0, DAYS, 2, selections=["time"])
        value = rr["bench_onset"]
        return float(value) if value >= 0 else np.nan

    def check(self, rows):
        """Largest relative difference between the fast loop and ``resetAll()``."""
        fast = np.array([self.onset(r) for r in rows])
        slow = np.array([self.onset_reset_all(r) for r in rows])
        return float(np.nanmax(np.abs(fast - slow) / np.abs(slow)))


def reference_onsets(model, rows, rtol=1e-12):
    """Onsets from SciPy's Radau at ``rtol`` (atol ``rtol * 1e-2`` times each state's scale),
    located by root finding on Radau's dense output: the reference both tools are scored
    against."""
    atol = {n: rtol * 1e-2 * s.scale for n, s in model.states.items()}
    out = []
    for row in rows:
        run = fl.simulate(
            model,
            days=DAYS,
            params=dict(zip(AXES, row, strict=True)),
            schedule=scenario_schedule(),
            method="Radau",
            rtol=rtol,
            atol=atol,
            t_eval=[0.0, DAYS],
            events=[fl.Threshold("anagen", 0.5, direction="up", label="onset")],
        )
        times = run.event_times("onset")
        out.append(float(times[0]) if len(times) else np.nan)
    return np.array(out)


#: Every comparison printed, for ``--json`` (times in seconds).
RESULTS: list[dict] = []
#: The issue's targets for the ratio (libRoadRunner time / follicle time).
TARGETS = {
    "sweep, time per member (numba step)": 6.0,
    "one simulation, fl.simulate (default RODAS4) + readout": 1.0,
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


def atol_for(model, rtol):
    """Both tools' absolute tolerance: ``rtol * 1e-2`` times each state's scale."""
    return {n: rtol * 1e-2 * s.scale for n, s in model.states.items()}


def bench_sweep(model, members, peer_members, blocks=10):
    """Both tools in alternating blocks, so that a change of machine load during the run
    weighs on both alike."""
    dsg = design(model, members)
    peer = Peer(model)
    atol = atol_for(model, RTOL)
    run_sweep(model, fl.points({n: dsg.values[:2, i] for i, n in enumerate(AXES)}), atol=atol)
    ours = peer_time = 0.0
    mine, theirs, status, steps = [], [], [], []
    per_block = max(1, peer_members // blocks)
    for rows in np.array_split(dsg.values, blocks):
        peer_rows = rows[:per_block]
        t0 = time.perf_counter()
        res = run_sweep(
            model,
            fl.points({n: rows[:, i] for i, n in enumerate(AXES)}),
            progress=False,
            atol=atol,
        )
        ours += time.perf_counter() - t0
        t0 = time.perf_counter()
        theirs += [peer.onset(row) for row in peer_rows]
        peer_time += time.perf_counter() - t0
        mine.append(res["anagen_onset"][:per_block])
        status.append(res.status)
        steps.append(res.steps)
    mine, theirs = np.concatenate(mine), np.array(theirs)
    peer_members = len(theirs)
    worst = float(np.nanmax(np.abs(mine - theirs) / np.abs(theirs)))
    print(
        f"sweep: {members} members (follicle), {peer_members} (libRoadRunner), in {blocks} "
        f"alternating blocks; all ok: {bool(np.all(np.concatenate(status) == 'ok'))}; max "
        f"relative difference in onset {worst:.2e}; mean steps "
        f"{np.concatenate(steps).mean():.0f}; libRoadRunner reset() loop against "
        f"resetAll(): {peer.check(dsg.values[:5]):.1e}"
    )
    line(
        "sweep, time per member (numba step)",
        ours / members * 1e3,
        peer_time / peer_members * 1e3,
        "ms",
    )


#: Work-precision: relative tolerances of both tools, members scored against the reference.
WP_RTOLS = (1e-5, 1e-6, 1e-7, 1e-8, 1e-9)
WORK: list[dict] = []


def bench_work_precision(model, members=400, peer_members=100, scored=6):
    """Time per member and onset error against Radau at rtol 1e-12, for each of
    :data:`WP_RTOLS`, both tools alternating. Errors are absolute, in days, over the first
    ``scored`` members of the design (the onset is near day 37)."""
    dsg = design(model, members)
    peer = Peer(model)
    t0 = time.perf_counter()
    ref = reference_onsets(model, dsg.values[:scored])
    print(
        f"work-precision: reference from Radau rtol 1e-12 for {scored} members in "
        f"{time.perf_counter() - t0:.1f} s; onsets {np.nanmin(ref):.4f}..{np.nanmax(ref):.4f}"
        " day",
        flush=True,
    )
    print(
        f"{'rtol':>8} {'follicle ms':>12} {'max err (d)':>12} {'med err':>10}   "
        f"{'RR ms':>8} {'max err (d)':>12} {'med err':>10}"
    )
    pts = fl.points({n: dsg.values[:, i] for i, n in enumerate(AXES)})
    for rtol in WP_RTOLS:
        atol = atol_for(model, rtol)
        fl.sweep(
            model,
            fl.points({n: dsg.values[:1, i] for i, n in enumerate(AXES)}),
            fl.models.anagen_onset,
            days=DAYS,
            schedule=scenario_schedule(),
            rtol=rtol,
            atol=atol,
            progress=False,
        )
        t0 = time.perf_counter()
        res = fl.sweep(
            model,
            pts,
            fl.models.anagen_onset,
            days=DAYS,
            schedule=scenario_schedule(),
            rtol=rtol,
            atol=atol,
            progress=False,
        )
        ours = (time.perf_counter() - t0) / members
        peer.set_rtol(rtol)
        t0 = time.perf_counter()
        theirs = [peer.onset(row) for row in dsg.values[:peer_members]]
        peer_time = (time.perf_counter() - t0) / peer_members
        e_ours = np.abs(res["anagen_onset"][:scored] - ref)
        e_peer = np.abs(np.array(theirs[:scored]) - ref)
        WORK.append(
            {
                "rtol": rtol,
                "follicle_s": ours,
                "follicle_max_error_day": float(np.nanmax(e_ours)),
                "follicle_median_error_day": float(np.nanmedian(e_ours)),
                "peer_s": peer_time,
                "peer_max_error_day": float(np.nanmax(e_peer)),
                "peer_median_error_day": float(np.nanmedian(e_peer)),
            }
        )
        print(
            f"{rtol:8.0e} {ours * 1e3:12.3f} {np.nanmax(e_ours):12.2e} "
            f"{np.nanmedian(e_ours):10.2e}   {peer_time * 1e3:8.3f} {np.nanmax(e_peer):12.2e}"
            f" {np.nanmedian(e_peer):10.2e}",
            flush=True,
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


def bench_single(model, repeats=7):
    """One run with its readout, each tool its best way, median of ``repeats`` alternating;
    and the fixed cost per call (a 0.001-day run)."""
    peer = Peer(model)
    sched = scenario_schedule()
    atol = atol_for(model, RTOL)
    times = {
        "simulate": [],
        "on_the_fly": [],
        "bdf": [],
        "simulate_fixed": [],
        "ensemble": [],
        "peer": [],
        "fixed": [],
        "peer_fixed": [],
    }
    onset = fl.models.anagen_onset
    for _ in range(repeats):
        t0 = time.perf_counter()
        onset(fl.simulate(model, days=DAYS, schedule=sched, rtol=RTOL, atol=atol))
        times["simulate"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        run = fl.simulate(model, days=DAYS, schedule=sched, rtol=RTOL, atol=atol, readouts=onset)
        run.readout("readout")
        times["on_the_fly"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        onset(fl.simulate(model, days=DAYS, schedule=sched, rtol=RTOL, atol=atol, method="BDF"))
        times["bdf"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fl.simulate(model, days=1e-3, rtol=RTOL, atol=atol)
        times["simulate_fixed"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fl.simulate_ensemble(
            model, days=DAYS, schedule=sched, rtol=RTOL, atol=atol, readouts=onset
        )
        times["ensemble"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        peer.onset()
        times["peer"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fl.simulate_ensemble(model, days=1e-3, rtol=RTOL, atol=atol, readouts=onset)
        times["fixed"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        peer.onset(days=1e-3)
        times["peer_fixed"].append(time.perf_counter() - t0)
    med = {k: float(np.median(v)) for k, v in times.items()}
    line("one simulation, fl.simulate (default RODAS4) + readout", med["simulate"], med["peer"])
    line("one simulation, fl.simulate(readouts=...), on the fly", med["on_the_fly"], med["peer"])
    line("one simulation, fl.simulate(method='BDF') + readout", med["bdf"], med["peer"])
    line("one simulation, simulate_ensemble (1 member), median", med["ensemble"], med["peer"])
    line("fixed cost per call (0.001-day run), simulate_ensemble", med["fixed"], med["peer_fixed"])
    line(
        "fixed cost per call (0.001-day run), fl.simulate",
        med["simulate_fixed"],
        med["peer_fixed"],
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
        Peer(model).onset()  # SBML export, load (LLVM compile), first simulation
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
    same = np.array_equal(here["anagen_onset"], there["anagen_onset"], equal_nan=True)
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
    parser.add_argument(
        "--work-precision", type=int, default=400, help="members per rtol (0 skips it)"
    )
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
    if args.work_precision:
        bench_work_precision(model, args.work_precision, max(1, args.work_precision // 4))
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
            "work_precision": WORK,
        }
        args.json.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
