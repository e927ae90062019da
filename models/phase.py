"""Hair-cycle phase: refractory telogen, competent telogen, anagen and catagen.

The synchronised follicles of a skin patch are fractions that sum to one. Refractory
telogen (BMP-high; Plikus et al. 2008), anagen and catagen are linear chains of ``n``
stages each, so their durations are Erlang distributed (coefficient of variation
:math:`1/\\sqrt{n}`) rather than exponential. Competent telogen is a chain too, whose
last stage :math:`C_{n_C}` ("late competent telogen", when the natural macrophage
apoptotic wave comes) holds follicles until stem cells are activated. Activated stem
cells :math:`S` drive exit to anagen from every telogen stage, weighted by the stage's
competence :math:`\\rho`:

.. math::

    R_1 \\to \\dots \\to R_{n_R} \\to C_1 \\to \\dots \\to C_{n_C}, \\qquad
    R_i \\xrightarrow{k_{CA} S \\rho_i R_i} A_1, \\quad
    C_i \\xrightarrow{k_{CA} S\\, C_i} A_1, \\quad A_1 \\to \\dots \\to
    A_{n_A} \\to G_1 \\to \\dots \\to G_{n_G} \\to R_1,

each chain step at rate :math:`n_X/\\tau_X`.

Refractoriness is a graded brake that fades through refractory telogen, not a wall: the
BMP signal that makes follicles resist activation (Plikus et al. 2008) is highest as
telogen begins and falls towards competent telogen, so stage :math:`i` of :math:`n_R`
responds with competence

.. math:: \\rho_i = \\rho_R^{\\,1 - i/n_R}, \\qquad 0 < \\rho_R \\le 1,

from :math:`\\rho_R` at the start of telogen to 1 at its competent part. Without a
stimulus nothing changes (stem cells are not activated in telogen until the natural
macrophage wave), but a strong stimulus in early telogen (the WNT released by a mass of
dying macrophages) activates enough stem cells to overcome the brake and start anagen
early (Castellana et al. 2014), and the same stimulus does more the later it comes.
:math:`\\rho_R` is not sourced; :math:`\\rho_R = 1` removes refractoriness.

A chemotherapy pulse pushes every anagen stage straight into catagen at rate
:math:`k_{ch} E_{ch}`. Every transition is a flow, so the fractions sum to one exactly.
"""

from __future__ import annotations

import itertools

import sympy as sp

from follicle.model import Module
from follicle.models.drugs import occupancy
from follicle.models.parameters import declare

__all__ = [
    "N_ANAGEN",
    "N_CATAGEN",
    "N_COMPETENT",
    "N_REFRACTORY",
    "anagen_fraction",
    "catagen_fraction",
    "competent_fraction",
    "late_competent_fraction",
    "module",
    "refractory_competence",
    "responsive_fraction",
]

#: Chain lengths (structural, not parameters): CV of the phase duration is 1/sqrt(n).
#: Assumed: mouse back-skin phases are tightly timed within a synchronised patch.
N_REFRACTORY, N_COMPETENT, N_ANAGEN, N_CATAGEN = 30, 10, 24, 8


def anagen_fraction() -> sp.Expr:
    """The fraction in anagen, :math:`\\sum_i A_i`, for use by other compartments."""
    return sp.Add(*(Module.symbol(f"A{i}") for i in range(1, N_ANAGEN + 1)))


def competent_fraction() -> sp.Expr:
    """The fraction in competent telogen, :math:`\\sum_i C_i`."""
    return sp.Add(*(Module.symbol(f"C{i}") for i in range(1, N_COMPETENT + 1)))


def catagen_fraction() -> sp.Expr:
    """The fraction in catagen, :math:`\\sum_i G_i`."""
    return sp.Add(*(Module.symbol(f"G{i}") for i in range(1, N_CATAGEN + 1)))


def refractory_competence(stage: int) -> sp.Expr:
    """Competence :math:`\\rho_i = \\rho_R^{1 - i/n_R}` of refractory stage ``i`` (1-based)."""
    return Module.symbol("rho_refractory") ** sp.Rational(N_REFRACTORY - stage, N_REFRACTORY)


def responsive_fraction() -> sp.Expr:
    """Telogen weighted by competence, :math:`\\sum_i \\rho_i R_i + \\sum_i C_i`.

    The part of the patch whose stem cells can answer an activating signal.
    """
    refractory = (
        refractory_competence(i) * Module.symbol(f"R{i}") for i in range(1, N_REFRACTORY + 1)
    )
    return sp.Add(*refractory) + competent_fraction()


def late_competent_fraction() -> sp.Expr:
    """The fraction in the last competent stage, :math:`C_{n_C}` (the natural wave's cue)."""
    return Module.symbol(f"C{N_COMPETENT}")


def _chain(m, prefix, n, duration, description, first_initial=0.0):
    states = [
        m.state(
            f"{prefix}{i}",
            "1",
            first_initial if i == 1 else 0.0,
            f"{description}, stage {i} of {n}",
        )
        for i in range(1, n + 1)
    ]
    for a, b in itertools.pairwise(states):
        m.flow(a, b, n / duration * a, label=f"{a} -> {b}")
    return states


def module() -> Module:
    m = Module("phase", doc=__doc__)
    tau_R, tau_C, tau_A, tau_G, k_CA, k_ch = declare(
        m,
        "tau_refractory",
        "tau_competent",
        "tau_anagen",
        "tau_catagen",
        "k_CA",
        "k_chemo_catagen",
    )
    declare(m, "rho_refractory")  # read through refractory_competence()
    S = m.symbol("S")
    R = _chain(m, "R", N_REFRACTORY, tau_R, "refractory telogen", first_initial=1.0)
    C = _chain(m, "C", N_COMPETENT, tau_C, "competent telogen")
    A = _chain(m, "A", N_ANAGEN, tau_A, "anagen")
    G = _chain(m, "G", N_CATAGEN, tau_G, "catagen")
    m.flow(R[-1], C[0], N_REFRACTORY / tau_R * R[-1], label="refractory -> competent")
    for i, r in enumerate(R, start=1):
        m.flow(
            r,
            A[0],
            k_CA * S * refractory_competence(i) * r,
            label=f"stem-cell-driven exit from {r} against the refractory brake",
        )
    for c in C:
        m.flow(c, A[0], k_CA * S * c, label=f"stem-cell-driven telogen exit from {c}")
    m.flow(A[-1], G[0], N_ANAGEN / tau_A * A[-1], label="anagen -> catagen")
    m.flow(G[-1], R[0], N_CATAGEN / tau_G * G[-1], label="catagen -> refractory telogen")
    E_ch = occupancy("chemotherapy")
    for a in A:
        m.flow(a, G[0], k_ch * E_ch * a, label=f"chemotherapy-forced catagen from {a}")
    m.conserve([*R, *C, *A, *G], 1.0, label="phase fractions")
    m.observable("anagen", anagen_fraction(), "1", "fraction of follicles (skin area) in anagen")
    m.observable("catagen", sp.Add(*G), "1", "fraction in catagen")
    m.observable("refractory", sp.Add(*R), "1", "fraction in refractory telogen")
    m.observable("competent", sp.Add(*C), "1", "fraction in competent telogen")
    m.observable("telogen", sp.Add(*R, *C), "1", "fraction in telogen")
    return m
