"""Dosing schedules: bolus doses, constant-rate infusions, parameter steps, repeats.

A schedule is a tuple of events. :func:`resolve` turns it, for one model and time span, into
the breakpoints where something changes discontinuously and, for each segment between them,
the parameter vector and the constant infusion input. :func:`follicle.simulate` integrates
each segment separately and applies bolus jumps at the breakpoints, so discontinuities are
resolved exactly and never smoothed.

Times and amounts take units. A bare-number time is in the event's ``time_unit``, and
without one in the time unit of the model the schedule runs on (:attr:`Model.time_unit
<follicle.Model.time_unit>`, days for the biology); a time given as text (``"3 day"``,
``"90 min"``) or a pint quantity keeps its own unit, and :func:`resolve` converts it to the
model's. Amounts are in the target's own unit (or the event's ``unit`` when it has one);
text and quantities are converted. An event shows its units when printed, as a warning
quotes it: ``Bolus('D_wnt', 2 mg/kg, day 22)``.
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pint

from follicle import limits
from follicle.errors import (
    FollicleWarning,
    ParameterValueError,
    ScheduleError,
    UnitError,
    UnknownNameError,
    shown,
)
from follicle.units import Q_, as_magnitude, parse_quantity, parse_unit

__all__ = ["Bolus", "Infusion", "ParameterStep", "Schedule", "in_unit", "repeat"]


def _name(value, what: str) -> None:
    """Refuse a target or parameter that is not a name."""
    if not isinstance(value, str) or not value:
        raise ScheduleError(
            f"{what} must be the name of a state or parameter (text), got {shown(value)}"
        )


def _unit(event, value_field: str) -> None:
    """Check an event's ``unit``: text naming a unit, and only beside a bare number."""
    unit, value = event.unit, getattr(event, value_field)
    if not isinstance(unit, str):
        raise ScheduleError(
            f"the unit of {event!r} must be text such as 'mg/kg', got {shown(unit)}"
        )
    if unit and not isinstance(value, int | float):
        raise ScheduleError(
            f"{type(event).__name__} into {event.target!r}: the {value_field} {shown(value)} "
            f"carries its own unit; give unit={unit!r} only with a bare number"
        )
    if unit:
        try:
            parse_unit(unit, what=f"unit of the {value_field} into {event.target!r}")
        except UnitError as exc:
            raise ScheduleError(str(exc)) from None


def _given(value, unit: str):
    """A bare ``value`` in the event's ``unit`` as a quantity; anything else as it is."""
    return Q_(value, parse_unit(unit)) if unit and isinstance(value, int | float) else value


def _shown(value, unit: str, default: str) -> str:
    """A dose or value for display: ``2 mg/kg``; a bare number without ``unit`` says which
    unit it is read in (``default``, e.g. ``"D_wnt's unit"``)."""
    if isinstance(value, int | float):
        return f"{value:g} {unit}" if unit else f"{value:g} ({default})"
    return f"{value:~P}" if hasattr(value, "units") else str(value)


def _when(time: float, unit: str) -> str:
    """A time for display: ``day 22``, ``22 h``, or ``t = 22`` in the model's unit."""
    if unit == "day":
        return f"day {time:g}"
    return f"{time:g} {unit}" if unit else f"t = {time:g}"


def _interval(start: float, stop: float, unit: str) -> str:
    if unit == "day":
        return f"from day {start:g}" if math.isinf(stop) else f"days {start:g}-{stop:g}"
    if math.isinf(stop):
        return f"from t = {start:g}" if not unit else f"from {start:g} {unit}"
    return f"t = {start:g}-{stop:g}" if not unit else f"{start:g}-{stop:g} {unit}"


def _time(value, unit: str, what: str) -> tuple[float, str]:
    """``value`` as ``(number, unit)``: a bare number stays in ``unit`` (``""``: the time
    unit of the model the schedule runs on); text or a quantity carries its own unit, which
    must be a time."""
    try:
        if isinstance(value, str):
            value = parse_quantity(value, what=what)
        if isinstance(value, pint.Quantity):
            if not value.check("[time]"):
                raise UnitError(
                    f"{what}: {value:~P} is not a time; give e.g. '3 day' or '90 min', or a "
                    "bare number in the model's time unit"
                )
            unit = str(value.units)
            value = value.magnitude
        if not isinstance(unit, str):
            raise ScheduleError(f"{what}: the time unit must be text such as 'day'")
        if unit:
            parse_unit(unit, what=f"{what}: time unit")
        return as_magnitude(value, "dimensionless", what=what), unit
    except (UnitError, ParameterValueError) as exc:
        raise ScheduleError(str(exc)) from None


def _same_unit(first, second, unit: str, what: str) -> tuple[float, float, str]:
    """Two times (a start and a stop, or a time and an interval) in one unit; a bare number
    beside a time with a unit is ambiguous and refused."""
    a, unit_a = _time(first, unit, what)
    b, unit_b = _time(second, unit, what)
    if unit_a == unit_b:
        return a, b, unit_a
    if not unit_a or not unit_b:
        raise ScheduleError(
            f"{what}: {shown(first)} and {shown(second)} mix a bare number (the model's time "
            "unit) with a time in a unit; give both with units or both as numbers"
        )
    return a, float(Q_(b, unit_b).to(unit_a).magnitude), unit_a


@functools.lru_cache(maxsize=64)
def _time_factor(source: str, target: str) -> float:
    """Multiplier taking a time in ``source`` to one in ``target`` (once per pair: every
    run resolves its schedule again)."""
    return float(Q_(1.0, parse_unit(source)).to(parse_unit(target)).magnitude)


def in_unit(event, unit) -> Event:
    """``event`` with its times as numbers in ``unit`` (a model's time unit): a time with
    a unit is converted, a bare number is taken to be in ``unit`` already."""
    target = str(parse_unit(unit))
    if event.time_unit == target:
        return event
    factor = 1.0 if not event.time_unit else _time_factor(event.time_unit, target)
    # The event was checked when it was made; only its times change (no second check,
    # which parses its units again: every run resolves its schedule).
    converted = copy.copy(event)
    times = ("time",) if isinstance(event, Bolus) else ("start", "stop")
    for name in times:
        object.__setattr__(converted, name, getattr(event, name) * factor)
    object.__setattr__(converted, "time_unit", target)
    return converted


@dataclass(frozen=True)
class Bolus:
    """An instantaneous dose: ``target`` jumps by ``amount`` at ``time``.

    Parameters
    ----------
    target : str
        A state of the model.
    amount : float, str or pint.Quantity
        Non-negative, in the target's unit (or a compatible one, e.g. ``"2 mg/kg"``).
    time : float, str or pint.Quantity
        When: a bare number in ``time_unit`` (or the model's time unit), or a time with a
        unit (``"3 day"``).
    unit : str, optional
        The unit of a bare-number ``amount`` (default: the target's own unit), e.g. the
        ``"mg/kg"`` of :func:`follicle.models.dose`; printed with the amount.
    time_unit : str, optional
        The unit of a bare-number ``time`` (default: the model's time unit).
    """

    target: str
    amount: object
    time: object
    unit: str = ""
    time_unit: str = ""

    def __post_init__(self):
        _name(self.target, "the target of a bolus")
        _unit(self, "amount")
        when, unit = _time(self.time, self.time_unit, f"time of the bolus into {self.target!r}")
        object.__setattr__(self, "time", when)
        object.__setattr__(self, "time_unit", unit)

    def __repr__(self) -> str:
        amount = _shown(self.amount, self.unit, f"{self.target}'s unit")
        return f"Bolus({self.target!r}, {amount}, {_when(self.time, self.time_unit)})"


@dataclass(frozen=True)
class Infusion:
    """A constant-rate input: ``d(target)/dt += rate`` for ``start <= t < stop``.

    ``rate`` is in the target's unit per model time unit (bare numbers), in ``unit`` if
    given, or a quantity (``"0.5 mg/kg/day"``); ``start`` and ``stop`` as a bolus's time
    (both bare numbers, in ``time_unit`` or the model's, or both with units).
    """

    target: str
    rate: object
    start: object
    stop: object
    unit: str = ""
    time_unit: str = ""

    def __post_init__(self):
        _name(self.target, "the target of an infusion")
        _unit(self, "rate")
        start, stop, unit = _same_unit(
            self.start, self.stop, self.time_unit, f"infusion into {self.target!r}"
        )
        if stop <= start:
            raise ScheduleError(
                f"infusion into {self.target!r}: stop ({_when(stop, unit)}) must be after "
                f"start ({_when(start, unit)})"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "stop", stop)
        object.__setattr__(self, "time_unit", unit)

    def __repr__(self) -> str:
        rate = _shown(self.rate, self.unit, f"{self.target}'s unit per time unit")
        interval = _interval(self.start, self.stop, self.time_unit)
        return f"Infusion({self.target!r}, {rate}, {interval})"


@dataclass(frozen=True)
class ParameterStep:
    """Parameter ``parameter`` takes ``value`` for ``start <= t < stop``.

    ``stop=None`` keeps the value to the end of the simulation; times as for
    :class:`Infusion`.
    """

    parameter: str
    value: object
    start: object
    stop: object = None
    time_unit: str = ""

    def __post_init__(self):
        _name(self.parameter, "the parameter of a step")
        what = f"step of {self.parameter!r}"
        if self.stop is None or (isinstance(self.stop, float) and math.isinf(self.stop)):
            start, unit = _time(self.start, self.time_unit, what)
            stop = math.inf
        else:
            start, stop, unit = _same_unit(self.start, self.stop, self.time_unit, what)
        if stop <= start:
            raise ScheduleError(
                f"{what}: stop ({_when(stop, unit)}) must be after start ({_when(start, unit)})"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "stop", stop)
        object.__setattr__(self, "time_unit", unit)

    def __repr__(self) -> str:
        value = _shown(self.value, "", f"{self.parameter}'s unit")
        interval = _interval(self.start, self.stop, self.time_unit)
        return f"ParameterStep({self.parameter!r}, {value}, {interval})"


Event = Bolus | Infusion | ParameterStep


def repeat(event: Event, every, times: int) -> tuple[Event, ...]:
    """``times`` copies of ``event``, the k-th shifted by ``k * every`` (k = 0, 1, ...).

    A bare-number ``every`` is in the event's time unit; an event whose times are bare
    numbers, repeated at an interval with a unit (``every="7 day"``), has its times read in
    that unit.

    Examples
    --------
    >>> doses = repeat(Bolus("drug", "2 mg/kg", "3 day"), every="7 day", times=4)
    >>> [d.time for d in doses]
    [3.0, 10.0, 17.0, 24.0]
    """
    if not isinstance(event, Bolus | Infusion | ParameterStep):
        raise ScheduleError(f"cannot repeat {event!r}: not a schedule event")
    period, unit = _time(every, event.time_unit, "repeat interval")
    if not event.time_unit:  # the event's bare numbers are in the interval's unit
        event = replace(event, time_unit=unit)
    elif unit != event.time_unit:
        period = float(Q_(period, unit).to(event.time_unit).magnitude)
    if period <= 0:
        raise ScheduleError(f"repeat interval must be > 0, got {shown(every)}")
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ScheduleError(f"repeat count must be a whole number >= 1, got {times!r}")
    limits.check("events", times, "the repeat count")
    out = []
    for k in range(times):
        shift = k * period
        if isinstance(event, Bolus):
            out.append(replace(event, time=event.time + shift))
        elif isinstance(event, Infusion):
            if event.stop > event.start + period:
                raise ScheduleError(
                    f"repeated infusion into {event.target!r} lasts longer "
                    f"({event.stop - event.start:g}) than the repeat interval ({period:g}, "
                    f"in {event.time_unit or 'the model time unit'})"
                )
            out.append(replace(event, start=event.start + shift, stop=event.stop + shift))
        else:
            out.append(replace(event, start=event.start + shift, stop=event.stop + shift))
    return tuple(out)


@dataclass(frozen=True)
class Schedule:
    """An immutable collection of schedule events."""

    events: tuple[Event, ...] = ()

    @classmethod
    def of(cls, schedule) -> Schedule:
        """Accept a Schedule, a single event, or an iterable of events (nested allowed)."""
        if schedule is None:
            return cls()
        if isinstance(schedule, Schedule):
            return schedule
        if isinstance(schedule, Bolus | Infusion | ParameterStep):
            return cls((schedule,))
        if isinstance(schedule, Iterable) and not isinstance(schedule, str | bytes):
            flat: list[Event] = []
            for position, item in enumerate(schedule):
                if item is None:
                    raise ScheduleError(
                        f"schedule item {position} is None; give Bolus, Infusion or "
                        "ParameterStep events only (leave the item out to give nothing)"
                    )
                flat.extend(cls.of(item).events)
            return cls(tuple(flat))
        raise ScheduleError(
            f"schedule must be a list of Bolus, Infusion or ParameterStep events, got {schedule!r}"
        )

    def __add__(self, other) -> Schedule:
        return Schedule(self.events + Schedule.of(other).events)

    def __len__(self) -> int:
        return len(self.events)


@dataclass
class Segment:
    """One interval of constant parameters and inputs, ``[start, stop]``."""

    start: float
    stop: float
    params: np.ndarray
    inputs: np.ndarray | None  # constant additive input to dy/dt, or None if zero
    jumps: np.ndarray | None = field(default=None)  # bolus jumps applied at ``start``


def resolve(schedule: Schedule, model, t0: float, t1: float, base_params: np.ndarray):
    """Split ``[t0, t1]`` at every discontinuity of ``schedule``.

    Returns
    -------
    list of Segment
        Consecutive segments covering ``[t0, t1]``; each carries the bolus jumps to apply
        at its start.

    Raises
    ------
    ScheduleError, UnknownNameError, UnitError
        Unknown targets, amounts in the wrong unit, negative doses, overlapping steps of one
        parameter.
    """
    state_index = {n: i for i, n in enumerate(model.state_names)}
    param_index = {n: i for i, n in enumerate(model.parameter_names)}
    unit = model.time_unit
    n = len(state_index)
    breaks = {t0, t1}
    boluses: list[tuple[float, int, float]] = []
    infusions: list[tuple[float, float, int, float]] = []
    steps: list[tuple[float, float, int, float]] = []
    for given in schedule.events:
        if not isinstance(given, Bolus | Infusion | ParameterStep):
            raise ScheduleError(f"{given!r} is not a schedule event")
        ev = in_unit(given, unit)
        _check_within(given, ev, t0, t1)
        if isinstance(ev, Bolus | Infusion):
            if ev.target not in state_index:
                raise UnknownNameError("dose target (state)", ev.target, state_index)
            state = model.states[ev.target]
        if isinstance(ev, Bolus):
            amount = as_magnitude(
                _given(ev.amount, ev.unit), state.unit, what=f"bolus into {ev.target!r}"
            )
            if amount < 0:
                raise ScheduleError(
                    f"bolus into {ev.target!r} at {_when(ev.time, ev.time_unit)}: amount "
                    f"{amount:g} {state.unit} is negative; doses must be >= 0"
                )
            if t0 <= ev.time <= t1:
                boluses.append((ev.time, state_index[ev.target], amount))
                breaks.add(ev.time)
        elif isinstance(ev, Infusion):
            rate = as_magnitude(
                _given(ev.rate, ev.unit),
                f"({state.unit})/({unit})",
                what=f"infusion rate into {ev.target!r}",
            )
            if rate < 0:
                raise ScheduleError(
                    f"infusion into {ev.target!r}: rate {rate:g} {state.unit}/{unit} is negative"
                )
            infusions.append((ev.start, ev.stop, state_index[ev.target], rate))
            breaks.update(x for x in (ev.start, ev.stop) if t0 < x < t1)
        elif isinstance(ev, ParameterStep):
            if ev.parameter not in param_index:
                raise UnknownNameError("parameter", ev.parameter, param_index)
            value = model.parameters[ev.parameter].validate(ev.value)
            steps.append((ev.start, ev.stop, param_index[ev.parameter], value))
            breaks.update(x for x in (ev.start, ev.stop) if t0 < x < t1)
    _check_overlaps(steps, model.parameter_names, unit)
    points = sorted(breaks)
    segments = []
    for a, b in itertools.pairwise(points):
        params = base_params.copy()
        for start, stop, j, value in steps:
            if start <= a < stop:
                params[j] = value
        inputs = np.zeros(n)
        for start, stop, i, rate in infusions:
            if start <= a < stop:
                inputs[i] += rate
        jumps = np.zeros(n)
        for time, i, amount in boluses:
            if time == a:
                jumps[i] += amount
        segments.append(
            Segment(a, b, params, inputs if inputs.any() else None, jumps if jumps.any() else None)
        )
    # A bolus exactly at t1 lands after the last segment: keep it as a final jump.
    final = np.zeros(n)
    for time, i, amount in boluses:
        if time == t1 and t1 != t0:
            final[i] += amount
    return segments, (final if final.any() else None)


def _check_within(given, ev, t0: float, t1: float) -> None:
    """Warn about an event (``given``; ``ev``, in the model's time unit) wholly outside
    ``[t0, t1]``: it is not given, and the run does not show its effect (a schedule written
    for a longer run is still valid)."""
    first, last = (ev.time, ev.time) if isinstance(ev, Bolus) else (ev.start, ev.stop)
    if last < t0 or (last == t0 and not isinstance(ev, Bolus)):
        where = f"ends before the run starts at {_when(t0, ev.time_unit)}, so it is not given; "
        where += "start the run earlier to include it"
    elif first > t1 or (first == t1 and not isinstance(ev, Bolus)):
        where = f"starts after the run ends at {_when(t1, ev.time_unit)}, so it is not given"
    else:
        return
    warnings.warn(f"{given!r} {where}", FollicleWarning, stacklevel=4)


def _check_overlaps(steps, names, unit):
    by_param: dict[int, list[tuple[float, float]]] = {}
    for start, stop, j, _ in steps:
        by_param.setdefault(j, []).append((start, stop))
    for j, intervals in by_param.items():
        intervals.sort()
        for (a0, a1), (b0, b1) in itertools.pairwise(intervals):
            if b0 < a1:
                raise ScheduleError(
                    f"parameter {names[j]!r} has overlapping steps [{a0:g}, {a1:g}) and "
                    f"[{b0:g}, {b1:g}) {unit}; which value applies is ambiguous"
                )
