"""Data sets shipped with follicle, each with the model it is meant for.

Every shipped table states in its metadata whether it is synthetic and where its numbers
came from; ``fitting/shipped/README.md`` lists them. No measured data set ships yet: the
sources in the project's science brief give qualitative findings and a few summary numbers
(those are in :mod:`follicle.fitting.targets`), not tables of measurements.

>>> from follicle.fitting import datasets
>>> data, model = datasets.load("karin_ageing_synthetic")
>>> data.synthetic
True
>>> datasets.problem("karin_ageing_synthetic").parameters
('eta', 'beta', 'kappa')
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from follicle.errors import UnknownNameError
from follicle.fitting.data import Dataset, load_dataset
from follicle.fitting.objective import Problem
from follicle.models.zoo.karin2019 import karin2019
from follicle.schedule import Bolus

__all__ = ["DATASETS", "KARIN_PULSES", "load", "problem"]

#: Named schedules of the Karin synthetic set: a pulse of senescent cells (one unit of the
#: normalised burden, as after a bleomycin-like insult) in a young (3 months) and an old
#: (18 months) mouse. Age is the engine's time, in days from birth.
KARIN_PULSES = {
    "pulse_young": Bolus("X", 1.0, 90.0),
    "pulse_old": Bolus("X", 1.0, 540.0),
}


@dataclass(frozen=True)
class _Entry:
    measurements: str
    conditions: str
    model: object
    registry: dict
    bounds: dict  # parameters the set is meant to estimate: search bounds


DATASETS = {
    "karin_ageing_synthetic": _Entry(
        "karin_ageing_synthetic.csv",
        "karin_ageing_conditions.csv",
        karin2019,
        KARIN_PULSES,
        {"eta": (0.01, 1.0), "beta": (0.01, 5.0), "kappa": (0.01, 20.0)},
    ),
}


def load(name: str) -> tuple[Dataset, object]:
    """A shipped data set and a fresh instance of its model.

    Raises
    ------
    UnknownNameError
        For a name not in :data:`DATASETS`.
    """
    if name not in DATASETS:
        raise UnknownNameError("data set", name, DATASETS)
    entry = DATASETS[name]
    model = entry.model()
    folder = resources.files("follicle.fitting").joinpath("shipped")
    with resources.as_file(folder) as path:
        data = load_dataset(
            path / entry.measurements, model, path / entry.conditions, entry.registry
        )
    return data, model


def problem(name: str, **options) -> Problem:
    """The calibration problem a shipped data set is meant for.

    Its model, its data and the parameters it estimates within the entry's search bounds
    (for ``karin_ageing_synthetic``: ``eta``, ``beta`` and ``kappa`` in [0.01, 1],
    [0.01, 5] and [0.01, 20]).

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    **options
        Passed to :class:`~follicle.fitting.Problem` (``priors``, ``fixed``, ``rtol``,
        ``atol``).

    Raises
    ------
    UnknownNameError
        For a name not in :data:`DATASETS`.
    """
    data, model = load(name)
    bounds = DATASETS[name].bounds
    return Problem(model, data, list(bounds), bounds=bounds, **options)
