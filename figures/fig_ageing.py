"""Ageing: age-rising senescent production slows cycling and thins fur; a senolytic in old
skin restores it (finding F7)."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt

import follicle as fl
from follicle.models.plot import phase_stack, treated_vs_control

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ("F7",)
DAYS_PER_MONTH = fl.models.senescence.DAYS_PER_YEAR / 12


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    ageing = fl.models.scenario("ageing")
    run = (replace(ageing, days=200) if fast else ageing).run()
    rescue = fl.models.scenario("foxo4_dri_aged")
    treated, control = rescue.run(), rescue.control().run()
    fig, axes = plt.subplot_mosaic(
        [["phase", "phase"], ["burden", "fur"], ["rescue", "fur"]],
        figsize=(10, 7.2),
        height_ratios=[1.1, 1, 1],
    )
    start = 12 * dict(run.parameters)["age0"]  # months
    months = start + run.t / DAYS_PER_MONTH
    phase_stack(axes["phase"], run)
    # Ages in months on every ageing panel (the rescue panel counts days of treatment).
    ticks = range(5 * math.ceil(start / 5), int(months[-1]) + 1, 5)
    axes["phase"].set_xticks(
        [(m - start) * DAYS_PER_MONTH for m in ticks], [f"{m:g}" for m in ticks]
    )
    axes["phase"].set_xlabel("age [month]")
    axes["burden"].plot(months, run["senescent_burden"], color="#c62828")
    critical = dict(run.parameters)["X_critical"]
    axes["burden"].axhline(critical, color="k", ls="--", lw=1)
    axes["burden"].text(
        months[0], critical, " X_c: death in Karin's model", va="bottom", fontsize=7
    )
    axes["burden"].set(xlabel="age [month]", ylabel="senescent burden X")
    axes["fur"].plot(months, run["fur_density"], color="#5d4037")
    axes["fur"].set(xlabel="age [month]", ylabel="fur density F", ylim=(0, None))
    treated_vs_control(
        axes["rescue"], treated, control, {"fur_density": "#5d4037", "anagen": "#2e7d32"}
    )
    (first, *_), doses = rescue.schedule, len(rescue.schedule)
    axes["rescue"].set_title(
        f"FOXO4-DRI at {12 * rescue.params['age0']:g} months: "
        f"{doses} x {first.amount:g} mg/kg every other day",
        fontsize=8,
    )
    axes["rescue"].set_xlabel(f"time [day] from the age of {12 * rescue.params['age0']:g} months")
    fig.suptitle(
        f"{ageing.title}: cycles lengthen, then stop, and the fur thins; "
        "a senolytic in old skin restores cycling",
        fontsize=9,
    )
    return save(fig, "ageing", out_dir)


if __name__ == "__main__":
    standalone(main)
