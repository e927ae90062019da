"""Global sensitivity of two readouts of the coupled model: Sobol indices with their intervals.

The readouts of :mod:`follicle.models.global_sensitivity`: the anagen-onset delay under the
macrophage-targeted WNT inhibitor (finding F3's effect) and the fur a senolytic course
restores after senescence induction (F6's effect), each over the 11 parameters of its
mechanism, every parameter uniform on its default +-20% (clipped to its allowed range).
:func:`follicle.fitting.sobol_indices` (Saltelli sampling on a scrambled Sobol sequence, seed
0; SALib's estimators with 95% bootstrap intervals). Bars: first order S1 (the parameter
alone) and total ST (with its interactions), most influential (ST) first.
``docs/scripts/sobol_coupled.py`` prints the same indices as tables. N = 256: each readout
is evaluated N (d + 2) = 3328 times, two simulations each, run as ensembles
(``vectorized=True``).

``fast``: N = 2.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import follicle as fl
from follicle.models.global_sensitivity import READOUTS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ()
#: Base sample size N of the full figure (each readout is evaluated N (d + 2) times).
N = 256
SEED = 0
SPREAD = 0.2
#: Indices lie in [0, 1]; estimates a little outside it are sampling noise.
XLIM = (-0.5, 1.5)
COLOURS = {"S1 (alone)": "#90caf9", "ST (with interactions)": "#1565c0"}
#: The scenario whose doses each readout gives (see follicle.models.global_sensitivity).
SCENARIOS = {"onset_delay": "macrophage_wnt_inhibition", "fur_recovery": "abt737_after_induction"}


def doses(scenario: str) -> str:
    """The scenario's course as the title states it: ``8 x 2 mg/kg every 2 days from day
    12``."""
    given = [e for e in fl.models.scenario(scenario).schedule if isinstance(e, fl.Bolus)]
    first, gap = given[0], (given[1].time - given[0].time if len(given) > 1 else 0)
    every = f" every {gap:g} days" if gap != 1 else " daily"
    return (
        f"{len(given)} x {first.amount:g} {first.unit}{every if len(given) > 1 else ''}"
        f" from day {first.time:g}"
    )


def _panel(ax, name: str, result: fl.fitting.SobolIndices, at_default: float) -> None:
    order = [result.names.index(n) for n in result.ranking()]
    rows = np.arange(len(order))
    for k, (label, colour) in enumerate(COLOURS.items()):
        values, conf = (
            (result.first, result.first_conf) if k == 0 else (result.total, result.total_conf)
        )
        ax.barh(
            rows + (k - 0.5) * 0.38,
            values[order],
            xerr=conf[order],
            height=0.38,
            color=colour,
            label=label,
            error_kw={"lw": 0.8, "capsize": 1.5},
        )
    ax.set_yticks(rows, [result.names[i] for i in order], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlim(*XLIM)
    ax.set_xlabel(
        f"Sobol index (bars: {result.conf_level:.0%} bootstrap interval; wider "
        f"ones run off the axis)"
    )
    summary = textwrap.fill(
        f"{name}: {READOUTS[name][0].__doc__.splitlines()[0]} (treated: {doses(SCENARIOS[name])})",
        70,
    )
    ax.set_title(
        f"{summary}\n{at_default:.3g} at the defaults; N = {result.n}, "
        f"{result.evaluations} evaluations",
        fontsize=8,
    )
    ax.legend(fontsize=7, frameon=False, loc="lower right")


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    """Compute and draw the indices (``fast``: N = 2)."""
    model = fl.models.coupled()
    results = {
        name: fl.fitting.sobol_indices(
            model,
            list(parameters),
            readout,
            n=2 if fast else N,
            spread=SPREAD,
            seed=SEED,
            vectorized=True,
        )
        for name, (readout, parameters) in READOUTS.items()
    }
    fig, axes = plt.subplots(1, len(results), figsize=(11, 4.8))
    for ax, (name, result) in zip(axes, results.items(), strict=True):
        _panel(ax, name, result, READOUTS[name][0]({}))
    fig.suptitle(
        f"Which parameters matter: Sobol indices of two readouts of the coupled "
        f"model, each parameter uniform on its default ±{SPREAD:.0%} (seed {SEED});"
        f"\nN = {N}; parameters whose intervals overlap are not told apart",
        fontsize=9,
    )
    return save(fig, "sensitivity", out_dir)


if __name__ == "__main__":
    standalone(main)
