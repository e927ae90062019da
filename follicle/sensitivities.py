"""Forward sensitivities: how every state and observable depends on chosen parameters.

For :math:`\\dot y = f(t, y, p)` the sensitivities :math:`S_{ij} = \\partial y_i/\\partial
p_j` obey the forward sensitivity equations, integrated together with the state:

.. math::

    \\dot S = J\\, S + \\frac{\\partial f}{\\partial p}, \\qquad
    J = \\frac{\\partial f}{\\partial y}, \\qquad S(t_0) = 0,

and an observable :math:`g(t, y, p)` has :math:`dg/dp = (\\partial g/\\partial y)\\, S +
\\partial g/\\partial p`. :math:`J` is the model's compiled Jacobian; :math:`\\partial f /
\\partial p`, :math:`\\partial g/\\partial y`, :math:`\\partial g/\\partial p` and the
derivatives of initial values that are expressions of the parameters (:math:`S(t_0)`) are
derived here with sympy, once per model structure. The equations are not differenced
numerically.

Schedules are honoured as by :func:`follicle.simulate`, through the same segment loops: a
bolus jumps the state and leaves :math:`S` unchanged (its amount is not a model
parameter), and while a :class:`~follicle.ParameterStep` overrides parameter :math:`p_j`,
:math:`\\partial f/\\partial p_j` is zero (the trajectory does not depend on the default
value there).

By default (``method="RODAS4"``) the augmented system :math:`(y, S)` runs on the engine's
integrator, the one behind :func:`follicle.simulate` and the ensembles
(:mod:`follicle.codegen.forward` generates it: each step factors the model's matrix once
and solves the blocks by forward substitution; the first run of a model structure
compiles it, once per machine, whichever parameters are chosen). SciPy's stiff methods
(``"BDF"``, ``"Radau"``, ``"LSODA"``) stay available by name as references, with the
block-diagonal Newton matrix :math:`\\mathrm{diag}(J, J, \\dots)` (CVODES' simultaneous
corrector; the coupling blocks only affect Newton's convergence, not the solution). The
absolute tolerance of :math:`S_{ij}` is the state's divided by :math:`|p_j|`, so that the
*relative* sensitivity :math:`p_j S_{ij}` is controlled like the state itself.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.linalg
import scipy.sparse
import sympy as sp

from follicle import codegen, limits
from follicle.codegen.arrays import (
    cached,
    function_source,
    jacobian_entries,
    parameter_entries,
    positional_expressions,
)
from follicle.codegen.forward import forward_system
from follicle.ensemble.batch import run_batch
from follicle.ensemble.plan import make_plan, resolve_templates
from follicle.errors import FollicleError, ParameterValueError, SolverError, UnknownNameError
from follicle.schedule import Schedule, resolve
from follicle.simulate import (
    DEFAULT_RTOL,
    absolute_tolerances,
    integrate_segments,
    output_times,
    time_span,
)

__all__ = ["Sensitivities", "simulate_sensitivities"]

_CACHE: dict[str, _Derivatives] = {}


class _Derivatives:
    """Compiled partial derivatives of one model structure (dense, all parameters)."""

    def __init__(self, source, n, m, n_obs, fp, gy, gp, y0p):
        self.source, self.n, self.m, self.n_obs = source, n, m, n_obs
        namespace = codegen.run(source, "sensitivities", {"numpy": np, "functools": functools})
        self._fp, self._gy, self._gp, self._y0p = (
            namespace["f_p"],
            namespace["g_y"],
            namespace["g_p"],
            namespace["y0_p"],
        )
        self.fp_pos, self.gy_pos, self.gp_pos, self.y0p_pos = fp, gy, gp, y0p

    @staticmethod
    def _dense(data, pos, shape):
        out = np.zeros(shape + data.shape[1:])
        rows, cols = pos
        out[rows, cols] = data
        return out

    def f_p(self, t, y, p):
        """:math:`\\partial f/\\partial p`, shape ``(n, m)``."""
        return self._dense(self._fp(t, y, p), self.fp_pos, (self.n, self.m))

    def g_y(self, t, y, p):
        """:math:`\\partial g/\\partial y`, shape ``(n_obs, n) + y.shape[1:]``."""
        return self._dense(self._gy(t, y, p), self.gy_pos, (self.n_obs, self.n))

    def y0_p(self, p):
        """:math:`\\partial y_0/\\partial p`, shape ``(n, m)``: the derivatives of the
        initial values that are expressions of the parameters (zero for the others)."""
        return self._dense(self._y0p(0.0, np.zeros(self.n), p), self.y0p_pos, (self.n, self.m))

    def g_p(self, t, y, p):
        """:math:`\\partial g/\\partial p`, shape ``(n_obs, m) + y.shape[1:]``."""
        return self._dense(self._gp(t, y, p), self.gp_pos, (self.n_obs, self.m))


def _derivatives(model) -> _Derivatives:
    """The compiled partial derivatives of ``model`` (built once per model structure)."""
    return cached(model, _CACHE, _build)


def _build(model) -> _Derivatives:
    states, params, _, obs = positional_expressions(model)
    n, m = len(states), len(params)
    positional = dict(zip([p.symbol for p in model.parameters.values()], params, strict=True))
    # Every state's initial value in the parameters (a number for most): row i is state i.
    initial = [
        model.initial_expressions.get(name, sp.Integer(0)).xreplace(positional)
        for name in model.state_names
    ]
    parts, positions = [], []
    for name, entries in (
        ("f_p", parameter_entries(model.compiled)),
        ("g_y", jacobian_entries(obs, states)),
        ("g_p", jacobian_entries(obs, params)),
        ("y0_p", jacobian_entries(initial, params)),
    ):
        parts.append(function_source(name, [d for *_, d in entries], n, m, len(entries)))
        positions.append(
            (
                np.array([i for i, _, _ in entries], dtype=np.intp),
                np.array([j for _, j, _ in entries], dtype=np.intp),
            )
        )
    return _Derivatives("\n\n".join(parts) + "\n", n, m, len(obs), *positions)


@dataclass(frozen=True, eq=False)
class Sensitivities:
    """States, observables and their derivatives with respect to chosen parameters.

    Attributes
    ----------
    t : ndarray, shape (T,)
        Output times, in the model's time unit.
    names : tuple of str
        States, then observables (as in :class:`~follicle.Trajectory`).
    values : ndarray, shape (len(names), T)
    parameters : tuple of str
        The parameters differentiated against, in column order.
    sensitivities : ndarray, shape (len(names), len(parameters), T)
        :math:`\\partial\\,\\mathrm{value}/\\partial p_j` in the variable's unit per the
        parameter's unit.
    """

    t: np.ndarray
    names: tuple[str, ...]
    values: np.ndarray
    parameters: tuple[str, ...]
    sensitivities: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[self._index(name)]

    def _index(self, name: str) -> int:
        if name not in self.names:
            raise UnknownNameError("state or observable", name, self.names)
        return self.names.index(name)

    def of(self, name: str, parameter: str | None = None) -> np.ndarray:
        """``d name / d parameter`` over time, or all parameters (shape ``(k, T)``)."""
        block = self.sensitivities[self._index(name)]
        if parameter is None:
            return block
        if parameter not in self.parameters:
            raise UnknownNameError("differentiated parameter", parameter, self.parameters)
        return block[self.parameters.index(parameter)]


def simulate_sensitivities(
    model,
    parameters: Sequence[str],
    days=None,
    *,
    t_span=None,
    t_eval=None,
    params=None,
    initial=None,
    schedule=None,
    method="RODAS4",
    rtol=DEFAULT_RTOL,
    atol=None,
) -> Sensitivities:
    """Integrate ``model`` with its forward sensitivities to ``parameters``.

    Parameters
    ----------
    model : Model
    parameters : sequence of str
        Parameters to differentiate against (any subset of the model's, in any order).
    days, t_span, t_eval, params, initial, schedule, rtol, atol
        As for :func:`follicle.simulate`. ``atol`` applies to the states; the
        sensitivities' tolerances follow from it (see the module notes).
    method : {"RODAS4", "BDF", "Radau", "LSODA"}
        A stiff method (the sensitivity system is as stiff as the model): the engine's
        RODAS4 (default; compiled once per model structure) or SciPy's, as references.

    Returns
    -------
    Sensitivities

    Raises
    ------
    UnknownNameError
        A parameter name the model does not have.
    TimeSpanError, ParameterValueError, ScheduleError
        As for :func:`follicle.simulate`.
    SolverError
        The augmented integration failed.
    """
    from follicle.model import Model

    if not isinstance(model, Model):
        raise FollicleError(
            f"simulate_sensitivities() needs a follicle Model, got {type(model).__name__} (an "
            "SBML document with events loads as an EventModel, whose events the sensitivity "
            "equations do not follow)"
        )
    if method not in ("RODAS4", "BDF", "Radau", "LSODA"):
        raise FollicleError(
            f"sensitivities need a stiff method (RODAS4, BDF, Radau, LSODA), got {method!r}"
        )
    if not (isinstance(rtol, int | float) and 0 < rtol < 1):
        raise ParameterValueError(f"rtol must be a number in (0, 1), got {rtol!r}")
    names = list(model.parameter_names)
    for p in parameters:
        if p not in model.parameters:
            raise UnknownNameError("parameter", p, names)
    cols = np.array([names.index(p) for p in parameters], dtype=np.intp)
    t0, t1 = time_span(days, t_span, model.time_unit)
    times = output_times(t_eval, t0, t1, model.time_unit)
    p0 = model.parameter_vector(params)
    y = model.initial_vector(initial, p0)
    sched = Schedule.of(schedule)
    segments, final_jump = resolve(sched, model, t0, t1, p0)
    # Which parameters each segment's steps override (NaN: the member's own value).
    overridden = [
        ~np.isnan(seg.params[cols])
        for seg in resolve(sched, model, t0, t1, np.full(p0.size, np.nan))[0]
    ]
    compiled, derivs = model.compiled, _derivatives(model)
    n, k = compiled.n_states, cols.size
    atol_y = absolute_tolerances(model, atol)
    scale = np.where(p0[cols] != 0, np.abs(p0[cols]), 1.0)
    atol_all = np.concatenate([atol_y, (atol_y[None, :] / scale[:, None]).ravel()])
    s0 = derivs.y0_p(p0)[:, cols]  # dy0/dp: nonzero where an initial value uses p
    s0[[model.state_names.index(name) for name in initial or {}]] = 0.0  # given, fixed
    z = np.concatenate([y, s0.T.ravel()])  # y, then S[:, 0], S[:, 1], ...
    if method == "RODAS4":
        out = _rodas4(model, cols, (t0, t1), times, p0, z, sched, rtol, atol_all)
    else:
        system = _Augmented(compiled, derivs, cols)
        pad = n * k
        augmented = [
            replace(
                seg,
                params=system.parameters(seg.params, off),
                inputs=None if seg.inputs is None else np.pad(seg.inputs, (0, pad)),
            )
            for seg, off in zip(segments, overridden, strict=True)
        ]
        out = integrate_segments(
            model, system, augmented, final_jump, z, times, method, rtol, atol_all, math.inf
        )[1]
    ys, S = out[:n], out[n : n * (k + 1)].reshape(k, n, times.size).transpose(1, 0, 2)
    values, sens = ys, S
    if compiled.n_observables:
        p_out = np.repeat(p0[:, None], times.size, axis=1)
        live = np.ones((k, times.size))
        for seg, off in zip(segments, overridden, strict=True):  # in effect at each time
            inside = (times >= seg.start) & (times <= seg.stop)
            p_out[:, inside] = seg.params[:, None]
            live[:, inside] = ~off[:, None]
        g = compiled.observables(times, ys, p_out)
        gy = derivs.g_y(times, ys, p_out)  # (n_obs, n, T)
        gp = derivs.g_p(times, ys, p_out)[:, cols]  # (n_obs, k, T)
        dg = np.einsum("oit,ikt->okt", gy, S) + gp * live[None]
        values, sens = np.vstack([ys, g]), np.concatenate([S, dg], axis=0)
    return Sensitivities(times, model.variable_names, values, tuple(parameters), sens)


@dataclass(frozen=True)
class _Shape:
    """What the integrator reads of a compiled model: the augmented system's sizes."""

    n_states: int
    n_observables: int


def _rodas4(model, cols, span, times, p0, z0, schedule, rtol, atol) -> np.ndarray:
    """The augmented system (:mod:`follicle.codegen.forward`) on the engine's integrator,
    through the segment loop of :func:`follicle.simulate`: states, sensitivities and
    observables at ``times``, shape ``(n (k + 1) + n_obs, T)``."""
    t0, t1 = span
    n, k = model.compiled.n_states, cols.size
    plan = make_plan(
        model, t0, t1, rtol=rtol, atol=None, readouts={}, t_eval=times,
        max_steps=int(limits.limit("steps")),
    )  # fmt: skip
    system = forward_system(model.compiled, plan.lu)
    names = [f"d({s})/d({model.parameter_names[c]})" for c in cols for s in model.state_names]
    plan = replace(
        plan,
        compiled=_Shape(n * (k + 1), model.compiled.n_observables),
        lu=system.lu(k),
        kernel=system.source,
        atol=atol,
        autonomous=system.autonomous,
        nonnegative=np.concatenate([plan.nonnegative, np.zeros(n * k, dtype=bool)]),
        n_outputs=n * (k + 1) + model.compiled.n_observables,
        state_names=(*plan.state_names, *names),
        state_units=(*plan.state_units, *("" for _ in names)),
        model_name=f"{model.name} with forward sensitivities",
    )
    base = resolve_templates(model, [schedule], t0, t1)
    # The multipliers: 0 while a step overrides the parameter, else the member's own (1).
    live = np.where(np.isnan(base.params[..., cols]), np.nan, 0.0)
    keep = np.full((*base.params.shape[:2], system.n_params), np.nan)
    pad = ((0, 0), (0, 0), (0, n * k))
    templates = replace(
        base,
        params=np.concatenate([base.params, keep, live], axis=-1),
        inputs=None if base.inputs is None else np.pad(base.inputs, pad),
        jumps=np.pad(base.jumps, pad),
        final=np.pad(base.final, ((0, 0), (0, n * k))),
    )
    p = system.parameters(p0, cols)
    out = run_batch(plan, p[:, None], z0[:, None], templates, np.zeros(1, dtype=np.intp))
    if out["reason"][0] is not None:
        raise SolverError(
            f"sensitivity integration of {model.name!r} with RODAS4 failed: {out['reason'][0]}"
        )
    return out["values"][0]


class _Augmented:
    """The forward sensitivity system in NumPy, for SciPy's methods in the segment loop
    of :func:`follicle.simulate.integrate_segments`. Its parameter vector is the model's,
    then a multiplier per selected parameter (0 while a step overrides it). Newton's
    matrix is block diagonal, :math:`\\mathrm{diag}(J, J, \\dots)`, as in CVODES'
    simultaneous corrector (the coupling blocks only affect Newton's convergence)."""

    def __init__(self, compiled, derivs, cols):
        self.compiled, self.derivs, self.cols = compiled, derivs, cols
        self.n, self.k = compiled.n_states, cols.size
        self.n_states = self.n * (self.k + 1)
        self.jac_density = compiled.jac_density

    def parameters(self, p, overridden):
        return np.concatenate([p, np.where(overridden, 0.0, 1.0)])

    def rhs(self, t, z, p):
        n, m = self.n, self.compiled.n_params
        y, S = z[:n], z[n:].reshape(self.k, n).T
        dy = self.compiled.rhs(t, y, p[:m])
        f_p = self.derivs.f_p(t, y, p[:m])[:, self.cols] * p[m:]
        dS = self.compiled.jac(t, y, p[:m]) @ S + f_p
        return np.concatenate([dy, dS.T.ravel()])

    def jac(self, t, z, p):
        J = self.compiled.jac(t, z[: self.n], p[: self.compiled.n_params])
        return scipy.linalg.block_diag(*[J] * (self.k + 1))

    def jac_sparse(self, t, z, p):
        J = self.compiled.jac_sparse(t, z[: self.n], p[: self.compiled.n_params])
        return scipy.sparse.block_diag([J] * (self.k + 1), format="csc")
