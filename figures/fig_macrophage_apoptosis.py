"""Induced macrophage apoptosis in early telogen: time course and onset against dose (F2)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import follicle as fl
from follicle.models.plot import treated_vs_control
from follicle.models.readouts import first_anagen_onset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, onsets_by_dose, save, standalone

FINDINGS = ("F2",)
SCENARIO = "early_telogen_macrophage_apoptosis"
DRUG = "apoptosis_inducer"


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    scenario = fl.models.scenario(SCENARIO)
    treated, control = scenario.run(), scenario.control().run()
    (given,) = scenario.schedule
    amounts = np.geomspace(0.5, 1000, 5 if fast else 17)
    onsets = onsets_by_dose(scenario, DRUG, amounts)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    treated_vs_control(axes[0], treated, control, {"anagen": "#2e7d32"})
    axes[0].set_ylabel("fraction of follicles")
    # One quantity per axis: macrophages on the left, WNT on the right, each in its colour;
    # the line styles are said in the title, so no legend covers the curves.
    wnt = axes[1].twinx()
    for ax, name, colour, label in (
        (axes[1], "M", "#1565c0", "macrophages M [relative]"),
        (wnt, "W", "#6a1b9a", "WNT W [AU]"),
    ):
        treated_vs_control(ax, treated, control, {name: colour})
        ax.get_legend().remove()
        ax.set_ylabel(label, color=colour)
        ax.tick_params(axis="y", colors=colour)
    wnt.spines["right"].set_visible(True)
    axes[1].set_title("solid: treated, dashed: control", fontsize=7)
    untreated = first_anagen_onset(control)
    axes[2].semilogx(amounts, onsets, "o-", color="#2e7d32")
    axes[2].axhline(untreated, ls="--", color="grey", lw=0.8)
    axes[2].text(amounts[0], untreated, " untreated", va="bottom", fontsize=7, color="grey")
    axes[2].axhline(given.time, ls=":", color="grey", lw=0.8)
    axes[2].text(amounts[0], given.time, " day of the dose", va="bottom", fontsize=7, color="grey")
    axes[2].set(xlabel=f"inducer dose on day {given.time:g} [mg/kg]", ylabel="anagen onset [day]")
    fig.suptitle(
        f"{scenario.title} (treated: {given.amount:g} mg/kg on day {given.time:g}): "
        "anagen starts earlier,\nthe more so the stronger the dose, until competence "
        "limits it",
        fontsize=9,
    )
    return save(fig, "macrophage_apoptosis", out_dir)


if __name__ == "__main__":
    standalone(main)
