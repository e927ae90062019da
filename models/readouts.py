"""Readouts of the hair cycle: when anagen starts and ends.

A skin patch is scored as in anagen while more than half of it is (:data:`ANAGEN_ON`): the
scored skin area of the experiments. Onsets and ends are the up- and down-crossings of the
``anagen`` observable through that level, interpolated linearly between output times
(:func:`follicle.readouts.crossing_times`).

>>> import follicle as fl
>>> run = fl.simulate(fl.models.coupled(), days=60)
>>> round(fl.models.readouts.first_anagen_onset(run), 1)
26.4

Single-number readouts for sweeps: :data:`anagen_onset` is the first onset as a
:class:`follicle.readouts.CrossingTime`, which a sweep records on the fly without keeping
the trajectory.
"""

from __future__ import annotations

import math

import numpy as np

from follicle.readouts import CrossingTime, crossing_times

__all__ = [
    "ANAGEN_ON",
    "anagen_ends",
    "anagen_onset",
    "anagen_onsets",
    "death",
    "death_time",
    "first_anagen_onset",
]

#: Anagen is "on" when more than this fraction of the patch is in anagen.
ANAGEN_ON = 0.5


def anagen_onsets(run) -> np.ndarray:
    """Times (days) at which the anagen fraction rises through :data:`ANAGEN_ON`."""
    return crossing_times(run, "anagen", ANAGEN_ON, direction="up")


def anagen_ends(run) -> np.ndarray:
    """Times (days) at which the anagen fraction falls through :data:`ANAGEN_ON`."""
    return crossing_times(run, "anagen", ANAGEN_ON, direction="down")


def first_anagen_onset(run) -> float:
    """The first anagen onset in days; ``inf`` if the patch never enters anagen in the run.

    ``inf`` rather than ``nan``: an onset not seen within the run is later than any seen,
    so delays stay ordered (a dose that pushes anagen past the run is the longest delay).
    """
    found = anagen_onsets(run)
    return float(found[0]) if found.size else math.inf


#: First anagen onset (days) as a sweep readout: the anagen fraction crossing ANAGEN_ON up.
anagen_onset = CrossingTime("anagen", ANAGEN_ON, direction="up", label="anagen_onset")


def death_time(run) -> float:
    """Day at which the senescent burden passes Karin's critical burden :math:`X_c`.

    In Karin et al.'s model that is death; past it the run describes no living skin.
    ``0`` if the run starts past it, ``inf`` if the burden stays below it.
    """
    fraction = run["critical_fraction"]
    if fraction[0] >= 1:
        return 0.0
    found = crossing_times(run, "critical_fraction", 1.0, direction="up")
    return float(found[0]) if found.size else math.inf


#: Day of death (the burden passing X_c) as a sweep readout.
death = CrossingTime("critical_fraction", 1.0, direction="up")
