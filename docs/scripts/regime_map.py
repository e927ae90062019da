"""The coupled model's regimes: the critical senescent burden, two regime maps, the dose.

Run from the repository: ``nice .venv/bin/python docs/scripts/regime_map.py`` (about 4
minutes on one core; ``--workers 2`` runs the maps in two processes). The numbers are
quoted in ``docs/analysis.md`` (section "Regimes of the coupled model").

1. The critical burden X_c: the held burden above which the patch stops cycling
   (:func:`follicle.models.critical_burden`), and the age whose quasi-steady burden it is.
2. Map over the held burden X and K_X_suppression (the burden that halves stem-cell
   activation), from the start of a telogen with capacity in balance with the burden
   (:func:`follicle.models.regimes.held_burden_map`, drawn by
   ``figures/fig_regime_map.py``).
3. Map over the initial burden X0 of the full coupled model (the burden then evolves)
   and the amount of each dose of a daily senolytic course (days 3-9), beside the dose
   that brings X0 down to X_c by the end of the course
   (:func:`follicle.models.senolytic_dose_needed`).
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import follicle as fl
from follicle.models.regimes import (
    CRITICAL_BURDEN_DAYS,
    REGIMES,
    classify_hair_cycle,
    held_burden_map,
)
from follicle.models.senescence import steady_age
from follicle.models.stem_cells import steady_capacity

#: One letter per regime in the printed maps.
LETTERS = dict(zip(REGIMES, "CADP", strict=True))
COURSE_START, COURSE_DOSES = 3.0, 7


def show(result: fl.analysis.RegimeMap, x_format: str, y_format: str) -> None:
    print(
        f"   rows: {result.y}; columns: {result.x}; "
        + ", ".join(f"{letter} = {label}" for label, letter in LETTERS.items())
    )
    print("   " + " " * 8 + " ".join(format(x, x_format) for x in result.x_values))
    for y, row in zip(result.y_values, result.labels, strict=True):
        width = len(format(result.x_values[0], x_format))
        cells = " ".join(LETTERS[label].rjust(width) for label in row)
        print(f"   {format(y, y_format):>7s} {cells}")
    print(f"   {result!r}")


def course_setup(point):
    """Initial burden (capacity in balance) and a daily senolytic course of a given dose."""
    burden = point["X0"]
    return {
        "initial": {"X": burden, "P": steady_capacity(burden)},
        "schedule": fl.models.course("senolytic", COURSE_START, point["dose"], times=COURSE_DOSES),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=0, help="processes (0: this one)")
    args = parser.parse_args()
    pool = ProcessPoolExecutor(args.workers) if args.workers else None

    print("1. Critical senescent burden (held burden, 250 days from the start of a telogen)")
    critical = fl.models.critical_burden(rtol=1e-4)
    xc = critical.value
    print(f"   {critical!r}, {critical.evaluations} simulations")
    print(
        f"   X_c = {xc:.4f} (dimensionless, Karin scale); capacity there "
        f"P* = {steady_capacity(xc):.3f}; quasi-steady burden of age "
        f"{steady_age(xc):.2f} years"
    )

    print("2. Held burden X x K_X_suppression")
    held = held_burden_map(executor=pool)
    show(held, "5.2f", "g")
    for k, edge in zip(held.y_values, held.edge("cycling"), strict=True):
        print(f"   K_X = {k:g}: cycling up to X = {edge:.3g} on this grid")

    print(
        f"3. Initial burden X0 x senolytic dose (mg/kg, daily from day {COURSE_START:g}, "
        f"{COURSE_DOSES} doses), full coupled model"
    )
    doses = [0.0, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 40.0]
    burdens = [2.0, 3.0, 4.0, 6.0, 8.0, 10.0]
    treated = fl.regime_map(
        fl.models.coupled(),
        ("dose", doses),
        ("X0", burdens),
        classify_hair_cycle,
        days=CRITICAL_BURDEN_DAYS,
        setup=course_setup,
        executor=pool,
    )
    show(treated, "5.1f", "g")
    untreated = fl.simulate(fl.models.coupled(), days=60)
    onset = fl.readouts.crossing_time(untreated, "anagen", 0.5)
    print(
        f"   dose to bring X0 down to X_c by the end of the course (day "
        f"{COURSE_START + COURSE_DOSES:g}) and by the untreated first onset (day {onset:.1f})"
    )
    for burden, row in zip(burdens, treated.labels, strict=True):
        first = doses[int(np.argmax(row == "cycling"))] if (row == "cycling").any() else None
        needed = [
            fl.models.senolytic_dose_needed(
                burden, xc, start=COURSE_START, times=COURSE_DOSES, by=by
            )
            for by in (None, onset)
        ]
        print(
            f"   X0 = {burden:g}: cycles from dose {first} mg/kg on this grid; needed "
            f"{needed[0]:.2f} mg/kg by the end of the course, {needed[1]:.2f} by the onset"
        )
    if pool is not None:
        pool.shutdown()


if __name__ == "__main__":
    main()
