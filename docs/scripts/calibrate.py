"""Calibrate the coupled model's phase durations to the literature targets (issue 6).

Run from the repository root, at low priority on a shared machine::

    nice python docs/scripts/calibrate.py --starts 10 > docs/calibration.json

Fits ``tau_refractory``, ``tau_anagen`` and ``tau_catagen`` to the three phase-duration
targets of ``fitting/targets.toml`` (the brief's numbers) from a seeded Latin hypercube of
starts, profiles each parameter (95% intervals, identifiability) and prints a JSON record:
best values, cost, starts converged, wall time of the multi-start fit and of the whole run,
profile intervals and labels, Fisher intervals, and every target's score at the defaults and
at the calibrated values. ``tau_competent`` stays at its assumed value: durations fix only
the telogen total ``tau_refractory + tau_competent`` (its profile in a four-parameter fit is
flat over its whole range), so fitting both would pick an arbitrary split.

Everything runs in this process: the starts of the fit, and then both sides of every
profile, walk side by side with their trial points integrated as one ensemble per round
(:mod:`follicle.fitting.lockstep`).
"""

import argparse
import json
import sys
import time

from follicle.fitting import estimate, targets
from follicle.fitting.profile import fisher, profile

PARAMETERS = ("tau_refractory", "tau_anagen", "tau_catagen")
CYCLE_TARGETS = ("anagen_duration", "catagen_duration", "telogen_duration")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=50)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    table = targets.load()
    problem = targets.TargetProblem([table[k] for k in CYCLE_TARGETS], PARAMETERS)
    clock = time.perf_counter()
    # The targets' sds are days; tolerances of 1e-8 are far below what they resolve.
    fit = estimate(problem, starts=args.starts, seed=args.seed, ftol=1e-8, xtol=1e-8, gtol=1e-8)
    fit_time = time.perf_counter() - clock
    print(f"{args.starts}-start fit: {fit_time:.0f} s; {fit}", file=sys.stderr)
    profiles = profile(problem, fit, tol=1e-8)
    wald = fisher(problem, fit)
    total_time = time.perf_counter() - clock
    print(f"fit, profiles and Fisher: {total_time:.0f} s", file=sys.stderr)
    record = {
        "starts": args.starts,
        "seed": args.seed,
        "wall_time_s": round(fit_time, 1),
        "total_time_s": round(total_time, 1),
        "cost": fit.cost,
        "converged": fit.n_converged,
        "at_best": fit.n_at_best(),
        "best": fit.best,
        "profiles": {
            n: {"interval": p.interval, "closed": p.closed, "classification": p.classification}
            for n, p in profiles.items()
        },
        "fisher_intervals": wald.intervals,
        "fisher_eigenvalues": wald.eigenvalues.tolist(),
        "score_defaults": targets.score(table),
        "score_calibrated": targets.score(table, fit.best),
    }
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
