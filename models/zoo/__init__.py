"""Published models of others, rebuilt on the follicle engine (the model zoo).

Each module rebuilds one peer-reviewed model with its published parameters, every one
citing its paper, so that reproducing the paper's behaviour checks the engine:

=================  ==========================================================  ============
builder            model                                                       time
=================  ==========================================================  ============
``halloy2002``     Halloy, Bernard, Loussouarn & Goldbeter 2002, J Theor Biol   months
                   214:469, deterministic follicular automaton (fractions of
                   follicles in anagen, telogen, latency)
``alnuaimi2012``   Al-Nuaimi, Goodfellow, Paus & Baier 2012, J Theor Biol       dimensionless
                   310:143, human hair-cycle oscillator
``karin2019``      Karin et al. 2019, Nat Commun 10:5495, saturating removal    days (age)
                   of senescent cells
=================  ==========================================================  ============

The engine integrates in days; each module's docstring says how the paper's time maps onto
days. :data:`ZOO` maps each name to its builder.

Published SBML documents ship beside them (:data:`SBML`), to load with
:func:`follicle.sbml.load`: ``Elowitz_Nature2000``, the repressilator of Elowitz & Leibler
2000, Nature 403:335, as the Benchmark-Models-PEtab collection encodes it (BSD 3-Clause,
``sbml/LICENSE-Benchmark-Models-PEtab``; time in minutes).

>>> from follicle.models import zoo
>>> sorted(zoo.ZOO)
['alnuaimi2012', 'halloy2002', 'karin2019']
"""

from pathlib import Path

from follicle.models.zoo.alnuaimi2012 import alnuaimi2012
from follicle.models.zoo.halloy2002 import halloy2002
from follicle.models.zoo.karin2019 import karin2019

#: Every zoo model by name: ``ZOO[name]()`` builds it with its published parameters.
ZOO = {
    "alnuaimi2012": alnuaimi2012,
    "halloy2002": halloy2002,
    "karin2019": karin2019,
}

#: Published SBML documents shipped with follicle, by name: ``SBML[name]`` is the file.
SBML = {"Elowitz_Nature2000": Path(__file__).parent / "sbml" / "Elowitz_Nature2000.xml"}

__all__ = ["SBML", "ZOO", "alnuaimi2012", "halloy2002", "karin2019"]
