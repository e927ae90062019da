"""Shared by the figure scripts: deterministic saving in PNG and SVG, and common panels."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import follicle as fl

plt.rcParams.update({
    "svg.hashsalt": "follicle",  # fixed ids: the same figure gives the same bytes
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
})

HERE = Path(__file__).resolve().parent

#: Colours of the hair-cycle phases, used by every figure that shows them.
PHASES = {
    "anagen": ("anagen", "#2e7d32"),
    "catagen": ("catagen", "#f9a825"),
    "refractory": ("refractory telogen", "#90a4ae"),
    "competent": ("competent telogen", "#1565c0"),
}


def save(fig, name: str, out_dir: Path = HERE) -> list[Path]:
    """Write ``name``.png and ``name``.svg without timestamps, so reruns are byte-identical."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.svg"]
    fig.savefig(paths[0], metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths


def phase_stack(ax, run, legend: bool = True) -> None:
    """Stacked phase fractions of ``run`` over time on ``ax``."""
    ax.stackplot(run.t, *(run[name] for name in PHASES),
                 labels=[label for label, _ in PHASES.values()],
                 colors=[colour for _, colour in PHASES.values()])
    ax.set_ylim(0, 1)
    ax.set_xlim(run.t[0], run.t[-1])
    ax.set_ylabel("fraction of follicles")
    if legend:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=7, ncol=4,
                  frameon=False)


def mark_doses(ax, run, colour: str = "k") -> None:
    """Tick marks at the times of ``run``'s doses, along the top of ``ax``."""
    times = sorted({ev.time for ev in run.schedule.events if isinstance(ev, fl.Bolus)})
    ax.plot(times, [1.0] * len(times), "v", color=colour, markersize=4,
            transform=ax.get_xaxis_transform(), clip_on=False)


def treated_vs_control(ax, treated, control, names: dict[str, str]) -> None:
    """``names`` ({name: colour}) of ``treated`` (solid) and ``control`` (dashed) on ``ax``."""
    for name, colour in names.items():
        ax.plot(treated.t, treated[name], "-", color=colour, label=name)
        ax.plot(control.t, control[name], "--", color=colour)
    ax.set_xlim(treated.t[0], treated.t[-1])
    ax.set_xlabel("time [day]")
    ax.legend(fontsize=7, frameon=False, title="solid: treated, dashed: control",
              title_fontsize=7)
    mark_doses(ax, treated)
