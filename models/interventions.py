"""Interventions of the coupled model, as schedule events in the units the field uses.

Drugs are dosed in mg/kg into their exposure compartments (:mod:`~follicle.models.drugs`);
senescence induction is the p14ARF-like switch ``induction`` turned on for a period. These
helpers check the intervention's name and the dose's unit and sign when they are called, so
a typo fails where it was written rather than deep inside a simulation.

>>> import follicle as fl
>>> schedule = [*fl.models.course("senolytic", start=28, amount="20 mg/kg", times=7),
...             fl.models.induce_senescence(start=0, stop=21)]
"""

from __future__ import annotations

from follicle.errors import ParameterValueError, ScheduleError, UnitError, UnknownNameError
from follicle.models.drugs import DRUGS
from follicle.schedule import Bolus, ParameterStep, repeat
from follicle.units import as_magnitude

__all__ = ["DOSE_UNIT", "INTERVENTIONS", "course", "dose", "induce_senescence"]

#: The unit of every drug dose (bare numbers are read in it).
DOSE_UNIT = "mg/kg"

#: Every intervention by name: the drugs, and senescence induction (a switch, not a dose).
INTERVENTIONS = {
    **{name: drug.description for name, drug in DRUGS.items()},
    "senescence_induction": "p14ARF-like epidermal senescence induction (switched on and off)",
}


def dose(intervention: str, day, amount) -> Bolus:
    """One dose of a drug: ``amount`` (mg/kg) into its exposure compartment at ``day``.

    >>> dose("wnt_inhibitor", day=22, amount="2 mg/kg")
    Bolus('D_wnt', 2 mg/kg, day 22)

    Parameters
    ----------
    intervention : str
        A drug of :data:`~follicle.models.drugs.DRUGS` (e.g. ``"wnt_inhibitor"``).
    day : float, str or pint.Quantity
        When; bare numbers are days.
    amount : float, str or pint.Quantity
        Non-negative dose per body weight; bare numbers are mg/kg.

    Raises
    ------
    UnknownNameError
        If ``intervention`` is not a drug (with suggestions).
    ScheduleError
        If the amount has the wrong unit or is negative, or the time is not a time.
    """
    if intervention not in DRUGS:
        if intervention == "senescence_induction":
            raise ScheduleError(
                "senescence induction is a switch, not a dose: use induce_senescence(start, stop)"
            )
        raise UnknownNameError("intervention", intervention, INTERVENTIONS)
    what = f"dose of {intervention}"
    try:
        value = as_magnitude(amount, DOSE_UNIT, what=what)
    except (UnitError, ParameterValueError) as exc:
        raise ScheduleError(f"{exc} (doses are given in {DOSE_UNIT})") from None
    if value < 0:
        raise ScheduleError(f"{what}: amount must be >= 0 {DOSE_UNIT}, got {value:g}")
    return Bolus(DRUGS[intervention].state, value, day, unit=DOSE_UNIT, time_unit="day")


def course(intervention: str, start, amount, *, every="1 day", times: int = 1):
    """``times`` equal doses of a drug, ``every`` apart from ``start`` (a tuple of events;
    bare numbers are days)."""
    return repeat(dose(intervention, start, amount), every=every, times=times)


def induce_senescence(start, stop) -> ParameterStep:
    """Switch p14ARF-like senescence induction on from ``start`` until ``stop`` (days)."""
    return ParameterStep("induction", 1.0, start, stop, time_unit="day")
