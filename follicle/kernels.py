"""Compiled RODAS4 steps and observables for ensembles (numba), per model structure.

:mod:`follicle.ensemble` advances every member of a batch by one RODAS4 step at a time. With
NumPy each arithmetic operation is one call on the whole batch, which is fast per member
but makes temporaries of every intermediate. When numba is installed (the ``[fast]``
extra: wheels, no compiler needed) this module writes the model's right-hand side,
Jacobian, :math:`\\partial f/\\partial t`, the sparse LU of :math:`W = I/(\\gamma h) - J`
and the whole step as scalar Python, compiles it with ``numba.njit`` and runs the step
member by member in machine code: the same method, the same elimination order, the same
arithmetic up to round-off.

The generated module is written to a cache directory (``$FOLLICLE_CACHE``, else
``~/.cache/follicle``) named by a hash of its source, and numba caches its machine code
beside it, so a model structure is compiled once per machine, not once per process; Dask
workers and process pools load it from there.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

__all__ = ["available", "kernel_source", "load"]

_LOCK = threading.Lock()
_SOURCES: dict[str, str] = {}
_MODULES: dict[str, object] = {}


def available() -> bool:
    """Whether numba can be imported (the ``[fast]`` extra)."""
    return importlib.util.find_spec("numba") is not None


class _ScalarPrinter(PythonCodePrinter):
    """Python printer for scalars: ``math`` functions and a branch for ``Heaviside``."""

    def _print_Heaviside(self, expr):
        return f"(1.0 if ({self._print(expr.args[0])}) >= 0 else 0.0)"


def _body(outputs, n, m, out="out"):
    """Lines that read ``y``/``p`` into locals and write ``out[i] = outputs[i]``."""
    printer = _ScalarPrinter({"fully_qualified_modules": True, "allow_unknown_functions": False})
    replacements, reduced = sp.cse(
        list(outputs), symbols=sp.numbered_symbols("_c"), optimizations="basic", order="none"
    )
    names = {s.name for e in [*reduced, *(e for _, e in replacements)] for s in e.free_symbols}
    lines = [f"    _s{i} = y[{i}]" for i in range(n) if f"_s{i}" in names]
    lines += [f"    _p{j} = p[{j}]" for j in range(m) if f"_p{j}" in names]
    lines += [f"    {sym} = {printer.doprint(expr)}" for sym, expr in replacements]
    lines += [f"    {out}[{i}] = {printer.doprint(expr)}" for i, expr in enumerate(reduced)]
    return lines


def _stage_sum(coefficients, target, start):
    """``target = start + c_0 k[0, i] + c_1 k[1, i] + ...`` as one line of source."""
    return f"{target} = {start} + " + " + ".join(
        f"{c!r} * k[{j}, i]" for j, c in enumerate(coefficients)
    )


def kernel_source(compiled, lu, tableau) -> str | None:
    """Source of a module whose ``step(...)`` advances every member by one RODAS4 step.

    ``tableau`` is ``(gamma, alpha, d, a, c)`` of :mod:`follicle.ensemble`. Returns None when
    the compiled model carries no expressions (it was unpickled, not compiled here).
    """
    expressions = getattr(compiled, "expressions", None)
    if expressions is None:
        return None
    key = f"{compiled.fingerprint}:{lu.order}"
    with _LOCK:
        if key in _SOURCES:
            return _SOURCES[key]
    gamma, alpha, d, a, c = tableau
    n, m = compiled.n_states, compiled.n_params
    rows = [i for i, _ in expressions.rhs_t]
    lines = [
        "import math",
        "",
        "import numpy as np",
        "from numba import njit",
        "",
        "",
        "@njit(cache=True)",
        "def rhs(t, y, p, out):",
        *_body(expressions.rhs, n, m),
        "",
        "",
        "@njit(cache=True)",
        "def jac(t, y, p, out):",
        *_body(expressions.jac_entries, n, m),
        "",
        "",
        "@njit(cache=True)",
        "def rhs_t(t, y, p, out):",
        "    out[:] = 0.0",
        *(_body([e for _, e in expressions.rhs_t], n, m, out="dt") if rows else []),
        *(f"    out[{i}] = dt[{k}]" for k, i in enumerate(rows)),
        "",
        "",
        "@njit(cache=True)",
        *lu.factor_source.splitlines(),
        "",
        "",
        "@njit(cache=True)",
        *lu.solve_source.splitlines(),
        "",
        "",
    ]
    obs_lines = _body(expressions.observables, n, m) or ["    pass"]
    lines += [
        "@njit(cache=True)",
        "def observables(t, y, p, out):",
        *obs_lines,
        "",
        "",
        "@njit(cache=True)",
        "def observables_batch(t, y, p, out):",
        "    n, size = y.shape",
        "    yc = np.empty(n)",
        "    pc = np.empty(p.shape[0])",
        "    oc = np.empty(out.shape[0])",
        "    for m in range(size):",
        "        for i in range(n):\n            yc[i] = y[i, m]",
        "        for j in range(p.shape[0]):\n            pc[j] = p[j, m]",
        "        observables(t[m], yc, pc, oc)",
        "        for i in range(oc.size):\n            out[i, m] = oc[i]",
        "",
        "",
    ]
    if rows:  # rhs_t writes its rows into a scratch array first
        at = lines.index("def rhs_t(t, y, p, out):")
        lines.insert(at + 2, f"    dt = np.empty({len(rows)})")
    stages = []
    for s in range(6):
        if s == 0:
            stages.append(
                "        for i in range(n):\n            b[i] = f[i, m]"
                + (f" + hm * {d[0]!r} * dt[i]" if rows else "")
            )
        else:
            combo = _stage_sum(a[min(s, 4)], "st[i]", "yc[i]")
            if s == 5:
                combo += " + k[4, i]"
            stages.append(f"        for i in range(n):\n            {combo}")
            stages.append(f"        rhs(tm + {alpha[s]!r} * hm, st, pc, b)")
            extra = " + ".join(f"{cc!r} * k[{j}, i]" for j, cc in enumerate(c[s]))
            dterm = f" + hm * {d[s]!r} * dt[i]" if rows and d[s] else ""
            stages.append(
                f"        for i in range(n):\n            b[i] += u[i, m] + ({extra}) / hm{dterm}"
            )
        stages.append("        solve(w, b)")
        stages.append(f"        for i in range(n):\n            k[{s}, i] = b[i]")
    final = _stage_sum(a[4], "yn[i]", "yc[i]") + " + k[4, i] + k[5, i]"
    lines += [
        "@njit(cache=True)",
        "def step(t, h, y, f, p, u, jac_pos, diag, atol, rtol, y_new, f_new, err):",
        "    n, size = y.shape",
        "    n_p = p.shape[0]",
        "    yc = np.empty(n)",
        "    yn = np.empty(n)",
        "    st = np.empty(n)",
        "    b = np.empty(n)",
        "    dt = np.zeros(n)",
        "    fe = np.empty(n)",
        "    pc = np.empty(n_p)",
        f"    jv = np.empty({len(expressions.jac_entries)})",
        f"    w = np.empty({lu.nnz})",
        "    k = np.empty((6, n))",
        "    for m in range(size):",
        "        tm, hm = t[m], h[m]",
        "        for i in range(n):\n            yc[i] = y[i, m]",
        "        for j in range(n_p):\n            pc[j] = p[j, m]",
        "        jac(tm, yc, pc, jv)",
        "        w[:] = 0.0",
        "        for q in range(jv.size):\n            w[jac_pos[q]] = -jv[q]",
        f"        g = 1.0 / ({gamma!r} * hm)",
        "        for i in range(n):\n            w[diag[i]] += g",
        "        factor(w)",
        *(["        rhs_t(tm, yc, pc, dt)"] if rows else []),
        *stages,
        "        total = 0.0",
        "        for i in range(n):",
        f"            {final}",
        "            scale = atol[i] + rtol * max(abs(yc[i]), abs(yn[i]))",
        "            total += (k[5, i] / scale) ** 2",
        "        norm = math.sqrt(total / n)",
        "        err[m] = norm if math.isfinite(norm) else math.inf",
        "        rhs(tm + hm, yn, pc, fe)",
        "        for i in range(n):",
        "            y_new[i, m] = yn[i]",
        "            f_new[i, m] = fe[i] + u[i, m]",
        "",
    ]
    source = "\n".join(lines)
    with _LOCK:
        return _SOURCES.setdefault(key, source)


def _cache_dir() -> Path:
    for candidate in (
        os.environ.get("FOLLICLE_CACHE"),
        Path.home() / ".cache" / "follicle",
        Path(tempfile.gettempdir()) / "follicle-cache",
    ):
        if not candidate:
            continue
        path = Path(candidate) / "kernels"
        try:
            path.mkdir(parents=True, exist_ok=True)
            if os.access(path, os.W_OK):
                return path
        except OSError:
            continue
    raise OSError("no writable cache directory for compiled kernels; set FOLLICLE_CACHE")


def load(source: str):
    """The module of ``source`` (written to the cache directory and imported once)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    with _LOCK:
        if digest in _MODULES:
            return _MODULES[digest]
        name = f"follicle_kernel_{digest}"
        path = _cache_dir() / f"{name}.py"
        if not path.exists() or path.read_text() != source:
            partial = path.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(source)
            partial.replace(path)  # atomic, so concurrent workers never read half a file
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _MODULES[digest] = module
        return module
