"""Dose x timing of a macrophage apoptosis inducer: how much earlier anagen starts
(findings F2 and F8: a strong dose in early telogen brings anagen forward; the later in
telogen, the sooner the follicles answer)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

import follicle as fl
from follicle.models.readouts import first_anagen_onset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ("F2", "F8")
DRUG = "apoptosis_inducer"
DAYS = 60


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    model = fl.models.coupled()
    amounts = np.geomspace(1, 1000, 3 if fast else 10)
    days = np.linspace(0, 30, 3 if fast else 16)
    untreated = first_anagen_onset(fl.simulate(model, days=DAYS))
    advance = np.array(
        [
            [
                untreated
                - first_anagen_onset(
                    fl.simulate(model, days=DAYS, schedule=[fl.models.dose(DRUG, day, amount)])
                )
                for day in days
            ]
            for amount in amounts
        ]
    )
    competent = model.parameters["tau_refractory"].value
    cmap = plt.get_cmap("RdBu").with_extremes(bad="#3d3d3d")  # dark: never near-white zero
    fig, ax = plt.subplots(figsize=(6.6, 4.2))
    finite = np.where(np.isfinite(advance), advance, np.nan)  # -inf: no anagen in the run
    limit = np.nanmax(np.abs(finite))
    mesh = ax.pcolormesh(
        days, amounts, finite, shading="nearest", cmap=cmap, norm=TwoSlopeNorm(0.0, -limit, limit)
    )
    ax.set_yscale("log")
    fig.colorbar(mesh, ax=ax, label="anagen onset advanced by [day]\n(negative: delayed)")
    ax.axvline(competent, color="k", ls="--", lw=1)
    ax.text(
        competent, amounts[-1], " competent telogen from here", color="k", va="top", fontsize=7
    )
    early = (
        model.parameters["tau_refractory"].value + model.parameters["tau_competent"].value
    ) / 3
    # A line, not a shaded band: a tint over near-zero cells would read as "no anagen".
    ax.axvline(early, color="k", ls="-.", lw=1)
    ax.text(early, amounts[0], "early telogen ", ha="right", va="bottom", fontsize=7)
    ax.axvline(untreated, color="k", ls=":", lw=1)
    ax.text(untreated, amounts[0], " untreated onset", color="k", va="bottom", fontsize=7)
    ax.set(
        xlabel="day of the single dose (day 0: start of the second telogen, P45)",
        ylabel=f"{DRUG.replace('_', ' ')} dose [mg/kg]",
    )
    ax.set_title(
        f"One dose of inducer: a strong dose anywhere in telogen brings anagen "
        f"forward; the later the dose,\nthe sooner the answer (dark grey: no anagen "
        f"within {DAYS} days)",
        fontsize=8,
    )
    return save(fig, "dose_timing", out_dir)


if __name__ == "__main__":
    standalone(main)
