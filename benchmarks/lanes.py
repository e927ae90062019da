"""Would members in lane groups make the steps cheaper? A measurement before building it.

Issue 15 asks for several members per SIMD lane group. The step's cost is the model's
generated functions (right-hand side, Jacobian, the sparse LU), so this script takes the
coupled model's generated right-hand side and LU solve as the engine compiles them today
(one member, scalars) and rewrites them for ``L`` members side by side, the states with
the lanes as their last, contiguous axis, in the two ways a compiler can vectorise:

* *lane loop outside*: the whole straight-line body inside ``for l in range(L)``;
* *lane loop inside* (LU solve only): every statement its own ``for l in range(L)``,
  the loop LLVM's vectoriser handles best (``b[i, :] -= a[k, :] * b[j, :]``).

It prints nanoseconds per member and call against the scalar functions, each in a loop of
``--calls`` calls (numba, no cache). Run ``taskset -c 0 python benchmarks/lanes.py``.
"""

from __future__ import annotations

import argparse
import re
import time

import numpy as np
from numba import njit

import follicle as fl
from follicle.ensemble.plan import make_plan
from follicle.solvers import compiled


def body(source, name):
    """The body of generated function ``name`` (its lines after the ``def``)."""
    text = source.split(f"def {name}(")[1].split("\n\n\n")[0]
    return text.split("\n", 1)[1]


def lane_outside(text, arrays, lanes):
    text = text.replace("p.size", "P_SIZE")
    for a in arrays:
        text = re.sub(rf"\b{a}\[([^\]]+)\]", rf"{a}[\1, l]", text)
    inner = "\n".join("    " + line for line in text.splitlines())
    return f"    P_SIZE = p.shape[0]\n    for l in range({lanes}):\n{inner}"


def lane_inside(text, lanes):
    out = []
    for line in text.splitlines():
        line = re.sub(r"\b(a|b)\[([^\]]+)\]", r"\1[\2, l]", line.strip())
        out.append(f"    for l in range({lanes}):\n        {line}")
    return "\n".join(out)


TIMER = """
@njit(error_model='numpy')
def time_rhs(f, t, y, p, out, n):
    s = 0.0
    for i in range(n):
        y[0, 0] += 1e-12
        f(t, y, p, out)
        s += out[0, 0]
    return s


@njit(error_model='numpy')
def time_solve(f, a, b, n):
    s = 0.0
    for i in range(n):
        b[0, 0] += 1e-12
        f(a, b)
        s += b[0, 0]
    return s
"""


@njit
def scalar_rhs(f, t, y, p, out, n):
    s = 0.0
    for _ in range(n):
        y[0] += 1e-12
        f(t, y, p, out)
        s += out[0]
    return s


@njit
def scalar_solve(f, a, b, n):
    s = 0.0
    for _ in range(n):
        b[0] += 1e-12
        f(a, b)
        s += b[0]
    return s


def per_call(function, args, calls):
    function(*args, 10)
    start = time.perf_counter()
    function(*args, calls)
    return (time.perf_counter() - start) / calls * 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lanes", default="4,8")
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    model = fl.models.coupled()
    plan = make_plan(model, 0, 120, rtol=1e-7, atol=None, readouts={}, t_eval=None, max_steps=1)
    kernel = compiled.model_functions(plan.kernel, model.name)
    source = plan.kernel
    helpers = source.split("def rhs(")[0].rsplit("@njit", 1)[0].replace("cache=True, ", "")
    n, r = len(model.states), kernel.N_DERIVED
    p = np.concatenate([model.parameter_vector(), np.full(r, 0.5)])
    y = model.initial_vector()
    rng = np.random.default_rng(1)
    a, b = rng.random(plan.lu.nnz) + 1.0, rng.random(n)
    rhs = per_call(scalar_rhs, (kernel.rhs, 1.0, y.copy(), p, np.empty(n)), args.calls)
    solve = per_call(scalar_solve, (kernel.solve, a, b.copy()), args.calls)
    print(f"scalar (today): right-hand side {rhs:.0f} ns, LU solve {solve:.0f} ns per member")
    for lanes in map(int, args.lanes.split(",")):
        outside = lane_outside(body(source, "solve"), ["a", "b"], lanes)
        outside = outside.replace("P_SIZE = p", "P_SIZE = a")
        code = (
            f"{helpers}\n\n@njit(error_model='numpy')\ndef rhs(t, y, p, out):\n"
            f"{lane_outside(body(source, 'rhs'), ['y', 'p', 'out'], lanes)}\n\n"
            f"@njit(error_model='numpy')\ndef solve_outside(a, b):\n"
            f"{outside}\n\n"
            f"@njit(error_model='numpy')\ndef solve_inside(a, b):\n"
            f"{lane_inside(body(source, 'solve'), lanes)}\n{TIMER}"
        )
        space = {}
        exec(compile(code, f"<lanes {lanes}>", "exec"), space)
        ys, ps = np.repeat(y[:, None], lanes, 1), np.repeat(p[:, None], lanes, 1)
        a_l, b_l = np.repeat(a[:, None], lanes, 1), np.repeat(b[:, None], lanes, 1)
        timed = {
            "right-hand side, lane loop outside": per_call(
                space["time_rhs"], (space["rhs"], 1.0, ys, ps, np.empty((n, lanes))), args.calls
            ),
            "LU solve, lane loop outside": per_call(
                space["time_solve"], (space["solve_outside"], a_l, b_l.copy()), args.calls
            ),
            "LU solve, lane loop inside": per_call(
                space["time_solve"], (space["solve_inside"], a_l, b_l.copy()), args.calls
            ),
        }
        for what, ns in timed.items():
            print(f"{lanes} lanes, {what}: {ns / lanes:.0f} ns per member")


if __name__ == "__main__":
    main()
