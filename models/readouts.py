"""Readouts of the hair cycle: when anagen starts and ends.

A skin patch is scored as in anagen while more than half of it is (:data:`ANAGEN_ON`): the
scored skin area of the experiments. Onsets and ends are the up- and down-crossings of the
``anagen`` observable through that level, interpolated linearly between output times
(:func:`follicle.readouts.crossing_times`).

>>> import follicle as fl
>>> run = fl.simulate(fl.models.coupled(), days=60)
>>> round(fl.models.readouts.first_anagen_onset(run), 1)
25.3

Single-number readouts for sweeps: :data:`anagen_onset` is the first onset as a
:class:`follicle.readouts.CrossingTime`, which a sweep records on the fly without keeping
the trajectory.
"""

from __future__ import annotations

import math

import numpy as np

from follicle.readouts import CrossingTime, crossing_times

__all__ = ["ANAGEN_ON", "anagen_ends", "anagen_onset", "anagen_onsets", "first_anagen_onset"]

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
anagen_onset = CrossingTime("anagen", ANAGEN_ON, direction="up")
