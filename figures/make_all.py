"""Regenerate every figure: runs ``main()`` of each ``fig_*.py`` beside this file.

Usage: ``python figures/make_all.py [--fast] [--out DIR]``. Prints the files written and
the seconds each script took.

To add a figure, add ``fig_<name>.py`` with ``main(out_dir, fast=False)`` that returns the
paths :func:`_common.save` wrote (``<name>.png`` and ``<name>.svg``; same bytes on a rerun,
``fast`` a coarse version for the tests) and a ``FINDINGS`` tuple naming the findings it
shows: the tests, ``make figures`` and the docs' findings page pick it up from there.
"""

from __future__ import annotations

import argparse
import runpy
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts() -> list[Path]:
    return sorted(HERE.glob("fig_*.py"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fast", action="store_true", help="shorter simulations (for tests)")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    for script in scripts():
        began = time.perf_counter()
        namespace = runpy.run_path(str(script))
        for path in namespace["main"](args.out, fast=args.fast):
            print(
                path.relative_to(args.out.parent) if path.is_relative_to(args.out.parent) else path
            )
        # the budget of `make figures` is a few minutes: say where it goes
        print(f"  {script.name}: {time.perf_counter() - began:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
