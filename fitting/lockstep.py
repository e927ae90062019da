"""Optimisations side by side: the trial points of many local fits evaluated as one batch.

A multi-start fit or a set of likelihood profiles runs many independent optimisations of
one problem. Each asks for residuals and a Jacobian at one point at a time, but a problem
that simulates (a :class:`~follicle.fitting.targets.TargetProblem`) is far cheaper per
point when many points integrate together as one ensemble. :func:`map_together` runs the
optimisations in threads and holds each one's request until every optimisation still
running has asked (a barrier); then it evaluates all the waiting points with the problem's
``evaluate_many`` in one call and hands each its answer. Every optimisation takes exactly
the steps it would take alone: only where its points are evaluated changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from follicle.errors import FollicleError

__all__ = ["map_together"]


class _Barrier:
    """Collects one trial point from each running optimisation, then evaluates them all."""

    def __init__(self, problem, running: int):
        self.problem = problem
        self.running = running
        self.waiting: dict[int, np.ndarray] = {}
        self.answers: dict[int, Any] = {}
        self.changed = threading.Condition()

    def evaluate(self, member: int, theta: np.ndarray):
        with self.changed:
            self.waiting[member] = np.array(theta, dtype=float)
            self._evaluate_if_all_waiting()
            while member not in self.answers:
                self.changed.wait()
            answer = self.answers.pop(member)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def leave(self):
        """One optimisation has finished: the rest no longer wait for it."""
        with self.changed:
            self.running -= 1
            self._evaluate_if_all_waiting()

    def _evaluate_if_all_waiting(self):
        if not self.waiting or len(self.waiting) < self.running:
            return
        members, thetas = zip(*self.waiting.items(), strict=True)
        self.waiting.clear()
        try:
            answers = self.problem.evaluate_many(list(thetas))
        except FollicleError:  # one point failed: find which, so only its fit fails
            answers = [_alone(self.problem, theta) for theta in thetas]
        self.answers.update(zip(members, answers, strict=True))
        self.changed.notify_all()


def _alone(problem, theta):
    try:
        return problem.evaluate_many([theta])[0]
    except FollicleError as exc:
        return exc


def map_together(problem, fn: Callable[[Any, Any], Any], items: Iterable[Any]) -> list[Any]:
    """``[fn(view, item) for item in items]``, the calls run side by side.

    Parameters
    ----------
    problem : LogParameters
        Its ``evaluate_many`` evaluates the waiting points; its ``with_evaluator`` gives
        each call a view.
    fn : callable
        ``fn(view, item)``: one optimisation of ``view``, a copy of ``problem`` whose
        evaluations wait for the other calls' and run with them.
    items : iterable

    Returns
    -------
    list
        The results in item order. An exception raised by ``fn`` is raised here (the first,
        in item order) after every call has finished.
    """
    items = list(items)
    barrier = _Barrier(problem, len(items))
    results: list[Any] = [None] * len(items)
    errors: list[BaseException | None] = [None] * len(items)

    def run(member: int):
        view = problem.with_evaluator(lambda theta, member=member: barrier.evaluate(member, theta))
        try:
            results[member] = fn(view, items[member])
        except BaseException as exc:
            errors[member] = exc
        finally:
            barrier.leave()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(items))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for error in errors:
        if error is not None:
            raise error
    return results
