"""Run semantic cases of the SBML Test Suite on the engine and score them as the suite does.

A case folder ``NNNNN/`` holds the model (``NNNNN-sbml-l3v2.xml`` or the highest level the
suite gives), ``NNNNN-settings.txt`` (start, duration, steps, the variables to report,
which are amounts and which concentrations, absolute and relative tolerance),
``NNNNN-results.csv`` (the expected values) and ``NNNNN-model.m`` (a description with the
case's component and test tags). :func:`run_case` loads the model with
:func:`follicle.sbml.load`, simulates it with :func:`follicle.simulate` and returns the
reported values; :func:`score` compares them with the expected ones: a case passes when
every variable satisfies ``|simulated - expected| <= absolute + relative * |expected|``
at every output time (NaN expects NaN, an infinity the same infinity).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import follicle as fl
from follicle.errors import SBMLImportError
from follicle.sbml.events import EventModel, EventRun
from follicle.sbml.load import load

__all__ = ["Case", "Score", "read_case", "run_case", "score"]

#: Solver tolerances relative to the case's: the integration error must be well inside
#: what the suite allows.
_TIGHTER = 1e-3
#: The engine's method for the suite: LSODA (compiled Fortran) with the analytic Jacobian
#: is the fastest choice for many small models.
METHOD = "LSODA"


@dataclass(frozen=True)
class Case:
    """One semantic case: its files and settings."""

    number: str
    model_path: Path
    start: float
    duration: float
    steps: int
    variables: tuple[str, ...]
    amount: frozenset
    concentration: frozenset
    absolute: float
    relative: float
    test_type: str
    component_tags: tuple[str, ...]
    test_tags: tuple[str, ...]

    @property
    def times(self) -> np.ndarray:
        """Output times in the document's time unit."""
        return np.linspace(self.start, self.start + self.duration, self.steps + 1)

    @property
    def tags(self) -> tuple[str, ...]:
        return self.component_tags + self.test_tags


def _list(text):
    return tuple(x.strip() for x in text.split(",") if x.strip())


def read_case(case_dir) -> Case:
    """Read a case folder's settings and tags.

    Raises
    ------
    SBMLImportError
        A file is missing or a setting cannot be read.
    """
    folder = Path(case_dir)
    number = folder.name
    settings = folder / f"{number}-settings.txt"
    if not settings.is_file():
        raise SBMLImportError(f"case folder {str(folder)!r} has no {settings.name}")
    values = {}
    for line in settings.read_text().splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    models = sorted(
        folder.glob(f"{number}-sbml-l*v*.xml"),
        key=lambda p: tuple(map(int, re.findall(r"\d+", p.name[-9:]))),
    )
    if not models:
        raise SBMLImportError(f"case folder {str(folder)!r} holds no SBML model")
    header = (folder / f"{number}-model.m").read_text()
    tag = lambda key: re.search(rf"^{key}:[ \t]*(.*)$", header, re.M)  # noqa: E731
    try:
        return Case(
            number=number,
            model_path=models[-1],
            # Flux-balance cases leave the time settings empty.
            start=float(values["start"] or "nan"),
            duration=float(values["duration"] or "nan"),
            steps=int(values["steps"] or 0),
            variables=_list(values["variables"]),
            amount=frozenset(_list(values.get("amount", ""))),
            concentration=frozenset(_list(values.get("concentration", ""))),
            absolute=float(values["absolute"]),
            relative=float(values["relative"]),
            test_type=tag("testType").group(1).strip() if tag("testType") else "",
            component_tags=_list(tag("componentTags").group(1)) if tag("componentTags") else (),
            test_tags=_list(tag("testTags").group(1)) if tag("testTags") else (),
        )
    except (KeyError, ValueError) as exc:
        raise SBMLImportError(f"case {number}: cannot read the settings ({exc})") from None


def run_case(case_dir):
    """Simulate one case on the engine.

    Parameters
    ----------
    case_dir : path-like
        The case folder ``NNNNN``.

    Returns
    -------
    columns : list of str
        ``"time"`` and the case's variables (SBML ids).
    values : ndarray, shape (steps + 1, len(columns))
        The simulated values at the case's output times, amounts or concentrations as the
        settings ask.

    Raises
    ------
    SBMLImportError
        The case is not a time course, or its model uses a feature the engine does not
        carry (the message names it).
    SolverError
        The integration failed.
    """
    case = read_case(case_dir)
    if case.test_type != "TimeCourse":
        raise SBMLImportError(
            f"case {case.number} is a {case.test_type} test; the engine runs time courses only"
        )
    if case.start != 0:
        raise SBMLImportError(
            f"case {case.number} starts at time {case.start:g}; initial "
            "values are evaluated at time 0 only"
        )
    loaded = load(case.model_path, events=True)
    info = loaded.sbml
    times = case.times
    days = info.model_times(times)
    rtol = max(min(_TIGHTER * case.relative, 1e-8), 1e-12)
    if isinstance(loaded, EventModel):
        model = loaded.model
        atol = _atol(model, _TIGHTER * case.absolute, rtol)
        run = loaded.simulate(
            days, rtol=rtol, atol=np.array([atol[n] for n in model.state_names]), method=METHOD
        )
    else:
        model = loaded
        run = fl.simulate(
            model,
            t_span=(days[0], days[-1]),
            t_eval=days,
            method=METHOD,
            rtol=rtol,
            atol=_atol(model, _TIGHTER * case.absolute, rtol),
        )
    by_id = {sid: name for name, sid in info.ids.items()}
    columns = ["time", *case.variables]
    out = np.empty((times.size, len(columns)))
    out[:, 0] = times
    for k, sid in enumerate(case.variables, start=1):
        if sid not in by_id and sid in info.reaction_rates:
            out[:, k] = _rate(model, run, info.reaction_rates[sid], times)
            continue
        if sid not in by_id:
            raise SBMLImportError(
                f"case {case.number} reports {sid!r}, which is not a state, parameter, "
                "assignment rule or reaction of the loaded model"
            )
        out[:, k] = _reported(
            model, run, by_id[sid], sid in case.amount, sid in case.concentration
        )
    return columns, out


def _rate(model, run, expr, times):
    """A reaction's rate along the trajectory: ``expr`` (from ``SBMLInfo.reaction_rates``)
    with ``t`` the document's time, the time parameter 1, and every other symbol its
    values at the output times."""
    import sympy as sp

    from follicle.model import t

    q = sp.Symbol(model.sbml.time_parameter, real=True)
    symbols = sorted(expr.free_symbols - {t, q}, key=str)
    f = sp.lambdify([t, q, *symbols], expr, modules="numpy")
    values = [_series(model, run, s.name) for s in symbols]
    return np.broadcast_to(f(times, 1.0, *values), times.shape).astype(float)


def _atol(model, atol, rtol):
    """Absolute tolerance per state: a species state is an amount, so its tolerance is the
    concentration's times the compartment's size at time 0 when that is below 1; and at
    most ``rtol`` times the state's nonzero initial value, so that a small value that
    grows (``x0 exp(k t)``) is integrated to ``rtol`` from the start, not to ``atol``,
    whose error the growth would multiply."""
    values = {
        **dict(zip(model.parameter_names, model.parameter_vector(), strict=True)),
        **dict(zip(model.state_names, model.initial_vector(), strict=True)),
    }
    out = {}
    for name in model.state_names:
        size = abs(values.get(model.sbml.compartment_of.get(name), 1.0))
        out[name] = atol * (min(size, 1.0) if size > 0 else 1.0)
        if values[name] != 0:
            out[name] = min(out[name], rtol * abs(values[name]))
    return out


def _series(model, run, name):
    """A state's, observable's or parameter's values at the trajectory's times."""
    if isinstance(run, EventRun):
        return run[name]
    if name in run.names:
        return np.asarray(run[name], dtype=float)
    return np.full(run.t.size, dict(run.parameters)[name])


def _reported(model, run, name, amount, concentration):
    """``name``'s values as the case reports them: a species as an amount or a
    concentration, anything else as its value."""
    values = _series(model, run, name)
    info = model.sbml
    if name not in info.compartment_of or not (amount or concentration):
        return values
    # A species state is an amount; an assigned species' value is a concentration unless
    # it has only substance units.
    is_amount = name in model.states or not info.concentration[name]
    if is_amount != bool(concentration):
        return values
    compartment = info.compartment_of[name]
    if compartment not in (*model.parameter_names, *model.state_names, *model.observable_names):
        raise SBMLImportError(
            f"{name!r} is reported as a {'concentration' if concentration else 'amount'}, "
            f"but its compartment {compartment!r} has no size"
        )
    size = _series(model, run, compartment)
    return values / size if concentration else values * size


@dataclass(frozen=True)
class Score:
    """How a simulation compares with a case's expected results.

    Attributes
    ----------
    passed : bool
    worst : str
        The variable and time of the largest violation relative to the tolerance, with the
        values (empty when passed).
    """

    passed: bool
    worst: str = ""


def score(case_dir, columns, values) -> Score:
    """Score simulated ``values`` (as from :func:`run_case`) against the expected results.

    A value passes when ``|simulated - expected| <= absolute + relative * |expected|``;
    an expected NaN needs a NaN, an expected infinity the same infinity.
    """
    case = read_case(case_dir)
    path = Path(case_dir) / f"{case.number}-results.csv"
    lines = path.read_text().strip().splitlines()
    header = [h.strip() for h in lines[0].split(",")]
    # float() reads the suite's INF, -INF and NaN.
    expected = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    worst, worst_ratio = "", 1.0
    for name in case.variables:
        sim = values[:, columns.index(name, 1)]
        exp = expected[:, header.index(name, 1)]  # column 0 is time, whatever its name
        if sim.shape != exp.shape:
            return Score(False, f"{name}: {sim.size} simulated values, {exp.size} expected")
        same = (np.isnan(exp) & np.isnan(sim)) | (np.isinf(exp) & (sim == exp))
        with np.errstate(invalid="ignore"):
            ratio = np.abs(sim - exp) / (case.absolute + case.relative * np.abs(exp))
        ratio = np.where(same, 0.0, np.where(np.isnan(ratio), np.inf, ratio))
        i = int(np.argmax(ratio))
        if ratio[i] > worst_ratio:
            worst_ratio = ratio[i]
            worst = (
                f"{name} at time {expected[i, 0]:g}: simulated {sim[i]:.10g}, expected "
                f"{exp[i]:.10g} ({ratio[i]:.3g} x the tolerance)"
            )
    return Score(not worst, worst)
