"""Chemotherapy in anagen, then a senolytic: hair loss and its return (finding F9).

Uses the ``chemotherapy_then_senolytic`` scenario as it stands; its chemotherapy parameters
are still being tuned, and the figure follows them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import follicle as fl
from follicle.models.plot import mark_doses

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
    fig, ax_of = plt.subplot_mosaic(
        [["anagen", "fur_density", "sweep"], ["senescent_burden", "stem_pool", "sweep"]],
        figsize=(12.5, 5.6),
        width_ratios=[1, 1, 0.9],
    )
    axes = np.array(
        [[ax_of["anagen"], ax_of["fur_density"]], [ax_of["senescent_burden"], ax_of["stem_pool"]]]
    )
    for ax in axes[0]:
        ax.sharex(axes[1, 0])
    for ax, (name, label) in zip(axes.flat, PANELS.items(), strict=True):
        for key, (run, colour, style) in runs.items():
            ax.plot(run.t, run[name], style, color=colour, label=key)
        mark_doses(ax, runs["chemotherapy, then senolytic"][0])
        ax.set(ylabel=label, xlim=(0, scenario.days))
    for ax in axes[1]:
        ax.set_xlabel("time [day]")
    axes[0, 1].legend(fontsize=7, frameon=False)
    _pulse_size_sweep(ax_of["sweep"], scenario, runs["untreated"][0], fast)
    pulse, *senolytic = scenario.schedule
    fig.suptitle(
        f"{scenario.title}: chemotherapy {pulse.amount:g} mg/kg on day "
        f"{pulse.time:g}, senolytic {senolytic[0].amount:g} mg/kg daily x"
        f"{len(senolytic)} from day {senolytic[0].time:g}",
        fontsize=9,
    )
    return save(fig, "chemotherapy", out_dir)


def _pulse_size_sweep(ax, scenario, untreated, fast):
    """F9's 'more senescence, slower return': regrowth time against pulse size."""
    pulse = scenario.schedule[0]
    stop = pulse.time + 120
    level = 0.6 * fl.readouts.time_average(untreated, "fur_density", start=pulse.time, stop=stop)
    sizes = [50.0, 150.0, 400.0] if fast else [25.0, 50.0, 100.0, 150.0, 250.0, 400.0]
    regrowth, burden = [], []
    for size in sizes:
        run = fl.simulate(
            fl.models.coupled(),
            days=stop,
            schedule=[fl.models.dose("chemotherapy", pulse.time, size)],
        )
        back = fl.readouts.recovery_time(run, "fur_density", level, start=pulse.time, stop=stop)
        regrowth.append(back - pulse.time)
        burden.append(fl.readouts.value_at(run, "senescent_burden", pulse.time + 7))
    ax.plot(sizes, regrowth, "o-", color="#c62828")
    ax.set(
        xlabel="chemotherapy pulse [mg/kg], no senolytic",
        ylabel="days until fur is back at 60% of untreated",
        xscale="log",
    )
    ax.set_xticks(sizes, [f"{size:g}" for size in sizes])
    ax.minorticks_off()
    for size, days, x in zip(sizes, regrowth, burden, strict=True):
        ax.annotate(
            f"X={x:.1f}", (size, days), textcoords="offset points", xytext=(4, -10), fontsize=6
        )
    ax.set_title("bigger pulse, more senescence (X a week after), slower return", fontsize=8)


if __name__ == "__main__":
    standalone(main)
