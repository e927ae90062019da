"""SBML: export a follicle model to SBML, and load SBML models onto the engine.

:func:`export` and :func:`to_file` write a :class:`~follicle.Model` and a dosing schedule
as one SBML Level 3 Version 2 document (:mod:`follicle.sbml.export` says what maps to
what); :func:`load` reads an SBML document (Level 2 or 3 core) into a
:class:`~follicle.Model` (:mod:`follicle.sbml.load`); :mod:`follicle.sbml.testsuite` runs
the SBML Test Suite's semantic cases on the engine. Both directions need the ``[sbml]``
extra (python-libsbml).
"""

from follicle.sbml.export import LEVEL, VERSION, export, sbml_ids, to_file
from follicle.sbml.load import SBMLInfo, SBMLModel, load

__all__ = ["LEVEL", "VERSION", "SBMLInfo", "SBMLModel", "export", "load", "sbml_ids", "to_file"]
