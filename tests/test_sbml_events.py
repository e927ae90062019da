"""SBML events with delays, priorities, persistence and useValuesFromTriggerTime against
closed forms worked by hand (SBML Level 3 Version 2, section 4.12). Every document has a
parameter ``x`` that decays by a rate rule, ``dx/dt = -x / 2`` from ``x(0) = 3``, so
``x(t) = 3 exp(-t / 2)`` between events; time is in days. (Events without delay are in
test_sbml_load.py, the SBML Test Suite's event cases in test_sbml_suite.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_sbml_load import document

import follicle as fl

libsbml = pytest.importorskip("libsbml")

TOL = dict(rtol=1e-10, atol=1e-12)


def _math(formula: str) -> str:
    """MathML of an SBML Level 3 infix ``formula`` (``time`` is the time csymbol)."""
    return libsbml.writeMathMLToString(libsbml.parseL3Formula(formula)).split("?>", 1)[1]


def _event(
    eid, trigger, assignments, *, delay=None, priority=None, persistent=True, trigger_values=True
) -> str:
    parts = [
        f'<event id="{eid}" useValuesFromTriggerTime="{str(trigger_values).lower()}">',
        f'<trigger initialValue="false" persistent="{str(persistent).lower()}">'
        f"{_math(trigger)}</trigger>",
    ]
    if delay is not None:
        parts.append(f"<delay>{_math(delay)}</delay>")
    if priority is not None:
        parts.append(f"<priority>{_math(priority)}</priority>")
    parts.append("<listOfEventAssignments>")
    parts += [
        f'<eventAssignment variable="{v}">{_math(f)}</eventAssignment>'
        for v, f in assignments.items()
    ]
    parts.append("</listOfEventAssignments></event>")
    return "".join(parts)


def _load(*events):
    """``x`` decaying from 3 at rate 1/2 per day; ``y``, ``z`` are 0 and ``d`` is 0.5 until
    an event sets them."""
    body = f"""<listOfParameters>
      <parameter id="x" value="3" constant="false"/>
      <parameter id="y" value="0" constant="false"/>
      <parameter id="z" value="0" constant="false"/>
      <parameter id="d" value="0.5" constant="false"/>
    </listOfParameters>
    <listOfRules><rateRule variable="x">{_math("-x / 2")}</rateRule></listOfRules>
    <listOfEvents>{"".join(events)}</listOfEvents>"""
    return fl.sbml.load(document(body), events=True, time_unit="day")


def free(t):
    """``x`` without events."""
    return 3.0 * np.exp(-np.asarray(t) / 2)


@pytest.mark.parametrize("trigger_values", [True, False])
def test_a_delayed_assignment_uses_the_values_of_its_trigger_or_its_execution(trigger_values):
    # Triggered at 1, executed at 1.5: x = x + 1 with x from time 1 or from time 1.5.
    model = _load(
        _event("E", "time > 1", {"x": "x + 1"}, delay="0.5", trigger_values=trigger_values)
    )
    times = np.array([0.0, 1.25, 1.5, 2.5])
    run = model.simulate(times, **TOL)
    after = (free(1.0) if trigger_values else free(1.5)) + 1
    exact = [free(0.0), free(1.25), after, after * math.exp(-0.5)]
    np.testing.assert_allclose(run["x"], exact, rtol=1e-8)


def test_the_delay_is_evaluated_at_the_trigger_time():
    # The delay d = 0.5 at time 1; that d is 5 from time 1.2 does not move the execution.
    model = _load(
        _event("E", "time > 1", {"x": "x + 1"}, delay="d", trigger_values=False),
        _event("F", "time > 1.2", {"d": "5"}),
    )
    run = model.simulate([0.0, 2.0], **TOL)
    np.testing.assert_allclose(run["x"][-1], (free(1.5) + 1) * math.exp(-0.25), rtol=1e-8)
    assert run["d"][-1] == 5


@pytest.mark.parametrize("persistent", [True, False])
def test_a_non_persistent_delayed_event_is_cancelled_when_its_trigger_turns_false(persistent):
    # Triggered at 1, due at 1.5, but the trigger is false again from 1.2.
    model = _load(
        _event(
            "E", "(time > 1) && (time < 1.2)", {"x": "x + 1"}, delay="0.5", persistent=persistent
        )
    )
    run = model.simulate([0.0, 2.0], **TOL)
    exact = (free(1.0) + 1) * math.exp(-0.25) if persistent else free(2.0)
    np.testing.assert_allclose(run["x"][-1], exact, rtol=1e-8)


@pytest.mark.parametrize(
    "doubling, adding, trigger_values, exact",
    [
        # Values at the execution: the higher priority goes first.
        (2, 1, False, lambda x: 2 * x + 1),
        (1, 2, False, lambda x: 2 * (x + 1)),
        # Values from the trigger time: both are computed before either executes, so the
        # lower priority, executed last, wins.
        (2, 1, True, lambda x: x + 1),
        (1, 2, True, lambda x: 2 * x),
    ],
)
def test_priorities_order_events_that_execute_together(doubling, adding, trigger_values, exact):
    model = _load(
        _event(
            "A", "time > 1", {"x": "2 * x"}, priority=str(doubling), trigger_values=trigger_values
        ),
        _event(
            "B", "time > 1", {"x": "x + 1"}, priority=str(adding), trigger_values=trigger_values
        ),
    )
    run = model.simulate([0.0, 2.0], **TOL)
    np.testing.assert_allclose(run["x"][-1], exact(free(1.0)) * math.exp(-0.5), rtol=1e-8)


@pytest.mark.parametrize("priority, exact", [(3, lambda x: 2 * x + 1), (0, lambda x: 2 * (x + 1))])
def test_an_event_triggered_by_another_joins_the_executions_due_by_its_priority(priority, exact):
    # At 1, A (priority 2) sets y = 1, which triggers B (no delay: due now); C (priority 1)
    # is due too. B goes before C when its priority is higher.
    model = _load(
        _event("A", "time > 1", {"y": "1"}, priority="2"),
        _event("B", "y > 0.5", {"x": "2 * x"}, priority=str(priority), trigger_values=False),
        _event("C", "time > 1", {"x": "x + 1"}, priority="1", trigger_values=False),
    )
    run = model.simulate([0.0, 2.0], **TOL)
    np.testing.assert_allclose(run["x"][-1], exact(free(1.0)) * math.exp(-0.5), rtol=1e-8)


def test_equal_priorities_are_refused_only_when_the_order_matters():
    order_matters = _load(
        _event("A", "time > 1", {"x": "2 * x"}, priority="1", trigger_values=False),
        _event("B", "time > 1", {"x": "x + 1"}, priority="1", trigger_values=False),
    )
    with pytest.raises(fl.errors.SBMLImportError, match=r"'A', 'B' execute together at t = 1 day"):
        order_matters.simulate([0.0, 2.0], **TOL)
    # Assignments to different variables that nothing else reads: any order is the same.
    independent = _load(
        _event("A", "time > 1", {"y": "x"}, priority="1"),
        _event("B", "time > 1", {"z": "x + 1"}, priority="1"),
    )
    run = independent.simulate([0.0, 2.0], **TOL)
    np.testing.assert_allclose([run["y"][-1], run["z"][-1]], [free(1.0), free(1.0) + 1])
    # Each cancels the other (not persistent): two orders, two results, so refused.
    cancelling = _load(
        _event("A", "(time > 1) && (z < 1)", {"y": "1"}, priority="1", persistent=False),
        _event("B", "(time > 1) && (y < 1)", {"z": "1"}, priority="1", persistent=False),
    )
    with pytest.raises(fl.errors.SBMLImportError, match="depends on their order"):
        cancelling.simulate([0.0, 2.0], **TOL)


def test_a_relation_that_stays_at_its_threshold_does_not_stall_the_integration(monkeypatch):
    # z > 0 is false and z stays 0: a root function that is zero everywhere, which SciPy
    # would report as a root at every step (the integration then stopped at its start
    # forever). The run stops only at time 0 (twice: at 0 and just after) and at B's
    # trigger.
    model = _load(
        _event("A", "z > 0", {"y": "1"}),
        _event("B", "time > 1", {"x": "x + 1"}),
    )
    stops = []
    fire = type(model)._fire

    def counted(self, time, *args, **kwargs):
        stops.append(time)
        assert len(stops) <= 3, f"the integration stopped at {stops}"
        return fire(self, time, *args, **kwargs)

    monkeypatch.setattr(type(model), "_fire", counted)
    run = model.simulate([0.0, 2.0], **TOL)
    np.testing.assert_allclose(run["x"][-1], (free(1.0) + 1) * math.exp(-0.5), rtol=1e-8)
    assert run["y"][-1] == 0


def test_a_trigger_that_turns_true_just_after_the_start_fires_there():
    # time > 0 is false at 0 and true right after: the event fires at 0+, so the output at
    # 0 is from before it; time >= 0 already holds at 0 (initialValue false: fires at 0).
    model = _load(_event("A", "time > 0", {"y": "1"}), _event("B", "time >= 0", {"z": "1"}))
    run = model.simulate([0.0, 0.5, 1.0], **TOL)
    np.testing.assert_array_equal(run["y"], [0, 1, 1])
    np.testing.assert_array_equal(run["z"], [1, 1, 1])


def test_a_negative_delay_is_refused_by_name():
    model = _load(_event("E", "time > 1", {"x": "1"}, delay="-d"))
    message = r"event 'E': the delay is -0.5 at t = 1 day"
    with pytest.raises(fl.errors.SBMLImportError, match=message):
        model.simulate([0.0, 2.0], **TOL)
