"""Karin et al. (2019): saturating removal of senescent cells.

Karin et al. 2019, Nat Commun 10:5495 (Karin, Agrawal, Porat, Krizhanovsky & Alon),
"Senescent cell turnover slows with age providing an explanation for the Gompertz law",
doi:10.1038/s41467-019-13192-4.

The deterministic part of the model: a normalised senescent-cell burden :math:`X` is
produced at a rate rising linearly with age :math:`t` and removed by a saturating process
(immune clearance),

.. math::

    \\frac{dX}{dt} = \\eta\\, t - \\beta \\frac{X}{\\kappa + X}.

(The paper adds noise, :math:`\\sqrt{2\\epsilon}\\,\\xi(t)`, and death when :math:`X`
first reaches :math:`X_c`; this deterministic version keeps :math:`X_c` as a parameter and
the observable ``relative_burden`` :math:`= X/X_c`.) Production outgrows the removal
capacity :math:`\\beta` at age :math:`\\beta/\\eta`; before that, :math:`X` tracks the
quasi-steady state :math:`X^*(t) = \\kappa\\eta t/(\\beta - \\eta t)`, and the linearised
removal rate there, :math:`\\beta\\kappa/(\\kappa + X^*)^2`, falls with age: turnover slows,
so a pulse of senescent cells is cleared in days when young and in weeks when old.

Parameter sets: two mouse sets circulate and the project could not settle which one the
paper prints (BRIEF section 1); treat both as plausible. Set ``"A"`` is the default:

===  ==================  ============  ========  =====
set  eta (1/day/year)    beta (1/day)  kappa     X_c
===  ==================  ============  ========  =====
A    0.084               0.15          0.5       17
B    0.15                0.27          1.1       17
===  ==================  ============  ========  =====

Time: the engine's time is age in days from birth (:math:`X = 0` at :math:`t = 0`);
:math:`\\eta` is declared per day per year of age and pint converts
:math:`\\eta t` to a rate per day. Simulate from an age with ``t_span=(start, stop)``.
This model depends on time explicitly, so its steady states exist only at a frozen age
(``follicle.analysis.steady_states(model, time=...)``).
"""

from __future__ import annotations

from follicle.errors import UnknownNameError
from follicle.model import Model, Module, t

__all__ = ["CITATION", "PARAMETER_SETS", "karin2019"]

CITATION = "Karin et al. 2019, Nat Commun 10:5495"
_UNSETTLED = "; one of two circulating mouse sets, which the paper prints is unsettled"

#: name: (unit, (low, high), description). Ranges are ours, not the paper's.
_PARAMETERS = {
    "eta": ("1/day/year", (0.0, 1.0), "rise of production per year of age"),
    "beta": ("1/day", (1e-6, 10.0), "maximal removal rate"),
    "kappa": ("1", (1e-6, 100.0), "half-saturation of removal"),
    "X_c": ("1", (1e-3, 1e3), "burden at which death occurs"),
}

#: The two circulating mouse parameter sets: name -> {parameter: value}.
PARAMETER_SETS = {
    "A": {"eta": 0.084, "beta": 0.15, "kappa": 0.5, "X_c": 17.0},
    "B": {"eta": 0.15, "beta": 0.27, "kappa": 1.1, "X_c": 17.0},
}


def karin2019(parameter_set: str = "A") -> Model:
    """The saturating-removal model with mouse parameter set ``"A"`` (default) or ``"B"``.

    Returns
    -------
    Model
        State ``X`` (normalised burden), parameters ``eta`` (1/day/year), ``beta``
        (1/day), ``kappa``, ``X_c`` (dimensionless); observable ``relative_burden``.

    Raises
    ------
    UnknownNameError
        For a parameter set other than ``"A"`` or ``"B"``.
    """
    if parameter_set not in PARAMETER_SETS:
        raise UnknownNameError("parameter set", parameter_set, PARAMETER_SETS)
    values = PARAMETER_SETS[parameter_set]
    source = f"{CITATION} (set {parameter_set}{_UNSETTLED})"
    m = Module("karin2019", doc=__doc__)
    x = m.state("X", "1", 0.0, "senescent-cell burden (normalised)")
    eta, beta, kappa, x_c = (
        m.parameter(name, values[name], unit, bounds=bounds, provenance=source, description=text)
        for name, (unit, bounds, text) in _PARAMETERS.items()
    )
    m.rate(x, eta * t, label="production rising with age")
    m.rate(x, -beta * x / (kappa + x), label="saturating removal")
    m.observable("relative_burden", x / x_c, "1", "burden relative to the death threshold")
    return Model("karin2019", [m])
