"""Helpers shared by the finding tests: onsets and ends of anagen, and time averages."""

from __future__ import annotations

import numpy as np

import follicle as fl

#: Anagen is "on" when more than half the patch is in anagen (the scored skin area).
HALF = 0.5


def onsets(run: fl.Trajectory) -> np.ndarray:
    return fl.readouts.crossing_times(run, "anagen", HALF, direction="up")


def ends(run: fl.Trajectory) -> np.ndarray:
    return fl.readouts.crossing_times(run, "anagen", HALF, direction="down")


def first_onset(run: fl.Trajectory) -> float:
    """The first anagen onset (``inf`` if the patch never enters anagen)."""
    found = onsets(run)
    return found[0] if found.size else np.inf


def mean(run: fl.Trajectory, name: str, start: float, stop: float) -> float:
    return fl.readouts.time_average(run, name, start=start, stop=stop)
