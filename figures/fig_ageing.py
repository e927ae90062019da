"""Ageing: age-rising senescent production slows cycling and thins fur; a senolytic in old
skin restores it (finding F7)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from follicle.models.plot import phase_stack, treated_vs_control

import follicle as fl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ("F7",)
DAYS_PER_YEAR = 365.25


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    ageing = fl.models.scenario("ageing")
    run = (replace(ageing, days=200) if fast else ageing).run()
    rescue = fl.models.scenario("foxo4_dri_aged")
    treated, control = rescue.run(), rescue.control().run()
    fig, axes = plt.subplot_mosaic([["phase", "phase"], ["burden", "fur"], ["rescue", "fur"]],
                                   figsize=(10, 7.2), height_ratios=[1.1, 1, 1])
    age0 = dict(run.parameters)["age0"]
    years = age0 + run.t / DAYS_PER_YEAR
    phase_stack(axes["phase"], run)
    axes["phase"].set_xlabel(f"time [day] (age {age0:g} years at day 0)")
    axes["burden"].plot(years, run["senescent_burden"], color="#c62828")
    axes["burden"].set(xlabel="age [year]", ylabel="senescent burden X")
    axes["fur"].plot(years, run["fur_density"], color="#5d4037")
    axes["fur"].set(xlabel="age [year]", ylabel="fur density F", ylim=(0, None))
    treated_vs_control(axes["rescue"], treated, control, {"fur_density": "#5d4037",
                                                          "anagen": "#2e7d32"})
    axes["rescue"].set_title(f"{rescue.title} ({np.round(rescue.params['age0'], 2):g} "
                             "years)", fontsize=8)
    fig.suptitle(f"{ageing.title}: cycles lengthen, then stop, and the fur thins; "
                 "a senolytic in old skin restores cycling", fontsize=9)
    return save(fig, "ageing", out_dir)


if __name__ == "__main__":
    standalone(main)
