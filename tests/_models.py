"""Small test models shared by the engine test suite.

Each builder returns a fresh :class:`follicle.Model`; every parameter carries the provenance
``"assumed: test model"``. The closed-form solutions the tests compare against are stated in
each docstring.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

import follicle as fl

PROV = "assumed: test model"

#: Tolerances for comparisons against closed forms.
TIGHT = {"rtol": 1e-10, "atol": 1e-14}


def decay(
    k: float = 0.5,
    x0: float = 1.0,
    *,
    unit: str = "nM",
    rate_unit: str = "1/day",
    name: str = "decay",
) -> fl.Model:
    """``dX/dt = -k X``; ``X(t) = x0 exp(-k t)`` (t and k in days when rate_unit is 1/day)."""
    m = fl.Module(name)
    x = m.state("X", unit=unit, initial=x0, description="decaying species")
    k_deg = m.parameter("k_deg", k, rate_unit, bounds=(0, 100), provenance=PROV)
    m.rate(x, -k_deg * x, label="degradation")
    return fl.Model(name, [m])


def chain(
    rates, *, a0: float = 1.0, sink: bool = True, unit: str = "nM", name: str = "chain"
) -> fl.Model:
    """A linear chain ``A0 -> A1 -> ... -> A{n-1} (-> E)``.

    Compartment ``i`` empties into the next at rate ``k_i`` (parameter ``k_i``, 1/day). With
    ``sink=True`` the last compartment empties into the sink state ``E``, so that
    ``sum(A_i) + E`` is conserved exactly; otherwise its content is eliminated.

    With ``n`` equal rates ``n k`` and ``A0(0) = a0``, the content of the last compartment is
    ``a0 / (n k) * gamma.pdf(t, n, scale=1 / (n k))`` (the Erlang transit model).
    """
    rates = list(rates)
    m = fl.Module(name)
    states = [
        m.state(f"A{i}", unit=unit, initial=a0 if i == 0 else 0.0) for i in range(len(rates))
    ]
    params = [
        m.parameter(f"k_{i}", r, "1/day", bounds=(0, 1e4), provenance=PROV)
        for i, r in enumerate(rates)
    ]
    for i in range(len(rates) - 1):
        m.flow(states[i], states[i + 1], params[i] * states[i], label=f"transit {i}")
    last, k_last = states[-1], params[-1]
    if sink:
        e = m.state("E", unit=unit, initial=0.0, description="eliminated amount")
        m.flow(last, e, k_last * last, label="elimination")
    else:
        m.rate(last, -k_last * last, label="elimination")
    return fl.Model(name, [m])


def erlang_chain(n: int, k: float = 1.0, a0: float = 1.0, *, sink: bool = False) -> fl.Model:
    """``n`` transit compartments, each with rate ``n k`` (mean transit time ``1/k``)."""
    return chain([n * k] * n, a0=a0, sink=sink, name=f"erlang{n}")


def logistic(r: float = 0.8, capacity: float = 1000.0, n0: float = 10.0) -> fl.Model:
    """``dN/dt = r N (1 - N/K)``; ``N(t) = K N0 e^{rt} / (K + N0 (e^{rt} - 1))``."""
    m = fl.Module("logistic")
    n = m.state("N", unit="cells/mm**2", initial=n0, scale=capacity)
    r_ = m.parameter("r", r, "1/day", bounds=(0, 10), provenance=PROV)
    k = m.parameter("K", capacity, "cells/mm**2", bounds=(1, 1e6), provenance=PROV)
    m.rate(n, r_ * n * (1 - n / k), label="logistic growth")
    m.observable("occupancy", n / k, unit="1", description="fraction of capacity")
    return fl.Model("logistic", [m])


def one_compartment(k: float = 0.3, *, unit: str = "mg/kg") -> fl.Model:
    """First-order elimination of a drug dosed by bolus or infusion, ``dC/dt = -k C``."""
    m = fl.Module("pk")
    c = m.state("drug", unit=unit, initial=0.0, description="drug amount per body weight")
    k_el = m.parameter("k_el", k, "1/day", bounds=(0, 50), provenance=PROV)
    m.rate(c, -k_el * c, label="elimination")
    m.observable("drug_ug", c * 1000, unit=unit, description="same amount, scaled")
    return fl.Model("pk", [m])


def michaelis_menten(
    km: float = 0.5, km_unit: str = "uM", vmax: float = 20.0, x0: float = 2000.0
) -> fl.Model:
    """``dX/dt = -Vmax X / (Km + X)`` with X in nM and Km in ``km_unit``."""
    m = fl.Module("mm")
    x = m.state("X", unit="nM", initial=x0, scale=1000.0)
    v = m.parameter("Vmax", vmax, "uM/day", bounds=(0, 1e3), provenance=PROV)
    km_ = m.parameter("Km", km, km_unit, bounds=(0, 1e6), provenance=PROV)
    m.rate(x, -v * x / (km_ + x), label="saturable uptake")
    return fl.Model("mm", [m])


def hill_feedback() -> fl.Model:
    """Two-state repressor loop with a Hill term of symbolic exponent, Michaelis-Menten
    removal, a bimolecular product, a time-dependent source and an ``exp`` term."""
    m = fl.Module("hill")
    x = m.state("X", unit="nM", initial=1.0)
    y = m.state("Y", unit="AU", initial=0.5)
    w = m.state("W", unit="cell", initial=100.0, scale=100.0)
    beta = m.parameter("beta", 3.0, "nM/day", bounds=(0, 100), provenance=PROV)
    kx = m.parameter("K_x", 0.7, "AU", bounds=(1e-3, 100), provenance=PROV)
    n = m.parameter("n_hill", 2.5, "1", bounds=(0.5, 6), provenance=PROV)
    vmax = m.parameter("V_x", 1.2, "nM/day", bounds=(0, 100), provenance=PROV)
    km = m.parameter("K_m", 0.4, "nM", bounds=(1e-3, 100), provenance=PROV)
    k_on = m.parameter("k_on", 0.3, "AU/(nM*day)", bounds=(0, 10), provenance=PROV)
    k_y = m.parameter("k_y", 0.9, "1/day", bounds=(0, 10), provenance=PROV)
    k_w = m.parameter("k_w", 0.05, "1/day", bounds=(0, 10), provenance=PROV)
    w_ref = m.parameter("W_ref", 50.0, "cell", bounds=(1, 1e4), provenance=PROV)
    omega = m.parameter("omega", 0.8, "1/day", bounds=(0, 10), provenance=PROV)
    m.rate(x, beta / (1 + (y / kx) ** n), label="repressed production")
    m.rate(x, -vmax * x / (km + x), label="saturable removal")
    m.rate(x, beta * (1 + sp.sin(omega * fl.t)) / 4, label="periodic source")
    m.rate(y, k_on * x * (1 + w / w_ref), label="activation")
    m.rate(y, -k_y * y * sp.exp(-y / kx), label="self-limited decay")
    m.rate(w, k_w * w * (1 - w * y / (w_ref * kx * 10)), label="growth")
    m.observable("activity", x * y / kx, unit="nM")
    return fl.Model("hill", [m])


def twenty_state(n: int = 20) -> fl.Model:
    """``n`` coupled nonlinear states (a ring), for Jacobian and batch tests.

    ``dS_i/dt = prod / (1 + (S_{i-1}/K)^h) - k_deg S_i - V S_i / (K + S_i)
    + k_c S_{i-1} S_{i+1} / K``
    """
    m = fl.Module("ring")
    s = [m.state(f"S{i}", unit="nM", initial=1.0 + 0.1 * i) for i in range(n)]
    prod = m.parameter("prod", 2.0, "nM/day", bounds=(0, 100), provenance=PROV)
    k_deg = m.parameter("k_deg", 0.3, "1/day", bounds=(0, 10), provenance=PROV)
    v = m.parameter("V", 0.8, "nM/day", bounds=(0, 100), provenance=PROV)
    km = m.parameter("K", 1.5, "nM", bounds=(1e-2, 100), provenance=PROV)
    h = m.parameter("h", 2.0, "1", bounds=(0.5, 6), provenance=PROV)
    k_c = m.parameter("k_c", 0.05, "1/day", bounds=(0, 1), provenance=PROV)
    for i in range(n):
        prev, nxt = s[i - 1], s[(i + 1) % n]
        m.rate(s[i], prod / (1 + (prev / km) ** h), label=f"repressed production {i}")
        m.rate(s[i], -k_deg * s[i] - v * s[i] / (km + s[i]), label=f"removal {i}")
        m.rate(s[i], k_c * prev * nxt / km, label=f"coupling {i}")
    m.observable("total", sp.Add(*s), unit="uM")
    return fl.Model("ring", [m])


def blow_up(k: float = 1.0, x0: float = 1.0) -> fl.Model:
    """``dX/dt = k X^2``: ``X(t) = x0 / (1 - k x0 t)`` blows up at ``t = 1 / (k x0)``."""
    m = fl.Module("blowup")
    x = m.state("X", unit="nM", initial=x0)
    kk = m.parameter("k_auto", k, "1/(nM*day)", bounds=(0, 100), provenance=PROV)
    m.rate(x, kk * x**2, label="autocatalysis")
    return fl.Model("blowup", [m])


# -- closed forms ----------------------------------------------------------------------
def erlang_last(t, n: int, k: float, a0: float = 1.0):
    """Content of the last of ``n`` transit compartments (each rate ``n k``)."""
    rate = n * k
    t = np.asarray(t, dtype=float)
    return a0 * (rate * t) ** (n - 1) / math.factorial(n - 1) * np.exp(-rate * t)


def logistic_exact(t, r, capacity, n0):
    e = np.exp(r * np.asarray(t, dtype=float))
    return capacity * n0 * e / (capacity + n0 * (e - 1))


ALL_BUILDERS = {
    "decay": decay,
    "chain": lambda: chain([1.0, 2.0, 0.5]),
    "chain_nosink": lambda: chain([1.0, 2.0, 0.5], sink=False),
    "erlang": lambda: erlang_chain(6),
    "logistic": logistic,
    "one_compartment": one_compartment,
    "michaelis_menten_uM": michaelis_menten,
    "michaelis_menten_nM": lambda: michaelis_menten(500.0, "nM"),
    "hill_feedback": hill_feedback,
    "twenty_state": twenty_state,
    "blow_up": blow_up,
}


# -- textbook bifurcations (follicle.analysis) -------------------------------------------
def saddle_node() -> fl.Model:
    """``dx/dt = r + x^2``: steady states ``x = -+sqrt(-r)`` (stable, unstable) for
    ``r < 0``, none for ``r > 0``; a fold at ``r = 0``, ``x = 0``."""
    m = fl.Module("saddle_node")
    x = m.state("x", "1", 0.0, nonnegative=False)
    r = m.parameter("r", -1.0, "1/day", bounds=(-10, 10), provenance=PROV)
    c = m.parameter("c", 1.0, "1/day", bounds=(0, 10), provenance=PROV)
    m.rate(x, r + c * x**2, label="normal form")
    return fl.Model("saddle_node", [m])


def transcritical(nonnegative: bool = False) -> fl.Model:
    """``dx/dt = r x - x^2``: branches ``x = 0`` and ``x = r`` cross (exchange stability)
    at ``r = 0``."""
    m = fl.Module("transcritical")
    x = m.state("x", "1", 0.5, nonnegative=nonnegative)
    r = m.parameter("r", -1.0, "1/day", bounds=(-10, 10), provenance=PROV)
    c = m.parameter("c", 1.0, "1/day", bounds=(0, 10), provenance=PROV)
    m.rate(x, r * x - c * x**2, label="normal form")
    return fl.Model("transcritical", [m])


def hopf_normal_form(omega: float = 1.0, c: float = 1.0) -> fl.Model:
    """Hopf normal form in Cartesian coordinates,
    ``dx/dt = mu x - omega y - c x (x^2 + y^2)``, ``dy/dt = omega x + mu y - c y (x^2 + y^2)``:
    eigenvalues ``mu +- i omega`` at the origin. For ``c > 0`` (supercritical) and
    ``mu > 0``, a circular cycle of radius ``sqrt(mu / c)`` (x swings between
    ``-+sqrt(mu / c)``) and period ``2 pi / omega``. First Lyapunov coefficient, with the
    eigenvector normalised to ``|q| = 1``: ``-2 c / omega``."""
    m = fl.Module("hopf")
    x = m.state("x", "1", 0.1, nonnegative=False)
    y = m.state("y", "1", 0.0, nonnegative=False)
    mu = m.parameter("mu", 0.1, "1/day", bounds=(-5, 5), provenance=PROV)
    w = m.parameter("omega", omega, "1/day", bounds=(0, 10), provenance=PROV)
    c = m.parameter("c", c, "1/day", bounds=(-10, 10), provenance=PROV)
    radius2 = x**2 + y**2
    m.rate(x, mu * x - w * y - c * x * radius2, label="normal form x")
    m.rate(y, w * x + mu * y - c * y * radius2, label="normal form y")
    return fl.Model("hopf", [m])


def brusselator(a: float = 1.0, b: float = 1.0) -> fl.Model:
    """``dx/dt = a - (b + 1) x + x^2 y``, ``dy/dt = b x - x^2 y`` (rates in 1/day):
    steady state ``(a, b/a)``, Hopf at ``b = 1 + a^2`` with frequency ``a``."""
    m = fl.Module("brusselator")
    x = m.state("x", "1", 1.0)
    y = m.state("y", "1", 1.0)
    a_ = m.parameter("a", a, "1/day", bounds=(0, 10), provenance=PROV)
    b_ = m.parameter("b", b, "1/day", bounds=(0, 10), provenance=PROV)
    k = m.parameter("k", 1.0, "1/day", bounds=(0, 10), provenance=PROV)
    m.rate(x, a_ - (b_ + k) * x + k * x**2 * y, label="x")
    m.rate(y, b_ * x - k * x**2 * y, label="y")
    return fl.Model("brusselator", [m])
