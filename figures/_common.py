"""Shared by the figure scripts: deterministic saving in PNG and SVG.

Panels they share live in :mod:`follicle.models.plot`, which the command line uses too.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

plt.rcParams.update({
    "svg.hashsalt": "follicle",  # fixed ids: the same figure gives the same bytes
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
})

HERE = Path(__file__).resolve().parent


def save(fig, name: str, out_dir: Path = HERE) -> list[Path]:
    """Write ``name``.png and ``name``.svg without timestamps, so reruns are byte-identical."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.svg"]
    fig.savefig(paths[0], metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths

