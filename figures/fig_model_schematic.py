"""The coupled model drawn from its own structure: compartments, couplings, interventions.

Nothing here is drawn by hand. Compartments are the modules of
:func:`follicle.models.coupled`; an arrow from one compartment to another means that a rate
term or observable of the second reads a state of the first (labelled with the states, a
phase chain ``A1..A24`` shown as ``A``); an intervention points at every compartment whose
terms read its exposure state (or, for senescence induction, its switch parameter).
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch

import follicle as fl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import HERE, save, standalone

FINDINGS = ()
DRUG_MODULE = "drugs"


def family(state: str) -> str:
    """A state's name without a trailing stage number (``A12`` -> ``A``)."""
    return re.sub(r"\d+$", "", state)


def structure(model):
    """Compartments with their state families, and the couplings between them.

    Returns
    -------
    compartments : dict of str to list of str
        Compartment name -> its state families, in declaration order.
    couplings : dict of (str, str) to set of str
        (source, target) -> the families of source states that target's terms read.
    interventions : dict of str to set of str
        Intervention name -> the compartments it acts on.
    """
    owner = {s.name: m.name for m in model.modules for s in m.states}
    drug_of = {drug.state: name for name, drug in fl.models.DRUGS.items()}
    switch = fl.models.induce_senescence(0, 1).parameter
    compartments, couplings, interventions = {}, defaultdict(set), defaultdict(set)
    for module in model.modules:
        if module.name == DRUG_MODULE:
            continue
        compartments[module.name] = list(dict.fromkeys(family(s.name) for s in module.states))
        exprs = [term.expr for term in module.terms] + [obs.expr for obs in module.observables]
        for symbol in sorted({s for e in exprs for s in e.free_symbols}, key=str):
            source = owner.get(symbol.name)
            if symbol.name == switch:
                interventions["senescence_induction"].add(module.name)
            elif source == DRUG_MODULE:
                interventions[drug_of[symbol.name]].add(module.name)
            elif source is not None and source != module.name:
                couplings[source, module.name].add(family(symbol.name))
    return compartments, dict(couplings), dict(interventions)


def cycle_order(names, couplings):
    """Compartments ordered by following couplings from the first (fewer crossings)."""
    order = []

    def visit(name):
        order.append(name)
        for nxt in names:
            if nxt not in order and (name, nxt) in couplings:
                visit(nxt)

    for name in names:
        if name not in order:
            visit(name)
    return order


def layout(compartments, couplings, interventions):
    """Compartments on a circle, each intervention outside next to its targets."""
    order = cycle_order(list(compartments), couplings)
    angle = {n: np.pi / 2 - 2 * np.pi * i / len(order) for i, n in enumerate(order)}
    pos = {n: 1.5 * np.array([np.cos(a), np.sin(a)]) for n, a in angle.items()}
    by_angle = defaultdict(list)
    for name, targets in sorted(interventions.items()):
        mean = np.angle(sum(np.exp(1j * angle[t]) for t in sorted(targets)))
        by_angle[round(float(mean), 3)].append(name)
    for mean, names in by_angle.items():
        for k, name in enumerate(names):
            a = mean + 0.42 * (k - (len(names) - 1) / 2)
            pos[name] = 2.75 * np.array([np.cos(a), np.sin(a)])
    return pos


def stages(model) -> dict[str, int]:
    """How many states each family holds (``{"A": 24, "W": 1, ...}``)."""
    counts: dict[str, int] = defaultdict(int)
    for name in model.states:
        counts[family(name)] += 1
    return counts


def clear_rad(ax, a, b, others) -> float:
    """The curvature of an arrow from text ``a`` to ``b`` that crosses none of the boxes of
    ``others`` (straight if it can be)."""
    boxes = [
        o.get_bbox_patch().get_window_extent().transformed(ax.transData.inverted()) for o in others
    ]
    p0, p1 = np.array(a.get_position()), np.array(b.get_position())
    (dx, dy), mid = p1 - p0, (p0 + p1) / 2
    t = np.linspace(0.1, 0.9, 41)[:, None]
    for rad in (0.0, 0.3, -0.3, 0.6, -0.6):
        control = mid + rad * np.array([dy, -dx])
        path = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * control + t**2 * p1
        if not any(box.padded(0.05).contains(x, y) for box in boxes for x, y in path):
            return rad
    return 0.0


def arrow(ax, a, b, label, style, colour, rad=0.12):
    patch = FancyArrowPatch(
        posA=a.get_position(),
        posB=b.get_position(),
        patchA=a.get_bbox_patch(),
        patchB=b.get_bbox_patch(),
        arrowstyle="-|>",
        mutation_scale=11,
        connectionstyle=f"arc3,rad={rad}",
        linestyle=style,
        color=colour,
        shrinkA=2,
        shrinkB=2,
        lw=1.1,
        zorder=4,
    )
    ax.add_patch(patch)
    if label:
        (x1, y1), (x2, y2) = a.get_position(), b.get_position()
        mid = np.array([(x1 + x2) / 2 + rad / 2 * (y2 - y1), (y1 + y2) / 2 - rad / 2 * (x2 - x1)])
        ax.text(
            *mid,
            label,
            fontsize=7,
            ha="center",
            va="center",
            color=colour,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
            zorder=5,
        )


def main(out_dir: Path = HERE, fast: bool = False) -> list[Path]:
    model = fl.models.coupled()
    compartments, couplings, interventions = structure(model)
    pos = layout(compartments, couplings, interventions)
    n_params = {m.name: len(m.parameters) for m in model.modules}
    counts = stages(model)
    fig, ax = plt.subplots(figsize=(8, 6.4))
    fig.subplots_adjust(left=0, right=1, bottom=0, top=0.92)
    ax.set_xlim(-3.4, 3.4)
    ax.set_ylim(-2.5, 2.5)
    nodes = {}
    for name, families in compartments.items():
        shown = [f if counts[f] == 1 else f"{f}1..{f}{counts[f]}" for f in families]
        text = f"{name}\nstates: {', '.join(shown)}\n{n_params[name]} parameters"
        nodes[name] = ax.text(
            *pos[name],
            text,
            ha="center",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.5", "fc": "#e3f2fd", "ec": "#1565c0"},
        )
    for name in interventions:
        nodes[name] = ax.text(
            *pos[name],
            name.replace("_", " "),
            ha="center",
            va="center",
            fontsize=7,
            style="italic",
            bbox={"boxstyle": "round,pad=0.35", "fc": "#fff3e0", "ec": "#e65100"},
        )
    fig.canvas.draw()  # places the boxes, so that arrows can end at their edges
    for (source, target), families in sorted(couplings.items()):
        arrow(ax, nodes[source], nodes[target], ", ".join(sorted(families)), "-", "#263238")
    boxes = [nodes[n] for n in compartments]
    for name, targets in sorted(interventions.items()):
        for target in sorted(targets):
            others = [box for box in boxes if box is not nodes[target]]
            rad = clear_rad(ax, nodes[name], nodes[target], others)
            arrow(ax, nodes[name], nodes[target], "", "--", "#e65100", rad=rad)
    ax.set_aspect("equal")
    ax.axis("off")
    chained = sum(n for n in counts.values() if n > 1)
    drugs = sum(1 for m in model.modules if m.name == DRUG_MODULE for _ in m.states)
    ax.set_title(
        f"{model.name}: {len(model.states)} states ({chained} of them stages of the "
        f"four phase chains, {drugs} drug exposures drawn as the interventions), "
        f"{len(model.parameters)} parameters\narrows: a compartment's rates read the "
        "labelled states of another; dashed: interventions",
        fontsize=8,
    )
    return save(fig, "model_schematic", out_dir, tight=False)


if __name__ == "__main__":
    standalone(main)
