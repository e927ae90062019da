"""Helpers shared by the finding tests: onsets and ends of anagen, and time averages."""

from __future__ import annotations

import numpy as np

import follicle as fl

#: Anagen is "on" when more than half the patch is in anagen (the scored skin area).
HALF = 0.5


def onsets(run: fl.Trajectory) -> np.ndarray:
    a, t = run["anagen"], run.t
    i = np.flatnonzero((a[:-1] < HALF) & (a[1:] >= HALF))
    return t[i] + (t[i + 1] - t[i]) * (HALF - a[i]) / (a[i + 1] - a[i])


def ends(run: fl.Trajectory) -> np.ndarray:
    a, t = run["anagen"], run.t
    i = np.flatnonzero((a[:-1] >= HALF) & (a[1:] < HALF))
    return t[i] + (t[i + 1] - t[i]) * (a[i] - HALF) / (a[i] - a[i + 1])


def first_onset(run: fl.Trajectory) -> float:
    """The first anagen onset (``inf`` if the patch never enters anagen)."""
    found = onsets(run)
    return found[0] if found.size else np.inf


def mean(run: fl.Trajectory, name: str, start: float, stop: float) -> float:
    return fl.readouts.time_average(run, name, start=start, stop=stop)


def regrowth_days(run: fl.Trajectory, control: fl.Trajectory, pulse: float, stop: float) -> float:
    """Days from ``pulse`` until the fur is back at 60% of the untreated coat's mean over
    ``[pulse, stop]`` (``inf`` if it is not back by ``stop``)."""
    level = 0.6 * mean(control, "fur_density", pulse, stop)
    back = fl.readouts.recovery_time(run, "fur_density", level, start=pulse, stop=stop)
    return np.inf if np.isnan(back) else back - pulse
