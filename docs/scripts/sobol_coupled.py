"""Sobol indices of two readouts of the coupled model: which parameters matter most.

Run from the repository (needs the ``[sensitivity]`` extra, which ``[dev]`` includes)::

    .venv/bin/python docs/scripts/sobol_coupled.py            # N = 256, seed 0
    .venv/bin/python docs/scripts/sobol_coupled.py --n 128 --workers 2

Readouts (:mod:`follicle.models.global_sensitivity`): the anagen-onset delay under the WNT
inhibitor (scenario ``macrophage_wnt_inhibition`` against its control) and the fur that a
senolytic course restores after senescence induction (``abt737_after_induction`` against
induction alone). Each parameter is uniform on its default +-20%, clipped to its allowed
range. With N = 256 and 11 parameters each readout is evaluated 3328 times (two
simulations each), as ensembles of up to 1024 members. The numbers are
quoted in ``docs/sensitivity.md``; ``figures/fig_sensitivity.py`` draws the same indices.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import follicle as fl
from follicle.models.global_sensitivity import READOUTS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256, help="base sample size (power of 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spread", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=0, help="processes (0: this one)")
    args = parser.parse_args()
    model = fl.models.coupled()
    pool = ProcessPoolExecutor(args.workers) if args.workers else None
    try:
        for name, (readout, parameters) in READOUTS.items():
            began = time.perf_counter()
            result = fl.fitting.sobol_indices(
                model,
                list(parameters),
                readout,
                n=args.n,
                spread=args.spread,
                seed=args.seed,
                vectorized=True,
                executor=pool,
            )
            minutes = (time.perf_counter() - began) / 60
            print(f"## {name}: {readout.__doc__.splitlines()[0]}")
            print(
                f"N = {args.n}, seed = {args.seed}, spread = +-{args.spread:.0%}, "
                f"{result.evaluations} evaluations, {minutes:.1f} min"
            )
            print(f"top three (total index): {', '.join(result.ranking()[:3])}")
            print(f"top three (first-order): {', '.join(result.ranking(by='first')[:3])}")
            print(result.table())
            print(flush=True)
    finally:
        if pool is not None:
            pool.shutdown()


if __name__ == "__main__":
    main()
