"""Generated code writes every double so that it reads back exactly (SBML Test Suite case
01488 failed when ``1/86400`` was printed with 15 digits; the suite's full run in
``tests/test_sbml_suite.py`` checks the printers the engine uses)."""

from __future__ import annotations

import math

import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter

from follicle.codegen.printing import ExactFloats


class Scalar(ExactFloats, PythonCodePrinter):
    pass


class Array(ExactFloats, NumPyPrinter):
    pass


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_double_round_trips(x):
    for printer in (Scalar(), Array()):
        text = printer.doprint(sp.Float(x))
        assert float(eval(text, {"numpy": math, "math": math})) == x, text


def test_seconds_to_days_is_exact_where_fifteen_digits_are_not():
    factor = sp.Float(1 / 86400)
    assert float(sp.StrPrinter().doprint(factor)) != 1 / 86400  # sympy's own printing
    assert float(Scalar().doprint(factor)) == 1 / 86400


def test_higher_precision_floats_keep_their_digits():
    third = sp.Float("0.3333333333333333333333333", 30)
    assert Scalar().doprint(third).startswith("0.33333333333333333333")
