"""What running the compiled integrator's code without numba would cost (issue 15).

The integrator (:mod:`follicle.solvers.rodas4`) and the model functions of
:mod:`follicle.codegen.kernels` are plain Python over scalars and arrays; with
``NUMBA_DISABLE_JIT=1`` numba's decorators return the functions unchanged, so the same code
runs in the interpreter. This script times, in fresh processes on the coupled model under
the benchmark scenario (120 days, rtol 1e-7), one member and per member of a batch of
``--batch`` members with the kernel compiled, and one member with the same kernel
interpreted, and prints the ratios. (The NumPy backend, a second copy of the method, is
retired; docs/performance.md keeps its last measurement.)

Run ``taskset -c 0 python benchmarks/fallback.py``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

CODE = """
import time
import follicle as fl
m = fl.models.coupled()
sched = fl.models.scenario("macrophage_wnt_inhibition").schedule
kw = dict(days=120.0, schedule=sched, rtol=1e-7)
size = {size}
params = {{"k_CA": [m.parameters["k_CA"].value * (1 + 0.01 * i / size) for i in range(size)]}}
fl.simulate_ensemble(m, days=0.01, readouts=fl.models.anagen_onset)
t0 = time.perf_counter()
e = fl.simulate_ensemble(m, params=params, readouts=fl.models.anagen_onset, **kw)
print((time.perf_counter() - t0) / size, e.readouts["readout"][0])
"""


def per_member(size, disable_jit=False):
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1" if disable_jit else "0"}
    out = subprocess.run(
        [sys.executable, "-c", CODE.format(size=size)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    rows = [
        ("numba kernel, compiled, 1 member", per_member(1)),
        (f"numba kernel, compiled, per member of {args.batch}", per_member(args.batch)),
        ("same kernel interpreted (NUMBA_DISABLE_JIT=1), 1 member", per_member(1, True)),
    ]
    base = rows[1][1][0]
    for what, (seconds, onset) in rows:
        print(f"{what:<58} {seconds * 1e3:10.2f} ms  ({seconds / base:7.1f}x)  onset {onset:.6f}")


if __name__ == "__main__":
    main()
