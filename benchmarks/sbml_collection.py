"""Published models on the engine: the Benchmark-Models-PEtab collection against libRoadRunner.

For each problem of the collection, the SBML model gets the nominal values of the PEtab
parameter table (for the parameters it declares; conditions are not applied), is loaded
with ``follicle.sbml.load`` and simulated with ``follicle.simulate`` (LSODA; a model with
events by ``EventModel.simulate``) from time 0 to the last measurement time;
libRoadRunner (CVODE) simulates the same document. Both run at ``rtol = 1e-10`` and an
absolute tolerance of ``1e-16`` (at ``1e-12``, states of order 1e-6 are only resolved to
1e-6 by either solver); every state is compared at 101 times, and agrees when

    |follicle - roadrunner| <= 1e-6 * (|roadrunner| + 1e-6 * max |roadrunner over time|)
                               + 1e-14,

a relative agreement of 1e-6, with a floor a millionth below the state's largest value
for values that pass through zero, and an absolute slack of 100 absolute tolerances for
states that stay at zero (CVODE reports 1e-25 where ours is exactly 0). A model the loader
refuses is listed with the refusal's reason; one that takes longer than ``--timeout``
seconds to load and simulate is listed as such.

Run from the repository root::

    .venv/bin/python benchmarks/sbml_collection.py [--collection DIR] [--markdown]
    .venv/bin/python benchmarks/sbml_collection.py --members 1000 [--models N]

The second form times, per model that loads without events, a sweep of ``--members``
members against libRoadRunner (:func:`sweep_compare`) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import signal
import time
from pathlib import Path

import numpy as np

import follicle as fl
from follicle.sbml.events import EventModel

PEERS = Path(__file__).resolve().parents[2] / "shared/peers"  # ../shared beside the repository
DEFAULT = str(PEERS / "benchmark-models-petab/Benchmark-Models")
RTOL, ATOL, AGREE, POINTS = 1e-10, 1e-16, 1e-6, 101
SLACK = 100 * ATOL


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def problem_files(folder: Path):
    """The SBML document, parameter table and measurement tables of one PEtab problem."""
    import yaml

    # The problem's own YAML is named after the folder (some folders hold a second one).
    own = folder / f"{folder.name}.yaml"
    spec = yaml.safe_load((own if own.is_file() else sorted(folder.glob("*.yaml"))[0]).read_text())
    problem = spec["problems"][0]
    parameters = spec["parameter_file"]
    parameters = parameters if isinstance(parameters, list) else [parameters]
    return (
        folder / problem["sbml_files"][0],
        [folder / p for p in parameters],
        [folder / m for m in problem.get("measurement_files", [])],
    )


def nominal_document(sbml_path, parameter_paths) -> str:
    """The SBML text with the PEtab nominal values of the parameters it declares."""
    import libsbml

    doc = libsbml.readSBMLFromFile(str(sbml_path))
    model = doc.getModel()
    for path in parameter_paths:
        for row in _rows(path):
            p = model.getParameter(row["parameterId"])
            if p is not None and row.get("nominalValue", "").strip():
                p.setValue(float(row["nominalValue"]))
    return libsbml.writeSBMLToString(doc)


def end_time(measurement_paths) -> float:
    times = [
        float(r["time"])
        for path in measurement_paths
        for r in _rows(path)
        if r["time"].strip().lower() not in ("inf", "")
    ]
    return max(times) if times and max(times) > 0 else 10.0


def roadrunner_run(text, ids, times):
    import roadrunner

    rr = roadrunner.RoadRunner(text)
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", RTOL)
    integrator.setValue("absolute_tolerance", ATOL)
    integrator.setValue("maximum_num_steps", 10**6)
    out = np.asarray(rr.simulate(times=list(times), selections=["time", *ids]))
    return out[:, 1:].T


def compare(folder: Path) -> dict:
    """One problem: loaded or refused, and the worst disagreement with libRoadRunner."""
    sbml_path, parameters, measurements = problem_files(folder)
    text = nominal_document(sbml_path, parameters)
    times = np.linspace(0.0, end_time(measurements), POINTS)
    start = time.perf_counter()
    try:
        document = fl.sbml.load(text, events=True)
    except fl.errors.SBMLImportError as exc:
        return dict(model=folder.name, status="refused", reason=str(exc))
    loaded = time.perf_counter() - start
    info = document.sbml
    days = info.model_times(times)
    if isinstance(document, EventModel):
        model = document.model
        run = document.simulate(days, rtol=RTOL, atol=ATOL, method="LSODA")
    else:
        model = document
        run = fl.simulate(
            model, t_span=(days[0], days[-1]), t_eval=days, method="LSODA", rtol=RTOL, atol=ATOL
        )
    ours = np.array([run[name] for name in model.state_names])
    simulated = time.perf_counter() - start - loaded
    # Species states are amounts, which libRoadRunner reports under the bare id.
    peer = roadrunner_run(text, [info.ids[n] for n in model.state_names], times)
    floor = 1e-6 * np.max(np.abs(peer), axis=1, keepdims=True)
    ratio = np.abs(ours - peer) / (AGREE * (np.abs(peer) + floor) + SLACK)
    i, k = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    relative = float(np.max(np.abs(ours - peer) / (np.abs(peer) + floor + SLACK / AGREE)))
    return dict(
        model=folder.name,
        status="agrees" if ratio[i, k] <= 1 else "DIFFERS",
        states=len(model.state_names),
        end=float(times[-1]),
        unit=info.time_unit,
        worst=relative,
        where=f"{model.state_names[i]} at {times[k]:g}",
        load_s=loaded,
        simulate_s=simulated,
    )


def sweep_compare(folder: Path, members: int, axes: int = 3) -> dict:
    """A Latin hypercube of +-20 % over the first ``axes`` nonzero parameters, readout the
    final value of the first state: ``fl.sweep`` against libRoadRunner's loop (``reset()``,
    parameters set by index in one call, two output points), milliseconds per member.

    Models with events are not swept here. libRoadRunner's ``reset()`` re-evaluates the
    initial assignments of species from the parameters set before it (so the parameters
    are set first), but not those of constant parameters: a swept parameter that another
    parameter's initial assignment uses gives different models, which the agreement
    column shows.
    """
    import roadrunner

    sbml_path, parameters, measurements = problem_files(folder)
    text = nominal_document(sbml_path, parameters)
    document = fl.sbml.load(text)
    info = document.sbml
    end = info.model_times([end_time(measurements)])[0]
    rr = roadrunner.RoadRunner(text)
    gp = list(rr.model.getGlobalParameterIds())
    names = [n for n, p in document.parameters.items() if p.value != 0 and info.ids.get(n) in gp][
        :axes
    ]
    ranges = {
        n: tuple(sorted((0.8 * document.parameters[n].value, 1.2 * document.parameters[n].value)))
        for n in names
    }
    design = fl.latin_hypercube(ranges, members, seed=1)
    first = document.state_names[0]
    readout = fl.readouts.ValueAt(first, end)
    fl.sweep(document, fl.latin_hypercube(ranges, 2, seed=2), readout, t_span=(0.0, end))
    start = time.perf_counter()  # after a warm-up sweep: compiling is not timed
    ours = fl.sweep(document, design, readout, t_span=(0.0, end), rtol=1e-8)[readout.column]
    ours_ms = 1e3 * (time.perf_counter() - start) / members
    rr.getIntegrator().setValue("relative_tolerance", 1e-8)
    rr.getIntegrator().setValue("maximum_num_steps", 10**6)
    rows = np.asarray(design.values, dtype=float)
    # Constants set by an initial assignment follow the swept parameters in follicle (they
    # are observables of the loaded model); libRoadRunner's reset() keeps their first value,
    # so its loop sets them too, from the same assignment (computed before the timing).
    # (python-libsbml beside libRoadRunner in one process can crash: the text is read.)
    by_initial_assignment = set(re.findall(r"<initialAssignment[^>]*symbol=\"([^\"]+)\"", text))
    derived = [
        n
        for n in document.observables
        if info.ids.get(n) in gp and info.ids[n] in by_initial_assignment
    ]
    defaults = {p.symbol: p.value for p in document.parameters.values()}
    swept = [document.parameters[a].symbol for a in names]
    values = [{**defaults, **dict(zip(swept, row, strict=True))} for row in rows]
    columns = [[float(document.observables[n][1].xreplace(v)) for v in values] for n in derived]
    rows = np.column_stack([rows, *columns]) if derived else rows
    index = np.array([gp.index(info.ids[n]) for n in (*names, *derived)], dtype=np.int32)
    peer = np.empty(members)
    start = time.perf_counter()
    for k in range(members):
        rr.model.setGlobalParameterValues(index, rows[k])
        rr.reset()  # after the parameters: initial assignments of species use them
        peer[k] = rr.simulate(0.0, float(end_time(measurements)), 2, selections=[info.ids[first]])[
            -1, 0
        ]
    peer_ms = 1e3 * (time.perf_counter() - start) / members
    scale = np.max(np.abs(peer)) + 1e-300
    return dict(
        model=folder.name,
        axes=len(names),
        derived=len(derived),
        ours_ms=ours_ms,
        peer_ms=peer_ms,
        # nan when either tool returns nan for a member (then checked by hand)
        worst=float(np.max(np.abs(np.asarray(ours) - peer) / scale)),
    )


def _timeout(signum, frame):
    raise TimeoutError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--collection", default=os.environ.get("FOLLICLE_PETAB_COLLECTION", DEFAULT)
    )
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per model")
    parser.add_argument(
        "--members",
        type=int,
        default=0,
        help="also time a sweep of this many members per model (0: no sweep)",
    )
    parser.add_argument("--models", type=int, default=0, help="only the first N models")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _timeout)
    if args.members:
        folders = sorted(p for p in Path(args.collection).iterdir() if p.is_dir())
        print("| model | axes | follicle ms/member | libRoadRunner ms/member | ratio | worst |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for folder in folders[: args.models or None]:
            signal.alarm(args.timeout)
            try:
                try:
                    r = sweep_compare(folder, args.members)
                finally:  # disarmed before a slow failure is handled, not during it
                    signal.alarm(0)
            except Exception as exc:  # reported, never hidden (TimeoutError: --timeout)
                print(f"| {folder.name} | | {type(exc).__name__}: {str(exc)[:80]} | | | |")
                continue
            axes = f"{r['axes']} (+{r['derived']} set)" if r["derived"] else r["axes"]
            print(
                f"| {r['model']} | {axes} | {r['ours_ms']:.3f} | {r['peer_ms']:.3f} | "
                f"{r['ours_ms'] / r['peer_ms']:.2f} | {r['worst']:.1e} |",
                flush=True,
            )
        return
    rows = []
    for folder in sorted(p for p in Path(args.collection).iterdir() if p.is_dir()):
        signal.alarm(args.timeout)
        try:
            try:
                rows.append(compare(folder))
            finally:  # disarmed before a slow failure is handled, not during it
                signal.alarm(0)
        except TimeoutError:
            rows.append(
                dict(
                    model=folder.name,
                    status="TOO SLOW",
                    reason=f"not loaded and simulated within {args.timeout} s",
                )
            )
        except Exception as exc:  # a failure is reported as such, never hidden
            rows.append(
                dict(model=folder.name, status="FAILED", reason=f"{type(exc).__name__}: {exc}")
            )
        row = rows[-1]
        if args.markdown:
            continue
        detail = (
            f"{row['states']:4d} states, worst relative {row['worst']:.1e} "
            f"({row['where']}), load {row['load_s']:.1f} s, simulate "
            f"{row['simulate_s']:.1f} s"
            if "worst" in row
            else row["reason"]
        )
        print(f"{row['model']:40s} {row['status']:8s} {detail}", flush=True)
    if args.markdown:
        print("| model | outcome | states | worst relative difference | load + simulate |")
        print("| --- | --- | ---: | --- | ---: |")
        for r in rows:
            if "worst" in r:
                print(
                    f"| {r['model']} | {r['status']} | {r['states']} | {r['worst']:.1e} "
                    f"({r['where']}) | {r['load_s'] + r['simulate_s']:.1f} s |"
                )
            else:
                print(f"| {r['model']} | {r['status']} | | {r['reason']} | |")
    counts = {
        s: sum(r["status"] == s for r in rows)
        for s in ("agrees", "DIFFERS", "refused", "TOO SLOW", "FAILED")
    }
    print(f"{len(rows)} models: " + ", ".join(f"{n} {s}" for s, n in counts.items()))


if __name__ == "__main__":
    main()
