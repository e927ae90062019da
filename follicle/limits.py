"""Size limits at the user boundary: how large a request follicle accepts.

A typo such as ``days=1e300`` or a command-line range of ``1e8`` members would otherwise
run until memory is exhausted or fail deep inside NumPy. Each limit is far above what the
field needs; a request above one is refused with a :class:`LimitError` that gives the
number asked for, the limit, and how to raise it:

=================  ==============================  ===============================
limit              default                         raise it with
=================  ==============================  ===============================
``span``           100 000 days (~270 years)       ``FOLLICLE_MAX_SPAN``
``members``        10 000 000 in one call          ``FOLLICLE_MAX_MEMBERS``
``output_points``  200 000 000 values stored       ``FOLLICLE_MAX_OUTPUT_POINTS``
``steps``          1 000 000 (span / max_step)     ``FOLLICLE_MAX_STEPS``
``events``         100 000 copies by ``repeat``    ``FOLLICLE_MAX_EVENTS``
=================  ==============================  ===============================

(stored values are times x members x outputs, about 1.6 GB at the limit)

or, in Python, by assigning to :data:`LIMITS` (e.g.
``follicle.limits.LIMITS["members"] = 10**8``). The environment variable wins.
"""

from __future__ import annotations

import os

from follicle.errors import FollicleError

__all__ = ["LIMITS", "LimitError", "check", "limit"]

#: The current limits; assign to raise one for this process.
LIMITS: dict[str, float] = {
    "span": 1e5,
    "members": 10_000_000,
    "output_points": 200_000_000,
    "steps": 1_000_000,
    "events": 100_000,
}
_UNITS = {"span": " day", "members": "", "output_points": "", "steps": "", "events": ""}


class LimitError(FollicleError, ValueError):
    """A request exceeds a documented size limit (see :mod:`follicle.limits`)."""


def _variable(name: str) -> str:
    return f"FOLLICLE_MAX_{name.upper()}"


def limit(name: str) -> float:
    """The limit ``name`` (``"span"``, ``"members"``, ``"output_points"``) in force.

    Raises
    ------
    LimitError
        If its environment variable is set but is not a positive number.
    """
    text = os.environ.get(_variable(name))
    if text is None:
        return LIMITS[name]
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise LimitError(
            f"{_variable(name)}={text[:40]!r} is not a positive number; unset it or give one"
        )
    return value


def check(name: str, value: float, what: str) -> None:
    """Refuse ``value`` of ``what`` when it exceeds the limit ``name``.

    Raises
    ------
    LimitError
        Naming ``what``, the value, the limit and how to raise it.
    """
    cap = limit(name)
    if value > cap:
        unit = _UNITS[name]
        raise LimitError(
            f"{what} is {value:.6g}{unit}, above the limit of {cap:.6g}{unit}; if you "
            f"mean it, set the environment variable {_variable(name)} or "
            f"follicle.limits.LIMITS[{name!r}] to a larger number"
        )
