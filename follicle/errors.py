"""The one exception family of :mod:`follicle`.

Every error a user can provoke is a :class:`FollicleError`. The subclasses also derive from
the matching built-in (``ValueError``, ``KeyError``, ``RuntimeError``) so that generic
handlers keep working. Messages say what was wrong, the offending value and unit, and what
to do about it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AnalysisError",
    "CacheError",
    "DataError",
    "ExportError",
    "FollicleError",
    "FollicleWarning",
    "ModelDefinitionError",
    "ParameterValueError",
    "SBMLImportError",
    "ScheduleError",
    "SolverError",
    "TimeSpanError",
    "UnitError",
    "UnknownNameError",
    "renamed",
    "shown",
]

#: How many characters of an offending input a message quotes.
SHOWN_LIMIT = 60


def renamed(
    what: str,
    old: str,
    new: str,
    *,
    stacklevel: int = 3,
    where: str = ", in Python as on the command line",
) -> str:
    """Warn that ``old`` is now spelled ``new`` and return ``new``.

    The one path of every renaming that keeps the old spelling working for a while (one
    vocabulary in Python and on the command line): a :class:`DeprecationWarning` naming
    both spellings. ``stacklevel`` is :func:`warnings.warn`'s, counted from here: 2 points
    at the caller of :func:`renamed`, 3 at its caller, and so on; ``where`` qualifies the
    new spelling.
    """
    import warnings

    warnings.warn(
        f"{what} {old!r} is now spelled {new!r}{where}; "
        f"{old!r} is deprecated and will stop working in a later release",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    return new


def shown(value, limit: int = SHOWN_LIMIT) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters (with a note of the
    full length), so that a megabyte of bad input does not become a megabyte of message."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


class FollicleError(Exception):
    """Base class of every error raised by follicle."""


class FollicleWarning(UserWarning):
    """Base class of every warning issued by follicle (something was done for the user
    that they may not expect: a corrupt cache file rebuilt, a dose outside the run...)."""


class CacheError(FollicleError, OSError):
    """The kernel cache directory cannot be used safely (no location, wrong owner, writable
    by others). The message names the directory and what to do."""


class ModelDefinitionError(FollicleError, ValueError):
    """A model, module, state, parameter or observable is defined inconsistently."""


class UnitError(FollicleError, ValueError):
    """A quantity has the wrong dimension, or a unit string cannot be parsed."""


class ParameterValueError(FollicleError, ValueError):
    """A value is negative, non-finite, or outside its declared range."""


class ScheduleError(FollicleError, ValueError):
    """A dose, infusion or parameter step is malformed."""


class TimeSpanError(FollicleError, ValueError):
    """A simulation time span or set of output times is empty, reversed or non-finite."""


class SolverError(FollicleError, RuntimeError):
    """The numerical integration failed; the message names the time reached and the state."""


class AnalysisError(FollicleError, ValueError):
    """A model or request does not suit the analysis asked for (e.g. steady states of a
    model whose rates depend on time, or a scan that finds no steady state to follow)."""


class ExportError(FollicleError, ValueError):
    """A model or schedule cannot be written faithfully in an exchange format (SBML).

    The message names what cannot be written (a function, a unit, a value) and where.
    """


class SBMLImportError(FollicleError, ValueError):
    """An SBML document cannot be loaded onto the engine faithfully.

    Either the document is invalid, or it uses a feature the engine does not carry (an
    algebraic rule, an event, a fast reaction, ``delay``, ...). The message names the
    element (by its SBML id) and the feature, so that no model is loaded that would
    simulate differently from what the document says.
    """


class DataError(FollicleError, ValueError):
    """A data set, target table or calibration problem is malformed.

    The message names the file and line (or the item), the column, the offending value and
    what is expected.
    """


class UnknownNameError(FollicleError, KeyError):
    """A name (state, parameter, observable, scenario...) does not exist.

    The message lists the closest existing names.
    """

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        known = sorted(known)
        close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        listing = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        message = f"unknown {kind} {shown(name)}.{hint} Known {kind}s: {listing}."
        super().__init__(message)
        self.kind, self.name, self.suggestions = kind, name, close

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])
