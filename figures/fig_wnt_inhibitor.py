"""The macrophage-targeted WNT-production inhibitor: time course and delay against dose (F3)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from follicle.models.plot import treated_vs_control
from follicle.models.readouts import first_anagen_onset

import follicle as fl

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
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    treated_vs_control(axes[0], treated, control, {"anagen": "#2e7d32"})
    axes[0].set_ylabel("fraction of follicles")
    treated_vs_control(axes[1], treated, control, {"M_ap": "#1565c0", "W": "#6a1b9a"})
    axes[1].set_ylabel("relative density, WNT [AU]")
    axes[2].plot(amounts, delays, "o-", color="#6a1b9a")
    axes[2].set(xlabel="dose per injection [mg/kg], 6 injections",
                ylabel="delay of anagen onset [day]")
    axes[2].set_ylim(bottom=0)
    fig.suptitle(f"{scenario.title}: anagen starts later, the more so the higher the dose",
                 fontsize=9)
    return save(fig, "wnt_inhibitor", out_dir)


if __name__ == "__main__":
    standalone(main)
