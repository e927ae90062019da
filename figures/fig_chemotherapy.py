"""Chemotherapy in anagen, then a senolytic: hair loss and its return (finding F9).

Uses the ``chemotherapy_then_senolytic`` scenario as it stands; its chemotherapy parameters
are still being tuned, and the figure follows them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
from follicle.models.plot import mark_doses

import follicle as fl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ("F9",)
SCENARIO = "chemotherapy_then_senolytic"
PANELS = {
    "anagen": "anagen fraction",
    "fur_density": "fur density F",
    "senescent_burden": "senescent burden X",
    "stem_pool": "stem-cell pool Q + S",
}


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    scenario = fl.models.scenario(SCENARIO)
    runs = {
        "untreated": (scenario.control().run(), "grey", ":"),
        "chemotherapy only": (scenario.with_doses("senolytic", 0).run(), "#c62828", "--"),
        "chemotherapy, then senolytic": (scenario.run(), "#2e7d32", "-"),
    }
    fig, axes = plt.subplots(2, 2, figsize=(9, 5.6), sharex=True)
    for ax, (name, label) in zip(axes.flat, PANELS.items(), strict=True):
        for key, (run, colour, style) in runs.items():
            ax.plot(run.t, run[name], style, color=colour, label=key)
        mark_doses(ax, runs["chemotherapy, then senolytic"][0])
        ax.set(ylabel=label, xlim=(0, scenario.days))
    for ax in axes[1]:
        ax.set_xlabel("time [day]")
    axes[0, 1].legend(fontsize=7, frameon=False)
    fig.suptitle(f"{scenario.title} (chemotherapy on day "
                 f"{scenario.schedule[0].time:g}, senolytic after)", fontsize=9)
    return save(fig, "chemotherapy", out_dir)


if __name__ == "__main__":
    standalone(main)
