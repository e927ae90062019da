"""Quick pictures of results: time courses of a run and readouts of a sweep.

:meth:`Trajectory.plot <follicle.Trajectory.plot>` and :meth:`SweepResult.plot
<follicle.SweepResult.plot>` call :func:`trajectory` and :func:`sweep`. Both label every
axis with its unit and return the matplotlib axes they drew on, for the caller to adjust
and save; without an ``ax`` they open a new figure through pyplot (so it shows in a
notebook).

>>> import follicle as fl
>>> m = fl.Module("decay")
>>> X = m.state("X", unit="nM", initial=1.0)
>>> k = m.parameter("k", 0.5, "1/day", bounds=(0, 10), provenance="assumed: example")
>>> m.rate(X, -k * X, label="degradation")
>>> ax = fl.simulate(fl.Model("decay", [m]), days=2).plot("X")
>>> ax.get_ylabel()
'X [nM]'
"""

from __future__ import annotations

import numpy as np

from follicle.errors import FollicleError

__all__ = ["axis_label", "sweep", "trajectory"]


def axis_label(name: str, unit: str | None) -> str:
    """``"name [unit]"``, or ``name`` alone when the unit is unknown or dimensionless.

    >>> axis_label("k_CA", "1/day"), axis_label("anagen", "1")
    ('k_CA [1/day]', 'anagen')
    """
    return f"{name} [{unit}]" if unit and unit not in ("1", "dimensionless") else name


def _new_axes(ax, nrows: int = 1):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(
        nrows,
        1,
        sharex=True,
        squeeze=False,
        figsize=(6.4, 2.2 + 1.8 * nrows),
        layout="constrained",
    )
    return axes[:, 0]


def trajectory(run, *names: str, ax=None):
    """Time courses of ``names`` in ``run``, one line each, labelled by name.

    Names that share a unit share a panel whose y axis is labelled with that unit; names
    in different units go to separate panels (one quantity per axis).

    Parameters
    ----------
    run : Trajectory
    *names : str
        States and observables; by default the observables (the states if the model has
        none).
    ax : matplotlib.axes.Axes, optional
        Where to draw; only when every name has the same unit.

    Returns
    -------
    matplotlib.axes.Axes or ndarray of Axes
        One ``Axes`` when the names share a unit, else one per unit, top to bottom in the
        order the units first appear.

    Raises
    ------
    UnknownNameError
        A name the run does not hold.
    FollicleError
        Names in several units with a single ``ax`` given.
    """
    names = names or run.observable_names or run.state_names
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(run.unit(name), []).append(name)
    if ax is not None and len(groups) > 1:
        raise FollicleError(
            f"trajectory plot: the names {list(names)} have {len(groups)} units "
            f"({', '.join(groups)}); one axes holds one unit, so leave ax=None for a panel "
            "per unit or plot each unit on its own ax"
        )
    axes = np.atleast_1d(_new_axes(ax, len(groups)))
    for panel, (unit, members) in zip(axes, groups.items(), strict=True):
        for name in members:
            panel.plot(run.t, run[name], label=name)
        panel.set_ylabel(
            axis_label(members[0], unit) if len(members) == 1 else axis_label("value", unit)
        )
        if len(members) > 1:
            panel.legend(fontsize="small")
    axes[-1].set_xlabel(axis_label("time", run.unit("t")))
    if run.model_name:
        axes[0].set_title(run.model_name, fontsize="medium")
    return axes[0] if len(axes) == 1 else axes


def sweep(result, readout: str | None = None, *, ax=None, **style):
    """A readout of a sweep against its axes.

    One axis: a line (a grid) or points (a sample) of the readout against the axis. Two
    axes: a heat map of a grid (first axis up, second across) with a colour bar, or the
    sample's points coloured by the readout. Members that are not ``"ok"`` are gaps (grey
    cells in a heat map).

    Parameters
    ----------
    result : SweepResult
    readout : str, optional
        Which readout; may be omitted when the sweep has one.
    ax : matplotlib.axes.Axes, optional
    **style
        Passed to ``Axes.plot``, ``Axes.pcolormesh`` or ``Axes.scatter``.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    FollicleError
        No readout named when there are several, or more than two axes (select a slice
        with :meth:`SweepResult.to_xarray` first).
    """
    if readout is None:
        if len(result.readouts) != 1:
            raise FollicleError(
                f"sweep plot: the sweep has readouts {list(result.readouts)}; name one, "
                "e.g. result.plot('" + next(iter(result.readouts), "readout") + "')"
            )
        readout = next(iter(result.readouts))
    values = result[readout]
    design = result.design
    label = axis_label(readout, result.readout_unit(readout))
    names = design.names
    if len(names) not in (1, 2):
        raise FollicleError(
            f"sweep plot draws one or two axes; this sweep has {len(names)} "
            f"({', '.join(names)}): select a slice with result.to_xarray().sel(...) and plot "
            "that"
        )
    ax = _new_axes(ax)[0] if ax is None else ax
    x_label = axis_label(names[-1], result.axis_unit(names[-1]))
    if len(names) == 1:
        x = design.values[:, 0]
        order = np.argsort(x, kind="stable")
        style.setdefault("marker", "o" if design.kind != "grid" else None)
        style.setdefault("linestyle", "-" if design.kind == "grid" else "none")
        ax.plot(x[order], values.ravel()[order], label=readout, **style)
        ax.set_ylabel(label)
    elif design.kind == "grid":
        across = design.values[: design.shape[1], 1]
        up = design.values[:: design.shape[1], 0]
        rows, columns = np.argsort(up, kind="stable"), np.argsort(across, kind="stable")
        import matplotlib as mpl

        cmap = mpl.colormaps[style.pop("cmap", "viridis")].with_extremes(bad="0.6")
        mesh = ax.pcolormesh(
            across[columns],
            up[rows],
            np.ma.masked_invalid(values[rows][:, columns]),
            cmap=cmap,
            shading="nearest",
            **style,
        )
        ax.figure.colorbar(mesh, ax=ax, label=label)
    else:
        points = ax.scatter(design.values[:, 1], design.values[:, 0], c=values, **style)
        ax.figure.colorbar(points, ax=ax, label=label)
    if len(names) == 2:
        ax.set_ylabel(axis_label(names[0], result.axis_unit(names[0])))
    ax.set_xlabel(x_label)
    return ax
