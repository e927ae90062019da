"""Readouts of the coupled model that the findings are stated in.

Anagen onset is the time at which more than half the patch (the scored skin area) is in
anagen: the anagen fraction crosses 0.5 upwards, as in the finding tests
(``tests/findings/_cycle.py``).

>>> import follicle as fl
>>> fl.models.anagen_onset.threshold
0.5
"""

from __future__ import annotations

from follicle.readouts import CrossingTime

__all__ = ["anagen_onset"]

#: First anagen onset (days): the anagen fraction crossing 0.5 upwards.
anagen_onset = CrossingTime("anagen", 0.5, direction="up")
