"""Measurements and experimental conditions, following PEtab's conventions.

A **measurement table** (CSV, or TSV when the file ends in ``.tsv``) has one row per
measured value, with PEtab's column names:

==========================  ===============================================================
``observableId``            a state or observable of the model
``simulationConditionId``   the condition (experiment) it was measured in
``time``                    days since the start of the condition's simulation
``measurement``             the value, in the variable's unit
``noiseParameters``         the noise scale :math:`\\sigma` (> 0); for log-normal noise,
                            the standard deviation of :math:`\\ln y`
``noiseDistribution``       optional: ``normal`` (default) or ``lognormal``; one per
                            observable
==========================  ===============================================================

A **condition table** has a ``conditionId`` column and optionally ``scenario`` (the name of
an entry of a registry passed to the loader: a schedule, or an object with ``schedule``,
``params``, ``initial`` and ``days`` such as :class:`follicle.models.Scenario`), ``days``
(the end of the simulated span) and one column per parameter or state to override, as in
PEtab. Lines starting with ``#`` are comments; ``# key: value`` comment lines at the top
are metadata, of which ``synthetic`` (``true``/``false``) and ``provenance`` are required
of shipped data sets.

Every problem is reported as a :class:`~follicle.errors.DataError` naming the file, line,
column and value: unknown observables and conditions, missing columns, non-numeric or
non-finite values, negative noise, non-positive values under log-normal noise, and times
outside the simulated span. pandas is not needed.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from follicle.errors import DataError
from follicle.schedule import Schedule
from follicle.simulate import simulate

__all__ = [
    "NOISE_MODELS",
    "Condition",
    "Dataset",
    "Measurement",
    "load_conditions",
    "load_dataset",
    "load_measurements",
    "synthetic",
    "write_measurements",
]

#: The smallest measurement noise accepted: 1/noise**2 must stay far from overflow.
MIN_NOISE = 1e-100

#: Noise models a measurement may have.
NOISE_MODELS = ("normal", "lognormal")

_MEASUREMENT_COLUMNS = (
    "observableId",
    "simulationConditionId",
    "time",
    "measurement",
    "noiseParameters",
)


@dataclass(frozen=True)
class Measurement:
    """One measured value.

    Attributes
    ----------
    observable, condition : str
    time : float
        Days from the start of the condition's simulation.
    value : float
        In the observable's unit.
    noise : float
        :math:`\\sigma` of the noise model (> 0).
    noise_model : {"normal", "lognormal"}
    where : str
        Where it came from (``file:line``), for error messages.
    """

    observable: str
    condition: str
    time: float
    value: float
    noise: float
    noise_model: str = "normal"
    where: str = ""

    def __post_init__(self):
        at = self.where or f"measurement of {self.observable!r}"
        for name in ("time", "value", "noise"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise DataError(f"{at}: {name} is {value!r}; it must be a finite number")
        if not self.noise >= MIN_NOISE:
            raise DataError(
                f"{at}: noise {self.noise:g} is not at least {MIN_NOISE:g} (below, the "
                "likelihood overflows); give the standard deviation of the measurement "
                "error in the observable's unit (log units if lognormal)"
            )
        if self.noise_model not in NOISE_MODELS:
            raise DataError(
                f"{at}: noise model {self.noise_model!r} is not one of {', '.join(NOISE_MODELS)}"
            )
        if self.noise_model == "lognormal" and self.value <= 0:
            raise DataError(f"{at}: measurement {self.value:g} must be > 0 under log-normal noise")
        if self.time < 0:
            raise DataError(f"{at}: time {self.time:g} day is before the simulation start (0)")


@dataclass(frozen=True)
class Condition:
    """An experimental condition: how to simulate the model for its measurements.

    Attributes
    ----------
    id : str
    days : float, optional
        End of the simulated span ``[0, days]``; default the last measurement time.
    params, initial : Mapping[str, float]
        Parameter and initial-state overrides.
    schedule : Schedule
        Doses and parameter steps.
    """

    id: str
    days: float | None = None
    params: Mapping[str, float] = field(default_factory=dict)
    initial: Mapping[str, float] = field(default_factory=dict)
    schedule: Schedule = field(default_factory=Schedule)

    def __post_init__(self):
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "initial", dict(self.initial))
        object.__setattr__(self, "schedule", Schedule.of(self.schedule))
        if self.days is not None and not (math.isfinite(self.days) and self.days > 0):
            raise DataError(f"condition {self.id!r}: days = {self.days!r} must be > 0")


@dataclass(frozen=True)
class Dataset:
    """Measurements with the conditions they were made in, and where they came from.

    Attributes
    ----------
    measurements : tuple of Measurement
    conditions : Mapping[str, Condition]
    synthetic : bool
        True for simulated data.
    provenance : str
        Where every number came from (for synthetic data: the generating model,
        parameters, noise and seed).
    """

    measurements: tuple[Measurement, ...]
    conditions: Mapping[str, Condition]
    synthetic: bool
    provenance: str

    def __post_init__(self):
        object.__setattr__(self, "measurements", tuple(self.measurements))
        object.__setattr__(self, "conditions", dict(self.conditions))
        if not self.measurements:
            raise DataError("the data set has no measurements")
        if not self.provenance.strip():
            raise DataError("the data set has no provenance; say where its numbers came from")
        noise_of: dict[str, Measurement] = {}
        for m in self.measurements:
            if m.condition not in self.conditions:
                raise DataError(
                    f"{m.where}: unknown condition {m.condition!r}; conditions "
                    f"are {', '.join(sorted(self.conditions)) or 'none'}"
                )
            first = noise_of.setdefault(m.observable, m)
            if first.noise_model != m.noise_model:
                raise DataError(
                    f"{m.where}: observable {m.observable!r} has {m.noise_model} noise, but "
                    f"{first.noise_model} at {first.where}; use one noise model per observable"
                )
            days = self.conditions[m.condition].days
            if days is not None and m.time > days:
                raise DataError(
                    f"{m.where}: time {m.time:g} day is outside the simulated span "
                    f"[0, {days:g}] day of condition {m.condition!r}"
                )

    @property
    def noise_models(self) -> dict[str, str]:
        """The noise model of each observable."""
        return {m.observable: m.noise_model for m in self.measurements}

    def check(self, model) -> None:
        """Check every name against ``model``.

        Raises
        ------
        DataError
            An observable that is neither a state nor an observable of the model, or a
            condition overriding a name the model lacks.
        """
        known = {*model.state_names, *model.observable_names}
        for m in self.measurements:
            if m.observable not in known:
                raise DataError(
                    f"{m.where}: unknown observable {m.observable!r}; the model "
                    f"{model.name!r} has {', '.join(sorted(known))}"
                )
        for c in self.conditions.values():
            for name in c.params:
                if name not in model.parameters:
                    raise DataError(
                        f"condition {c.id!r} sets {name!r}, which is not a "
                        f"parameter of {model.name!r}"
                    )
            for name in c.initial:
                if name not in model.states:
                    raise DataError(
                        f"condition {c.id!r} sets the initial value of {name!r}, "
                        f"which is not a state of {model.name!r}"
                    )


# -- reading ---------------------------------------------------------------------------
def _read_table(path, required: Iterable[str]):
    """Rows of a CSV/TSV file as ``(line, dict)``, plus the ``# key: value`` metadata."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    metadata: dict[str, str] = {}
    lines: list[tuple[int, str]] = []
    for number, text in enumerate(_text(path).splitlines(keepends=True), start=1):
        stripped = text.strip()
        if stripped.startswith("#"):
            key, sep, value = stripped.lstrip("#").partition(":")
            if sep and not lines:
                metadata[key.strip().lower()] = value.strip()
        elif stripped:
            lines.append((number, text))
    if not lines:
        raise DataError(f"{path}: no header line")
    reader = csv.reader(_one_row_per_line(path, lines), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)}; the header is {', '.join(header)}"
        )
    rows = []
    for (number, _), cells in zip(lines[1:], reader, strict=True):
        if len(cells) != len(header):
            raise DataError(
                f"{path}:{number}: {len(cells)} fields, but the header has {len(header)}"
            )
        rows.append(
            (f"{path.name}:{number}", dict(zip(header, (c.strip() for c in cells), strict=True)))
        )
    return rows, metadata


def _text(path: Path) -> str:
    """The file's text; a binary file or one not in UTF-8 is refused by name."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror})") from None
    if b"\0" in data:
        raise DataError(f"{path}: a binary file (it holds NUL bytes), not CSV/TSV text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path}:{line}: not UTF-8 text (byte {data[exc.start]:#04x}); save the file "
            "as UTF-8 (e.g. from a spreadsheet: CSV UTF-8)"
        ) from None


def _one_row_per_line(path, lines):
    """The lines, each checked to be one whole row: a quoted cell may not span lines."""
    for number, text in lines:
        if text.count('"') % 2:
            raise DataError(
                f"{path}:{number}: an unbalanced quote (a quoted cell spanning lines?); "
                "put each row on one line and close every quote"
            )
        yield text


def _number(text: str, where: str, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: column {column} is {text!r}, not a number") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: column {column} is {text!r}; it must be finite")
    return value


def _flag(metadata, path) -> bool:
    text = metadata.get("synthetic", "").lower()
    if text not in ("true", "false"):
        raise DataError(
            f"{path}: the metadata line '# synthetic: true' or "
            "'# synthetic: false' is missing; say whether the data are simulated"
        )
    return text == "true"


def load_measurements(path) -> tuple[tuple[Measurement, ...], bool, str]:
    """Read a measurement table.

    Returns
    -------
    measurements : tuple of Measurement
    synthetic : bool
        From the ``# synthetic:`` metadata line (required).
    provenance : str
        From the ``# provenance:`` metadata line (required).

    Raises
    ------
    DataError
        Missing file, columns or metadata; bad values (the message names file and line).
    """
    rows, metadata = _read_table(path, _MEASUREMENT_COLUMNS)
    synthetic = _flag(metadata, path)
    provenance = metadata.get("provenance", "")
    if not provenance:
        raise DataError(
            f"{path}: the metadata line '# provenance: ...' is missing; say where "
            "the numbers came from"
        )
    out = []
    for where, row in rows:
        out.append(
            Measurement(
                observable=row["observableId"],
                condition=row["simulationConditionId"],
                time=_number(row["time"], where, "time"),
                value=_number(row["measurement"], where, "measurement"),
                noise=_number(row["noiseParameters"], where, "noiseParameters"),
                noise_model=row.get("noiseDistribution") or "normal",
                where=where,
            )
        )
    return tuple(out), synthetic, provenance


def load_conditions(path, model, registry: Mapping | None = None) -> dict[str, Condition]:
    """Read a condition table for ``model``.

    Parameters
    ----------
    path : path-like
    model : Model
        Columns other than ``conditionId``, ``scenario`` and ``days`` must name its
        parameters or states.
    registry : mapping, optional
        Names usable in the ``scenario`` column: schedules, or objects with ``schedule``,
        ``params``, ``initial`` and ``days`` (e.g. ``follicle.models.SCENARIOS``). Overrides
        in the table's columns apply on top of a scenario's own.

    Raises
    ------
    DataError
        Missing ``conditionId``, duplicate ids, unknown columns or scenarios, bad numbers.
    """
    rows, _ = _read_table(path, ["conditionId"])
    registry = registry or {}
    out: dict[str, Condition] = {}
    for where, row in rows:
        cid = row.pop("conditionId")
        if not cid:
            raise DataError(f"{where}: empty conditionId")
        if cid in out:
            raise DataError(f"{where}: condition {cid!r} is defined twice")
        name = row.pop("scenario", "")
        base = _scenario(registry, name, where) if name else None
        days_text = row.pop("days", "")
        days = _number(days_text, where, "days") if days_text else getattr(base, "days", None)
        params = dict(getattr(base, "params", {}))
        initial = dict(getattr(base, "initial", {}))
        for column, text in row.items():
            if not text:
                continue
            if column in model.parameters:
                params[column] = _number(text, where, column)
            elif column in model.states:
                initial[column] = _number(text, where, column)
            else:
                raise DataError(
                    f"{path}: column {column!r} is neither a parameter nor a "
                    f"state of {model.name!r} (nor conditionId, scenario, days)"
                )
        schedule = getattr(base, "schedule", base)
        out[cid] = Condition(cid, days, params, initial, schedule)
    return out


def _scenario(registry, name, where):
    if name not in registry:
        raise DataError(
            f"{where}: unknown scenario {name!r}; known: "
            f"{', '.join(sorted(registry)) or 'none (pass registry=...)'}"
        )
    return registry[name]


def load_dataset(measurements, model, conditions=None, registry: Mapping | None = None) -> Dataset:
    """Read a measurement table (and optionally a condition table) and check it against
    ``model``.

    Without a condition table every condition named in the measurements is the model's
    defaults simulated from 0 to its last measurement time.

    Raises
    ------
    DataError
        Anything :func:`load_measurements`, :func:`load_conditions` or
        :meth:`Dataset.check` rejects.
    """
    rows, synthetic, provenance = load_measurements(measurements)
    if conditions is None:
        table = {m.condition: Condition(m.condition) for m in rows}
    else:
        table = load_conditions(conditions, model, registry)
    dataset = Dataset(rows, table, synthetic, provenance)
    dataset.check(model)
    return dataset


def synthetic(
    model,
    observables: Mapping[str, tuple[str, float]],
    times,
    *,
    seed,
    conditions: Iterable[Condition] = (Condition("default"),),
    params: Mapping | None = None,
    rtol: float = 1e-10,
) -> Dataset:
    """Simulate a data set from known parameters with noise, labelled synthetic.

    Parameters
    ----------
    model : Model
    observables : mapping of str to (noise model, sigma)
        What is measured and with what noise, e.g. ``{"X": ("lognormal", 0.1)}``.
        Normal noise adds :math:`\\sigma\\epsilon`; log-normal multiplies by
        :math:`e^{\\sigma\\epsilon}`, :math:`\\epsilon \\sim N(0, 1)`.
    times : array_like or mapping of condition id to array_like
        Measurement times (days), the same for every condition unless a mapping.
    seed : int or numpy.random.Generator
    conditions : iterable of Condition
    params : mapping, optional
        The true parameter values (overrides of the model's defaults), recorded in the
        provenance.

    Returns
    -------
    Dataset
    """
    rng = np.random.default_rng(seed)
    conditions = {c.id: c for c in conditions}
    truth = dict(params or {})
    rows = []
    for c in conditions.values():
        t = np.asarray(times[c.id] if isinstance(times, Mapping) else times, dtype=float)
        days = c.days if c.days is not None else max(float(t.max()), 1.0)
        run = simulate(
            model,
            t_span=(0.0, days),
            t_eval=t,
            params={**c.params, **truth},
            initial=c.initial,
            schedule=c.schedule,
            rtol=rtol,
        )
        for name, (noise_model, sigma) in observables.items():
            eps = rng.standard_normal(t.size)
            exact = run[name]
            noisy = (
                exact * np.exp(sigma * eps)
                if noise_model == "lognormal"
                else (exact + sigma * eps)
            )
            rows.extend(
                Measurement(
                    name,
                    c.id,
                    float(tk),
                    float(v),
                    float(sigma),
                    noise_model,
                    f"synthetic {name} at {tk:g} day",
                )
                for tk, v in zip(t, noisy, strict=True)
            )
    values = ", ".join(f"{k} = {v:g}" for k, v in truth.items()) or "the defaults"
    provenance = (
        f"synthetic: simulated from {model.name!r} with {values}, noise "
        f"{dict(observables)}, seed {seed!r}"
    )
    return Dataset(tuple(rows), conditions, True, provenance)


def write_measurements(dataset: Dataset, path, *, delimiter: str | None = None) -> Path:
    """Write ``dataset``'s measurements as a table :func:`load_measurements` reads back.

    The ``# synthetic`` and ``# provenance`` metadata lines come first (PEtab's own tables
    are written by :mod:`follicle.fitting.petab`); the delimiter is a tab for ``.tsv``
    files and a comma otherwise.
    """
    path = Path(path)
    delimiter = delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            handle.write(f"# synthetic: {str(dataset.synthetic).lower()}\n")
            handle.write(f"# provenance: {' '.join(dataset.provenance.split())}\n")
            writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
            writer.writerow([*_MEASUREMENT_COLUMNS, "noiseDistribution"])
            for m in dataset.measurements:
                writer.writerow(
                    [
                        m.observable,
                        m.condition,
                        repr(m.time),
                        repr(m.value),
                        repr(m.noise),
                        m.noise_model,
                    ]
                )
    except OSError as exc:
        raise DataError(f"{path}: cannot write the measurements ({exc.strerror})") from None
    return path
