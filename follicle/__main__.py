"""``python -m follicle``: the :mod:`follicle.cli` command line."""

import sys

from follicle.cli import main

sys.exit(main())
