"""Forward sensitivities on the engine's RODAS4 against SciPy's BDF, with both errors.

The coupled model under the benchmark course of WNT-inhibitor doses, 60 days, output at 13
times (a fit's measurement grid), the sensitivities to five parameters of the activation
and WNT modules. Each method is timed (best of ``--repeat`` calls, after one warm-up call
that loads or compiles the kernel) at rtol 1e-6 and 1e-8, and its error is the largest
difference from SciPy's Radau at rtol 1e-12 / atol 1e-14, relative to each variable's
largest sensitivity (floored at 1e-3 of the overall largest, as in the tests). Also
timed: the cold first call of RODAS4 in a fresh process (compiling or loading the kernel).

Run ``taskset -c 0 python benchmarks/sensitivities.py`` (one core). The numbers go into
docs/performance.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

import follicle as fl

PARAMETERS = ["d_W", "k_act", "p_W", "hill_wnt", "EC50_wnt"]


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


if __name__ == "__main__":
    main()
