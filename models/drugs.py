"""Drug exposure compartments and their effects.

Each intervention has an exposure state ``D_<drug>`` (mg/kg: dose per body weight still
acting), filled by bolus doses and cleared first-order with the drug's half-life:

.. math:: \\frac{dD}{dt} = -\\frac{\\ln 2}{t_{1/2}} D

and acts through a Hill occupancy between 0 and 1,

.. math:: E(D) = \\frac{(D/EC_{50})^h}{1 + (D/EC_{50})^h},

which the target compartment multiplies by its own maximal effect. Senescence induction
is not a drug: it is the switch parameter ``induction`` (0 or 1) stepped on and off by a
schedule, like the doxycycline-controlled p14ARF transgene it stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from follicle.model import Module
from follicle.models.kinetics import hill as saturation
from follicle.models.parameters import parameter

__all__ = ["DRUGS", "Drug", "module", "occupancy"]


@dataclass(frozen=True)
class Drug:
    """An intervention given as doses into an exposure compartment."""

    name: str
    state: str
    description: str


DRUGS = {
    d.name: d
    for d in (
        Drug(
            "apoptosis_inducer",
            "D_apo",
            "liposome-delivered macrophage apoptosis inducer (clodronate-liposome-like)",
        ),
        Drug(
            "anti_inflammatory",
            "D_ai",
            "anti-inflammatory drug acting on perifollicular macrophages",
        ),
        Drug(
            "wnt_inhibitor",
            "D_wnt",
            "macrophage-targeted, liposome-delivered WNT-production inhibitor",
        ),
        Drug("senolytic", "D_sl", "BCL-2 family inhibitor (ABT-737-like)"),
        Drug("foxo4_dri", "D_fx", "FOXO4-DRI-like peptide (p53-FOXO4 interference)"),
        Drug("chemotherapy", "D_ch", "cytotoxic chemotherapy pulse (cyclophosphamide-like)"),
    )
}


def occupancy(drug: str, ec50: str | None = None, hill: str | None = None) -> sp.Expr:
    """Hill occupancy :math:`E(D)` of ``drug``'s exposure (symbols only; no new parameters).

    ``ec50`` and ``hill`` name the parameters to use (default ``EC50_<suffix>`` and
    ``hill_<suffix>`` of the drug), so a second target of the same drug can have its own
    potency, as the senolytic's off-target effect on stem cells does.
    """
    suffix = DRUGS[drug].state.removeprefix("D_")
    return saturation(
        Module.symbol(DRUGS[drug].state),
        Module.symbol(ec50 or f"EC50_{suffix}"),
        Module.symbol(hill or f"hill_{suffix}"),
    )


def module() -> Module:
    """Exposure compartments of every drug, with first-order elimination."""
    m = Module("drugs", doc=__doc__)
    for drug in DRUGS.values():
        suffix = drug.state.removeprefix("D_")
        d = m.state(drug.state, "mg/kg", 0.0, f"exposure to the {drug.description}")
        m.intervention(drug.name, d)
        half_life = m.add_parameter(parameter(f"t_half_{suffix}"))
        m.add_parameter(parameter(f"EC50_{suffix}"))
        m.add_parameter(parameter(f"hill_{suffix}"))
        m.rate(d, -sp.log(2) / half_life * d, label=f"elimination of {drug.name}")
    m.add_parameter(parameter("EC50_sl_stem"))
    return m
