"""The readouts' one implementation (follicle.readouts.pieces): a reduction gives the same
number whether it is fed a time course all at once (as a trajectory's readout function
does) or a piece per call beside other members (as a batch does while it integrates), and
that number is the closed form: linear interpolation, the trapezoid rule and the sample
maximum on linear pieces; the exact root, integral and maximum of a cubic."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from follicle.readouts.pieces import Average, Crossing, Extreme, Pieces, Value


def _linear(ga, gb):
    return lambda theta, s: np.where(theta >= 1.0, gb[s], ga[s] + theta * (gb[s] - ga[s]))


def _all_at_once(reduction, t, g):
    one = np.zeros(1, dtype=np.intp)
    reduction.start(one, t[:1], g[:1])
    reduction.step(
        Pieces(np.zeros(t.size - 1, dtype=np.intp), t[:-1], t[1:], _linear(g[:-1], g[1:]))
    )
    return reduction


def _piece_by_piece(reduction, courses):
    """Members side by side, a piece of each per call (each course its own times, all as
    many)."""
    idx = np.arange(len(courses))
    t = np.array([c[0] for c in courses])
    g = np.array([c[1] for c in courses])
    reduction.start(idx, t[:, 0], g[:, 0])
    for i in range(t.shape[1] - 1):
        reduction.step(Pieces(idx, t[:, i], t[:, i + 1], _linear(g[:, i], g[:, i + 1])))
    return reduction


@st.composite
def courses(draw):
    n = draw(st.integers(2, 12))
    gaps = draw(st.lists(st.floats(0.05, 3.0), min_size=n - 1, max_size=n - 1))
    t = np.concatenate(([0.0], np.cumsum(gaps)))
    values = st.lists(st.integers(-4, 4).map(float), min_size=n, max_size=n)
    stretch = draw(st.sampled_from([0.5, 1.0, 1.7]))  # the other member's own times
    return t, np.array(draw(values)), t * stretch, np.array(draw(values))


def _window(draw, t):
    """A window from two distinct sample times (edges on samples), or from fractions of
    the span."""
    if draw(st.booleans()):
        ends = st.lists(st.integers(0, t.size - 1), min_size=2, max_size=2, unique=True)
        i, j = sorted(draw(ends))
        return float(t[i]), float(t[j])
    ends = st.lists(st.integers(0, 64), min_size=2, max_size=2, unique=True)
    a, b = sorted(x / 64 for x in draw(ends))
    return t[0] + a * (t[-1] - t[0]), t[0] + b * (t[-1] - t[0])


def _same(x, y):
    return (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-9)


# -- independent references (the closed forms on linear pieces) --------------------------
def _clipped(t, g, a, b):
    inside = (t > a) & (t < b)
    ts = np.concatenate([[a], t[inside], [b]])
    return ts, np.interp(ts, t, g)


def _crossings(t, g, level, direction, a, b):
    ts, ys = _clipped(t, g, a, b)
    d = ys - level
    up, down = (d[:-1] < 0) & (d[1:] >= 0), (d[:-1] >= 0) & (d[1:] < 0)
    i = np.flatnonzero({"up": up, "down": down, "either": up | down}[direction])
    return ts[i] + (ts[i + 1] - ts[i]) * (-d[i]) / (d[i + 1] - d[i])


@settings(max_examples=150, deadline=None)
@given(courses(), st.sampled_from(["up", "down", "either"]), st.integers(-4, 4), st.data())
def test_crossings_are_the_interpolated_crossings_however_the_pieces_come(
    course, direction, level, data
):
    t, g, t_other, other = course
    a, b = _window(data.draw, t)
    level = level + 0.5 * data.draw(st.integers(0, 1))  # on a sample value, and between
    expected = _crossings(t, g, level, direction, a, b)
    every = _all_at_once(Crossing(1, level, direction, a, b, every=True), t, g)
    assert np.allclose(every.found[0], expected, rtol=0, atol=1e-9)
    first = _all_at_once(Crossing(1, level, direction, a, b), t, g).result()[0]
    side = _piece_by_piece(Crossing(2, level, direction, a, b), [(t, g), (t_other, other)])
    if expected.size:
        assert first == pytest.approx(expected[0], abs=1e-9)
        assert side.result()[0] == pytest.approx(expected[0], abs=1e-9)
    else:
        assert math.isnan(first) and math.isnan(side.result()[0])
    alone = _all_at_once(Crossing(1, level, direction, a, b), t_other, other).result()[0]
    assert _same(side.result()[1], alone)


@settings(max_examples=150, deadline=None)
@given(courses(), st.data())
def test_values_averages_and_peaks_are_the_closed_forms_however_the_pieces_come(course, data):
    t, g, t_other, other = course
    a, b = _window(data.draw, t)
    when = data.draw(st.floats(float(t[0]), float(t[-1])))
    ts, ys = _clipped(t, g, a, b)
    cases = [
        (Value, (when,), float(np.interp(when, t, g))),
        (Average, (a, b), float(np.trapezoid(ys, ts) / (b - a))),
        (Extreme, ("value", a, b), float(ys.max())),
        (Extreme, ("time", a, b), float(ts[np.argmax(ys)])),
    ]
    for kind, options, expected in cases:
        whole = _all_at_once(kind(1, *options), t, g).result()[0]
        side = _piece_by_piece(kind(2, *options), [(t, g), (t_other, other)]).result()
        alone = _all_at_once(kind(1, *options), t_other, other).result()[0]
        assert whole == pytest.approx(expected, rel=1e-12, abs=1e-12), kind
        assert side[0] == pytest.approx(whole, rel=1e-12, abs=1e-12), kind
        assert side[1] == pytest.approx(alone, rel=1e-12, abs=1e-12, nan_ok=True), kind


def _cubic_pieces(t):
    """g(t) = t**3 - 3 t on the pieces between ``t``, as cubic Hermite interpolants (which
    reproduce a cubic exactly)."""

    def g(x):
        return x**3 - 3 * x

    def slope(x):
        return 3 * x**2 - 3

    ta, tb = t[:-1], t[1:]

    def at(theta, s):
        h = tb[s] - ta[s]
        t2, t3 = theta * theta, theta**3
        return (
            (2 * t3 - 3 * t2 + 1) * g(ta[s])
            + (t3 - 2 * t2 + theta) * h * slope(ta[s])
            + (3 * t2 - 2 * t3) * g(tb[s])
            + (t3 - t2) * h * slope(tb[s])
        )

    return Pieces(np.zeros(ta.size, dtype=np.intp), ta, tb, at, (0.0, 0.25, 0.5, 0.75, 1.0)), g


def test_on_cubic_pieces_roots_integrals_and_maxima_are_exact():
    t = np.array([-2.0, -0.7, 0.4, 1.1, 2.0])
    pieces, g = _cubic_pieces(t)
    one = np.zeros(1, dtype=np.intp)
    crossings = Crossing(1, 1.0, "either", -2.0, 2.0, every=True)
    crossings.step(pieces)
    # t**3 - 3 t = 1 at 2 cos(2 pi k / 9 + ...): the roots of a depressed cubic
    roots = sorted(2 * math.cos(math.acos(0.5) / 3 - 2 * math.pi * k / 3) for k in range(3))
    assert crossings.found[0] == pytest.approx(roots, abs=1e-11)
    average = Average(1, -1.5, 1.7)
    average.step(pieces)
    exact = ((1.7**4 / 4 - 1.5 * 1.7**2) - (1.5**4 / 4 - 1.5 * 1.5**2)) / 3.2
    assert average.result()[0] == pytest.approx(exact, rel=1e-13)
    top = Extreme(1, "value", -1.5, 0.0)
    top.start(one, np.array([-2.0]), np.array([g(-2.0)]))
    top.step(pieces)
    # The maximum, 2 at t = -1, falls between the search points -1.1 and -0.9 of the piece
    # from -2 (clipped to -1.5) to -0.7: found to the curvature over a quarter of it.
    assert top.result()[0] == pytest.approx(max(g(-1.1), g(-0.9)), rel=1e-13)


def test_every_crossing_keeps_the_first_as_its_result():
    t, g = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 2.0, 0.0, 2.0])
    every = _all_at_once(Crossing(1, 1.0, "up", 0.0, 3.0, every=True), t, g)
    assert every.found[0] == [0.5, 2.5]
    assert every.result()[0] == 0.5
