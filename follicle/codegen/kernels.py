"""Per-model functions for the compiled integrator (numba), per model structure.

The integrator itself, :mod:`follicle.solvers.rodas4`, is written once and compiled once
per machine; what differs between models is generated here from the model's sympy
expressions as scalar Python: the right-hand side, the non-zero entries of the Jacobian,
:math:`\\partial f/\\partial t`, the observables, and the straight-line sparse LU of
:math:`W = I/(\\gamma h) - J` (:mod:`follicle.solvers.sparse_lu`).
:mod:`follicle.solvers.compiled` compiles them with ``numba.njit`` and hands them to the
integrator as first-class functions.

:func:`follicle.codegen.module` writes the generated module to a cache directory
(``$FOLLICLE_CACHE``, else ``~/.cache/follicle``) named by a hash of its source, and numba
caches its machine code beside it, signed, so a model structure is compiled once per
machine, not once per process; Dask workers and process pools load it from there.

Subexpressions of the parameters alone (for example the competences
:math:`\\rho_R^{1 - i/n_R}` of the refractory stages, thirty real powers) do not change
within a run: they are taken out of the functions (:func:`hoisted`) and computed once
whenever a member's parameters change, by the generated ``derived(t, y, p, out)``; the
integrator passes them as the last ``N_DERIVED`` entries of the parameter vector. A real
power costs about 9 ns; on the coupled model this took 70% of a right-hand side.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import NamedTuple

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from follicle.codegen.printing import ExactFloats

__all__ = ["JIT", "Hoisted", "available", "function_body", "hoisted", "kernel_source"]

_LOCK = threading.Lock()
_SOURCES: dict[str, str] = {}
_HOISTED: dict[str, Hoisted] = {}


class Hoisted(NamedTuple):
    """A model's expressions with their parameter-only subexpressions replaced by symbols
    ``_q<j>``, and ``derived[j]``, the expression of ``_q<j>`` in the parameters."""

    rhs: list
    jac_entries: list
    rhs_t: list  # (row, d f_row / d t)
    observables: list
    derived: list


def hoisted(compiled) -> Hoisted:
    """The expressions of ``compiled`` (:class:`follicle.codegen.arrays.CompiledModel`, with
    expressions) with every largest subexpression that depends on parameters only, and is
    more than a symbol, replaced by a symbol ``_q<j>`` (once per model structure)."""
    with _LOCK:
        if compiled.fingerprint in _HOISTED:
            return _HOISTED[compiled.fingerprint]
    ex = compiled.expressions
    params = {sp.Symbol(f"_p{j}", real=True) for j in range(compiled.n_params)}
    found: dict[sp.Expr, sp.Symbol] = {}

    def visit(e):
        if not e.args:
            return e
        symbols = e.free_symbols
        if symbols and symbols <= params and isinstance(e, sp.Expr):
            if e not in found:
                found[e] = sp.Symbol(f"_q{len(found)}", real=True)
            return found[e]
        return e.func(*map(visit, e.args))

    result = Hoisted(
        rhs=[visit(e) for e in ex.rhs],
        jac_entries=[visit(e) for e in ex.jac_entries],
        rhs_t=[(i, visit(e)) for i, e in ex.rhs_t],
        observables=[visit(e) for e in ex.observables],
        derived=list(found),
    )
    with _LOCK:
        return _HOISTED.setdefault(compiled.fingerprint, result)


def available() -> bool:
    """Whether numba can be imported (the ``[fast]`` extra)."""
    return importlib.util.find_spec("numba") is not None


class _ScalarPrinter(ExactFloats, PythonCodePrinter):
    """Python printer for scalars: ``math`` functions and a branch for ``Heaviside``."""

    def _print_Heaviside(self, expr):
        return f"(1.0 if ({self._print(expr.args[0])}) >= 0 else 0.0)"

    def _print__PowLog(self, expr):
        base, exp = (self._print(a) for a in expr.args)
        return f"(({base})**({exp})*math.log({base}) if ({base}) > 0 else 0.0)"

    def _print_Pow(self, expr, rational=False):
        if expr.exp.is_Number:
            return super()._print_Pow(expr, rational=rational)
        return f"power({self._print(expr.base)}, {self._print(expr.exp)})"


def function_body(outputs, n, m, out="out", n_derived=0):
    """Lines that read ``y``/``p`` into locals and write ``out[i] = outputs[i]``; the
    ``n_derived`` symbols ``_q<j>`` are the last entries of ``p``."""
    printer = _ScalarPrinter({"fully_qualified_modules": True, "allow_unknown_functions": False})
    replacements, reduced = sp.cse(
        list(outputs), symbols=sp.numbered_symbols("_c"), optimizations=None, order="none"
    )
    names = {s.name for e in [*reduced, *(e for _, e in replacements)] for s in e.free_symbols}
    lines = [f"    _s{i} = y[{i}]" for i in range(n) if f"_s{i}" in names]
    lines += [f"    _p{j} = p[{j}]" for j in range(m) if f"_p{j}" in names]
    lines += [
        f"    _q{j} = p[p.size - {n_derived - j}]" for j in range(n_derived) if f"_q{j}" in names
    ]
    lines += [f"    {sym} = {printer.doprint(expr)}" for sym, expr in replacements]
    lines += [f"    {out}[{i}] = {printer.doprint(expr)}" for i, expr in enumerate(reduced)]
    return lines


#: Compiled once per machine (cached beside the source). Division by zero gives inf or nan,
#: as in NumPy, rather than raising: the integrator handles non-finite values itself, and
#: the checks Python's error model adds to every division cost about 7% of the time. The
#: signatures are given after the cache has been checked (:mod:`follicle.solvers.compiled`).
JIT = "@njit(cache=True, error_model='numpy')"


#: ``b**e`` with an exponent that is a parameter: a Hill exponent is mostly a whole number
#: (1 for the drug effects, 4 for the WNT switch), and a product costs a fraction of a real
#: power (~9 ns); a branch per call finds it. Written into each kernel module.
_POWER = """

@njit(inline="always", cache=True, error_model="numpy")
def power(b, e):
    if e == 1.0:
        return b
    if e == 2.0:
        return b * b
    if e == 0.0:
        return 1.0
    if e == 3.0:
        return b * b * b
    if e == 4.0:
        s = b * b
        return s * s
    return b**e
"""


def kernel_source(compiled, lu, prefix: str = "") -> str | None:
    """Source of a module of the model's functions for :mod:`follicle.solvers.rodas4`.

    ``rhs``, ``jac`` (the Jacobian's non-zero entries), ``rhs_t`` and ``observables``, each
    ``f(t, y, p, out)``, and the sparse LU's ``factor(w)`` and ``solve(w, b)``, each name
    after ``prefix`` (:mod:`follicle.codegen.forward` builds on them). Returns None when
    the compiled model carries no expressions (it was unpickled, not compiled here).
    """
    expressions = getattr(compiled, "expressions", None)
    if expressions is None:
        return None
    key = f"{compiled.fingerprint}:{lu.order}:{prefix}"
    with _LOCK:
        if key in _SOURCES:
            return _SOURCES[key]
    n, m = compiled.n_states, compiled.n_params
    ex = hoisted(compiled)
    r = len(ex.derived)
    rows = [i for i, _ in ex.rhs_t]
    lines = [
        "import math",
        "",
        "import numpy as np",
        "from numba import njit",
        "",
        f"{prefix.upper()}N_DERIVED = {r}",
        *_POWER.splitlines(),
        "",
        "",
        JIT,
        f"def {prefix}rhs(t, y, p, out):",
        *function_body(ex.rhs, n, m, n_derived=r),
        "",
        "",
        JIT,
        f"def {prefix}jac(t, y, p, out):",
        # "pass": rates free of the states
        *(function_body(ex.jac_entries, n, m, n_derived=r) or ["    pass"]),
        "",
        "",
        JIT,
        f"def {prefix}rhs_t(t, y, p, out):",
        *([f"    dt = np.empty({len(rows)})"] if rows else []),
        "    out[:] = 0.0",
        *(function_body([e for _, e in ex.rhs_t], n, m, "dt", r) if rows else []),
        *(f"    out[{i}] = dt[{k}]" for k, i in enumerate(rows)),
        "",
        "",
        JIT,
        *lu.factor_source.replace("def ", f"def {prefix}", 1).splitlines(),
        "",
        "",
        JIT,
        *lu.solve_source.replace("def ", f"def {prefix}", 1).splitlines(),
        "",
        "",
        JIT,
        f"def {prefix}observables(t, y, p, out):",
        *(function_body(ex.observables, n, m, n_derived=r) or ["    pass"]),
        "",
        "",
        JIT,
        f"def {prefix}derived(t, y, p, out):",
        *(function_body(ex.derived, 0, m) or ["    pass"]),
        "",
    ]
    source = "\n".join(lines)
    with _LOCK:
        return _SOURCES.setdefault(key, source)
