"""Steady states, their stability, one-parameter bifurcation scans and limit cycles.

Three entry points, each returning an immutable result:

- :func:`steady_states`: every steady state a seeded multi-start root search finds, each
  with the eigenvalues of its Jacobian and a stability label;
- :func:`scan`: steady-state branches followed through one parameter by pseudo-arclength
  continuation, with folds and Hopf points located on them and the cycles on either side
  of each Hopf point measured by simulation;
- :func:`find_cycle`: the period and amplitude of the oscillation a simulation settles on.

The analysis is about the autonomous system :math:`\\dot y = f(y, p)`. A model whose rates
depend on time explicitly (e.g. production rising with age) has no steady states as such:
these functions raise :class:`~follicle.errors.AnalysisError` for it unless a frozen time is
given (``time=...``), in which case :math:`t` is held at that value, i.e. the analysis is
of the *quasi-steady* states :math:`f(y, p, t_0) = 0`.

Linear conservation laws (e.g. phase fractions that sum to one) make the Jacobian
singular and the steady states non-isolated. They are detected numerically (vectors
:math:`w` with :math:`w^\\top f(y, p) = 0` for every :math:`y`), the search is confined to
the conservation class of the initial state, and stability is judged from the Jacobian
restricted to that class.

:mod:`follicle.analysis.regimes` classifies simulations over two axes (regime maps).

The package is split by concept: :mod:`~follicle.analysis.results` (what is returned),
:mod:`~follicle.analysis.system` (the scaled system), :mod:`~follicle.analysis.steady`,
:mod:`~follicle.analysis.cycles`, :mod:`~follicle.analysis.continuation` and
:mod:`~follicle.analysis.regimes`.
"""

from follicle.analysis.continuation import scan
from follicle.analysis.cycles import find_cycle
from follicle.analysis.regimes import RegimeMap, Transition, boundary, regime_map
from follicle.analysis.results import (
    Bifurcation,
    Branch,
    ConservationLaw,
    Cycle,
    Scan,
    SteadyState,
    SteadyStates,
    classify,
)
from follicle.analysis.steady import steady_states

__all__ = [
    "Bifurcation",
    "Branch",
    "ConservationLaw",
    "Cycle",
    "RegimeMap",
    "Scan",
    "SteadyState",
    "SteadyStates",
    "Transition",
    "boundary",
    "classify",
    "find_cycle",
    "regime_map",
    "scan",
    "steady_states",
]
