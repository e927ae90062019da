"""Plot panels of the hair-follicle model, shared by the figures and the command line.

Every function draws on a given matplotlib ``Axes`` (or builds a
:class:`matplotlib.figure.Figure` without pyplot), so it works with any backend and leaves
no global state behind.

>>> import follicle as fl
>>> from follicle.models.plot import overview
>>> fig = overview(fl.simulate(fl.models.coupled(), days=60))
>>> fig.savefig("run.png")  # doctest: +SKIP
"""

from __future__ import annotations

from matplotlib.figure import Figure

from follicle.schedule import Bolus, in_unit

__all__ = ["OVERVIEW", "PHASES", "mark_doses", "overview", "phase_stack", "treated_vs_control"]

#: Hair-cycle phase observables with their label and colour.
PHASES = {
    "anagen": ("anagen", "#2e7d32"),
    "catagen": ("catagen", "#f9a825"),
    "refractory": ("refractory telogen", "#90a4ae"),
    "competent": ("competent telogen", "#1565c0"),
}

#: Panels of :func:`overview` below the phase fractions: title and the names drawn in it.
OVERVIEW = {
    "macrophages": ("M", "M_ap"),
    "WNT": ("W",),
    "stem cells": ("proliferation", "stem_pool"),
    "senescence": ("senescent_burden",),
    "fur": ("fur_density",),
}


def phase_stack(ax, run, legend: bool = True) -> None:
    """Stacked phase fractions of ``run`` over time on ``ax``."""
    ax.stackplot(
        run.t,
        *(run[name] for name in PHASES),
        labels=[label for label, _ in PHASES.values()],
        colors=[colour for _, colour in PHASES.values()],
    )
    ax.set_ylim(0, 1)
    ax.set_xlim(run.t[0], run.t[-1])
    ax.set_ylabel("fraction of follicles")
    if legend:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=7, ncol=4, frameon=False)


def mark_doses(ax, run, colour: str = "k") -> None:
    """Triangles along the top of ``ax`` at the times of ``run``'s doses."""
    times = sorted(
        {in_unit(ev, run.time_unit).time for ev in run.schedule.events if isinstance(ev, Bolus)}
    )
    ax.plot(
        times,
        [1.0] * len(times),
        "v",
        color=colour,
        markersize=4,
        transform=ax.get_xaxis_transform(),
        clip_on=False,
    )


def treated_vs_control(ax, treated, control, names: dict[str, str]) -> None:
    """``names`` ({name: colour}) of ``treated`` (solid) and ``control`` (dashed) on ``ax``."""
    for name, colour in names.items():
        ax.plot(treated.t, treated[name], "-", color=colour, label=name)
        ax.plot(control.t, control[name], "--", color=colour)
    ax.set_xlim(treated.t[0], treated.t[-1])
    ax.set_xlabel("time [day]")
    ax.legend(fontsize=7, frameon=False, title="solid: treated, dashed: control", title_fontsize=7)
    mark_doses(ax, treated)


def overview(run, title: str = "") -> Figure:
    """One figure of a run of the coupled model: phases, then each panel of :data:`OVERVIEW`.

    Parameters
    ----------
    run : Trajectory
        A simulation of :func:`~follicle.models.coupled`.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot: save it with ``fig.savefig(path)``.
    """
    fig = Figure(figsize=(7, 1.4 * (len(OVERVIEW) + 1.5)), layout="constrained")
    axes = fig.subplots(
        len(OVERVIEW) + 1, 1, sharex=True, height_ratios=[1.5] + [1] * len(OVERVIEW)
    )
    phase_stack(axes[0], run)
    mark_doses(axes[0], run)
    for ax, (panel, names) in zip(axes[1:], OVERVIEW.items(), strict=True):
        for name in names:
            ax.plot(run.t, run[name], label=f"{name} [{run.unit(name)}]")
        ax.set_ylabel(panel)
        ax.legend(fontsize=7, frameon=False, loc="upper right")
    axes[-1].set_xlabel("time [day]")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
