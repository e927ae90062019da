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
"""

from __future__ import annotations

import importlib.util
import threading

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from follicle.codegen.printing import ExactFloats

__all__ = ["JIT", "available", "function_body", "kernel_source"]

_LOCK = threading.Lock()
_SOURCES: dict[str, str] = {}


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


def function_body(outputs, n, m, out="out"):
    """Lines that read ``y``/``p`` into locals and write ``out[i] = outputs[i]``."""
    printer = _ScalarPrinter({"fully_qualified_modules": True, "allow_unknown_functions": False})
    replacements, reduced = sp.cse(
        list(outputs), symbols=sp.numbered_symbols("_c"), optimizations=None, order="none"
    )
    names = {s.name for e in [*reduced, *(e for _, e in replacements)] for s in e.free_symbols}
    lines = [f"    _s{i} = y[{i}]" for i in range(n) if f"_s{i}" in names]
    lines += [f"    _p{j} = p[{j}]" for j in range(m) if f"_p{j}" in names]
    lines += [f"    {sym} = {printer.doprint(expr)}" for sym, expr in replacements]
    lines += [f"    {out}[{i}] = {printer.doprint(expr)}" for i, expr in enumerate(reduced)]
    return lines


#: Compiled once per machine (cached beside the source). Division by zero gives inf or nan,
#: as in NumPy, rather than raising: the integrator handles non-finite values itself, and
#: the checks Python's error model adds to every division cost about 7% of the time. The
#: signatures are given after the cache has been checked (:mod:`follicle.solvers.compiled`).
JIT = "@njit(cache=True, error_model='numpy')"


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
    rows = [i for i, _ in expressions.rhs_t]
    lines = [
        "import math",
        "",
        "import numpy as np",
        "from numba import njit",
        "",
        "",
        JIT,
        f"def {prefix}rhs(t, y, p, out):",
        *function_body(expressions.rhs, n, m),
        "",
        "",
        JIT,
        f"def {prefix}jac(t, y, p, out):",
        *(
            function_body(expressions.jac_entries, n, m) or ["    pass"]
        ),  # rates free of the states
        "",
        "",
        JIT,
        f"def {prefix}rhs_t(t, y, p, out):",
        *([f"    dt = np.empty({len(rows)})"] if rows else []),
        "    out[:] = 0.0",
        *(function_body([e for _, e in expressions.rhs_t], n, m, out="dt") if rows else []),
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
        *(function_body(expressions.observables, n, m) or ["    pass"]),
        "",
    ]
    source = "\n".join(lines)
    with _LOCK:
        return _SOURCES.setdefault(key, source)
