"""Sparse LU factors without pivoting, in an elimination order fixed once per sparsity.

:math:`W = I/(\\gamma h) - J` has the sparsity of the Jacobian plus the diagonal. Its LU
factors are computed without pivoting, in an elimination order chosen once per model
structure by the Markowitz rule (eliminate the variable whose row and column have the fewest
remaining entries), and the elimination is written out as straight-line code: the NumPy
version runs on rows of a ``(nnz, B)`` array (a batch shares one symbolic factorisation
and pays only for the non-zeros); the same lines are compiled per model by numba
(:mod:`follicle.codegen.kernels`). Without pivoting a pivot can vanish; a member whose pivot is not
finite rejects the step and retries with a smaller :math:`h`, which makes :math:`W`
diagonally dominant.
"""

from __future__ import annotations

import functools

import numpy as np

from follicle import codegen

__all__ = ["SparseLU", "for_pattern", "markowitz"]


class SparseLU:
    """LU factors of ``W = d I - J`` for a fixed sparsity, batched over the last axis.

    The matrix is held as a ``(nnz, B)`` array of its filled-in pattern's entries;
    :meth:`factor` overwrites it with the factors (unit lower ``L``, upper ``U`` with the
    *inverted* diagonal) and :meth:`solve` solves ``W x = b`` in place.
    """

    def __init__(self, n: int, rows, cols):
        self.n = n
        self._rows, self._cols = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
        pattern = set(zip(self._rows.tolist(), self._cols.tolist(), strict=True))
        pattern |= {(i, i) for i in range(n)}
        order, pattern = markowitz(n, pattern)
        self.order = order
        position = {ij: k for k, ij in enumerate(sorted(pattern))}
        self.nnz = len(position)
        self.jac_positions = np.array(
            [position[ij] for ij in zip(self._rows.tolist(), self._cols.tolist(), strict=True)],
            dtype=np.intp,
        )
        self.diagonal = np.array([position[(i, i)] for i in range(n)], dtype=np.intp)
        factor, forward, backward = [], [], []
        done: set[int] = set()
        for k in order:
            done.add(k)
            lower = [i for i in range(n) if (i, k) in pattern and i not in done]
            upper = [j for j in range(n) if (k, j) in pattern and j not in done]
            kk = position[(k, k)]
            factor.append(f"    a[{kk}] = 1.0 / a[{kk}]")
            for i in lower:
                factor.append(f"    a[{position[(i, k)]}] *= a[{kk}]")
                forward.append(f"    b[{i}] -= a[{position[(i, k)]}] * b[{k}]")
                for j in upper:
                    ij, ik, kj = position[(i, j)], position[(i, k)], position[(k, j)]
                    factor.append(f"    a[{ij}] -= a[{ik}] * a[{kj}]")
            backward.append(
                [f"    b[{k}] -= a[{position[(k, j)]}] * b[{j}]" for j in upper]
                + [f"    b[{k}] *= a[{kk}]"]
            )
        self.factor_source = "\n".join(["def factor(a):", *factor])
        self.solve_source = "\n".join(
            [
                "def solve(a, b):",
                *forward,
                *(line for block in reversed(backward) for line in block),
            ]
        )
        source = f"{self.factor_source}\n\n{self.solve_source}\n"
        namespace = codegen.run(source, "sparse LU")
        self.factor, self.solve = namespace["factor"], namespace["solve"]
        self.flops = len(factor) + len(forward) + sum(len(b) for b in backward)

    def __reduce__(self):
        return SparseLU, (self.n, self._rows, self._cols)


def markowitz(n, pattern):
    """Elimination order by the Markowitz rule, and the pattern with its fill-in."""
    pattern = set(pattern)
    row_sets = [set() for _ in range(n)]
    col_sets = [set() for _ in range(n)]
    for i, j in pattern:
        row_sets[i].add(j)
        col_sets[j].add(i)
    remaining = set(range(n))
    order = []
    while remaining:
        k = min(
            remaining,
            key=lambda v: (
                (len(row_sets[v] & remaining) - 1) * (len(col_sets[v] & remaining) - 1),
                v,
            ),
        )
        remaining.discard(k)
        order.append(k)
        lower = col_sets[k] & remaining
        upper = row_sets[k] & remaining
        for i in lower:
            for j in upper:
                if (i, j) not in pattern:
                    pattern.add((i, j))
                    row_sets[i].add(j)
                    col_sets[j].add(i)
    return order, pattern


@functools.lru_cache(maxsize=32)
def for_pattern(n: int, rows: tuple, cols: tuple) -> SparseLU:
    """The LU of one sparsity pattern (built once: the ordering and code generation cost more
    than a short simulation)."""
    return SparseLU(n, rows, cols)
