"""Helpers shared by the finding tests (the onset readouts are in follicle.models.readouts)."""

from __future__ import annotations

import numpy as np

import follicle as fl


def mean(run: fl.Trajectory, name: str, start: float, stop: float) -> float:
    return fl.readouts.time_average(run, name, start=start, stop=stop)


def regrowth_days(run: fl.Trajectory, control: fl.Trajectory, pulse: float, stop: float) -> float:
    """Days from ``pulse`` until the fur is back at 60% of the untreated coat's mean over
    ``[pulse, stop]`` (``inf`` if it is not back by ``stop``)."""
    level = 0.6 * mean(control, "fur_density", pulse, stop)
    back = fl.readouts.recovery_time(run, "fur_density", level, start=pulse, stop=stop)
    return np.inf if np.isnan(back) else back - pulse
