"""Hair-follicle stem cells: quiescent Q, activated S, and proliferative capacity P.

Stem cells are activated in telogen, in proportion to its competence-weighted fraction
:math:`T_\\rho = \\sum_i \\rho_i R_i + C` (competent telogen fully, refractory telogen
through its fading brake; :mod:`~follicle.models.phase`), by WNT, against
the brake of live macrophages (Castellana et al. 2014; Wang et al. 2019), and less so when
senescent burden is high or capacity is lost:

.. math::

    \\alpha = k_{act}\\, T_\\rho\\, \\frac{U^n}{K_W^n + U^n}\\, \\frac{1}{1 + b_M M}\\, P\\,
              \\frac{1}{1 + (X/K_X)^{h}}, \\qquad U = W + w_A A

The activating signal :math:`U` adds to the niche WNT :math:`W` the signals of follicles
already in anagen (fraction :math:`A`), which draw their competent neighbours after them:
the coupling that keeps a patch synchronised.

.. math::

    \\frac{dQ}{dt} &= -\\alpha Q + k_{ret} S + r_Q Q (1 - Q - S) - k_{off} E_{sl,stem} Q \\\\
    \\frac{dS}{dt} &= \\alpha Q - k_{ret} S - k_{off} E_{sl,stem} S \\\\
    \\frac{dP}{dt} &= k_{P,rec} (1 - P) - k_{P,loss} \\frac{X}{K_P + X} P

Activated cells return to quiescence after fuelling anagen; the pool regrows slowly
towards its healthy size 1. Sustained senescence erodes the capacity P (bulge stem cells
survive but cannot proliferate; Tokarsky-Amiel et al. 2013). At high exposure a
BCL-2-selective inhibitor also kills a BCL-2-dependent stem-cell fraction (EMBO Reports
2021, 22(10):e52301, PMC8490995), with its own, higher EC50: the senolytic therapeutic window.
Stem-cell amounts are fractions of the healthy pool.
"""

from __future__ import annotations

from follicle.model import Module
from follicle.models.drugs import occupancy
from follicle.models.kinetics import hill
from follicle.models.parameters import declare, parameter
from follicle.models.phase import anagen_fraction, responsive_fraction
from follicle.models.senescence import burden

__all__ = ["module", "steady_capacity"]


def steady_capacity(
    burden: float,
    k_recovery: float | None = None,
    k_loss: float | None = None,
    K_P: float | None = None,
) -> float:
    """Proliferative capacity in balance with a constant senescent burden :math:`X`.

    .. math:: P^* = \\frac{k_{P,rec}}{k_{P,rec} + k_{P,loss} X / (K_P + X)}

    with the table's values unless given; used to start skin in balance with its burden.
    """
    k_recovery = parameter("k_P_recovery").value if k_recovery is None else k_recovery
    k_loss = parameter("k_P_loss").value if k_loss is None else k_loss
    K_P = parameter("K_P").value if K_P is None else K_P
    return k_recovery / (k_recovery + k_loss * burden / (K_P + burden))


def module() -> Module:
    m = Module("stem_cells", doc=__doc__)
    Q = m.state("Q", "1", 1.0, "quiescent stem cells (fraction of the healthy pool)")
    S = m.state("S", "1", 0.0, "activated, proliferating stem cells (fraction of the pool)")
    P = m.state("P", "1", 1.0, "proliferative capacity of the stem cells (1 = intact)")
    k_act, w_A, K_W, n_W, b_M, K_X, h_X, k_ret, r_Q, k_off, k_rec, k_loss, K_P = declare(
        m,
        "k_act",
        "w_anagen",
        "K_W",
        "n_W",
        "b_M",
        "K_X_suppression",
        "h_X_suppression",
        "k_return",
        "r_pool",
        "k_offtarget",
        "k_P_recovery",
        "k_P_loss",
        "K_P",
    )
    W, M = m.symbol("W"), m.symbol("M")
    X = burden()
    T_rho = responsive_fraction()
    wnt_signal = hill(W + w_A * anagen_fraction(), K_W, n_W)
    brake = 1 / (1 + b_M * M)
    suppression = 1 - hill(X, K_X, h_X)
    activation = k_act * T_rho * wnt_signal * brake * P * suppression
    m.flow(Q, S, activation * Q, label="WNT-driven activation in telogen")
    m.flow(S, Q, k_ret * S, label="return to quiescence")
    m.rate(Q, r_Q * Q * (1 - Q - S), label="pool regrowth")
    loss = k_off * occupancy("senolytic", ec50="EC50_sl_stem")
    m.rate(Q, -loss * Q, label="off-target loss of BCL-2-dependent stem cells")
    m.rate(S, -loss * S, label="off-target loss of BCL-2-dependent stem cells")
    m.rate(P, k_rec * (1 - P), label="recovery of capacity")
    m.rate(P, -k_loss * X / (K_P + X) * P, label="capacity loss under senescence")
    m.observable("proliferation", S, "1", "proliferating (activated) stem cells")
    m.observable("stem_pool", Q + S, "1", "stem-cell pool relative to healthy")
    return m
