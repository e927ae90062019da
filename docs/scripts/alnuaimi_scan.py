"""Print where the Al-Nuaimi et al. (2012) oscillator's bifurcations in p1 lie.

Run from the repository: ``.venv/bin/python docs/scripts/alnuaimi_scan.py`` (about 30 s).
The numbers are quoted in ``docs/analysis.md``. Times are the paper's dimensionless units
(the model's ``tau`` = 1 day per unit).
"""

from __future__ import annotations

import numpy as np

import follicle as fl

model = fl.models.zoo.alnuaimi2012()

print("1. Scan of p1 over [0.3, 1.2] (91 grid values)")
result = fl.scan(model, "p1", np.linspace(0.3, 1.2, 91))
(branch,) = result.branches
print(f"   one branch of {len(branch)} points, ends: {branch.ends}")
for b in result.bifurcations:
    extra = ""
    if b.kind == "hopf":
        extra = (
            f", {b.criticality} (l1 = {b.lyapunov:.4g}), omega = {b.frequency:.5f}, "
            f"period at onset {b.period_at_onset:.3f}"
        )
    print(f"   {b.kind:5s} at p1 = {b.value:.6f}, x = {b['x']:.5f}{extra}")
    print(f"         simulated at p1 -+ {b.offset:.3g}: {b.below!r} | {b.above!r}")

print("2. Steady states either side of each point")
for b in result.bifurcations:
    for side in (-0.005, 0.005):
        found = fl.steady_states(model, {"p1": b.value + side})
        states = ", ".join(
            f"x = {s['x']:.4f} {s.stability} (Re lambda_1 = {s.eigenvalues[0].real:+.4f})"
            for s in found
        )
        print(f"   p1 = {b.value + side:.4f}: {states}")

print("3. Period of the relaxation cycle (from the model's initial state)")
fold = result.folds[0].value
for p1 in (0.42, 0.45, 0.48, 0.50, 0.52, 0.54, 0.55, 0.56, 0.565):
    cycle = fl.find_cycle(model, {"p1": p1}, days=40000, transient=20000)
    print(f"   p1 = {p1:.3f} (fold - p1 = {fold - p1:.4f}): {cycle!r}")

print("4. Lowest p1 with the relaxation cycle: follow it down by simulation")
state = None  # each run starts where the previous one, at a larger p1, ended
p1, step = 0.48, 0.005
seen, gone = None, None
while step > 1e-4:
    run = fl.simulate(
        model, days=6000, params={"p1": p1}, initial=state, method="LSODA", rtol=1e-8
    )
    x = run["x"][run.t > 3000]
    if x.max() > 2.0 and x.min() < 0.1:  # still on the relaxation cycle
        seen, state = p1, {n: float(run[n][-1]) for n in model.state_names}
        p1 -= step
    else:  # fell off: go back and take smaller steps
        gone, step = p1, step / 2
        p1 = seen - step
print(
    f"   cycle still there at p1 = {seen:.5f}, gone at {gone:.5f} (a fold of cycles; the "
    "engine measures cycles, it does not continue them)"
)
