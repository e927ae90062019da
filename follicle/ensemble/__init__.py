"""Ensembles: many parameter sets and schedules of one model, integrated as one batch.

:func:`simulate_ensemble` integrates ``B`` members of one model at once. Every array of the
integrator has the batch as its last axis. With NumPy each arithmetic operation is one call
on ``B`` numbers, so the interpreter's overhead is shared by the whole batch; with numba
(:mod:`follicle.solvers`) a compiled loop takes each member from one event to the next
(a breakpoint of its schedule, a sign change or time its readouts watch) and Python sees
only the steps at those events.

The method
----------
Each member is integrated by RODAS4 (:mod:`follicle.solvers.rodas4`, where the method, its
error norm and its step-size control are written once): every member has its own step
size, chosen from its own error, so every member is held to the tolerance however
different its dynamics from its neighbours'. The Jacobian is the model's analytic one;
:math:`\\partial f/\\partial t` is computed only for models whose rates depend on time.
The linear systems are solved by the sparse LU of :mod:`follicle.solvers.sparse_lu` (one
symbolic factorisation per model structure, shared by the batch). The method exists once:
numba compiles it (a core dependency), and ``NUMBA_DISABLE_JIT=1`` runs the same code as
plain Python, the fallback (:doc:`/performance` says what that costs).

Schedules and output
--------------------
Doses, infusions and parameter steps (:mod:`follicle.schedule`) split each member's span
into segments, as for :func:`~follicle.simulate`; a member's step never crosses its next
breakpoint, and jumps are applied there. Members may have different schedules. Readouts
(:mod:`follicle.readouts`: :class:`~follicle.readouts.CrossingTime`,
:class:`~follicle.readouts.ValueAt`, :class:`~follicle.readouts.TimeAverage`,
:class:`~follicle.readouts.Peak`) are reduced on the fly from the cubic Hermite interpolant
of each accepted step, so memory does not grow with the length of the trajectory; full time
courses are recorded only when output times are asked for.

A member that cannot be integrated (non-finite rates, step size underflow, too many steps,
a non-negative state driven negative) is stopped and reported with its reason; the others
go on.

The package
-----------
:mod:`~follicle.ensemble.plan` resolves what a batch needs (names, tolerances, readouts,
schedule templates) once; :mod:`~follicle.ensemble.members` turns the user's columns of
values into parameter and state matrices; :mod:`~follicle.ensemble.batch` runs a batch
through the compiled loop; :mod:`~follicle.ensemble.recorders` hands the accepted steps to
the readouts' reductions (:mod:`follicle.readouts.pieces`, the same that a trajectory's
readout functions use) and writes output grids; :mod:`~follicle.ensemble.result` holds the
:class:`Ensemble`.
"""

from __future__ import annotations

import numpy as np

from follicle import limits
from follicle.ensemble.batch import integrate_members
from follicle.ensemble.members import fill_matrix, member_columns
from follicle.ensemble.plan import make_plan, resolve_templates
from follicle.ensemble.result import Ensemble
from follicle.errors import FollicleError
from follicle.readouts.specs import named
from follicle.schedule import Schedule
from follicle.simulate import DEFAULT_RTOL, output_times, time_span

__all__ = ["Ensemble", "simulate_ensemble"]


# fmt: off
def simulate_ensemble(model, days=None, *, t_span=None, params=None, initial=None,
                      schedule=None, schedules=None, t_eval=None, readouts=None,
                      rtol=DEFAULT_RTOL, atol=None, max_steps=100_000,
                      backend="auto") -> Ensemble:
    # fmt: on
    """Integrate many parameter sets and schedules of ``model`` as one vectorised batch.

    Members differ in their parameters, initial values and schedules; every member is held
    to the tolerance with its own step size (RODAS4, see the module documentation). The
    result for each member equals :func:`~follicle.simulate`'s within the tolerance.

    Parameters
    ----------
    model : Model
    days, t_span
        The simulated span, as for :func:`~follicle.simulate`.
    params, initial : mapping or sequence of mappings, optional
        Per-member values: ``{name: array of B values}`` (scalars are shared by all), or a
        sequence of ``B`` mappings ``{name: value}``.
    schedule : Schedule or iterable of events, optional
        One schedule shared by every member.
    schedules : sequence of schedules, optional
        One schedule per member (instead of ``schedule``).
    t_eval : array_like, optional
        Record every state and observable at these times (days). Default: the grid of
        :func:`~follicle.simulate` when no ``readouts`` are given, none otherwise.
    readouts : mapping of name to readout, or one readout, optional
        :class:`~follicle.readouts.CrossingTime`, :class:`~follicle.readouts.ValueAt`,
        :class:`~follicle.readouts.TimeAverage` or :class:`~follicle.readouts.Peak`,
        computed during the integration (no time courses kept).
    rtol, atol
        Tolerances, as for :func:`~follicle.simulate` (default ``1e-6`` and
        ``1e-9 * scale``).
    max_steps : int
        Steps (accepted and rejected) after which a member is given up as failed.
    backend : {"auto", "numba"}
        Kept for old calls: every member runs on the one compiled integrator
        (:mod:`follicle.solvers`). ``"numpy"``, a second copy of the method that stepped
        the whole batch with NumPy, is deprecated and runs the compiled integrator too.

    Returns
    -------
    Ensemble
        Members whose values are outside the declared ranges are ``"invalid"``, members the
        integrator could not finish ``"failed"``; the others are ``"ok"``.

    Raises
    ------
    UnknownNameError, TimeSpanError, ScheduleError
        For mistakes that concern the whole call (a misspelt name, an empty span, a
        malformed schedule), so nothing is integrated in vain.
    """
    from follicle.model import Model

    if not isinstance(model, Model):
        raise FollicleError(
            f"simulate_ensemble() needs a follicle Model, got {type(model).__name__}"
        )
    t0, t1 = time_span(days, t_span, model.time_unit)
    readouts = named(readouts)
    if t_eval is None and not readouts:
        t_eval = output_times(None, t0, t1, model.time_unit)
    plan = make_plan(model, t0, t1, rtol=rtol, atol=atol, readouts=readouts, t_eval=t_eval,
                     max_steps=max_steps, backend=backend)  # fmt: skip
    p_cols, size = member_columns(model, params, "parameter", None)
    y_cols, size = member_columns(model, initial, "initial value", size)
    if schedules is not None:
        if schedule is not None:
            raise FollicleError("give schedule= (shared) or schedules= (per member), not both")
        member_schedules = [Schedule.of(s) for s in schedules]
        if size is not None and len(member_schedules) != size:
            raise FollicleError(
                f"{len(member_schedules)} schedules given but the ensemble has {size} members"
            )
        size = len(member_schedules)
    size = 1 if size is None else size
    if size < 1:
        raise FollicleError(
            "the ensemble has no members (an empty column or list); give at least one value"
        )
    limits.check("members", size, "the number of ensemble members")
    if plan.grid is not None:
        limits.check(
            "output_points", size * plan.n_outputs * plan.grid.size,
            "the number of stored values (members x states and observables x output times)",
        )
    if schedules is None:
        member_schedules = [Schedule.of(schedule)] * size
    distinct = list(dict.fromkeys(member_schedules))
    which = (
        np.array([distinct.index(s) for s in member_schedules])
        if len(distinct) > 1
        else np.zeros(size, dtype=np.intp)
    )
    templates = resolve_templates(model, distinct, t0, t1)
    p, p_bad = fill_matrix(model, p_cols, "parameter", size)
    y0, y_bad = fill_matrix(model, y_cols, "state", size, params=p)
    invalid = np.where(p_bad == None, y_bad, p_bad)  # noqa: E711 - elementwise
    result = integrate_members(plan, p, y0, templates, which, invalid)
    names = model.variable_names
    return Ensemble(
        status=result["status"],
        reason=result["reason"],
        readouts=result["readouts"],
        t=plan.grid,
        values=result.get("values"),
        names=names,
        units=model.variable_units,
        parameters=p.T.copy(),
        parameter_names=model.parameter_names,
        parameter_units=model.parameter_units,
        schedules=tuple(member_schedules),
        steps=result["steps"],
        rejected=result["rejected"],
        segments=result["segments"],
        rtol=plan.rtol,
        atol=tuple(map(float, plan.atol)),
        model_name=model.name,
        time_unit=str(model.time_unit),
    )
