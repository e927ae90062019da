"""The parameter table of the coupled model, kept as data in ``parameters.toml``.

Each entry has a value, a unit, an allowed range, a provenance (a citation from the
project's science brief, or ``assumed: <reason>``) and a description. The table is loaded
and validated once; modules take their parameters from it by name, so the table is the
single place where a number lives.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from follicle.errors import ModelDefinitionError, UnknownNameError
from follicle.model import Parameter

__all__ = ["declare", "parameter", "table"]

_REQUIRED = {"value", "unit", "range", "provenance", "description"}


@cache
def table() -> dict[str, Parameter]:
    """Every parameter of the coupled model, validated, keyed by name."""
    text = resources.files("follicle.models").joinpath("parameters.toml").read_text()
    raw = tomllib.loads(text)
    out = {}
    for name, entry in raw.items():
        missing = _REQUIRED - set(entry)
        if missing:
            raise ModelDefinitionError(f"parameters.toml: entry {name!r} lacks {sorted(missing)}")
        provenance = entry["provenance"].strip()
        if not provenance:
            raise ModelDefinitionError(f"parameters.toml: {name!r} has an empty provenance")
        out[name] = Parameter(
            name,
            entry["value"],
            entry["unit"],
            tuple(entry["range"]),
            provenance,
            entry["description"],
        )
    return out


def parameter(name: str) -> Parameter:
    """One parameter of the table (raises :class:`UnknownNameError` with suggestions)."""
    params = table()
    if name not in params:
        raise UnknownNameError("parameter", name, params)
    return params[name]


def declare(module, *names: str):
    """Add the table's parameters ``names`` to ``module``; return their symbols in order."""
    return tuple(module.add_parameter(parameter(name)) for name in names)
