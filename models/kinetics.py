"""The saturating rate law the compartments share.

.. math:: h(x; K, n) = \\frac{(x^+/K)^n}{1 + (x^+/K)^n}, \\qquad x^+ = \\max(x, 0)

The input is clipped at zero because the integrator may undershoot a non-negative state by
round-off, and a negative base to a non-integer power is not a number.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["hill"]


def hill(x: sp.Expr, half: sp.Expr, n: sp.Expr) -> sp.Expr:
    """Hill function :math:`h(x; K, n)` of a non-negative quantity, between 0 and 1."""
    ratio = (x * sp.Heaviside(x) / half) ** n
    return ratio / (1 + ratio)
