"""Senescence induction, then a senolytic: burden, proliferation, anagen, fur, and the dose
window of the senolytic (findings F5 and F6)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import follicle as fl
from follicle.models.plot import mark_doses

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ("F5", "F6")
SCENARIO = "abt737_after_induction"
DRUG = "senolytic"
PANELS = {
    "senescent_burden": "senescent burden X",
    "proliferation": "proliferating stem cells S",
    "anagen": "anagen fraction",
    "fur_density": "fur density F",
}
#: Readout of the dose window: mean fur from a week after the course starts to the end.
WINDOW = (35.0, 120.0)


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    scenario = fl.models.scenario(SCENARIO)
    (induction,) = (e for e in scenario.schedule if isinstance(e, fl.ParameterStep))
    runs = {
        "no induction": fl.simulate(fl.models.coupled(), days=scenario.days),
        "induction only": scenario.with_doses(DRUG, 0).run(),
        "induction, then senolytic": scenario.run(),
    }
    styles = {
        "no induction": ("grey", ":"),
        "induction only": ("#c62828", "--"),
        "induction, then senolytic": ("#2e7d32", "-"),
    }
    amounts = np.geomspace(1, 640, 4 if fast else 19)
    fur = [
        fl.readouts.time_average(
            scenario.with_doses(DRUG, a).run(), "fur_density", start=WINDOW[0], stop=WINDOW[1]
        )
        for a in amounts
    ]
    fig, axes = plt.subplot_mosaic(
        [[*list(PANELS)[:2], "window"], [*list(PANELS)[2:], "window"]], figsize=(10, 5.2)
    )
    for name, label in PANELS.items():
        ax = axes[name]
        for key, run in runs.items():
            colour, style = styles[key]
            ax.plot(run.t, run[name], style, color=colour, label=key)
        ax.axvspan(induction.start, induction.stop, color="#ffcdd2", alpha=0.5, lw=0)
        mark_doses(ax, runs["induction, then senolytic"])
        ax.set(ylabel=label, xlabel="time [day]", xlim=(0, scenario.days))
    axes["senescent_burden"].legend(
        fontsize=7, frameon=False, title="shaded: induction", title_fontsize=7
    )
    ax = axes["window"]
    ax.semilogx(amounts, fur, "o-", color="#2e7d32")
    ax.axhline(
        fl.readouts.time_average(
            runs["induction only"], "fur_density", start=WINDOW[0], stop=WINDOW[1]
        ),
        ls="--",
        color="#c62828",
        lw=0.8,
        label="induction only",
    )
    ax.legend(fontsize=7, frameon=False)
    ax.set(
        xlabel="senolytic dose per day, 7 days [mg/kg]",
        ylabel=f"mean fur, days {WINDOW[0]:g}-{WINDOW[1]:g}",
    )
    ax.set_title("dose window: too much harms stem cells", fontsize=8)
    doses = [e for e in scenario.schedule if isinstance(e, fl.Bolus)]
    fig.suptitle(
        "Induced senescence outlasts induction and holds follicles in telogen; "
        "a senolytic restores proliferation, anagen and fur\n(treated curves: "
        f"{len(doses)} x {doses[0].amount:g} mg/kg every "
        f"{doses[1].time - doses[0].time:g} day from day {doses[0].time:g}; "
        f"induction days {induction.start:g}-{induction.stop:g})",
        fontsize=9,
    )
    return save(fig, "senolytic", out_dir)


if __name__ == "__main__":
    standalone(main)
