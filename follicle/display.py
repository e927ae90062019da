"""HTML summaries of models, runs and sweeps for notebooks (``_repr_html_``).

Each summary is a short table: what the object is, its size, and the numbers a modeller
checks first (a model's states and parameters, a run's span and final values, a sweep's
axes, readouts and member status). Transit-chain stages are counted, not listed.
"""

from __future__ import annotations

from html import escape

import numpy as np

from follicle.trajectory import is_chain_stage

__all__ = ["model_html", "sweep_html", "trajectory_html"]


def _table(caption: str, header: tuple[str, ...], rows) -> str:
    head = "".join(f"<th style='text-align:left'>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td style='text-align:left'>{escape(str(c))}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption style='text-align:left'><b>{escape(caption)}</b></caption>"
        f"<tr>{head}</tr>{body}</table>"
    )


def _chains(names) -> str:
    stages = [n for n in names if is_chain_stage(n)]
    return f"; {len(stages)} transit-chain stages not listed" if stages else ""


def model_html(model) -> str:
    """A model's states (unit, initial value) and parameters (value, unit)."""
    states = [n for n in model.state_names if not is_chain_stage(n)]
    caption = (
        f"Model {model.name!r}: {len(model.state_names)} states, "
        f"{len(model.parameter_names)} parameters, "
        f"{len(model.observable_names)} observables{_chains(model.state_names)}"
    )
    initial = dict(zip(model.state_names, model.initial_vector(), strict=True))
    rows = [(n, model.states[n].unit, f"{initial[n]:.4g}") for n in states]
    parameters = [
        (n, f"{model.parameters[n].value:.4g}", model.parameters[n].unit)
        for n in model.parameter_names
    ]
    return _table(caption, ("state", "unit", "initial"), rows) + _table(
        "parameters", ("parameter", "value", "unit"), parameters
    )


def trajectory_html(run) -> str:
    """A run's span, every named quantity's unit and final value, and its readouts."""
    caption = (
        f"Trajectory of {run.model_name!r}: {len(run.t)} times from {run.t[0]:g} to "
        f"{run.t[-1]:g} day, {len(run.schedule.events)} scheduled events"
        f"{_chains(run.names)}"
    )
    rows = [(n, run.unit(n), f"{run[n][-1]:.4g}") for n in run.names if not is_chain_stage(n)]
    html = _table(caption, ("name", "unit", "final value"), rows)
    if run.readouts:  # computed on the fly by simulate(readouts=...)
        values = [(n, f"{v:.6g}") for n, v in run.readouts]
        html += _table("readouts (on the fly)", ("readout", "value"), values)
    return html


def _range(values) -> str:
    return f"{values.min():.4g} to {values.max():.4g}" if values.size else "no value"


def sweep_html(result) -> str:
    """A sweep's axes (range, unit), readouts (range over ok members, unit) and status."""
    design = result.design
    counts = ", ".join(f"{int(np.sum(result.status == s))} {s}" for s in np.unique(result.status))
    caption = f"SweepResult: {len(result)} members ({design.kind}); {counts}"
    axes = [
        (n, f"{design.values[:, i].min():.4g} to {design.values[:, i].max():.4g}", design.units[i])
        for i, n in enumerate(design.names)
    ]
    readouts = [
        (n, _range(v[(result.status == "ok") & np.isfinite(v)]), result.readout_unit(n))
        for n, v in result.readouts.items()
    ]
    return _table(caption, ("axis", "range", "unit"), axes) + _table(
        "readouts", ("readout", "range (ok members)", "unit"), readouts
    )
