r"""The forward sensitivity system of a model, generated for the compiled integrator.

For :math:`\dot y = f(t, y, p)` and chosen parameters :math:`p_{c_0}, \dots, p_{c_{K-1}}`
the augmented state is :math:`z = (y, S_0, \dots, S_{K-1})` with
:math:`S_k = \partial y/\partial p_{c_k}`, and

.. math::

    \dot z = F(t, z) = \begin{pmatrix} f \\ J S_k + \lambda_k\, f_{p_k} \end{pmatrix},
    \qquad
    \frac{\partial F}{\partial z} = \begin{pmatrix} J & & \\ H_0 & J & \\
        \vdots & & \ddots \end{pmatrix},
    \qquad
    H_k = \frac{\partial (J S_k + \lambda_k f_{p_k})}{\partial y},

where :math:`J = \partial f/\partial y` and :math:`f_{p_k} = \partial f/\partial p_{c_k}`
are derived with sympy, and :math:`\lambda_k` is 1, or 0 while a
:class:`~follicle.ParameterStep` overrides :math:`p_{c_k}` (it is carried as an extra
parameter after the model's). The right-hand side :math:`F` is exact.

The RODAS4 step (:mod:`follicle.solvers.rodas4`) is unchanged: it sees an ordinary model
with :math:`n(K + 1)` states. Its linear systems :math:`(I/\gamma h - \partial F/\partial
z)\, x = b` are block lower triangular with the model's :math:`W = I/\gamma h - J` on the
diagonal, so they are solved with the model's one sparse LU by forward substitution,
:math:`W x_y = b_y`, then :math:`W x_k = b_k + H_k x_y`: one factorisation per step, as
for the model alone, and :math:`K + 1` triangular solves per stage (the simultaneous
corrector of CVODES, here with the coupling blocks). :math:`H_k x_y` is a directional
difference,

.. math::

    H_k x_y \approx \frac{J(y + \epsilon x_y) - J(y)}{\epsilon} S_k
        + \lambda_k \frac{f_{p_k}(y + \epsilon x_y) - f_{p_k}(y)}{\epsilon},
    \qquad \epsilon = \sqrt{\varepsilon_{mach}}\,
        \frac{\max(1, \|y\|_\infty)}{\|x_y\|_\infty},

with a relative error near :math:`10^{-8}`: it changes the method's matrix slightly, not
the equations the method solves. It is taken backward when the forward point gives values
that are not finite (a Hill term just below zero exposure), and left out if neither does.
The second derivatives written out instead would be about 8,000 lines for the coupled
model, which numba takes some 14 minutes to compile.

The generated module defines what :mod:`follicle.solvers.compiled` compiles (``rhs``,
``jac``, ``rhs_t``, ``factor``, ``solve``, ``observables``): the model's own functions
under the prefix ``model_``, :math:`f_p` of every parameter and the time derivatives, and
the block functions, fixed code (:data:`_BLOCKS`) over index arrays written into the
module as constants; one module serves every selection of parameters. The solve needs the
point of the step: ``jac`` writes :math:`t, J(y), f_p(y), y, S, p` after the LU's entries
into the matrix array (``attempt`` stores every entry negated, so they are written
negated), and ``solve`` reads them there.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from follicle.codegen import kernels
from follicle.codegen.arrays import parameter_entries, time_derivative

__all__ = ["AugmentedLU", "ForwardSystem", "forward_system"]

_LOCK = threading.Lock()
_SYSTEMS: dict[tuple, ForwardSystem] = {}


@dataclass(frozen=True)
class AugmentedLU:
    """What the integrator needs of the augmented system's linear algebra: the length of
    the matrix array ``nnz`` (the model's LU entries, the point of the step, then one
    scratch slot that the augmented rows' diagonals point to), where the Jacobian's
    entries go, and the diagonal positions."""

    nnz: int
    jac_positions: np.ndarray
    diagonal: np.ndarray


@dataclass(frozen=True)
class ForwardSystem:
    """The augmented system of one model structure, for any selection of parameters."""

    n: int  # the model's states
    n_params: int  # the model's parameters
    source: str  # the generated module (follicle.solvers.compiled compiles it)
    autonomous: bool
    model_lu: object  # the model's sparse LU (follicle.solvers.sparse_lu)
    n_jac: int  # non-zero entries of J
    n_fp: int  # non-zero entries of f_p
    n_derived: int  # parameter-only values the kernel derives (follicle.codegen.kernels)

    def lu(self, k: int) -> AugmentedLU:
        """The matrix array's layout for ``k`` parameters (see :data:`_BLOCKS`)."""
        lu, n = self.model_lu, self.n
        size = 1 + self.n_jac + self.n_fp + n * (k + 1) + 2 * self.n_params + k + self.n_derived
        scratch = lu.nnz + size
        return AugmentedLU(
            nnz=scratch + 1,
            jac_positions=np.concatenate([lu.jac_positions, lu.nnz + np.arange(size)]),
            diagonal=np.concatenate([lu.diagonal, np.full(k * n, scratch, dtype=np.intp)]),
        )

    def parameters(self, p: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The parameter vector of the augmented system: the model's ``p``, the index of
        each parameter among ``cols`` (-1 when it is not one), and a multiplier 1 each."""
        where = np.full(self.n_params, -1.0)
        where[cols] = np.arange(cols.size)
        return np.concatenate([p, where, np.ones(cols.size)])


def _array(name: str, values) -> str:
    values = [int(v) for v in values]
    return f"{name} = np.array({values!r}, dtype=np.intp)"


def forward_system(compiled, lu) -> ForwardSystem:
    """The forward sensitivity system of the compiled model ``compiled`` (with
    expressions; its LU ``lu``, :func:`follicle.solvers.sparse_lu.for_pattern`), built
    once per model structure: any selection of parameters runs on the one module."""
    key = (compiled.fingerprint, tuple(lu.order))
    with _LOCK:
        if key in _SYSTEMS:
            return _SYSTEMS[key]
    system = _build(compiled, lu)
    with _LOCK:
        return _SYSTEMS.setdefault(key, system)


def _build(compiled, lu) -> ForwardSystem:
    ex = compiled.expressions
    n, m = compiled.n_states, compiled.n_params
    jr, jc = compiled.jac_rows.tolist(), compiled.jac_cols.tolist()
    fp = parameter_entries(compiled)  # (row, parameter, d f_row / d p)
    # Explicit time dependence of J S + f_p (for non-autonomous models).
    jt = [(q, d) for q, e in enumerate(ex.jac_entries) if (d := time_derivative(e)) != 0]
    fpt = [(e, d) for e, (*_, expr) in enumerate(fp) if (d := time_derivative(expr)) != 0]
    body = kernels.function_body
    lines = [
        kernels.kernel_source(compiled, lu, prefix="model_"),
        f"N, NP, NJ, NFP, NNZ = {n}, {m}, {len(jr)}, {len(fp)}, {lu.nnz}",
        _array("JR", jr),
        _array("JC", jc),
        _array("FPR", [i for i, _, _ in fp]),
        _array("FPC", [c for _, c, _ in fp]),
        _array("JTQ", [q for q, _ in jt]),
        _array("FPTE", [e for e, _ in fpt]),
        "",
        "",
        kernels.JIT,
        "def f_p(t, y, p, out):",
        *(body([d for *_, d in fp], n, m) or ["    pass"]),
        "",
        "",
        kernels.JIT,
        "def jac_t(t, y, p, out):",
        *(body([d for _, d in jt], n, m) or ["    pass"]),
        "",
        "",
        kernels.JIT,
        "def f_pt(t, y, p, out):",
        *(body([d for _, d in fpt], n, m) or ["    pass"]),
        "",
        _BLOCKS,
    ]
    return ForwardSystem(
        n=n,
        n_params=m,
        source="\n".join(lines),
        autonomous=compiled.autonomous and not jt and not fpt,
        model_lu=lu,
        n_jac=len(jr),
        n_fp=len(fp),
        n_derived=len(kernels.hoisted(compiled).derived),
    )


#: The augmented system's functions over the model's (``model_*``), :math:`f_p` and the
#: time derivatives. ``p`` holds the model's NP parameters, then for each of them the
#: index k of its sensitivity (-1: not differentiated), then the K multipliers, then the
#: model's derived values (read by the model's functions from its end); K follows from
#: the length of ``z``. The matrix array: the model's LU (NNZ entries), then t, J(y),
#: f_p(y), y, S and p (:meth:`ForwardSystem.lu`).
_BLOCKS = """

@JIT
def rhs(t, z, p, out):
    K = z.size // N - 1
    model_rhs(t, z[:N], p, out[:N])
    jv, fv = np.empty(NJ), np.empty(NFP)
    model_jac(t, z[:N], p, jv)
    f_p(t, z[:N], p, fv)
    out[N:] = 0.0
    for k in range(K):
        o = N + k * N
        for q in range(NJ):
            out[o + JR[q]] += jv[q] * z[o + JC[q]]
    for e in range(NFP):
        k = int(p[NP + FPC[e]])
        if k >= 0:
            out[N + k * N + FPR[e]] += p[2 * NP + k] * fv[e]


@JIT
def jac(t, z, p, out):
    # J for the LU; then the point of the step, negated (attempt negates every entry).
    model_jac(t, z[:N], p, out[:NJ])
    o = NJ
    out[o] = -t
    for q in range(NJ):
        out[o + 1 + q] = -out[q]
    fv = np.empty(NFP)
    f_p(t, z[:N], p, fv)
    o += 1 + NJ
    for e in range(NFP):
        out[o + e] = -fv[e]
    o += NFP
    for i in range(z.size):
        out[o + i] = -z[i]
    o += z.size
    for j in range(p.size):
        out[o + j] = -p[j]


@JIT
def rhs_t(t, z, p, out):
    K = z.size // N - 1
    model_rhs_t(t, z[:N], p, out[:N])
    out[N:] = 0.0
    jv, fv = np.empty(JTQ.size), np.empty(FPTE.size)
    jac_t(t, z[:N], p, jv)
    f_pt(t, z[:N], p, fv)
    for k in range(K):
        o = N + k * N
        for e in range(JTQ.size):
            q = JTQ[e]
            out[o + JR[q]] += jv[e] * z[o + JC[q]]
    for e in range(FPTE.size):
        k = int(p[NP + FPC[FPTE[e]]])
        if k >= 0:
            out[N + k * N + FPR[FPTE[e]]] += p[2 * NP + k] * fv[e]


@JIT
def factor(a):
    model_factor(a)


@JIT
def coupling(a, x, p_at, sign, dj, df):
    # (J(y + eps x) - J(y)) / eps into dj and (f_p(y + eps x) - f_p(y)) / eps into df;
    # False when the shifted point gives values that are not finite.
    t_at = NNZ
    y_at = t_at + 1 + NJ + NFP
    size, top = 0.0, 1.0
    for i in range(N):
        size = max(size, abs(x[i]))
        top = max(top, abs(a[y_at + i]))
    if size == 0.0:
        dj[:] = 0.0
        df[:] = 0.0
        return True
    eps = sign * 1.4901161193847656e-08 * top / size
    shifted = np.empty(N)
    for i in range(N):
        shifted[i] = a[y_at + i] + eps * x[i]
    p = a[p_at : a.size - 1]  # with the derived values at its end
    model_jac(a[t_at], shifted, p, dj)
    f_p(a[t_at], shifted, p, df)
    ok = True
    for q in range(NJ):
        dj[q] = (dj[q] - a[t_at + 1 + q]) / eps
        ok = ok and math.isfinite(dj[q])
    for e in range(NFP):
        df[e] = (df[e] - a[t_at + 1 + NJ + e]) / eps
        ok = ok and math.isfinite(df[e])
    return ok


@JIT
def solve(a, b):
    K = b.size // N - 1
    model_solve(a, b[:N])
    if K == 0:
        return
    dj, df = np.empty(NJ), np.empty(NFP)
    y_at = NNZ + 1 + NJ + NFP
    p_at = y_at + b.size
    x = b[:N]
    if not coupling(a, x, p_at, 1.0, dj, df) and not coupling(a, x, p_at, -1.0, dj, df):
        dj[:] = 0.0  # no finite difference either way: the coupling is left out
        df[:] = 0.0
    for k in range(K):
        o, s = N + k * N, y_at + N + k * N
        for q in range(NJ):
            b[o + JR[q]] += dj[q] * a[s + JC[q]]
    for e in range(NFP):
        k = int(a[p_at + NP + FPC[e]])
        if k >= 0:
            b[N + k * N + FPR[e]] += a[p_at + 2 * NP + k] * df[e]
    for k in range(K):
        model_solve(a, b[N + k * N : N + (k + 1) * N])


@JIT
def observables(t, z, p, out):
    model_observables(t, z[:N], p, out)


N_DERIVED = MODEL_N_DERIVED


@JIT
def derived(t, z, p, out):
    model_derived(t, z, p, out)
""".replace("@JIT", kernels.JIT)
