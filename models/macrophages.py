"""Perifollicular macrophages: live (M) and apoptotic (M_ap).

Live macrophages are supplied (monocyte influx and local proliferation, higher in anagen;
Paus et al. 1998) and die by apoptosis: at a baseline rate, at a rate that rises with the
fraction of follicles in late competent telogen (the natural wave of apoptosis before
stem-cell activation; Castellana et al. 2014), and when a liposomal apoptosis inducer or an
anti-inflammatory drug is given. Apoptotic macrophages are cleared by efferocytosis.
Perifollicular macrophages also decline sharply during catagen (Paus et al. 1998, as quoted
by later papers), a loss at rate :math:`d_{cat} G` with :math:`G` the catagen fraction; its
mechanism is not sourced, so it is modelled as loss from the niche that releases no WNT
(the WNT-releasing apoptosis is the telogen wave's, Castellana et al. 2014). So live
macrophages are most numerous in anagen, fall in catagen and are fewest in telogen.

.. math::

    \\frac{dM}{dt} &= s_M (1 + a_A A)(1 - i_{ai} E_{ai})
                     - (d_0 + d_{tel} \\phi(C) + d_{apo} E_{apo} + d_{ai} E_{ai}) M
                     - d_{cat} G M \\\\
    \\frac{dM_{ap}}{dt} &= (d_0 + d_{tel} \\phi(C) + d_{apo} E_{apo} + d_{ai} E_{ai}) M
                          - k_{clr} M_{ap}

with :math:`\\phi(C) = C^{n_C} / (K_C^{n_C} + C^{n_C})` of the late-competent fraction
:math:`C = C_{n_C}`: the apoptotic wave is a patch-level event that starts once part of the
patch has been competent for a while.
Densities are relative to the mean anagen density (no absolute count per mm^2 could be
sourced, so none is invented).
"""

from __future__ import annotations

from follicle.model import Module
from follicle.models.drugs import occupancy
from follicle.models.kinetics import hill
from follicle.models.parameters import declare
from follicle.models.phase import anagen_fraction, catagen_fraction, late_competent_fraction

__all__ = ["module"]


def module() -> Module:
    m = Module("macrophages", doc=__doc__)
    M = m.state("M", "1", 0.4, "live perifollicular macrophages (relative density)")
    M_ap = m.state("M_ap", "1", 0.015, "apoptotic macrophages (relative density)")
    s_M, a_A, d_0, d_tel, d_apo, d_ai, i_ai, k_clr, K_C, n_C, d_cat = declare(
        m,
        "s_M",
        "a_anagen_supply",
        "d_M0",
        "d_M_telogen",
        "d_M_inducer",
        "d_M_antiinfl",
        "i_supply_antiinfl",
        "k_clear",
        "K_C_wave",
        "n_C_wave",
        "d_M_catagen",
    )
    C = late_competent_fraction()
    E_apo, E_ai = occupancy("apoptosis_inducer"), occupancy("anti_inflammatory")
    m.rate(M, s_M * (1 + a_A * anagen_fraction()) * (1 - i_ai * E_ai), label="supply")
    m.flow(M, M_ap, d_0 * M, label="baseline apoptosis")
    wave = hill(C, K_C, n_C)
    m.flow(M, M_ap, d_tel * wave * M, label="competent-telogen apoptotic wave")
    m.flow(M, M_ap, d_apo * E_apo * M, label="drug-induced apoptosis (inducer)")
    m.flow(M, M_ap, d_ai * E_ai * M, label="drug-induced apoptosis (anti-inflammatory)")
    m.rate(M, -d_cat * catagen_fraction() * M, label="decline during catagen")
    m.rate(M_ap, -k_clr * M_ap, label="clearance of apoptotic macrophages")
    return m
