"""The untreated hair cycle: phase fractions, macrophages, WNT and stem cells (finding F1)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt

import follicle as fl
from follicle.models.plot import phase_stack

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ("F1",)


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    days = 100 if fast else 200
    run = fl.simulate(fl.models.coupled(), days=days)
    fig, axes = plt.subplots(4, 1, figsize=(7, 7.5), sharex=True)
    phase_stack(axes[0], run)
    axes[1].plot(run.t, run["M"], label="live macrophages M")
    axes[1].plot(run.t, run["M_ap"], label="apoptotic macrophages M_ap")
    axes[1].set_ylabel("relative density")
    axes[1].legend(fontsize=7, frameon=False)
    axes[2].plot(run.t, run["W"], color="#6a1b9a")
    axes[2].set_ylabel(f"WNT [{run.unit('W')}]")
    axes[3].plot(run.t, run["proliferation"], color="#c62828")
    axes[3].set_ylabel("activated stem cells S", color="#c62828")
    fur = axes[3].twinx()
    fur.plot(run.t, run["fur_density"], color="#5d4037")
    fur.set_ylabel("fur density F", color="#5d4037")
    axes[3].set_xlabel("time [day]")
    fig.suptitle("Untreated skin: the macrophage wave and WNT pulse precede each anagen", y=1.0)
    return save(fig, "untreated_cycle", out_dir)


if __name__ == "__main__":
    standalone(main)
