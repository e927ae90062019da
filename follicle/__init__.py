"""follicle: ODE systems-biology models of hair-follicle cycling.

The engine (this package) knows nothing about hair: it defines models from sympy rate
terms with units, checks them, compiles them to machine code (numba) and simulates them
under dosing schedules (with forward sensitivities, :mod:`follicle.sensitivities`), sweeps
them over grids and samples of parameters and doses in batches (:func:`simulate_ensemble`,
:func:`sweep`; in a process pool or on Dask), and analyses them (:mod:`follicle.analysis`:
steady states, stability, bifurcation scans, limit cycles, regime maps classified from
simulation). The biology
lives in :mod:`follicle.models`; published models of others in :mod:`follicle.models.zoo`.

>>> import follicle as fl
>>> m = fl.Module("decay")
>>> X = m.state("X", unit="nM", initial=1.0)
>>> k = m.parameter("k", 0.5, "1/day", bounds=(0, 10), provenance="assumed: example")
>>> m.rate(X, -k * X, label="degradation")
>>> run = fl.simulate(fl.Model("decay", [m]), days=2)
>>> round(float(run["X"][-1]), 4)
0.3679
"""

from follicle import (
    analysis,
    designs,
    errors,
    fitting,
    model,
    models,
    readouts,
    sbml,
    sensitivities,
    trajectory,
    units,
)
from follicle.analysis import boundary, find_cycle, regime_map, scan, steady_states
from follicle.designs import grid, latin_hypercube, points, sobol
from follicle.ensemble import Ensemble, simulate_ensemble
from follicle.errors import FollicleError, FollicleWarning
from follicle.model import Model, Module, t
from follicle.schedule import Bolus, Infusion, ParameterStep, Schedule, repeat
from follicle.sensitivities import simulate_sensitivities
from follicle.simulate import Threshold, simulate
from follicle.sweep import SweepResult, sweep
from follicle.trajectory import Trajectory

__version__ = "0.1.0"

__all__ = [
    "Bolus",
    "Ensemble",
    "FollicleError",
    "FollicleWarning",
    "Infusion",
    "Model",
    "Module",
    "ParameterStep",
    "Schedule",
    "SweepResult",
    "Threshold",
    "Trajectory",
    "analysis",
    "boundary",
    "designs",
    "errors",
    "find_cycle",
    "fitting",
    "grid",
    "latin_hypercube",
    "model",
    "models",
    "points",
    "readouts",
    "regime_map",
    "repeat",
    "sbml",
    "scan",
    "sensitivities",
    "simulate",
    "simulate_ensemble",
    "simulate_sensitivities",
    "sobol",
    "steady_states",
    "sweep",
    "t",
    "trajectory",
    "units",
]


#: Names the face no longer carries, and where they live now (the face keeps about 25 verbs
#: and objects; results, model parts and errors are reached through their modules).
_MOVED = {
    **{name: "errors" for name in (
        "AnalysisError", "CacheError", "DataError", "ExportError", "ModelDefinitionError",
        "ParameterValueError", "SBMLImportError", "ScheduleError", "SolverError",
        "TimeSpanError", "UnitError", "UnknownNameError")},
    "Observable": "model", "Parameter": "model", "State": "model",
    "Design": "designs", "RegimeMap": "analysis", "Transition": "analysis",
    "Sensitivities": "sensitivities", "SolverStats": "trajectory",
    "Q_": "units", "ureg": "units",
}  # fmt: skip


def __getattr__(name: str):
    """The old spelling of a name that moved (``follicle.UnitError``, now in
    :mod:`follicle.errors`) still works, with a :class:`DeprecationWarning` naming the new
    one."""
    if name in _MOVED:
        home = _MOVED[name]
        errors.renamed("the name", f"follicle.{name}", f"follicle.{home}.{name}",
                       stacklevel=3, where="")  # fmt: skip
        return getattr(globals()[home], name)
    raise AttributeError(f"module 'follicle' has no attribute {name!r}")
