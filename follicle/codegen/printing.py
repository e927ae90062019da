"""What every printer of generated code shares: floats written so they read back exactly.

SymPy prints a :class:`~sympy.core.numbers.Float` with the decimal digits of its
precision, 15 for a double, which does not always round-trip: ``1/86400`` (seconds to
days) comes back one unit in the last place too large, enough to move a comparison with
the time exactly onto the wrong side. A double is printed here with Python's ``repr``
(the shortest text that reads back as the same double).
"""

from __future__ import annotations

__all__ = ["ExactFloats"]


class ExactFloats:
    """Mixin for a SymPy code printer: doubles printed as ``repr(float(x))``."""

    def _print_Float(self, expr):
        if expr._prec <= 53:  # a double: its shortest exact text
            return repr(float(expr))
        return super()._print_Float(expr)
