"""Calibration: a fit with its profile likelihoods, and the coupled model against its targets.

What is fitted to what:

* Left and middle: the saturating-removal model of Karin et al. (2019)
  (:func:`follicle.models.zoo.karin2019`), its ``eta``, ``beta`` and ``kappa``, fitted to the
  shipped *synthetic* set ``karin_ageing_synthetic`` (simulated from mouse set A with 10%
  log-normal noise, seed 2019: an ageing course and a pulse of burden at 3 and at 18
  months) by :func:`follicle.fitting.estimate` (10 starts, seed 3), then profiled by
  :func:`follicle.fitting.profile.profile` (95%); the same computation as
  ``docs/scripts/karin_identifiability.py``. The curves are the fitted and the generating
  model.
* Right: nothing is fitted here. The coupled model at its default parameters is scored
  against the literature targets of ``fitting/targets.toml`` (:func:`follicle.fitting.
  targets.score`), residual (readout - target) / sd. Its phase durations ``tau_anagen``
  and ``tau_catagen`` come from the 50-start calibration to the three phase-duration
  targets (``docs/calibration.json``, 27 min, too slow to rerun for a figure); the other
  targets were never fitted.

``fast``: 2 starts, only ``kappa`` profiled.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import follicle as fl
from follicle.fitting import datasets, estimate, targets
from follicle.fitting.profile import profile
from follicle.models.zoo.karin2019 import PARAMETER_SETS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ()
DATASET = "karin_ageing_synthetic"
TRUTH = PARAMETER_SETS["A"]
CONDITIONS = {
    "ageing": "ageing course",
    "pulse_young": "pulse at 3 months",
    "pulse_old": "pulse at 18 months",
}
SOURCES = {"brief": "#1565c0", "assumption": "#9e9e9e"}


def _condition_panel(ax, problem, fit, cid: str) -> None:
    condition = problem.data.conditions[cid]
    points = [m for m in problem.data.measurements if m.condition == cid]
    times = np.array([m.time for m in points])
    values = np.array([m.value for m in points])
    noise = np.array([m.noise for m in points])  # sd of ln X
    ax.errorbar(
        times,
        values,
        yerr=[values * (1 - np.exp(-noise)), values * (np.exp(noise) - 1)],
        fmt="o",
        ms=3,
        color="k",
        lw=0.8,
        label="synthetic data (±1 sd)",
    )
    start = times[0] - (50 if cid == "ageing" else 10)  # ageing: log axis, X(0) = 0
    grid = np.linspace(start, times[-1], 400)
    for params, style, label in (
        (fit.best, "-", "fit"),
        ({k: TRUTH[k] for k in fit.best}, ":", "set A (truth)"),
    ):
        run = fl.simulate(
            problem.model,
            t_span=(0.0, condition.days),
            t_eval=grid,
            params=params,
            schedule=condition.schedule,
            rtol=problem.rtol,
        )
        ax.plot(run.t, run["X"], style, color="#c62828" if label == "fit" else "grey", label=label)
    ax.set(xlabel="age [day]", ylabel="senescent burden X", title=CONDITIONS[cid])
    ax.title.set_fontsize(8)


def _profile_panel(ax, found) -> None:
    values = np.exp(found.theta)
    ax.plot(values, 2 * (found.cost - found.best_cost), "o-", ms=3, color="#c62828")
    ax.axhline(found.threshold, color="k", ls="--", lw=0.8)
    ax.axvspan(*found.interval, color="#ffcdd2", alpha=0.6, lw=0)
    ax.axvline(TRUTH[found.parameter], color="grey", ls=":", lw=1)
    ax.set(xlabel=found.parameter, ylabel="2 ΔPL", ylim=(0, 2 * found.threshold))
    ax.set_title(
        f"{found.classification}\n95%: [{found.interval[0]:.3g}, {found.interval[1]:.3g}]",
        fontsize=7,
    )


def _unit(unit: str) -> str:
    return "" if unit == "1" else unit


def _targets_panel(ax) -> None:
    table = targets.load()
    scores = targets.score(table)
    names = list(table)
    ax.barh(
        range(len(names)),
        [scores[n][1] for n in names],
        color=[SOURCES[table[n].source] for n in names],
        height=0.6,
    )
    ax.set_yticks(
        range(len(names)),
        [
            f"{n.replace('_', ' ')}{' (fitted)' if table[n].readout.startswith('cycle.') else ''}"
            f"\n{scores[n][0]:.3g} vs {table[n].value:g} {_unit(table[n].unit)}"
            for n in names
        ],
        fontsize=6.5,
    )
    ax.invert_yaxis()
    for edge in (-1, 1):
        ax.axvline(edge, color="k", ls=":", lw=0.8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("residual (readout - target) / sd")
    ax.legend(
        [plt.Rectangle((0, 0), 1, 1, color=c) for c in SOURCES.values()],
        [f"source: {s}" for s in SOURCES],
        fontsize=7,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.09),
    )
    ax.set_title(
        "coupled model at its defaults\nagainst the literature targets\n(fitted: "
        "phase durations, by the\n50-start calibration; the rest: not fitted)",
        fontsize=8,
    )


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    """Fit, profile and score (``fast``: 2 starts, one profile)."""
    problem = datasets.problem(DATASET, rtol=1e-7)
    fit = estimate(problem, starts=2 if fast else 10, seed=3)
    profiles = profile(problem, fit, ["kappa"] if fast else None, tol=1e-8)
    fig, axes = plt.subplot_mosaic(
        [[*CONDITIONS, "targets"], [*(f"profile {p}" for p in problem.parameters), "targets"]],
        figsize=(13, 7),
        width_ratios=[1, 1, 1, 1.25],
    )
    for cid in CONDITIONS:
        _condition_panel(axes[cid], problem, fit, cid)
    axes["ageing"].set_yscale("log")
    axes["ageing"].legend(fontsize=7, frameon=False)
    for name in problem.parameters:
        if name in profiles:
            _profile_panel(axes[f"profile {name}"], profiles[name])
        else:
            axes[f"profile {name}"].set_axis_off()
    _targets_panel(axes["targets"])
    fig.suptitle(
        f"Left: Karin et al. 2019 saturating removal, eta, beta, kappa fitted to the "
        f"synthetic set {DATASET!r} (set A + 10% log-normal noise; "
        f"{len(fit.starts)} starts, {fit.n_at_best()} at the best)\nand their "
        "profile likelihoods (shaded: 95% interval; dotted: the true value). "
        "Right: the coupled model scored against the literature targets",
        fontsize=9,
    )
    return save(fig, "fitting", out_dir)


if __name__ == "__main__":
    standalone(main)
