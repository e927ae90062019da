"""The biology: compartments of the hair-follicle model, its interventions and scenarios.

One module per compartment (:mod:`~follicle.models.phase`,
:mod:`~follicle.models.macrophages`, :mod:`~follicle.models.wnt`,
:mod:`~follicle.models.senescence`, :mod:`~follicle.models.stem_cells`,
:mod:`~follicle.models.fur`, :mod:`~follicle.models.drugs`); parameters live in
``parameters.toml`` and are read through :mod:`~follicle.models.parameters`;
:mod:`~follicle.models.interventions` doses drugs and switches senescence induction;
:mod:`~follicle.models.scenarios` names the published experiments;
:mod:`~follicle.models.readouts` scores the hair cycle (anagen onsets and ends);
:mod:`~follicle.models.regimes` classifies the hair cycle's behaviour and finds the critical
senescent burden;
:mod:`~follicle.models.zoo` holds published models of others; :mod:`~follicle.models.cli` is
the ``follicle`` command line, an application of the coupled model.
"""

from follicle.models import readouts, regimes, zoo
from follicle.models.coupled import COMPARTMENTS, clamped, compartment, coupled
from follicle.models.drugs import DRUGS
from follicle.models.interventions import INTERVENTIONS, course, dose, induce_senescence
from follicle.models.readouts import anagen_onset
from follicle.models.regimes import (
    classify_hair_cycle,
    critical_burden,
    senolytic_dose_needed,
)
from follicle.models.scenarios import SCENARIOS, Scenario, aged_skin, scenario

__all__ = [
    "COMPARTMENTS",
    "DRUGS",
    "INTERVENTIONS",
    "SCENARIOS",
    "Scenario",
    "aged_skin",
    "anagen_onset",
    "clamped",
    "classify_hair_cycle",
    "compartment",
    "coupled",
    "course",
    "critical_burden",
    "dose",
    "induce_senescence",
    "readouts",
    "regimes",
    "scenario",
    "senolytic_dose_needed",
    "zoo",
]
