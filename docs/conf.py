"""Sphinx configuration of the follicle documentation (``make docs``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "follicle"
author = "The follicle developers"
copyright = "2026, The follicle developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    # A copy of MathJax in _static (mathjax_path set by the extension): equations render
    # offline, and no page loads a script from the network.
    "sphinx-mathjax-offline",
    "sphinx_copybutton",
    "sphinx.ext.viewcode",
    "follicle_docs",
]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_generated", "scripts"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
autodoc_member_order = "bysource"
autodoc_typehints = "none"
html_theme = "alabaster"
html_title = "follicle"
