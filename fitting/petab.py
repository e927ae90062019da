"""PEtab export of a calibration problem (PEtab format version 1).

:func:`export` writes a :class:`~follicle.fitting.Problem` as the files of a PEtab problem
(Schmiester et al. 2021, *PLoS Comput Biol* 17:e1008646), which parameter-estimation tools
(pyPESTO, AMICI, COPASI via basico, Data2Dynamics, ...) read:

``model.xml``
    The model and its schedule, by :func:`follicle.sbml.export`.
``observables.tsv``
    One observable per measured state or observable, ``obs_<name>``, whose formula is the
    SBML id of the variable; log-normal noise is PEtab's ``observableTransformation =
    log`` with normal noise, as in :mod:`follicle.fitting.objective`.
``measurements.tsv``
    The measurements, with their noise :math:`\\sigma` as numeric ``noiseParameters``.
``conditions.tsv``
    One row per condition; a column per overridden parameter or state. A condition that
    does not set a state whose initial value is an expression of the parameters (an
    initial assignment in ``model.xml``) has ``NaN`` there, which PEtab defines for a
    species as "the model's initial value", so the value follows the condition's and the
    estimated parameters (a number would fix it at the defaults').
``parameters.tsv``
    The estimated parameters: ``parameterScale = log`` (natural log, as we estimate),
    their bounds, and a nominal value (the fit's if given, else the default).
``problem.yaml``
    Ties them together.

PEtab v1 has one model per problem, so every condition must share one schedule (which goes
into the SBML as events); priors are not written. Both are refused with an
:class:`~follicle.errors.ExportError` rather than written wrongly.
"""

from __future__ import annotations

import csv
from pathlib import Path

from follicle import sbml
from follicle.errors import ExportError

__all__ = ["export"]


def _tsv(path: Path, header, rows) -> str:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path.name


def _initial_assignments(model, document: str, ids, columns) -> dict[str, str]:
    """``{state: "NaN"}`` for the condition columns of states whose initial value is an
    expression (the model's initial assignment applies where a condition sets none).

    PEtab v1 defines ``NaN`` in the condition table for species only; a state that the
    SBML document holds as a parameter with a rate rule is refused by name.
    """
    moving = [n for n in columns if n in model.initial_expressions]
    if not moving:
        return {}
    import libsbml

    written = libsbml.readSBMLFromString(document).getModel()
    for name in moving:
        if written.getSpecies(ids[name]) is None:
            raise ExportError(
                f"state {name!r} has an initial value that is an expression of the "
                f"parameters ({model.initial_expressions[name]}) and some conditions set it "
                "and others do not; PEtab v1 can leave the model's initial value in place "
                "(NaN) only for a species, and the SBML export writes this state as a "
                "parameter with a rate rule: set its initial value in every condition or "
                "in none"
            )
    return dict.fromkeys(moving, "NaN")


def export(problem, folder, *, fit=None) -> Path:
    """Write ``problem`` as a PEtab problem in ``folder``; return the YAML file's path.

    Parameters
    ----------
    problem : Problem
    folder : path-like
        Created if missing; existing files of the same names are replaced.
    fit : FitResult, optional
        Its best values become the nominal values of the estimated parameters.

    Raises
    ------
    ExportError
        Conditions with different schedules, priors, a model that SBML cannot express
        (see :mod:`follicle.sbml`), or python-libsbml missing.
    """
    model, data = problem.model, problem.data
    schedules = {c.schedule for c in data.conditions.values()}
    if len(schedules) > 1:
        raise ExportError(
            "PEtab v1 has one model per problem, but the conditions "
            f"{', '.join(sorted(data.conditions))} have different schedules; "
            "export them as separate problems"
        )
    if problem.priors:
        raise ExportError(
            f"priors on {', '.join(problem.priors)} are not written to PEtab; "
            "export the problem without priors"
        )
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = sbml.sbml_ids(model)
    document = sbml.export(model, schedules.pop(), params=problem.fixed)
    (folder / "model.xml").write_text(document, encoding="utf-8")
    noise = data.noise_models
    observables = _tsv(
        folder / "observables.tsv",
        [
            "observableId",
            "observableFormula",
            "observableTransformation",
            "noiseFormula",
            "noiseDistribution",
        ],
        [
            [
                f"obs_{name}",
                ids[name],
                "log" if kind == "lognormal" else "lin",
                f"noiseParameter1_obs_{name}",
                "normal",
            ]
            for name, kind in noise.items()
        ],
    )
    measurements = _tsv(
        folder / "measurements.tsv",
        ["observableId", "simulationConditionId", "time", "measurement", "noiseParameters"],
        [
            [f"obs_{m.observable}", m.condition, repr(m.time), repr(m.value), repr(m.noise)]
            for m in data.measurements
        ],
    )
    conditions = list(data.conditions.values())
    columns = sorted({n for c in conditions for n in (*c.params, *c.initial)})
    defaults = {
        **{n: repr(float(s.initial)) for n, s in model.states.items()},
        **{n: repr(float(p.value)) for n, p in model.parameters.items()},
        **{n: repr(float(v)) for n, v in problem.fixed.items()},
        **_initial_assignments(model, document, ids, columns),
    }
    condition_file = _tsv(
        folder / "conditions.tsv",
        ["conditionId", *(ids[n] for n in columns)],
        [
            [
                c.id,
                *(
                    repr(float(c.initial[n] if n in c.initial else c.params[n]))
                    if n in c.initial or n in c.params
                    else defaults[n]
                    for n in columns
                ),
            ]
            for c in conditions
        ],
    )
    nominal = (
        fit.best if fit is not None else {n: model.parameters[n].value for n in problem.parameters}
    )
    parameters = _tsv(
        folder / "parameters.tsv",
        ["parameterId", "parameterScale", "lowerBound", "upperBound", "nominalValue", "estimate"],
        [
            [
                ids[n],
                "log",
                repr(problem.bounds[n][0]),
                repr(problem.bounds[n][1]),
                repr(float(nominal[n])),
                1,
            ]
            for n in problem.parameters
        ],
    )
    yaml = folder / "problem.yaml"
    yaml.write_text(
        "format_version: 1\n"
        f"parameter_file: {parameters}\n"
        "problems:\n"
        f"  - sbml_files: [model.xml]\n"
        f"    condition_files: [{condition_file}]\n"
        f"    measurement_files: [{measurements}]\n"
        f"    observable_files: [{observables}]\n",
        encoding="utf-8",
    )
    return yaml
