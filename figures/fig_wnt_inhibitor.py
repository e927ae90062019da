"""The macrophage-targeted WNT-production inhibitor: time course, delay against dose, and
the same course given during anagen, which leaves that anagen unchanged (F3)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import follicle as fl
from follicle.models.plot import treated_vs_control
from follicle.models.readouts import anagen_ends, anagen_onsets, first_anagen_onset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, onsets_by_dose, save, standalone

FINDINGS = ("F3",)
SCENARIO = "macrophage_wnt_inhibition"
DRUG = "wnt_inhibitor"


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    scenario = fl.models.scenario(SCENARIO)
    treated, control = scenario.run(), scenario.control().run()
    amounts = np.linspace(0, 5, 4 if fast else 21)
    untreated = first_anagen_onset(control)
    delays = np.array(onsets_by_dose(scenario, DRUG, amounts)) - untreated
    first, *_ = scenario.schedule
    # The same course started two days into the untreated anagen.
    start = anagen_onsets(control)[0]
    in_anagen = fl.simulate(
        fl.models.coupled(),
        days=scenario.days,
        schedule=fl.models.course(DRUG, start + 2, first.amount, every="2 day", times=6),
    )
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.6), layout="constrained")
    treated_vs_control(axes[0], treated, control, {"anagen": "#2e7d32"})
    axes[0].set(ylabel="fraction of follicles in anagen", title="in telogen: onset delayed")
    treated_vs_control(axes[1], treated, control, {"W": "#6a1b9a"})
    axes[1].set(ylabel="WNT in the niche [AU]", title="the WNT pulse is smaller")
    axes[1].legend(
        fontsize=7,
        frameon=False,
        loc="lower right",
        title="solid: treated, dashed: control",
        title_fontsize=7,
    )
    axes[2].plot(amounts, delays, "o-", color="#6a1b9a")
    axes[2].set(
        xlabel="dose per injection [mg/kg], 6 injections",
        ylabel="delay of anagen onset [day]",
        title="higher dose, longer delay",
    )
    axes[2].set_ylim(bottom=0)
    treated_vs_control(axes[3], in_anagen, control, {"anagen": "#2e7d32"})
    end_shift = anagen_ends(in_anagen)[0] - anagen_ends(control)[0]
    axes[3].set(
        ylabel="fraction of follicles in anagen",
        title=f"given during anagen: its end moves {end_shift * 24:+.1f} h",
    )
    for ax in axes:
        ax.title.set_fontsize(8)
    fig.suptitle(
        f"{scenario.title}: {first.amount:g} mg/kg every 2 days x6 from day "
        f"{first.time:g}; anagen starts later, the more so the higher the dose",
        fontsize=9,
    )
    return save(fig, "wnt_inhibitor", out_dir)


if __name__ == "__main__":
    standalone(main)
