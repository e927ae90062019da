"""Compiled RODAS4 steps and observables for ensembles (numba), per model structure.

With NumPy, :mod:`follicle.ensemble` advances every member of a batch by one RODAS4 step at
a time, each arithmetic operation one call on the whole batch: fast per member for large
batches, but every step pays the interpreter's bookkeeping. When numba is installed (the
``[fast]`` extra: wheels, no compiler needed) this module writes the model's right-hand
side, Jacobian, :math:`\\partial f/\\partial t`, the sparse LU of
:math:`W = I/(\\gamma h) - J`, the step and the step-size control as scalar Python,
compiles them with ``numba.njit`` and runs each member in machine code from one event (a
breakpoint, a readout's crossing or time, an output time) to the next: the same method,
the same elimination order and the same steps, up to round-off.

:func:`follicle.codegen.module` writes the generated module to a cache directory
(``$FOLLICLE_CACHE``, else ``~/.cache/follicle``) named by a hash of its source, and numba
caches its machine code beside it, so a model structure is compiled once per machine, not
once per process; Dask workers and process pools load it from there.
"""

from __future__ import annotations

import importlib.util
import threading

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from follicle.codegen.printing import ExactFloats

__all__ = ["available", "kernel_source"]

_LOCK = threading.Lock()
_SOURCES: dict[str, str] = {}


def available() -> bool:
    """Whether numba can be imported (the ``[fast]`` extra)."""
    return importlib.util.find_spec("numba") is not None


class _ScalarPrinter(ExactFloats, PythonCodePrinter):
    """Python printer for scalars: ``math`` functions and a branch for ``Heaviside``."""

    def _print_Heaviside(self, expr):
        return f"(1.0 if ({self._print(expr.args[0])}) >= 0 else 0.0)"


def _body(outputs, n, m, out="out"):
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


def _stage_sum(coefficients, target, start):
    """``target = start + c_0 k[0, i] + c_1 k[1, i] + ...`` as one line of source."""
    return f"{target} = {start} + " + " + ".join(
        f"{c!r} * k[{j}, i]" for j, c in enumerate(coefficients)
    )


#: Compiled once per machine (cached beside the source). Division by zero gives inf or nan,
#: as in NumPy, rather than raising: the loop handles non-finite values itself, and the
#: checks Python's error model adds to every division cost about 7% of the time.
_JIT = "@njit(cache=True, error_model='numpy')"

#: The loop of steps between the events Python must see (``str.format`` fills the sizes and
#: the step-size control of :mod:`follicle.ensemble`).
_ADVANCE = """\
{jit}
def watched(t, y, p, clip, state, index, level, obs, out):
    need = False
    for q in range(out.size):
        need = need or not state[q]
    if need:
        observables(t, y, p, obs)
    for q in range(out.size):
        i = index[q]
        if state[q]:
            v = y[i]
            if clip[i] and v < 0.0:
                v = 0.0
        else:
            v = obs[i]
        out[q] = v - level[q]


{jit}
def advance(t, h, y, f, p, u, stop, budget, jac_pos, diag, atol, rtol, clip, floor,
            watch_state, watch_index, watch_level, watch_times, every,
            t_a, y_a, f_a, handed, at_break, accepted, rejected):
    n, size = y.shape
    yc, fc, yn, fn = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    ya, fa, uc = np.empty(n), np.empty(n), np.empty(n)
    pc = np.empty(p.shape[0])
    work = (np.empty({nnz}), np.empty({n_jac}), np.empty((6, n)), np.empty(n), np.empty(n),
            np.zeros(n))
    obs = np.empty({n_obs} + 1)
    g_old, g_new = np.empty(watch_state.size), np.empty(watch_state.size)
    for m in range(size):
        for i in range(n):
            yc[i], fc[i], uc[i] = y[i, m], f[i, m], u[i, m]
        for j in range(pc.size):
            pc[j] = p[j, m]
        tm, hm, end = t[m], h[m], stop[m]
        watched(tm, yc, pc, clip, watch_state, watch_index, watch_level, obs, g_old)
        n_acc, n_rej, ok, brk, ta = 0, 0, False, False, tm
        while True:
            room = end - tm
            hs = min(hm, room)
            norm = attempt(tm, hs, yc, fc, pc, uc, jac_pos, diag, atol, rtol, yn, fn, work)
            ok = norm <= 1.0
            grow = min(max({safety!r} * max(norm, 1e-300) ** -0.25, {shrink!r}), {grow!r})
            h_next = hs * (grow if ok else min(grow, 1.0))
            hm = max(h_next, hm) if ok and hs < hm else h_next
            done = False
            if ok:
                n_acc += 1
                brk = room - hs <= {tiny!r} * max(1.0, abs(end))
                ta = tm
                tm = end if brk else tm + hs
                for i in range(n):
                    ya[i], fa[i], yc[i], fc[i] = yc[i], fc[i], yn[i], fn[i]
                    done = done or not math.isfinite(fn[i]) or yn[i] < floor[i]
                done = done or brk or every
                if g_old.size:
                    watched(tm, yc, pc, clip, watch_state, watch_index, watch_level, obs, g_new)
                    for q in range(g_old.size):
                        done = done or (g_new[q] < 0.0) != (g_old[q] < 0.0)
                        g_old[q] = g_new[q]
                if watch_times.size:
                    j = np.searchsorted(watch_times, ta)
                    done = done or (j < watch_times.size and watch_times[j] <= tm)
            else:
                n_rej += 1
            if hm < {h_min!r} * max(1.0, abs(tm)) or n_acc + n_rej >= budget[m]:
                done = True
            if done:
                break
        t[m], h[m], t_a[m] = tm, hm, ta
        for i in range(n):
            y[i, m], f[i, m], y_a[i, m], f_a[i, m] = yc[i], fc[i], ya[i], fa[i]
        handed[m], at_break[m] = ok, ok and brk
        accepted[m], rejected[m] = n_acc, n_rej
"""


def kernel_source(compiled, lu, tableau, control) -> str | None:
    """Source of a module whose ``advance(...)`` steps every member up to its next event.

    ``attempt`` is one RODAS4 step of one member; ``advance`` repeats it for each member of a
    batch with the step-size control of :mod:`follicle.ensemble`, until the member's last
    accepted step reaches its breakpoint, makes a rate non-finite or a non-negative state
    negative beyond its floor, changes the sign of a watched value (a readout's state or
    observable minus its level), contains a watched time (a readout's time or window edge,
    an output time), or at once when ``every`` is set (readouts that need every step); or
    until its step size underflows or its budget of steps is spent. It updates the
    member's ``t, h, y, f`` in place and writes the start of its last accepted step to
    ``t_a, y_a, f_a``: the Python side then sees only the steps where something happens.

    ``tableau`` is ``(gamma, alpha, d, a, c)`` and ``control`` the step-size control
    (``safety, shrink, grow, tiny, h_min``) of :mod:`follicle.ensemble`. Returns None when
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
        _JIT,
        "def rhs(t, y, p, out):",
        *_body(expressions.rhs, n, m),
        "",
        "",
        _JIT,
        "def jac(t, y, p, out):",
        *(_body(expressions.jac_entries, n, m) or ["    pass"]),  # rates free of the states
        "",
        "",
        _JIT,
        "def rhs_t(t, y, p, out):",
        "    out[:] = 0.0",
        *(_body([e for _, e in expressions.rhs_t], n, m, out="dt") if rows else []),
        *(f"    out[{i}] = dt[{k}]" for k, i in enumerate(rows)),
        "",
        "",
        _JIT,
        *lu.factor_source.splitlines(),
        "",
        "",
        _JIT,
        *lu.solve_source.splitlines(),
        "",
        "",
    ]
    obs_lines = _body(expressions.observables, n, m) or ["    pass"]
    lines += [
        _JIT,
        "def observables(t, y, p, out):",
        *obs_lines,
        "",
        "",
        _JIT,
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
                "    for i in range(n):\n        b[i] = f[i]"
                + (f" + h * {d[0]!r} * dt[i]" if rows else "")
            )
        else:
            combo = _stage_sum(a[min(s, 4)], "st[i]", "y[i]")
            if s == 5:
                combo += " + k[4, i]"
            stages.append(f"    for i in range(n):\n        {combo}")
            stages.append(f"    rhs(t + {alpha[s]!r} * h, st, p, b)")
            extra = " + ".join(f"{cc!r} * k[{j}, i]" for j, cc in enumerate(c[s]))
            dterm = f" + h * {d[s]!r} * dt[i]" if rows and d[s] else ""
            stages.append(f"    for i in range(n):\n        b[i] += u[i] + ({extra}) / h{dterm}")
        stages.append("    solve(w, b)")
        stages.append(f"    for i in range(n):\n        k[{s}, i] = b[i]")
    final = _stage_sum(a[4], "y_new[i]", "y[i]") + " + k[4, i] + k[5, i]"
    lines += [
        _JIT,
        "def attempt(t, h, y, f, p, u, jac_pos, diag, atol, rtol, y_new, f_new, work):",
        '    """One RODAS4 step of one member; writes y_new, f_new, returns the error norm."""',
        "    w, jv, k, st, b, dt = work",
        "    n = y.size",
        "    jac(t, y, p, jv)",
        "    w[:] = 0.0",
        "    for q in range(jv.size):\n        w[jac_pos[q]] = -jv[q]",
        f"    g = 1.0 / ({gamma!r} * h)",
        "    for i in range(n):\n        w[diag[i]] += g",
        "    factor(w)",
        *(["    rhs_t(t, y, p, dt)"] if rows else []),
        *stages,
        "    total = 0.0",
        "    for i in range(n):",
        f"        {final}",
        "        scale = atol[i] + rtol * max(abs(y[i]), abs(y_new[i]))",
        "        total += (k[5, i] / scale) ** 2",
        "    norm = math.sqrt(total / n)",
        "    rhs(t + h, y_new, p, f_new)",
        "    for i in range(n):\n        f_new[i] += u[i]",
        "    return norm if math.isfinite(norm) else math.inf",
        "",
        "",
        *_ADVANCE.format(
            nnz=lu.nnz,
            n_jac=len(expressions.jac_entries),
            n_obs=len(expressions.observables),
            jit=_JIT,
            **control,
        ).splitlines(),
    ]
    source = "\n".join(lines)
    with _LOCK:
        return _SOURCES.setdefault(key, source)
