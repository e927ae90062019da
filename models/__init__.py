"""The biology: compartments of the hair-follicle model and their assembly.

One module per compartment (:mod:`~follicle.models.phase`,
:mod:`~follicle.models.macrophages`, :mod:`~follicle.models.wnt`,
:mod:`~follicle.models.senescence`, :mod:`~follicle.models.stem_cells`,
:mod:`~follicle.models.fur`, :mod:`~follicle.models.drugs`); parameters live in
``parameters.toml`` and are read through :mod:`~follicle.models.parameters`.
"""

from follicle.models.coupled import COMPARTMENTS, compartment, coupled

__all__ = ["COMPARTMENTS", "compartment", "coupled"]
