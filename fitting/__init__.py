"""Calibration: data and targets with provenance, objectives, estimation, profiles, global
sensitivity.

Imported as ``follicle.fitting``::

    from follicle import fitting
    data = fitting.load_dataset("measurements.csv", model, "conditions.csv")
    problem = fitting.Problem(model, data, ["k_p", "k_d"])
    fit = fitting.estimate(problem, starts=50, seed=1)

Modules: :mod:`~follicle.fitting.data` (PEtab-like measurement and condition tables),
:mod:`~follicle.fitting.datasets` (shipped data), :mod:`~follicle.fitting.objective`
(residuals, noise models, sensitivities-based Jacobian), :mod:`~follicle.fitting.estimate`
(multi-start least squares), :mod:`~follicle.fitting.profile` (profile likelihood,
identifiability, Fisher information), :mod:`~follicle.fitting.targets` (literature summary
targets of the coupled model), :mod:`~follicle.fitting.petab` (PEtab export),
:mod:`~follicle.fitting.sobol` (Sobol indices of a readout over a box of parameters).
"""

from follicle.fitting import datasets, petab, profile, targets
from follicle.fitting.data import (
    NOISE_MODELS,
    Condition,
    Dataset,
    Measurement,
    load_conditions,
    load_dataset,
    load_measurements,
    synthetic,
    write_measurements,
)
from follicle.fitting.estimate import FitResult, Start, estimate
from follicle.fitting.objective import Problem
from follicle.fitting.sobol import SobolIndices, sobol_indices

__all__ = [
    "NOISE_MODELS",
    "Condition",
    "Dataset",
    "FitResult",
    "Measurement",
    "Problem",
    "SobolIndices",
    "Start",
    "datasets",
    "estimate",
    "load_conditions",
    "load_dataset",
    "load_measurements",
    "petab",
    "profile",
    "sobol_indices",
    "synthetic",
    "targets",
    "write_measurements",
]
