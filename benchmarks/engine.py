"""Engine measurements for issue 2: build time of a 20-state model and a 120-day run.

Builds a 20-state test model (a transit chain with saturable elimination, a Hill-regulated
feedback and a time-dependent input), compiles it cold (cache cleared), compiles it again
(cached), and times one 120-day simulation with BDF at the default tolerances.
Run with ``make bench`` or ``python benchmarks/engine.py``. The peer comparison against
libRoadRunner arrives with the SBML export (issue 4) and ensembles (issue 5).
"""

from __future__ import annotations

import platform
import time

import numpy as np

import follicle as fl
from follicle.codegen import arrays as fl_compile


def twenty_state_model() -> fl.Model:
    m = fl.Module("chain20")
    states = [m.state(f"X{i}", "nM", 1.0 if i == 0 else 0.0) for i in range(20)]
    k = m.parameter("k", 0.8, "1/day", bounds=(0, 100), provenance="assumed: benchmark")
    vmax = m.parameter("vmax", 0.5, "nM/day", bounds=(0, 100), provenance="assumed: benchmark")
    km = m.parameter("km", 0.3, "nM", bounds=(0, 100), provenance="assumed: benchmark")
    kin = m.parameter("kin", 0.2, "nM/day", bounds=(0, 100), provenance="assumed: benchmark")
    n = m.parameter("n", 2.0, "1", bounds=(1, 4), provenance="assumed: benchmark")
    t_half = m.parameter("t_half", 30.0, "day", bounds=(1, 100), provenance="assumed: benchmark")
    for a, b in zip(states[:-1], states[1:], strict=True):
        m.flow(a, b, k * a)
    m.rate(states[0], kin * (1 + 0.5 * fl.t / (t_half + fl.t)) / (1 + (states[-1] / km) ** n))
    m.rate(states[-1], -vmax * states[-1] / (km + states[-1]))
    return fl.Model("chain20", [m])


def main() -> None:
    t0 = time.perf_counter()
    model = twenty_state_model()
    fl_compile._CACHE.clear()
    model.compiled  # noqa: B018 - compile cold
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = twenty_state_model()
    again.compiled  # noqa: B018 - same structure: from the cache
    cached = time.perf_counter() - t0
    fl.simulate(model, days=120)  # warm-up
    runs = []
    for _ in range(20):
        t0 = time.perf_counter()
        run = fl.simulate(model, days=120)
        runs.append(time.perf_counter() - t0)
    print(
        f"machine: {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, NumPy {np.__version__}"
    )
    print(f"20-state model, build + compile (cold): {cold * 1e3:8.1f} ms")
    print(f"20-state model, build + compile (cached): {cached * 1e3:8.1f} ms")
    print(
        f"one 120-day simulation (BDF, median of 20): {np.median(runs) * 1e3:8.1f} ms "
        f"({run.stats.nfev} rhs evaluations, {run.stats.njev} Jacobians)"
    )


if __name__ == "__main__":
    main()
