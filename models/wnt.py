"""WNT ligand in the follicle niche.

Apoptotic macrophages switch on WNT production and release the ligand (Castellana et al.
2014); a macrophage-targeted WNT-production inhibitor blocks that source. A small
macrophage-independent source (epithelial and dermal-papilla WNTs, which the biology
supports but whose size is unknown) keeps the signal from vanishing. Ligand is degraded
first-order:

.. math:: \\frac{dW}{dt} = p_W M_{ap} (1 - i_W E_{wnt}) + p_0 - d_W W

WNT is in arbitrary units: no absolute concentration could be sourced.
"""

from __future__ import annotations

from follicle.model import Module
from follicle.models.drugs import occupancy
from follicle.models.parameters import declare

__all__ = ["module"]


def module() -> Module:
    m = Module("wnt", doc=__doc__)
    W = m.state("W", "AU", 0.12, "WNT ligand in the stem-cell niche")
    p_W, p_0, d_W, i_W = declare(m, "p_W", "p_W0", "d_W", "i_W_inhibitor")
    M_ap = m.symbol("M_ap")
    m.rate(
        W,
        p_W * M_ap * (1 - i_W * occupancy("wnt_inhibitor")),
        label="release by apoptotic macrophages",
    )
    m.rate(W, p_0, label="macrophage-independent WNT sources")
    m.rate(W, -d_W * W, label="degradation")
    return m
