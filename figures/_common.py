"""Shared by the figure scripts: deterministic saving in PNG and SVG.

Panels they share live in :mod:`follicle.models.plot`, which the command line uses too.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from follicle.models.readouts import first_anagen_onset

plt.rcParams.update(
    {
        "svg.hashsalt": "follicle",  # fixed ids: the same figure gives the same bytes
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)

HERE = Path(__file__).resolve().parent


def save(fig, name: str, out_dir: Path = HERE, tight: bool = True) -> list[Path]:
    """Write ``name``.png and ``name``.svg without timestamps, so reruns are byte-identical.

    ``tight`` lays the figure out with ``tight_layout`` first.
    """
    if tight:
        fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.svg"]
    fig.savefig(paths[0], metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths


def onsets_by_dose(scenario, drug: str, amounts) -> list[float]:
    """First anagen onset of ``scenario`` with every dose of ``drug`` at each amount."""
    return [first_anagen_onset(scenario.with_doses(drug, a).run()) for a in amounts]


def standalone(main) -> None:
    """Run a figure script's ``main`` on its own, printing the files it writes."""
    for path in main():
        print(path)
