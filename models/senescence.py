"""Senescent-cell burden X with the saturating-removal model of Karin et al. (2019).

.. math::

    \\frac{dX}{dt} = \\eta\\,(a_0 + t) + k_{ind} u(t) + k_{ch,X} E_{ch}
                     - \\beta \\frac{X}{\\kappa + X} - (k_{sl} E_{sl} + k_{fx} E_{fx}) X

Production rises linearly with age :math:`a_0 + t`; immune removal saturates, so turnover
slows with age (half-life of days in young mice, weeks in old ones). :math:`u(t)` is the
p14ARF-like induction switch (Tokarsky-Amiel et al. 2013) stepped 0 -> 1 -> 0 by a
schedule; a chemotherapy pulse also induces senescence. BCL-2 family inhibitors
(ABT-737-like; Yosef et al. 2016) and FOXO4-DRI-like peptides (Baar et al. 2017) kill
senescent cells with Hill dose dependence. X is Karin's normalised burden (dimensionless).
"""

from __future__ import annotations

import math

from follicle.models.drugs import occupancy
from follicle.models.parameters import declare, parameter

from follicle.model import Module, t

__all__ = ["module", "steady_age", "steady_burden"]


def steady_burden(
    age_years: float,
    eta: float | None = None,
    beta: float | None = None,
    kappa: float | None = None,
) -> float:
    """Quasi-steady burden at a given age, :math:`X^* = \\kappa\\eta a / (\\beta - \\eta a)`.

    Uses the table's values unless given. Returns ``inf`` past the age at which production
    outgrows the saturated removal capacity :math:`\\beta`.
    """
    eta = parameter("eta_sen").value if eta is None else eta
    beta = parameter("beta_sen").value if beta is None else beta
    kappa = parameter("kappa_sen").value if kappa is None else kappa
    production = eta * age_years
    return math.inf if production >= beta else kappa * production / (beta - production)


def steady_age(
    burden: float,
    eta: float | None = None,
    beta: float | None = None,
    kappa: float | None = None,
) -> float:
    """Age (years) whose quasi-steady burden is ``burden``.

    :math:`a = \\beta X / (\\eta\\,(\\kappa + X))`, the inverse of :func:`steady_burden`;
    uses the table's values unless given. Works on arrays of burdens too. Tends to
    :math:`\\beta/\\eta` as the burden grows without bound.
    """
    eta = parameter("eta_sen").value if eta is None else eta
    beta = parameter("beta_sen").value if beta is None else beta
    kappa = parameter("kappa_sen").value if kappa is None else kappa
    return beta * burden / (eta * (kappa + burden))


def module() -> Module:
    m = Module("senescence", doc=__doc__)
    age0 = parameter("age0")
    X = m.state("X", "1", steady_burden(age0.value), "senescent-cell burden (normalised)")
    eta, beta, kappa = declare(m, "eta_sen", "beta_sen", "kappa_sen")
    a0 = m.add_parameter(age0)
    k_ind, u, k_chX, k_sl, k_fx = declare(
        m, "k_induction", "induction", "k_chemo_senescence", "k_senolytic", "k_foxo4"
    )
    m.rate(X, eta * (a0 + t), label="age-dependent production")
    m.rate(X, k_ind * u, label="induced production (p14ARF-like)")
    m.rate(X, k_chX * occupancy("chemotherapy"), label="chemotherapy-induced senescence")
    m.rate(X, -beta * X / (kappa + X), label="saturating removal")
    m.rate(X, -k_sl * occupancy("senolytic") * X, label="senolytic killing (BCL-2 family)")
    m.rate(X, -k_fx * occupancy("foxo4_dri") * X, label="FOXO4-DRI killing")
    m.observable("senescent_burden", X, "1", "senescent-cell burden")
    return m
