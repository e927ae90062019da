"""Fur density: hair shafts made in anagen and shed over time.

.. math:: \\frac{dF}{dt} = g\\, A\\, (Q + S) - k_{shed} (1 + s_{ch} E_{ch}) F

New shafts are made by follicles in anagen, in proportion to the stem-cell pool that
regenerates them; shafts are shed first-order, faster when chemotherapy makes them
dystrophic. F is relative to the coat of a healthy young adult.
"""

from __future__ import annotations

from follicle.model import Module
from follicle.models.drugs import occupancy
from follicle.models.parameters import declare
from follicle.models.phase import anagen_fraction

__all__ = ["module"]


def module() -> Module:
    m = Module("fur", doc=__doc__)
    F = m.state("F", "1", 1.0, "fur density (relative to a healthy young coat)")
    g, k_shed, s_ch = declare(m, "g_fur", "k_shed", "s_chemo_shed")
    Q, S = m.symbol("Q"), m.symbol("S")
    m.rate(F, g * anagen_fraction() * (Q + S), label="hair shafts made in anagen")
    m.rate(F, -k_shed * (1 + s_ch * occupancy("chemotherapy")) * F, label="shedding")
    m.observable("fur_density", F, "1", "fur density")
    return m
