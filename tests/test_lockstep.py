"""Optimisations side by side (follicle.fitting.lockstep): the same steps as alone, the
points asked for at the same time evaluated in one batch, failures kept to their own fit."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest
from test_fitting import production

from follicle.errors import SolverError
from follicle.fitting import targets
from follicle.fitting.estimate import estimate
from follicle.fitting.lockstep import map_together
from follicle.fitting.objective import LogParameters
from follicle.fitting.profile import profile


class Exponentials(LogParameters):
    """Residuals ``r_k = a e^{-b t_k} - y_k`` in closed form, counting the batches it is
    asked for; a point with ``ln a`` above ``fail_above`` raises, as a failed simulation."""

    def __init__(self, fail_above=np.inf):
        super().__init__(production(pair=True), ["a", "b"])
        self.t = np.linspace(0.0, 3.0, 7)
        self.y = 3.0 * np.exp(-0.7 * self.t)
        self.batches: list[int] = []
        self.fail_above = fail_above

    def _point(self, theta):
        if theta[0] > self.fail_above:
            raise SolverError(f"planted failure at ln a = {theta[0]:.3g}")
        a, b = np.exp(theta)
        e = np.exp(-b * self.t)
        r = a * e - self.y
        return r, np.column_stack([a * e, -a * b * self.t * e])

    def _evaluate(self, theta):
        return self._point(theta)

    def evaluate_many(self, thetas):
        self.batches.append(len(thetas))
        return [self._point(np.asarray(theta, dtype=float)) for theta in thetas]


def test_starts_side_by_side_take_the_steps_they_take_alone():
    together = Exponentials()
    fit = estimate(together, starts=6, seed=3)
    with concurrent.futures.ThreadPoolExecutor(1) as one_at_a_time:
        alone = estimate(Exponentials(), starts=6, seed=3, executor=one_at_a_time)
    assert fit.best == pytest.approx({"a": 3.0, "b": 0.7}, rel=1e-6)
    for a, b in zip(fit.starts, alone.starts, strict=True):
        np.testing.assert_array_equal(a.theta, b.theta)
        assert a.nfev == b.nfev
    # the first round asks for all six starting points at once, and no batch is larger
    assert together.batches[0] == 6
    assert max(together.batches) == 6
    assert sum(together.batches) > len(together.batches)


def test_a_failing_point_fails_only_its_own_start():
    problem = Exponentials(fail_above=np.log(6.0))
    fit = estimate(problem, starts=8, seed=1)
    failed = [s for s in fit.starts if s.status == -10]
    assert failed and len(failed) < len(fit.starts)
    assert all(s.theta0[0] > np.log(6.0) for s in failed)
    assert fit.best == pytest.approx({"a": 3.0, "b": 0.7}, rel=1e-6)


def test_an_exception_in_one_call_is_raised_after_all_finish():
    finished = []

    def fn(view, item):
        view.residuals(np.log([2.0, 0.5]) + item)
        if item == 1:
            raise ValueError("planted")
        finished.append(item)
        return item

    with pytest.raises(ValueError, match="planted"):
        map_together(Exponentials(), fn, [0, 1, 2])
    assert sorted(finished) == [0, 2]


def test_profiles_side_by_side_match_profiles_one_at_a_time():
    problem = Exponentials()
    fit = estimate(problem, starts=3, seed=0)
    together = profile(problem, fit)
    with concurrent.futures.ThreadPoolExecutor(1) as one_at_a_time:
        alone = profile(Exponentials(), fit, executor=one_at_a_time)
    for name in ("a", "b"):
        np.testing.assert_array_equal(together[name].theta, alone[name].theta)
        assert together[name].interval == alone[name].interval
        assert together[name].classification == alone[name].classification


def test_target_problem_evaluates_many_points_as_it_evaluates_one():
    table = targets.load()
    problem = targets.TargetProblem([table["telogen_duration"]], ["tau_refractory"])
    points = [problem.theta(), problem.theta({"tau_refractory": 14.0})]
    many = problem.evaluate_many(points)
    for theta, (r, jac) in zip(points, many, strict=True):
        r1, jac1 = targets.TargetProblem([table["telogen_duration"]], ["tau_refractory"]).evaluate(
            theta
        )
        # a batch integrates to its longest member's span on a 0.1-day output grid, so
        # crossing times move by ~1e-5 day: far below the targets' sds (days)
        np.testing.assert_allclose(r, r1, rtol=0, atol=1e-4)
        np.testing.assert_allclose(jac, jac1, rtol=0, atol=1e-2)
