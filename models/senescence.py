"""Senescent-cell burden X with the saturating-removal model of Karin et al. (2019).

.. math::

    \\frac{dX}{dt} &= \\eta\\,(a_0 + t) + k_{ch,X} E_{ch}
                     - \\beta \\frac{X}{\\kappa + X} - (k_{sl} E_{sl} + k_{fx} E_{fx}) X \\\\
    \\frac{dX_E}{dt} &= k_{ind} u(t) - d_E X_E - (k_{sl} E_{sl} + k_{fx} E_{fx}) X_E

Production rises linearly with age :math:`a_0 + t`; immune removal saturates, so turnover
slows with age (half-life of days in young mice, weeks in old ones); a chemotherapy pulse
also induces senescence. :math:`X_E` are epidermal cells forced into senescence by the
p14ARF-like switch :math:`u(t)` (Tokarsky-Amiel et al. 2013), stepped 0 -> 1 -> 0 by a
schedule: they stay for weeks after induction stops and the stem cells' failure is
irreversible without their removal, so they are cleared only slowly (:math:`d_E`), while
senolytics kill them like any senescent cell. The stem cells see the burden
:math:`X + X_E` (:func:`burden`). BCL-2 family inhibitors
(ABT-737-like; Yosef et al. 2016) and FOXO4-DRI-like peptides (Baar et al. 2017) kill
senescent cells with Hill dose dependence. X is Karin's normalised burden (dimensionless).

Past the age :math:`\\beta/\\eta` (about 1.8 years with set A) production outgrows the
saturated removal and the burden has no steady state: it grows until it passes the
critical burden :math:`X_c`, which in Karin's model is death (noise spreads the ages). So
old skin starts at the burden a mouse has lived to (:func:`lived_burden`, the model from
birth), not at a quasi-steady burden that no longer exists; a run reports when the burden
passes :math:`X_c` (:func:`~follicle.models.readouts.death_time`). The removal half-life of
a senescent cell, :math:`\\ln 2\\,(\\kappa + X)/\\beta` (:func:`removal_half_life`), is days
in young skin and weeks in old skin, as the paper reports.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp

from follicle.model import Module, t
from follicle.models.drugs import occupancy
from follicle.models.parameters import declare, parameter

__all__ = [
    "DAYS_PER_YEAR",
    "burden",
    "death_age",
    "lived_burden",
    "module",
    "removal_half_life",
    "steady_age",
    "steady_burden",
]

#: Days in a year of age (the production term's age is in years, time in days).
DAYS_PER_YEAR = 365.25


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


def _karin(eta, beta, kappa):
    def rate(t, x):  # t in days of age
        return eta * t / DAYS_PER_YEAR - beta * x / (kappa + x)

    return rate


def lived_burden(
    age_years: float,
    eta: float | None = None,
    beta: float | None = None,
    kappa: float | None = None,
) -> float:
    """Burden of a mouse of ``age_years``: Karin's model integrated from birth (:math:`X=0`).

    .. math:: X(a) = \\int_0^a \\Big(\\eta s - \\beta \\frac{X}{\\kappa + X}\\Big) ds

    Unlike :func:`steady_burden` it exists at every age, also past :math:`\\beta/\\eta`,
    where it grows without bound. Uses the table's values unless given.
    """
    if not 0 <= age_years <= 3:
        raise ValueError(f"age_years = {age_years!r}: expected an age from 0 to 3 years")
    eta = parameter("eta_sen").value if eta is None else eta
    beta = parameter("beta_sen").value if beta is None else beta
    kappa = parameter("kappa_sen").value if kappa is None else kappa
    if age_years == 0:
        return 0.0
    days = age_years * DAYS_PER_YEAR
    sol = solve_ivp(
        _karin(eta, beta, kappa), (0, days), [0.0], method="LSODA", rtol=1e-10, atol=1e-12
    )
    return float(sol.y[0, -1])


def death_age(critical: float | None = None, **karin) -> float:
    """Age (years) at which :func:`lived_burden` reaches the critical burden :math:`X_c`.

    The deterministic age of death in Karin's model (parameters as :func:`lived_burden`).
    """
    critical = parameter("X_critical").value if critical is None else critical
    eta = karin.get("eta", parameter("eta_sen").value)
    beta = karin.get("beta", parameter("beta_sen").value)
    kappa = karin.get("kappa", parameter("kappa_sen").value)

    def reached(t, x):
        return x[0] - critical

    reached.terminal = True
    sol = solve_ivp(
        _karin(eta, beta, kappa),
        (0, 10 * DAYS_PER_YEAR),
        [0.0],
        method="LSODA",
        rtol=1e-10,
        atol=1e-12,
        events=reached,
    )
    return float(sol.t_events[0][0]) / DAYS_PER_YEAR if sol.t_events[0].size else np.inf


def removal_half_life(burden, beta: float | None = None, kappa: float | None = None):
    """Half-life (days) of a senescent cell under saturating removal at ``burden``.

    .. math:: t_{1/2} = \\ln 2\\, \\frac{\\kappa + X}{\\beta}

    the per-cell removal rate being :math:`\\beta/(\\kappa + X)`; works on arrays.
    """
    beta = parameter("beta_sen").value if beta is None else beta
    kappa = parameter("kappa_sen").value if kappa is None else kappa
    return math.log(2) * (kappa + np.asarray(burden, dtype=float)) / beta


def burden() -> sp.Expr:
    """The senescent burden the skin's stem cells see, :math:`X + X_E`."""
    return Module.symbol("X") + Module.symbol("X_E")


def module() -> Module:
    m = Module("senescence", doc=__doc__)
    age0 = parameter("age0")
    X = m.state("X", "1", lived_burden(age0.value), "senescent-cell burden (normalised)")
    eta, beta, kappa = declare(m, "eta_sen", "beta_sen", "kappa_sen")
    a0 = m.add_parameter(age0)
    k_ind, u, k_chX, k_sl, k_fx = declare(
        m, "k_induction", "induction", "k_chemo_senescence", "k_senolytic", "k_foxo4"
    )
    m.rate(X, eta * (a0 + t), label="age-dependent production")
    m.rate(X, k_chX * occupancy("chemotherapy"), label="chemotherapy-induced senescence")
    m.rate(X, -beta * X / (kappa + X), label="saturating removal")
    m.rate(X, -k_sl * occupancy("senolytic") * X, label="senolytic killing (BCL-2 family)")
    m.rate(X, -k_fx * occupancy("foxo4_dri") * X, label="FOXO4-DRI killing")
    X_E = m.state("X_E", "1", 0.0, "induced epidermal senescent cells (normalised)")
    (d_E,) = declare(m, "d_induced")
    m.rate(X_E, k_ind * u, label="induced production (p14ARF-like)")
    m.rate(X_E, -d_E * X_E, label="slow removal of induced senescent cells")
    m.rate(X_E, -k_sl * occupancy("senolytic") * X_E, label="senolytic killing (BCL-2 family)")
    m.rate(X_E, -k_fx * occupancy("foxo4_dri") * X_E, label="FOXO4-DRI killing")
    m.observable("senescent_burden", burden(), "1", "senescent-cell burden")
    X_c = m.add_parameter(parameter("X_critical"))
    m.observable(
        "critical_fraction", X / X_c, "1", "burden over Karin's critical burden (1: death)"
    )
    return m
