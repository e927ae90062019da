"""The coupled hair-growth model and its compartments.

:func:`coupled` assembles every compartment into one model; :func:`compartment` builds one
compartment alone, with the states it reads from other compartments held fixed at their
initial values (as parameters), for study in isolation; :func:`clamped` is the reverse,
the coupled model with some compartments held fixed (e.g. a constant senescent burden).
"""

from __future__ import annotations

import math
from functools import cache

from follicle.errors import UnknownNameError
from follicle.model import Model, Module, Parameter
from follicle.models import drugs, fur, macrophages, phase, senescence, stem_cells, wnt

__all__ = ["COMPARTMENTS", "clamped", "compartment", "coupled"]

#: Builders of the compartment modules, in assembly order.
COMPARTMENTS = {
    "phase": phase.module,
    "macrophages": macrophages.module,
    "wnt": wnt.module,
    "senescence": senescence.module,
    "stem_cells": stem_cells.module,
    "fur": fur.module,
    "drugs": drugs.module,
}


@cache
def coupled() -> Model:
    """The full model with default parameters (built once, then cached)."""
    return Model("follicle coupled model", [build() for build in COMPARTMENTS.values()])


def compartment(name: str) -> Model:
    """One compartment alone (plus drug exposures), other compartments' states held fixed.

    Every state the compartment reads but does not own becomes a parameter whose value is
    that state's initial value in the coupled model.
    """
    _check_compartments([name])
    modules = [COMPARTMENTS[name](), drugs.module()]
    return Model(f"{name} compartment", [*modules, _held_fixed(modules)])


@cache
def clamped(*names: str) -> Model:
    """The coupled model with compartments ``names`` clamped: their states held fixed.

    The clamped compartments' modules are left out; every state they owned that the
    other compartments read becomes a parameter, by default at that state's initial value
    in the coupled model, allowed anywhere in :math:`[0, \\infty)` for a non-negative
    state. So ``clamped("senescence")`` has the senescent burden ``X`` as a parameter:
    the cycle can be studied at a burden held fixed, :math:`\\dot X = 0`.

    Raises
    ------
    UnknownNameError
        If a name is not a compartment (``"drugs"`` cannot be clamped).
    """
    _check_compartments(names)
    modules = [build() for key, build in COMPARTMENTS.items() if key not in names]
    title = f"follicle coupled model, {', '.join(names)} clamped"
    return Model(title, [*modules, _held_fixed(modules)])


def _check_compartments(names) -> None:
    for name in names:
        if name not in COMPARTMENTS or name == "drugs":
            raise UnknownNameError("compartment", name, [c for c in COMPARTMENTS if c != "drugs"])


def _held_fixed(modules: list[Module]) -> Module:
    """A module of parameters for the states ``modules`` read but do not own.

    Each takes its initial value in the coupled model; non-negative states stay
    non-negative.
    """
    declared = {s.name for m in modules for s in m.states}
    declared |= {p.name for m in modules for p in m.parameters}
    full = coupled()
    held = Module("held fixed")
    for term_module in modules:
        exprs = [term.expr for term in term_module.terms]
        exprs += [obs.expr for obs in term_module.observables]
        for symbol in sorted({s for e in exprs for s in e.free_symbols}, key=str):
            if symbol.name in declared or symbol.name == "t":
                continue
            if symbol.name in full.parameters:  # another compartment's parameter, as it is
                held.add_parameter(full.parameters[symbol.name])
                declared.add(symbol.name)
                continue
            state = full.states[symbol.name]
            held.add_parameter(
                Parameter(
                    state.name,
                    state.initial,
                    state.unit,
                    (0.0, math.inf) if state.nonnegative else (-math.inf, math.inf),
                    "held fixed at its initial value in the coupled model (standalone study)",
                    state.description,
                )
            )
            declared.add(symbol.name)
    return held
