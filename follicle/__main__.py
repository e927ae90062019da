"""``python -m follicle``: the :mod:`follicle.models.cli` command line."""

import sys

from follicle.models.cli import main

sys.exit(main())
