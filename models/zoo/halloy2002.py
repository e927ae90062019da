"""Halloy, Bernard, Loussouarn & Goldbeter (2002): the deterministic follicular automaton.

Halloy, Bernard, Loussouarn & Goldbeter 2002, J Theor Biol 214:469, "The follicular
automaton model: effect of stochasticity and synchronization of hair cycles".
BioModels MODEL1006230014.

The fractions of scalp follicles in anagen :math:`A`, telogen :math:`T` and latency
:math:`L` pass round the cycle with mean phase durations :math:`\\mu_A, \\mu_T, \\mu_L`:

.. math::

    \\frac{dA}{dt} = \\frac{L}{\\mu_L} - \\frac{A}{\\mu_A}, \\qquad
    \\frac{dT}{dt} = \\frac{A}{\\mu_A} - \\frac{T}{\\mu_T}, \\qquad
    \\frac{dL}{dt} = \\frac{T}{\\mu_T} - \\frac{L}{\\mu_L},

with :math:`\\mu_A = 3.6`, :math:`\\mu_T = 2.4`, :math:`\\mu_L = 2` months and
:math:`A = T = L = 1/3` at the start. Each term is a flow, so :math:`A + T + L = 1`
exactly, and the unique steady state is

.. math::

    (A^*, T^*, L^*) = \\frac{(\\mu_A, \\mu_T, \\mu_L)}{\\mu_A + \\mu_T + \\mu_L}
                    = (0.45, 0.30, 0.25),

approached as a damped oscillation (a stable focus within the simplex).

Time: the durations are declared in ``month`` (pint's month, 1/12 of a Julian year,
30.4375 days); the engine converts them, so simulation times are in days as everywhere in
follicle. The parameter ranges are ours (wide enough for sweeps), not the paper's.
"""

from __future__ import annotations

from follicle.model import Model, Module

__all__ = ["CITATION", "halloy2002"]

CITATION = (
    "Halloy, Bernard, Loussouarn & Goldbeter 2002, J Theor Biol 214:469 "
    "(BioModels MODEL1006230014)"
)
_RANGE = (0.1, 120.0)  # months; assumed: a sweep range, not from the paper


def halloy2002() -> Model:
    """The deterministic follicular automaton with its published durations.

    Returns
    -------
    Model
        States ``A``, ``T``, ``L`` (fractions), parameters ``mu_A``, ``mu_T``, ``mu_L``
        (months).
    """
    m = Module("halloy2002", doc=__doc__)
    third = 1.0 / 3.0
    a = m.state("A", "1", third, "fraction of follicles in anagen")
    t_ = m.state("T", "1", third, "fraction of follicles in telogen")
    lat = m.state("L", "1", third, "fraction of follicles in latency")
    mu_a = m.parameter(
        "mu_A",
        3.6,
        "month",
        bounds=_RANGE,
        provenance=CITATION,
        description="mean duration of anagen",
    )
    mu_t = m.parameter(
        "mu_T",
        2.4,
        "month",
        bounds=_RANGE,
        provenance=CITATION,
        description="mean duration of telogen",
    )
    mu_l = m.parameter(
        "mu_L",
        2.0,
        "month",
        bounds=_RANGE,
        provenance=CITATION,
        description="mean duration of latency",
    )
    m.flow(a, t_, a / mu_a, label="anagen ends")
    m.flow(t_, lat, t_ / mu_t, label="telogen hair is shed")
    m.flow(lat, a, lat / mu_l, label="new anagen")
    return Model("halloy2002", [m])
