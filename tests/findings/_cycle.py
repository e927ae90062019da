"""Helpers shared by the finding tests (the onset readouts are in follicle.models.readouts)."""

from __future__ import annotations

import follicle as fl


def mean(run: fl.Trajectory, name: str, start: float, stop: float) -> float:
    return fl.readouts.time_average(run, name, start=start, stop=stop)
