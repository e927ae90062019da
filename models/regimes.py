"""Regimes of the hair cycle, the critical senescent burden and the senolytic dose needed.

**Classification.** :class:`HairCycleClassifier` labels a simulation of the coupled model
from its anagen fraction :math:`A(t)` on the window :math:`[t_s, t_{end}]` after a
transient :math:`t_s` (by default 60 days: the first anagen after the start of a telogen
is left out, it happens at almost any burden):

* **cycling**: :math:`A` rises through :math:`1/2` at least twice in the window (two
  more synchronised anagen onsets);
* **persistent anagen**: :math:`A \\ge 1/2` throughout;
* **arrested in telogen**: :math:`A` below ``low`` (default 0.1) throughout;
* **desynchronised**: anything else, typically an intermediate, nearly constant
  :math:`A` without sharp onsets. The patch reaches it when a macrophage apoptotic wave
  passes without activating the stem cells: late competent telogen stays full, the wave
  stays on, macrophages stay depleted and WNT low, and follicles only trickle into anagen.

**Critical senescent burden** (:func:`critical_burden`). With the senescence compartment
clamped (:func:`~follicle.models.coupled.clamped`: :math:`X` held constant) and the stem
cells' capacity started in balance with it, :math:`P(0) = P^*(X)`
(:func:`~follicle.models.stem_cells.steady_capacity`), a patch starting a telogen is
simulated for 250 days and classified as above. The critical burden :math:`X_c` is the
burden at which "cycling" ends, located by bisection between the default burden and a
high one (:func:`follicle.boundary`). :math:`X` is Karin et al.'s normalised burden
(dimensionless, unit ``1``). :func:`held_burden_map` maps the same set-up over the held
burden and ``K_X_suppression``, the burden that halves stem-cell activation.

**Senolytic dose needed** (:func:`senolytic_dose_needed`). For a burden :math:`X_0` above
:math:`X_c`, the smallest amount :math:`D` of each dose of a daily senolytic course such
that the burden is down to :math:`X_c` at the end of the course, solved by
:func:`scipy.optimize.brentq` on :math:`X(t_{end}; D) - X_c`, which falls with :math:`D`.
It is computed on the senescence compartment alone (its dynamics do not depend on the
other compartments).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy.optimize import brentq

from follicle.analysis import RegimeMap, Transition, boundary, regime_map
from follicle.errors import AnalysisError, ParameterValueError
from follicle.models.coupled import clamped, compartment
from follicle.models.interventions import course
from follicle.models.stem_cells import steady_capacity
from follicle.readouts import crossing_times
from follicle.simulate import simulate
from follicle.trajectory import Trajectory
from follicle.units import TIME_UNIT, as_magnitude

__all__ = [
    "ARRESTED",
    "CRITICAL_BURDEN_DAYS",
    "CYCLING",
    "DESYNCHRONISED",
    "HELD_BURDENS",
    "PERSISTENT_ANAGEN",
    "REGIMES",
    "SUPPRESSIONS",
    "HairCycleClassifier",
    "burden_in_balance",
    "classify_hair_cycle",
    "critical_burden",
    "held_burden_map",
    "senolytic_dose_needed",
]

CYCLING = "cycling"
ARRESTED = "arrested in telogen"
DESYNCHRONISED = "desynchronised"
PERSISTENT_ANAGEN = "persistent anagen"
#: Every label :class:`HairCycleClassifier` gives.
REGIMES = (CYCLING, ARRESTED, DESYNCHRONISED, PERSISTENT_ANAGEN)

#: Days simulated per burden when locating the critical burden (the window after the
#: 60-day transient then holds four onsets of an undisturbed cycle of about 45 days).
CRITICAL_BURDEN_DAYS = 250.0


@dataclass(frozen=True)
class HairCycleClassifier:
    """Label a coupled-model trajectory by the behaviour of its anagen fraction.

    Parameters
    ----------
    start : float
        Days of transient left out; the window runs from here to the end of the run.
    level : float
        Anagen fraction whose upward crossing is an onset (the scored half of the patch).
    low : float
        Anagen fraction below which, throughout the window, the patch is arrested.
    min_onsets : int
        Onsets in the window that make the patch "cycling".

    Calling it on a :class:`~follicle.Trajectory` returns one of :data:`REGIMES`.
    """

    start: float = 60.0
    level: float = 0.5
    low: float = 0.1
    min_onsets: int = 2

    def __post_init__(self):
        if not 0 < self.low < self.level < 1:
            raise ParameterValueError(
                f"need 0 < low < level < 1 (anagen fractions); got low={self.low!r}, "
                f"level={self.level!r}"
            )
        if not (isinstance(self.min_onsets, int) and self.min_onsets >= 1):
            raise ParameterValueError(f"min_onsets must be an int >= 1, got {self.min_onsets!r}")

    def __call__(self, run: Trajectory) -> str:
        if not run.t[0] <= self.start < run.t[-1]:
            raise AnalysisError(
                f"the classification window starts at day {self.start:g}, outside the run "
                f"[{run.t[0]:g}, {run.t[-1]:g}] day; simulate longer or lower start"
            )
        onsets = crossing_times(run, "anagen", self.level, direction="up", start=self.start)
        anagen = run["anagen"][run.t >= self.start]
        if onsets.size >= self.min_onsets:
            return CYCLING
        if anagen.min() >= self.level:
            return PERSISTENT_ANAGEN
        if anagen.max() < self.low:
            return ARRESTED
        return DESYNCHRONISED


#: The classifier with its default settings.
classify_hair_cycle = HairCycleClassifier()


def burden_in_balance(point: Mapping[str, float], base: Mapping[str, float] | None = None):
    """Simulation keywords for :func:`clamped` ``("senescence")`` at a held burden.

    ``point`` (and ``base``, overridden by ``point``) are parameter values of the clamped
    model, including the burden ``X``; the stem cells' capacity starts in balance with
    it, :math:`P(0) = P^*(X)` with the point's ``k_P_recovery``, ``k_P_loss``, ``K_P``
    where given. A ``setup`` for :func:`follicle.regime_map` and :func:`follicle.boundary`.
    """
    params = {**(base or {}), **point}
    burden = params.get("X", clamped("senescence").parameters["X"].value)
    capacity = steady_capacity(
        burden, params.get("k_P_recovery"), params.get("k_P_loss"), params.get("K_P")
    )
    return {"params": params, "initial": {"P": capacity}}


#: Held burdens (dimensionless) and ``K_X_suppression`` values of the map quoted in
#: ``docs/analysis.md`` and drawn by ``figures/fig_regime_map.py``.
HELD_BURDENS = tuple(float(x) for x in np.round(np.geomspace(0.25, 6.0, 14), 3))
SUPPRESSIONS = (0.75, 1.0, 1.5, 2.0, 3.0, 4.0)


def held_burden_map(
    burdens=HELD_BURDENS, suppressions=SUPPRESSIONS, *, executor=None, progress=None
) -> RegimeMap:
    """Regimes of the coupled model over a held burden and ``K_X_suppression``.

    Each point is :func:`clamped` ``("senescence")`` with the burden ``X`` held, the
    stem cells' capacity in balance with it (:func:`burden_in_balance`) and
    ``K_X_suppression`` (the burden that halves stem-cell activation) set, simulated for
    :data:`CRITICAL_BURDEN_DAYS` from the start of a telogen and labelled by
    :data:`classify_hair_cycle`. At the default ``K_X_suppression`` the edge of "cycling"
    is the critical burden (:func:`critical_burden`).

    Parameters
    ----------
    burdens, suppressions : sequence of float
        The x axis (held burden ``X``, dimensionless) and the y axis (``K_X_suppression``).
    executor, progress
        As for :func:`follicle.regime_map`.

    Returns
    -------
    RegimeMap
    """
    return regime_map(
        clamped("senescence"),
        ("X", burdens),
        ("K_X_suppression", suppressions),
        classify_hair_cycle,
        days=CRITICAL_BURDEN_DAYS,
        setup=burden_in_balance,
        executor=executor,
        progress=progress,
    )


def critical_burden(
    params: Mapping[str, float] | None = None,
    *,
    high: float = 10.0,
    rtol: float = 1e-3,
    classify=classify_hair_cycle,
) -> Transition:
    """The senescent burden above which the coupled model's hair cycling stops.

    Bisects the held burden ``X`` of :func:`clamped` ``("senescence")`` between its default
    (the quasi-steady burden of a young adult, :math:`\\approx 0.08`) and ``high``, each
    simulated for :data:`CRITICAL_BURDEN_DAYS` from the start of a telogen, in balance
    (:func:`burden_in_balance`), and labelled by ``classify``.

    Parameters
    ----------
    params : mapping, optional
        Other parameter values of the clamped model (defaults: the table's).
    high : float
        A burden (dimensionless, Karin scale) at which the patch does not cycle.
    rtol : float
        Relative width of the final bracket.
    classify : callable
        Trajectory -> label; the patch counts as cycling where it returns "cycling".

    Returns
    -------
    Transition
        ``value`` is :math:`X_c` (dimensionless); ``below`` is "cycling"; ``above`` the
        regime just beyond.

    Raises
    ------
    AnalysisError
        If the patch does not cycle at the default burden, or still cycles at ``high``.
    """
    model = clamped("senescence")
    default = model.parameters["X"].value
    found = boundary(
        model,
        ("X", default, high),
        classify,
        days=CRITICAL_BURDEN_DAYS,
        setup=partial(burden_in_balance, base=dict(params or {})),
        rtol=rtol,
    )
    if found.below != CYCLING:
        raise AnalysisError(
            f"the patch is {found.below!r}, not cycling, at the default burden X = "
            f"{default:.3g} with parameters {dict(params or {})}: no critical burden above it"
        )
    return found


def senolytic_dose_needed(
    burden: float,
    target: float,
    *,
    start=3.0,
    times: int = 7,
    every="1 day",
    by=None,
    params: Mapping[str, float] | None = None,
    max_dose: float = 1e4,
) -> float:
    """Amount per dose (mg/kg) of a senolytic course that brings ``burden`` down to ``target``.

    The burden :math:`X(0) = X_0` evolves by the senescence equation
    (:mod:`~follicle.models.senescence`) under ``course("senolytic", start, D,
    every=every, times=times)``. Returns the :math:`D` that solves
    :math:`X(t_{by}; D) = X_{target}` (0 if the burden falls below the target by itself),
    by default at the end of the course, :math:`t_{by} = t_0 + n\\,\\Delta` (one interval
    after the last dose).

    Parameters
    ----------
    burden : float
        Initial burden :math:`X_0` (dimensionless, Karin scale).
    target : float
        Burden to reach, e.g. ``critical_burden().value``.
    start, every : float, str or pint.Quantity
        First dose and dosing interval (bare numbers in days).
    times : int
        Number of doses.
    by : float, str or pint.Quantity, optional
        When the burden must be down to the target (default: the end of the course).
    params : mapping, optional
        Parameter values of the senescence compartment (e.g. ``k_senolytic``, ``age0``).
    max_dose : float
        Largest amount per dose tried (mg/kg).

    Raises
    ------
    ParameterValueError
        Burden or target negative or non-finite.
    AnalysisError
        If even ``max_dose`` leaves the burden above the target.
    """
    for name, value in (("burden", burden), ("target", target)):
        if not (math.isfinite(value) and value >= 0):
            raise ParameterValueError(
                f"{name} must be a finite burden >= 0 (unit 1), got {value!r}"
            )
    begin = as_magnitude(start, TIME_UNIT, what="start of the senolytic course")
    interval = as_magnitude(every, TIME_UNIT, what="senolytic dosing interval")
    end = begin + times * interval if by is None else as_magnitude(by, TIME_UNIT, what="by")
    if not end > 0:
        raise ParameterValueError(f"by must be a time after day 0, got {by!r}")
    model = compartment("senescence")

    def excess(dose: float) -> float:
        schedule = course("senolytic", begin, dose, every=interval, times=times)
        run = simulate(
            model,
            t_span=(0.0, end),
            t_eval=np.array([0.0, end]),
            params=params,
            initial={"X": burden},
            schedule=schedule,
        )
        return float(run["X"][-1]) - target

    if excess(0.0) <= 0:
        return 0.0
    if excess(max_dose) > 0:
        raise AnalysisError(
            f"{times} doses of {max_dose:g} mg/kg leave the burden above {target:g} at day "
            f"{end:g} (from {burden:g}); a longer course is needed"
        )
    return float(brentq(excess, 0.0, max_dose, xtol=1e-6, rtol=1e-8))
