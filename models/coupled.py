"""The coupled hair-growth model and its compartments.

:func:`coupled` assembles every compartment into one model; :func:`compartment` builds one
compartment alone, with the states it reads from other compartments held fixed at their
initial values (as parameters), for study in isolation.
"""

from __future__ import annotations

from functools import cache

from follicle.models import drugs, fur, macrophages, phase, senescence, stem_cells, wnt

from follicle.errors import UnknownNameError
from follicle.model import Model, Module, Parameter

__all__ = ["COMPARTMENTS", "compartment", "coupled"]

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
    if name not in COMPARTMENTS or name == "drugs":
        raise UnknownNameError("compartment", name, [c for c in COMPARTMENTS if c != "drugs"])
    own = COMPARTMENTS[name]()
    modules = [own] if name == "drugs" else [own, drugs.module()]
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
            state = full.states[symbol.name]
            held.add_parameter(
                Parameter(
                    state.name,
                    state.initial,
                    state.unit,
                    (-1e300, 1e300),
                    "held fixed at its initial value in the coupled model (standalone study)",
                    state.description,
                )
            )
            declared.add(symbol.name)
    return Model(f"{name} compartment", [*modules, held])
