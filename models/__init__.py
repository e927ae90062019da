"""The biology: compartments of the hair-follicle model, its interventions and scenarios.

One module per compartment (:mod:`~follicle.models.phase`,
:mod:`~follicle.models.macrophages`, :mod:`~follicle.models.wnt`,
:mod:`~follicle.models.senescence`, :mod:`~follicle.models.stem_cells`,
:mod:`~follicle.models.fur`, :mod:`~follicle.models.drugs`); parameters live in
``parameters.toml`` and are read through :mod:`~follicle.models.parameters`;
:mod:`~follicle.models.interventions` doses drugs and switches senescence induction;
:mod:`~follicle.models.scenarios` names the published experiments;
:mod:`~follicle.models.readouts` holds the readouts the findings are stated in;
:mod:`~follicle.models.zoo` holds published models of others.
"""

from follicle.models import zoo
from follicle.models.coupled import COMPARTMENTS, compartment, coupled
from follicle.models.drugs import DRUGS
from follicle.models.interventions import INTERVENTIONS, course, dose, induce_senescence
from follicle.models.readouts import anagen_onset
from follicle.models.scenarios import SCENARIOS, Scenario, aged_skin, scenario

__all__ = [
    "COMPARTMENTS",
    "DRUGS",
    "INTERVENTIONS",
    "SCENARIOS",
    "Scenario",
    "aged_skin",
    "anagen_onset",
    "compartment",
    "coupled",
    "course",
    "dose",
    "induce_senescence",
    "scenario",
    "zoo",
]
