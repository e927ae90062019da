"""Forward sensitivities on the engine's RODAS4 against SciPy's BDF, with both errors.

The coupled model under the benchmark course of WNT-inhibitor doses, 60 days, output at 13
times (a fit's measurement grid), the sensitivities to five parameters of the activation
and WNT modules. Each method is timed (best of ``--repeat`` calls, after one warm-up call
that loads or compiles the kernel) at rtol 1e-6 and 1e-8, and its error is the largest
difference from SciPy's Radau at rtol 1e-12 / atol 1e-14, relative to each variable's
largest sensitivity (floored at 1e-3 of the overall largest, as in the tests). Also
timed: the cold first call of RODAS4 in a fresh process (compiling or loading the kernel).

The peer: libRoadRunner's forward sensitivity solver (CVODES, ``timeSeriesSensitivities``)
on follicle's SBML export of the model and the course (events), at the same rtol and one
absolute tolerance, :data:`ATOL_PEER`, ``reset()`` between calls. Its error is measured
on the states only (it reports no observables), the same way. Before that, the script
checks the peer on a one-reaction decay ``X -> ; k X`` written as plain SBML, whose
sensitivity is dX/dk = -t X0 exp(-k t): libRoadRunner 2.7.0,
2.9.0 and 2.10.0 (pip wheels) return zeros there, so its sensitivities are not compared
(see :func:`peer_works`).

Run ``taskset -c 0 python benchmarks/sensitivities.py`` (one core). The numbers go into
docs/performance.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np
import roadrunner

import follicle as fl

PARAMETERS = ["d_W", "k_act", "p_W", "hill_wnt", "EC50_wnt"]
#: libRoadRunner's sensitivity solver takes one absolute tolerance for states and
#: sensitivities alike; with follicle's smallest (1e-9 of the smallest state scale) CVODES
#: gives up (too much work), so it gets 1e-10, 1e-9 of a state of scale 0.1.
ATOL_PEER = 1e-10


def setting():
    model = fl.models.coupled()
    course = fl.models.course("wnt_inhibitor", start=12, amount="2 mg/kg", every="2 day", times=6)
    return model, {"days": 60, "t_eval": np.linspace(0, 60, 13), "schedule": course}


def best(call, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    model, kw = setting()
    tight = {"method": "Radau", "rtol": 1e-12, "atol": 1e-14}
    ref = fl.simulate_sensitivities(model, PARAMETERS, **tight, **kw)
    scale = np.abs(ref.sensitivities).max(axis=2, keepdims=True)
    scale = scale + 1e-3 * np.abs(ref.sensitivities).max()
    cold = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time; t = time.perf_counter(); import numpy as np; "
            "from benchmarks.sensitivities import PARAMETERS, setting; import follicle as fl; "
            "m, kw = setting(); fl.simulate_sensitivities(m, PARAMETERS, **kw); "
            "print(time.perf_counter() - t)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"first RODAS4 call in a fresh process, import included: {float(cold.stdout):.2f} s")
    print("| method | rtol | time per call | error vs Radau 1e-12 |")
    print("| --- | --- | --- | --- |")
    for method in ("RODAS4", "BDF"):
        for rtol in (1e-6, 1e-8):

            def call(method=method, rtol=rtol):
                return fl.simulate_sensitivities(model, PARAMETERS, method=method, rtol=rtol, **kw)

            call()
            seconds, run = best(call, args.repeat)
            error = np.max(np.abs(run.sensitivities - ref.sensitivities) / scale)
            print(f"| {method} | {rtol:g} | {1e3 * seconds:.1f} ms | {error:.1e} |")
    if peer_works():
        peer(model, kw, ref, scale, args.repeat)
    else:
        print("libRoadRunner's forward sensitivities are wrong on that decay: not compared")


#: A one-reaction decay, X -> ; k X with X(0) = 1, k = 0.5, as plain SBML (a species and
#: a reaction, no rate rules): the simplest model the peer's sensitivities must handle.
DECAY_SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
 <model id="decay">
  <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
  <listOfSpecies><species id="X" compartment="c" initialConcentration="1"
   hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/></listOfSpecies>
  <listOfParameters><parameter id="k" value="0.5" constant="true"/></listOfParameters>
  <listOfReactions><reaction id="r" reversible="false">
   <listOfReactants><speciesReference species="X" stoichiometry="1" constant="true"/>
   </listOfReactants>
   <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><ci>k</ci><ci>X</ci></apply></math></kineticLaw>
  </reaction></listOfReactions>
 </model>
</sbml>"""


def peer_works() -> bool:
    """Whether libRoadRunner's ``timeSeriesSensitivities`` gets dX/dk = -t exp(-k t) of the
    decay :data:`DECAY_SBML` right (to 1e-4) at t = 0, 1, ..., 4."""
    rr = roadrunner.RoadRunner(DECAY_SBML)
    _, sens, _, _ = rr.timeSeriesSensitivities(0, 4, 5, params=["k"])
    t = np.linspace(0, 4, 5)
    got, exact = np.asarray(sens)[:, 0, 0], -t * np.exp(-0.5 * t)
    print(
        f"libRoadRunner {roadrunner.__version__} on X -> ; k X: dX/dk = "
        f"{np.array2string(got, precision=3)}, exact {np.array2string(exact, precision=3)}"
    )
    return bool(np.allclose(got, exact, atol=1e-4))


def peer(model, kw, ref, scale, repeat):
    """libRoadRunner's forward sensitivities on the SBML export, its error on the states."""
    ids = fl.sbml.sbml_ids(model)
    rr = roadrunner.RoadRunner(fl.sbml.export(model, kw["schedule"]))
    solver = rr.getSensitivitySolver()
    n = len(model.state_names)
    times = kw["t_eval"]
    for rtol in (1e-6, 1e-8):
        solver.setValue("relative_tolerance", rtol)
        solver.setValue("absolute_tolerance", ATOL_PEER)
        solver.setValue("maximum_num_steps", 1_000_000)

        def call():
            rr.reset()
            return rr.timeSeriesSensitivities(
                times[0], times[-1], times.size, params=[ids[p] for p in PARAMETERS]
            )

        call()
        seconds, (_, sens, _, columns) = best(call, repeat)
        order = [columns.index(ids[name]) for name in model.state_names]
        mine = np.transpose(sens[:, :, order], (2, 1, 0))  # (state, parameter, time)
        error = np.max(np.abs(mine - ref.sensitivities[:n]) / scale[:n])
        print(f"| libRoadRunner (CVODES) | {rtol:g} | {1e3 * seconds:.1f} ms | {error:.1e} |")


if __name__ == "__main__":
    main()
