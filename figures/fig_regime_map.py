"""Regimes of the coupled model: the critical senescent burden X_c above which the hair cycle
stops, and the senolytic dose that brings a burden back down to it (findings F5 and F7).

Left: :func:`follicle.models.regimes.held_burden_map`, the coupled model with the burden
held (``fl.models.clamped("senescence")``) over the held burden X and ``K_X_suppression``,
each point 250 days from the start of a telogen with the stem cells' capacity in balance,
labelled by :data:`follicle.models.classify_hair_cycle`; X_c at the default
``K_X_suppression`` from :func:`follicle.models.critical_burden` (bisection); the top axis
gives the age whose quasi-steady burden X is (:func:`~follicle.models.senescence.steady_age`).
Right: :func:`follicle.models.senolytic_dose_needed` for initial burdens above X_c.
The numbers are quoted in ``docs/analysis.md``; ``docs/scripts/regime_map.py`` prints them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.ticker import NullLocator

import follicle as fl
from follicle.models.readouts import first_anagen_onset
from follicle.models.regimes import REGIMES, held_burden_map
from follicle.models.senescence import steady_age, steady_burden

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ("F5", "F7")
#: One colour per label of :data:`~follicle.models.regimes.REGIMES`, in its order.
COLOURS = ("#66bb6a", "#e57373", "#ffb74d", "#64b5f6")
#: The senolytic course whose dose is solved for: daily from day 3, seven doses.
COURSE_START, COURSE_DOSES = 3.0, 7
#: Ages (years) marked on the top axis, and burdens labelled on the bottom one.
AGES = (0.5, 1.0, 1.25, 1.5, 1.6)
TICKS = (0.25, 0.5, 1.0, 2.0, 4.0)


def _map_panel(ax, held, critical) -> None:
    codes = np.vectorize(REGIMES.index)(held.labels)
    rows = np.arange(held.y_values.size)
    ax.pcolormesh(
        held.x_values,
        rows,
        codes,
        shading="nearest",
        cmap=ListedColormap(COLOURS),
        norm=BoundaryNorm(np.arange(len(REGIMES) + 1) - 0.5, len(REGIMES)),
    )
    ax.set_xscale("log")
    ax.set_xticks(TICKS, [f"{x:g}" for x in TICKS])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yticks(rows, [f"{k:g}" for k in held.y_values])
    ax.set(
        xlabel="held senescent burden X (dimensionless)",
        ylabel="K_X_suppression (burden that halves activation)",
    )
    default = fl.models.clamped("senescence").parameters["K_X_suppression"].value
    row = int(np.argmin(np.abs(held.y_values - default)))
    xc = critical.value
    ax.plot([xc, xc], [row - 0.5, row + 0.5], color="k", lw=2)
    ax.text(
        xc * 1.04,
        row,
        f"X_c = {xc:.3f}\n(age {steady_age(xc):.2f} years)",
        va="center",
        fontsize=7,
        bbox={"fc": "white", "ec": "none", "alpha": 0.8},
    )
    top = ax.secondary_xaxis("top")
    top.xaxis.set_minor_locator(NullLocator())
    ages = [a for a in AGES if held.x_values[0] <= steady_burden(a) <= held.x_values[-1]]
    top.set_xticks([steady_burden(a) for a in ages], [f"{a:g}" for a in ages])
    top.set_xlabel("age whose quasi-steady burden is X [year]")
    # Only the regimes the map shows: a legend entry with no cell would mislead.
    shown = [i for i, regime in enumerate(REGIMES) if np.any(held.labels == regime)]
    ax.legend(
        [plt.Rectangle((0, 0), 1, 1, color=COLOURS[i]) for i in shown],
        [REGIMES[i] for i in shown],
        fontsize=7,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(0, -0.16),
        ncol=2,
    )


def _dose_panel(ax, xc: float, burdens) -> None:
    onset = first_anagen_onset(fl.simulate(fl.models.coupled(), days=60))
    end = COURSE_START + COURSE_DOSES
    for by, label, style in (
        (None, f"by the end of the course (day {end:g})", "-"),
        (onset, f"by the untreated first onset (day {onset:.1f})", "--"),
    ):
        needed = [
            fl.models.senolytic_dose_needed(x0, xc, start=COURSE_START, times=COURSE_DOSES, by=by)
            for x0 in burdens
        ]
        ax.plot(burdens, needed, style, marker="o", ms=3, color="#2e7d32", label=label)
    toxic = fl.models.coupled().parameters["EC50_sl_stem"].value
    ax.axhline(toxic, color="#c62828", ls=":", lw=1)
    ax.text(
        burdens[0],
        toxic,
        " EC50_sl_stem (stem-cell toxicity)",
        va="bottom",
        fontsize=7,
        color="#c62828",
    )
    ax.set(
        xlabel="initial burden X0 (dimensionless)",
        ylabel=f"senolytic dose per day, {COURSE_DOSES} days [mg/kg]",
        ylim=(0, None),
    )
    ax.legend(
        fontsize=7,
        frameon=False,
        loc="center right",
        title=f"dose to bring X0 down to X_c = {xc:.3f}",
        title_fontsize=7,
    )


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    """Draw the regime map and the senolytic dose needed (``fast``: coarse grids)."""
    if fast:
        held = held_burden_map([0.5, 2.0, 4.0], [1.0, 2.0])
        critical = fl.models.critical_burden(rtol=0.05)
    else:
        held = held_burden_map()
        critical = fl.models.critical_burden(rtol=1e-4)  # as docs/analysis.md quotes it
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), width_ratios=[1.4, 1])
    _map_panel(axes[0], held, critical)
    _dose_panel(axes[1], critical.value, np.geomspace(critical.value, 10.0, 4 if fast else 12))
    fig.suptitle(
        "Held above the critical burden X_c the patch stops cycling (left; 250 days "
        "from a telogen start, burden clamped);\na 7-day senolytic course that "
        "brings the burden below X_c needs a dose that rises with the burden (right)",
        fontsize=9,
    )
    return save(fig, "regime_map", out_dir)


if __name__ == "__main__":
    standalone(main)
