"""Al-Nuaimi, Goodfellow, Paus & Baier (2012): a prototypic model of the human hair cycle.

Al-Nuaimi, Goodfellow, Paus & Baier 2012, J Theor Biol 310:143 (pages 143-159), "A
prototypic mathematical model of the human hair cycle".

Matrix keratinocytes :math:`x` make a signal :math:`y` (in the epithelium :math:`y_1` and
the dermal papilla :math:`y_2`); the papilla answers with a regulator :math:`z` (papilla
:math:`z_2`, epithelium :math:`z_1`) that slows keratinocyte proliferation (and, with
:math:`C_{apop} > 0`, speeds their apoptosis). In the paper's dimensionless time
:math:`s`:

.. math::

    \\frac{dx}{ds} &= \\frac{p_1 x}{(p_2 + x)(p_3 + C_{prol} z_1)}
                   - \\frac{(p_4 + C_{apop} z_1)\\, x}{p_5^k + x^k} + a - b x \\\\
    \\frac{dy_1}{ds} &= c_1 x + D_y (y_2 - 2 y_1), \\qquad
    \\frac{dy_2}{ds} = D_y (y_1 - 2 y_2) \\\\
    \\frac{dz_1}{ds} &= D_z (z_2 - 2 z_1), \\qquad
    \\frac{dz_2}{ds} = c_2 y_2 + D_z (z_1 - 2 z_2)

with the published defaults :math:`a = 0.1, b = 0.01, p_1 = 0.48, p_2 = p_3 = 0.1,
p_4 = 0.5, p_5 = 0.32, C_{prol} = 1, C_{apop} = 0, c_1 = c_2 = 1, D_y = 0.5, D_z = 0.1,
k = 2`. They give relaxation oscillations: a long high-:math:`x` plateau (anagen), a fast
fall (catagen) and a short low plateau (telogen).

Time: the engine integrates in days, the paper in dimensionless units. Every rate here is
divided by the time scale :math:`\\tau` (parameter ``tau``, in days), i.e.
:math:`t = \\tau s`. Its default, 1 day, is *not* from the paper: it makes one engine
"day" equal one dimensionless time unit, so times, periods and eigenvalues read as the
paper's numbers. Set ``tau`` to map the cycle onto real time (e.g. to match a human
anagen of years); nothing else changes, since only time is rescaled.

The initial state (:math:`x = 0.5`, the rest 0) is ours, not the paper's. The parameter
ranges are ours too (wide enough for sweeps). All states and parameters except ``tau``
are dimensionless.
"""

from __future__ import annotations

from follicle.model import Model, Module

__all__ = ["CITATION", "alnuaimi2012"]

CITATION = "Al-Nuaimi, Goodfellow, Paus & Baier 2012, J Theor Biol 310:143"
_TAU = (
    "assumed: the published model is dimensionless; one unit of its time is tau days, and "
    "tau = 1 day keeps the paper's time numerically"
)

#: name: (default, (low, high), description). Ranges are ours, not the paper's.
_PARAMETERS = {
    "a": (0.1, (0.0, 10.0), "basal influx of matrix keratinocytes"),
    "b": (0.01, (0.0, 10.0), "linear loss of matrix keratinocytes"),
    "p1": (0.48, (0.0, 10.0), "maximal proliferation of matrix keratinocytes"),
    "p2": (0.1, (1e-6, 10.0), "half-saturation of proliferation in x"),
    "p3": (0.1, (1e-6, 10.0), "proliferation inhibition constant"),
    "p4": (0.5, (0.0, 10.0), "maximal apoptosis"),
    "p5": (0.32, (1e-6, 10.0), "apoptosis threshold in x"),
    "C_prol": (1.0, (0.0, 10.0), "strength of the regulator's inhibition of proliferation"),
    "C_apop": (0.0, (0.0, 10.0), "strength of the regulator's promotion of apoptosis"),
    "c1": (1.0, (0.0, 10.0), "signal production by keratinocytes"),
    "c2": (1.0, (0.0, 10.0), "regulator production in the papilla"),
    "D_y": (0.5, (0.0, 10.0), "exchange of the signal between compartments"),
    "D_z": (0.1, (0.0, 10.0), "exchange of the regulator between compartments"),
    "k": (2.0, (1.0, 8.0), "Hill exponent of apoptosis"),
}


def alnuaimi2012() -> Model:
    """The Al-Nuaimi et al. (2012) hair-cycle oscillator with its published defaults.

    Returns
    -------
    Model
        States ``x``, ``y1``, ``y2``, ``z1``, ``z2`` (dimensionless); the parameters of
        the paper plus ``tau`` (days per dimensionless time unit, default 1).
    """
    m = Module("alnuaimi2012", doc=__doc__)
    x = m.state("x", "1", 0.5, "matrix keratinocytes")
    y1 = m.state("y1", "1", 0.0, "keratinocyte-made signal in the epithelium")
    y2 = m.state("y2", "1", 0.0, "keratinocyte-made signal in the dermal papilla")
    z1 = m.state("z1", "1", 0.0, "papilla-made regulator in the epithelium")
    z2 = m.state("z2", "1", 0.0, "papilla-made regulator in the dermal papilla")
    p = {
        name: m.parameter(name, value, "1", bounds=bounds, provenance=CITATION, description=text)
        for name, (value, bounds, text) in _PARAMETERS.items()
    }
    tau = m.parameter(
        "tau",
        1.0,
        "day",
        bounds=(1e-6, 1e6),
        provenance=_TAU,
        description="days per unit of the paper's dimensionless time",
    )
    proliferation = p["p1"] * x / ((p["p2"] + x) * (p["p3"] + p["C_prol"] * z1))
    apoptosis = (p["p4"] + p["C_apop"] * z1) * x / (p["p5"] ** p["k"] + x ** p["k"])
    m.rate(x, proliferation / tau, label="proliferation")
    m.rate(x, -apoptosis / tau, label="apoptosis")
    m.rate(x, (p["a"] - p["b"] * x) / tau, label="influx and loss")
    m.rate(y1, p["c1"] * x / tau, label="signal production")
    m.rate(y1, p["D_y"] * (y2 - 2 * y1) / tau, label="signal exchange (epithelium)")
    m.rate(y2, p["D_y"] * (y1 - 2 * y2) / tau, label="signal exchange (papilla)")
    m.rate(z2, p["c2"] * y2 / tau, label="regulator production")
    m.rate(z1, p["D_z"] * (z2 - 2 * z1) / tau, label="regulator exchange (epithelium)")
    m.rate(z2, p["D_z"] * (z1 - 2 * z2) / tau, label="regulator exchange (papilla)")
    return Model("alnuaimi2012", [m])
