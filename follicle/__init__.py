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

from follicle import analysis, fitting, models, readouts, sbml
from follicle.analysis import (
    RegimeMap,
    Transition,
    boundary,
    find_cycle,
    regime_map,
    scan,
    steady_states,
)
from follicle.designs import Design, grid, latin_hypercube, points, sobol
from follicle.ensemble import Ensemble, simulate_ensemble
from follicle.errors import (
    AnalysisError,
    CacheError,
    DataError,
    ExportError,
    FollicleError,
    FollicleWarning,
    ModelDefinitionError,
    ParameterValueError,
    SBMLImportError,
    ScheduleError,
    SolverError,
    TimeSpanError,
    UnitError,
    UnknownNameError,
)
from follicle.model import Model, Module, Observable, Parameter, State, t
from follicle.schedule import Bolus, Infusion, ParameterStep, Schedule, repeat
from follicle.sensitivities import Sensitivities, simulate_sensitivities
from follicle.simulate import Threshold, simulate
from follicle.sweep import SweepResult, sweep
from follicle.trajectory import SolverStats, Trajectory
from follicle.units import Q_, ureg

__version__ = "0.1.0"

__all__ = [
    "Q_",
    "AnalysisError",
    "Bolus",
    "CacheError",
    "DataError",
    "Design",
    "Ensemble",
    "ExportError",
    "FollicleError",
    "FollicleWarning",
    "Infusion",
    "Model",
    "ModelDefinitionError",
    "Module",
    "Observable",
    "Parameter",
    "ParameterStep",
    "ParameterValueError",
    "RegimeMap",
    "SBMLImportError",
    "Schedule",
    "ScheduleError",
    "Sensitivities",
    "SolverError",
    "SolverStats",
    "State",
    "SweepResult",
    "Threshold",
    "TimeSpanError",
    "Trajectory",
    "Transition",
    "UnitError",
    "UnknownNameError",
    "analysis",
    "boundary",
    "find_cycle",
    "fitting",
    "grid",
    "latin_hypercube",
    "models",
    "points",
    "readouts",
    "regime_map",
    "repeat",
    "sbml",
    "scan",
    "simulate",
    "simulate_ensemble",
    "simulate_sensitivities",
    "sobol",
    "steady_states",
    "sweep",
    "t",
    "ureg",
]
