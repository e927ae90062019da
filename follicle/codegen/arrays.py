"""Compile a :class:`~follicle.model.Model` from sympy to fast NumPy code.

The generated functions take ``(t, y, p)`` with the parameters as a vector, so a new
parameter value never triggers recompilation. They broadcast: ``y`` of shape ``(n,)`` gives
one evaluation, ``y`` of shape ``(n, B)`` with ``p`` of shape ``(n_p, B)`` evaluates a batch
of ``B`` members at once (the ensemble form), and ``y`` of shape ``(n, T)`` with a vector
``t`` evaluates observables along a trajectory.

The Jacobian :math:`J_{ij} = \\partial f_i / \\partial y_j` is derived symbolically; only
its structurally non-zero entries are generated, and it is returned dense or as a
``scipy.sparse.csc_matrix`` (worth it for large, sparse models).

Compiled models are cached by a fingerprint of their equations, so building the same model
structure twice (or with other default values) compiles once. A :class:`CompiledModel`
pickles as its generated source and is rebuilt without sympy on unpickling.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from typing import NamedTuple

import numpy as np
import scipy.sparse
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from follicle import codegen
from follicle.codegen.printing import ExactFloats

__all__ = [
    "CompiledModel",
    "cached",
    "compile_model",
    "function_source",
    "jacobian_entries",
    "parameter_entries",
    "positional_expressions",
    "time_derivative",
]

_CACHE: dict[str, CompiledModel] = {}
_PARAMETER_ENTRIES: dict[str, list] = {}
_LOCK = threading.Lock()


class _Printer(ExactFloats, NumPyPrinter):
    """NumPy printer that prints ``Heaviside(x)`` as a step with H(0) = 1."""

    def _print_Heaviside(self, expr):
        arg = self._print(expr.args[0])
        return f"numpy.where(({arg}) >= 0, 1.0, 0.0)"

    def _print__PowLog(self, expr):
        base, exp = (self._print(a) for a in expr.args)
        safe = f"numpy.where(({base}) > 0, {base}, 1.0)"
        return f"numpy.where(({base}) > 0, ({safe})**({exp})*numpy.log({safe}), 0.0)"


class _Power(sp.Function):
    """``b**e`` with a symbolic exponent, differentiated as :math:`e\\,b^{e-1}\\,b'`.

    SymPy writes the derivative of ``b**e`` as ``e*b**e/b``, which is 0/0 at ``b = 0``
    (e.g. a Hill term at zero drug exposure) although the limit is finite for ``e >= 1``.
    """

    def fdiff(self, argindex=1):
        base, exp = self.args
        if argindex == 1:
            return exp * _Power(base, exp - 1)
        return _PowLog(base, exp)


class _PowLog(sp.Function):
    """:math:`b^e \\ln b`, the derivative of :math:`b^e` in :math:`e`, taken as 0 at
    :math:`b = 0` (its limit for :math:`e > 0`; e.g. a Hill term's exponent derivative at
    zero exposure)."""

    def fdiff(self, argindex=1):
        base, exp = self.args
        if argindex == 1:  # e b^(e-1) ln b + b^(e-1)
            return exp * _PowLog(base, exp - 1) + _Power(base, exp - 1)
        return _PowLog(base, exp) * sp.log(base)


def _wrap_powers(f):
    symbolic_power = lambda e: e.is_Pow and not e.exp.is_Number  # noqa: E731
    return f.replace(symbolic_power, lambda e: _Power(e.base, e.exp))


def _derivative(wrapped, var):
    """``d wrapped / d var`` of an expression with :class:`_Power` in place of powers."""
    d = sp.diff(wrapped, var)
    if d == 0:
        return d
    # A step's derivative is zero almost everywhere; its Dirac part only marks the
    # discontinuity, which the integrator handles by splitting the span.
    return d.replace(sp.DiracDelta, lambda *args: sp.Integer(0)).replace(_Power, sp.Pow)


def jacobian_entries(rhs, states):
    """Structurally non-zero entries ``(i, j, df_i/dy_j)`` of the Jacobian."""
    entries = []
    for i, f in enumerate(map(_wrap_powers, rhs)):
        for j, y in enumerate(states):
            d = _derivative(f, y)
            if d != 0:
                entries.append((i, j, d))
    return entries


def parameter_entries(compiled) -> list:
    """Structurally non-zero entries ``(i, j, df_i/dp_j)`` of :math:`\\partial f/\\partial p`
    of a compiled model (with expressions), derived once per model structure: the forward
    sensitivities need them in NumPy and in the compiled kernel (about 1 s of sympy for the
    coupled model)."""
    with _LOCK:
        if compiled.fingerprint in _PARAMETER_ENTRIES:
            return _PARAMETER_ENTRIES[compiled.fingerprint]
    params = [sp.Symbol(f"_p{j}", real=True) for j in range(compiled.n_params)]
    entries = jacobian_entries(compiled.expressions.rhs, params)
    with _LOCK:
        return _PARAMETER_ENTRIES.setdefault(compiled.fingerprint, entries)


def function_source(name, outputs, n_states, n_params, n_rows):
    """Python source of ``name(t, y, p)`` returning ``outputs`` stacked along axis 0.

    ``outputs`` are written in the positional symbols ``_s<i>`` (states) and ``_p<j>``
    (parameters), so no user-chosen name can collide with a name of the generated code.
    """
    printer = _Printer({"fully_qualified_modules": True, "allow_unknown_functions": False})
    replacements, reduced = sp.cse(
        list(outputs), symbols=sp.numbered_symbols("_c"), optimizations=None, order="none"
    )
    lines = [f"def {name}(t, y, p):"]
    if n_states:
        lines.append(f"    {', '.join(f'_s{i}' for i in range(n_states))}, = y")
    if n_params:
        lines.append(f"    {', '.join(f'_p{j}' for j in range(n_params))}, = p")
    for sym, expr in replacements:
        lines.append(f"    {sym} = {printer.doprint(expr)}")
    lines.append(f"    _out = numpy.empty(({n_rows},) + numpy.shape(y)[1:])")
    for i, expr in enumerate(reduced):
        lines.append(f"    _out[{i}] = {printer.doprint(expr)}")
    lines.append("    return _out")
    return "\n".join(lines)


class CompiledModel:
    """Numeric functions of one model structure.

    Attributes
    ----------
    n_states, n_params, n_observables : int
    jac_rows, jac_cols : ndarray of int
        Positions of the structurally non-zero Jacobian entries.
    source : str
        The generated Python source (inspectable, and what pickling stores).
    autonomous : bool
        True when no rate depends explicitly on time (:meth:`rhs_t` is zero).
    """

    def __init__(
        self, source, n_states, n_params, n_observables, jac_rows, jac_cols, initial_rows=()
    ):
        self.source = source
        self.initial_rows = np.asarray(initial_rows, dtype=np.intp)
        self.n_states, self.n_params, self.n_observables = n_states, n_params, n_observables
        self.jac_rows = np.asarray(jac_rows, dtype=np.intp)
        self.jac_cols = np.asarray(jac_cols, dtype=np.intp)
        # The printer writes Min/Max of n arguments as functools.reduce(numpy.minimum, ...).
        namespace = codegen.run(source, "generated", {"numpy": np, "functools": functools})
        self._rhs, self._jac_data, self._obs = (
            namespace["rhs"],
            namespace["jac_data"],
            namespace["observables"],
        )
        self._rhs_t = namespace["rhs_t"]
        self._initial = namespace.get("initial")
        self.autonomous = "\n    _out[" not in source.split("def rhs_t", 1)[1]
        order = np.lexsort((self.jac_rows, self.jac_cols))  # CSC order: by column, then row
        self._csc_order = order
        counts = np.bincount(self.jac_cols, minlength=n_states)
        self._csc_indptr = np.concatenate([[0], np.cumsum(counts)])

    def __getstate__(self):
        return (
            self.source,
            self.n_states,
            self.n_params,
            self.n_observables,
            self.jac_rows,
            self.jac_cols,
            self.initial_rows,
        )

    def __setstate__(self, state):
        self.__init__(*state)

    def rhs(self, t, y, p) -> np.ndarray:
        """Right-hand side dy/dt, shape ``y.shape``."""
        return self._rhs(t, y, p)

    def jac(self, t, y, p) -> np.ndarray:
        """Dense Jacobian, shape ``(n, n) + y.shape[1:]``."""
        data = self._jac_data(t, y, p)
        out = np.zeros((self.n_states, self.n_states, *data.shape[1:]))
        out[self.jac_rows, self.jac_cols] = data
        return out

    def jac_values(self, t, y, p) -> np.ndarray:
        """The structurally non-zero Jacobian entries, shape ``(len(jac_rows),) + y.shape[1:]``,
        in the order of :attr:`jac_rows` and :attr:`jac_cols` (what batched solvers need)."""
        return self._jac_data(t, y, p)

    def jac_sparse(self, t, y, p) -> scipy.sparse.csc_matrix:
        """Jacobian as a CSC sparse matrix (single member only)."""
        data = self._jac_data(t, y, p)[self._csc_order]
        return scipy.sparse.csc_matrix(
            (data, self.jac_rows[self._csc_order], self._csc_indptr),
            shape=(self.n_states, self.n_states),
        )

    @property
    def jac_density(self) -> float:
        return len(self.jac_rows) / max(self.n_states**2, 1)

    def rhs_t(self, t, y, p) -> np.ndarray:
        """Explicit time derivative of the right-hand side, :math:`\\partial f/\\partial t`
        (zero, and :attr:`autonomous` true, when no rate depends on time)."""
        return self._rhs_t(t, y, p)

    def observables(self, t, y, p) -> np.ndarray:
        """Observable values, shape ``(n_observables,) + y.shape[1:]``."""
        return self._obs(t, y, p)

    def initial(self, p) -> np.ndarray:
        """The initial values of the states :attr:`initial_rows` from the parameters ``p``
        (shape ``(n_params,) + batch``), shape ``(len(initial_rows),) + batch``."""
        if self._initial is None:
            return np.empty((0, *np.shape(p)[1:]))
        # The generated function unpacks no states; ``p`` gives it the batch's shape.
        return self._initial(0.0, p, p)


def _fingerprint(model) -> str:
    h = hashlib.sha256()
    for part in (
        model.state_names,
        model.parameter_names,
        model.observable_names,
        model.rhs_expressions,
        [e for _, e in model.observables.values()],
        sorted(model.initial_expressions.items()),
    ):
        h.update(sp.srepr(tuple(part)).encode())
    return h.hexdigest()


class Expressions(NamedTuple):
    """A model's compiled expressions in positional symbols ``_s<i>``, ``_p<j>``."""

    rhs: list
    jac_entries: list  # in the order of CompiledModel.jac_rows / jac_cols
    observables: list
    rhs_t: list  # (row, d f_row / d t) for the rows that depend on time


def time_derivative(expr) -> sp.Expr:
    """:math:`\\partial\\,\\mathrm{expr}/\\partial t` (zero when ``expr`` has no symbol ``t``)."""
    time = next((s for s in expr.free_symbols if s.name == "t"), None)
    return sp.Integer(0) if time is None else _derivative(_wrap_powers(expr), time)


def _time_derivatives(rhs):
    rows = [(i, time_derivative(f)) for i, f in enumerate(rhs)]
    return [(i, d) for i, d in rows if d != 0]


def _explicit_time_source(rows, n, m):
    """Source of ``rhs_t(t, y, p)`` from ``(row, df/dt)`` pairs: only rows that depend on
    time are written, so an autonomous model's returns zeros without an assignment."""
    printer = _Printer({"fully_qualified_modules": True, "allow_unknown_functions": False})
    lines = ["def rhs_t(t, y, p):"]
    if rows:
        lines.append(f"    {', '.join(f'_s{i}' for i in range(n))}, = y")
        if m:
            lines.append(f"    {', '.join(f'_p{j}' for j in range(m))}, = p")
    lines.append(f"    _out = numpy.zeros(({n},) + numpy.shape(y)[1:])")
    lines += [f"    _out[{i}] = {printer.doprint(d)}" for i, d in rows]
    lines.append("    return _out")
    return "\n".join(lines)


def positional_expressions(model):
    """The model's symbols renamed positionally (``_s<i>``, ``_p<j>``, as the generated code
    unpacks them) and its right-hand sides and observables written in them.

    Returns
    -------
    states, params : list of sympy.Symbol
    rhs, observables : list of sympy.Expr
    """
    states = [sp.Symbol(f"_s{i}", real=True) for i in range(len(model.states))]
    params = [sp.Symbol(f"_p{j}", real=True) for j in range(len(model.parameters))]
    positional = dict(zip([s.symbol for s in model.states.values()], states, strict=True))
    positional |= dict(zip([p.symbol for p in model.parameters.values()], params, strict=True))
    rhs = [e.xreplace(positional) for e in model.rhs_expressions]
    obs = [e.xreplace(positional) for _, e in model.observables.values()]
    return states, params, rhs, obs


def cached(model, cache: dict, build):
    """``build(model)``, once per model structure: kept in ``cache`` by the fingerprint of
    the model's equations (thread-safe; two threads may build, one result is kept)."""
    key = _fingerprint(model)
    with _LOCK:
        if key in cache:
            return cache[key]
    built = build(model)
    with _LOCK:
        return cache.setdefault(key, built)


def compile_model(model) -> CompiledModel:
    """Compile ``model`` (or return the cached compilation of the same structure)."""
    return cached(model, _CACHE, _compile)


def _compile(model) -> CompiledModel:
    states, params, rhs, obs = positional_expressions(model)
    nonzero = jacobian_entries(rhs, states)
    rows = [i for i, _, _ in nonzero]
    cols = [j for _, j, _ in nonzero]
    entries = [d for _, _, d in nonzero]
    n, m = len(states), len(params)
    dt_rows = _time_derivatives(rhs)
    initial_rows = [
        i for i, name in enumerate(model.state_names) if name in model.initial_expressions
    ]
    positional = dict(zip([p.symbol for p in model.parameters.values()], params, strict=True))
    initial = [
        model.initial_expressions[model.state_names[i]].xreplace(positional) for i in initial_rows
    ]
    source = (
        "\n\n".join(
            [
                function_source("rhs", rhs, n, m, n),
                function_source("jac_data", entries, n, m, len(entries)),
                function_source("observables", obs, n, m, len(obs)),
                _explicit_time_source(dt_rows, n, m),
                *([function_source("initial", initial, 0, m, len(initial))] if initial else []),
            ]
        )
        + "\n"
    )
    compiled = CompiledModel(source, len(states), len(params), len(obs), rows, cols, initial_rows)
    # Kept for code generators of other back ends (follicle.codegen.kernels); not pickled.
    compiled.fingerprint = _fingerprint(model)
    compiled.expressions = Expressions(rhs, entries, obs, dt_rows)
    return compiled
