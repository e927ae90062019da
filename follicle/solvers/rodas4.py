"""RODAS4, written once: one step, its error norm, the step-size control and the loop of
steps, as plain Python over scalars and arrays.

This module imports nothing but :mod:`math` and NumPy. :mod:`follicle.solvers.compiled`
compiles its functions with numba (machine code cached on disk, signed), and they run
un-compiled as ordinary Python when asked to (the fallback). The model enters only through
functions passed in as arguments, each ``f(t, y, p, out)`` on float64 vectors:

``rhs``
    the right-hand side :math:`f(t, y; p)`;
``jac``
    the non-zero entries of :math:`J = \\partial f/\\partial y` (in the order of
    ``jac_pos``, their positions among the sparse LU's entries);
``rhs_t``
    :math:`\\partial f/\\partial t` (called only for non-autonomous models);
``observables``
    the model's observables;

and through the sparse LU of :math:`W` (:mod:`follicle.solvers.sparse_lu`): ``factor(w)``
overwrites ``w`` with its factors and ``solve(w, b)`` solves :math:`W x = b` in place.

The method is the L-stable, stiffly accurate Rosenbrock method of order 4 with an embedded
order-3 solution (Hairer & Wanner, *Solving Ordinary Differential Equations II*, 2nd ed.,
Springer 1996, section VI.4; coefficients of their code RODAS, METH = 1). A step of size
:math:`h` from :math:`(t, y)` solves six linear systems with the one matrix
:math:`W = I/(\\gamma h) - J(t, y)`:

.. math::

    W k_i = f\\Big(t + \\alpha_i h,\\; y + \\sum_{j<i} a_{ij} k_j\\Big) + u
            + \\sum_{j<i} \\frac{c_{ij}}{h} k_j + d_i h \\frac{\\partial f}{\\partial t},

and takes :math:`y_{new} = y + \\sum_{j<5} a_{5j} k_j + k_5` (:math:`k_5`, the difference
between the order-4 and order-3 solutions, is the error estimate). The step is accepted
when

.. math::

    \\mathrm{err} = \\sqrt{\\frac{1}{n} \\sum_i
        \\left(\\frac{k_{5,i}}{\\mathrm{atol}_i + \\mathrm{rtol}\\,
        \\max(|y_i|, |y_{new,i}|)}\\right)^2} \\le 1,
    \\qquad h_{next} = h \\min\\!\\big(6, \\max(0.2,\\, 0.9\\, \\mathrm{err}^{-1/4})\\big).
"""

from __future__ import annotations

import math

import numpy as np

#: :math:`\gamma`, the diagonal of the method.
GAMMA = 0.25
#: :math:`\alpha_i`: where in the step stage ``i`` evaluates the right-hand side.
ALPHA = (0.0, 0.386, 0.21, 0.63, 1.0, 1.0)
#: :math:`d_i`: the weights of :math:`h\,\partial f/\partial t` in stage ``i``.
D = (0.25, -0.1043, 0.1035, -0.3620000000000023e-01, 0.0, 0.0)
#: Row ``i`` (``j < i``): :math:`a_{ij}`, the stage's point :math:`y + \sum a_{ij} k_j`. Stage
#: 5 and the solution use :math:`a_{4j}` and :math:`k_4` with weight 1 (stiffly accurate).
A = (
    (),
    (0.1544e01,),
    (0.9466785280815826, 0.2557011698983284),
    (0.3314825187068521e01, 0.2896124015972201e01, 0.9986419139977817),
    (0.1221224509226641e01, 0.6019134481288629e01, 0.1253708332932087e02, -0.6878860361058950),
    (
        0.1221224509226641e01,
        0.6019134481288629e01,
        0.1253708332932087e02,
        -0.6878860361058950,
        1.0,
    ),
)
#: Row ``i`` (``j < i``): :math:`c_{ij}`, the weights of :math:`k_j / h` in stage ``i``.
C = (
    (),
    (-0.56688e01,),
    (-0.2430093356833875e01, -0.2063599157091915),
    (-0.1073529058151375, -0.9594562251023355e01, -0.2047028614809616e02),
    (0.7496443313967647e01, -0.1024680431464352e02, -0.3399990352819905e02, 0.1170890893206160e02),
    (
        0.8083246795921522e01,
        -0.7981132988064893e01,
        -0.3152159432874371e02,
        0.1631930543123136e02,
        -0.6058818238834054e01,
    ),
)
#: Step-size control: safety factor and the bounds of the change in one step.
SAFETY, SHRINK_MAX, GROW_MAX = 0.9, 0.2, 6.0
#: A step smaller than this, relative to the run's time scale (the larger of the time and
#: the next breakpoint), is an underflow: the member fails (:func:`too_small`).
H_MIN_REL = 1e-13
#: Breakpoints closer than this (relative) are one point.
TINY = 1e-12

# The tables as zero-padded arrays for the scalar loops (only ``j < i`` is ever read).
_A = np.zeros((6, 5))
_C = np.zeros((6, 5))
for _i in range(6):
    _A[_i, : len(A[_i])] = A[_i]
    _C[_i, : len(C[_i])] = C[_i]
_ALPHA, _D = np.array(ALPHA), np.array(D)


def attempt(
    rhs,
    jac,
    rhs_t,
    factor,
    solve,
    autonomous,
    t,
    h,
    y,
    f,
    p,
    u,
    jac_pos,
    diag,
    atol,
    rtol,
    y_new,
    f_new,
    w,
    jv,
    k,
    st,
    b,
    dt,
):
    """One RODAS4 step of size ``h`` from ``(t, y)`` with slope ``f``; writes ``y_new`` and
    its slope ``f_new`` and returns the error norm (``inf`` when it is not finite).

    ``u`` is a constant input added to the right-hand side; ``w, jv, k, st, b, dt`` are
    work arrays (the LU's entries, the Jacobian's, the six stages, a stage's point, a
    right-hand side, :math:`\\partial f/\\partial t`).
    """
    n = y.size
    jac(t, y, p, jv)
    w[:] = 0.0
    for q in range(jv.size):
        w[jac_pos[q]] = -jv[q]
    g = 1.0 / (GAMMA * h)
    for i in range(n):
        w[diag[i]] += g
    factor(w)
    if not autonomous:
        rhs_t(t, y, p, dt)
    for s in range(6):
        # Loops over the states innermost, so that the compiler vectorises them.
        if s == 0:
            for i in range(n):
                b[i] = f[i]
        else:
            for i in range(n):
                st[i] = y[i]
            for j in range(s):
                a = _A[s, j]
                for i in range(n):
                    st[i] += a * k[j, i]
            rhs(t + _ALPHA[s] * h, st, p, b)
            for i in range(n):
                b[i] += u[i]
            for j in range(s):
                c = _C[s, j] / h
                for i in range(n):
                    b[i] += c * k[j, i]
        if not autonomous and _D[s] != 0.0:
            d = h * _D[s]
            for i in range(n):
                b[i] += d * dt[i]
        solve(w, b)
        for i in range(n):
            k[s, i] = b[i]
    total = 0.0
    for i in range(n):
        v = st[i] + k[5, i]  # stage 5's point is the order-3 solution
        y_new[i] = v
        scale = atol[i] + rtol * max(abs(y[i]), abs(v))
        total += (k[5, i] / scale) ** 2
    norm = math.sqrt(total / n)
    rhs(t + h, y_new, p, f_new)
    for i in range(n):
        f_new[i] += u[i]
    return norm if math.isfinite(norm) else math.inf


def next_step(h, norm):
    """The step size after a step of size ``h`` with error norm ``norm``."""
    grow = min(max(SAFETY * max(norm, 1e-300) ** -0.25, SHRINK_MAX), GROW_MAX)
    return h * (grow if norm <= 1.0 else min(grow, 1.0))


def too_small(h, t, end):
    """Whether step size ``h`` at time ``t``, on the way to breakpoint ``end``, has
    underflowed: :math:`h < 10^{-13} \\max(|t|, |t_{end}|)`. Relative to the run's time
    scale, not to 1: a run over 1e-4 time units starts with steps far below 1e-13 of a
    unit. Works elementwise on arrays."""
    return h < H_MIN_REL * np.maximum(abs(t), abs(end))


def watched(observables, t, y, p, clip, state, index, level, obs, out):
    """``out[q]``: watched value ``q`` (a state, clipped at zero where ``clip``, or an
    observable) minus its level."""
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


def hermite(theta, h, ya, yb, fa, fb):
    """The cubic Hermite interpolant of a step of size ``h`` at fraction ``theta``: the
    dense output (exact at both ends in value and slope; works elementwise on arrays)."""
    t2 = theta * theta
    t3 = t2 * theta
    return (
        (2 * t3 - 3 * t2 + 1) * ya
        + (t3 - 2 * t2 + theta) * h * fa
        + (3 * t2 - 2 * t3) * yb
        + (t3 - t2) * h * fb
    )


def advance(
    rhs,
    jac,
    rhs_t,
    factor,
    solve,
    observables,
    autonomous,
    nnz,
    n_obs,
    t,
    h,
    y,
    f,
    p,
    u,
    stop,
    budget,
    h_max,
    jac_pos,
    diag,
    atol,
    rtol,
    clip,
    floor,
    watch_state,
    watch_index,
    watch_level,
    watch_times,
    every,
    grid,
    rows,
    next_out,
    trace,
    t_a,
    y_a,
    f_a,
    handed,
    at_break,
    accepted,
    rejected,
):
    """Step every member (column ``m`` of ``y``) up to its next event.

    A member's steps go on until its last accepted step reaches its breakpoint ``stop``,
    makes a rate non-finite or a non-negative state fall below ``floor``, changes the sign
    of a watched value (:func:`watched`), contains one of ``watch_times``, or at once when
    ``every`` is set; or until its step size underflows or its ``budget`` of steps is
    spent. No step is longer than ``h_max``. Each accepted step writes the states at the
    output times ``grid`` it passes (strictly before its end) to ``trace[rows[m], :n, k]``
    from :func:`hermite`, ``next_out[rows[m]]`` counting the times written (an empty grid
    writes nothing). ``t, h, y, f`` are updated in place; ``t_a, y_a, f_a`` receive the
    start of the member's last accepted step, ``handed`` whether its last attempt was
    accepted, ``at_break`` whether that step ended at the breakpoint, ``accepted`` and
    ``rejected`` the number of steps taken.
    """
    n, size = y.shape
    yc, fc, yn, fn = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    ya, fa, uc = np.empty(n), np.empty(n), np.empty(n)
    pc = np.empty(p.shape[0])
    w, jv, k = np.empty(nnz), np.empty(jac_pos.size), np.empty((6, n))
    st, b, dt = np.empty(n), np.empty(n), np.zeros(n)
    obs = np.empty(n_obs + 1)
    g_old, g_new = np.empty(watch_state.size), np.empty(watch_state.size)
    for m in range(size):
        for i in range(n):
            yc[i], fc[i], uc[i] = y[i, m], f[i, m], u[i, m]
        for j in range(pc.size):
            pc[j] = p[j, m]
        tm, hm, end = t[m], h[m], stop[m]
        watched(observables, tm, yc, pc, clip, watch_state, watch_index, watch_level, obs, g_old)
        n_acc, n_rej, ok, brk, ta = 0, 0, False, False, tm
        while True:
            room = end - tm
            hs = min(hm, room, h_max)
            norm = attempt(
                rhs,
                jac,
                rhs_t,
                factor,
                solve,
                autonomous,
                tm,
                hs,
                yc,
                fc,
                pc,
                uc,
                jac_pos,
                diag,
                atol,
                rtol,
                yn,
                fn,
                w,
                jv,
                k,
                st,
                b,
                dt,
            )
            ok = norm <= 1.0
            h_next = next_step(hs, norm)
            hm = max(h_next, hm) if ok and hs < hm else h_next
            done = False
            if ok:
                n_acc += 1
                brk = room - hs <= TINY * max(1.0, abs(end))
                ta = tm
                tm = end if brk else tm + hs
                for i in range(n):
                    ya[i], fa[i], yc[i], fc[i] = yc[i], fc[i], yn[i], fn[i]
                    done = done or not math.isfinite(fn[i]) or yn[i] < floor[i]
                r = rows[m] if grid.size else 0
                while grid.size and next_out[r] < grid.size and grid[next_out[r]] < tm:
                    theta = (grid[next_out[r]] - ta) / (tm - ta)
                    for i in range(n):
                        trace[r, i, next_out[r]] = hermite(
                            theta, tm - ta, ya[i], yc[i], fa[i], fc[i]
                        )
                    next_out[r] += 1
                done = done or brk or every
                if g_old.size:
                    watched(
                        observables,
                        tm,
                        yc,
                        pc,
                        clip,
                        watch_state,
                        watch_index,
                        watch_level,
                        obs,
                        g_new,
                    )
                    for q in range(g_old.size):
                        done = done or (g_new[q] < 0.0) != (g_old[q] < 0.0)
                        g_old[q] = g_new[q]
                if watch_times.size:
                    j = np.searchsorted(watch_times, ta)
                    done = done or (j < watch_times.size and watch_times[j] <= tm)
            else:
                n_rej += 1
            if too_small(hm, tm, end) or n_acc + n_rej >= budget[m]:
                done = True
            if done:
                break
        t[m], h[m], t_a[m] = tm, hm, ta
        for i in range(n):
            y[i, m], f[i, m], y_a[i, m], f_a[i, m] = yc[i], fc[i], ya[i], fa[i]
        handed[m], at_break[m] = ok, ok and brk
        accepted[m], rejected[m] = n_acc, n_rej


def each_member(function, t, y, p, out):
    """``function(t[m], y[:, m], p[:, m], out[:, m])`` for every member (column) ``m``: a
    model function (the right-hand side, the observables) on a batch."""
    n, size = y.shape
    yc, pc, oc = np.empty(n), np.empty(p.shape[0]), np.empty(out.shape[0])
    for m in range(size):
        for i in range(n):
            yc[i] = y[i, m]
        for j in range(p.shape[0]):
            pc[j] = p[j, m]
        function(t[m], yc, pc, oc)
        for i in range(oc.size):
            out[i, m] = oc[i]
