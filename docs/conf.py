"""Sphinx configuration: MyST Markdown pages plus reference pages generated from the code (``_ext/genai_docs``).

Build with ``make docs`` (warnings are errors); the HTML lands in ``build/docs``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

project = "genai-sim"
author = "genai-sim contributors"
copyright = "genai-sim contributors, MIT licence"  # noqa: A001 - Sphinx's name

extensions = ["myst_parser", "genai_docs"]
source_suffix = {".md": "markdown"}
root_doc = "index"
# Page images of reports and the screenshots folder are assets, not pages.
# templates.md is the maintainers' table of the templates' source figures; the site generates its own Templates page.
exclude_patterns = ["_build", "report/**", "screenshots/**", "_ext/**", "README.md", "templates.md"]

myst_enable_extensions = ["colon_fence", "deflist", "attrs_inline", "dollarmath", "amsmath"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "genai-sim documentation"
html_static_path: list[str] = []
html_show_sourcelink = False
html_last_updated_fmt = None
# Headings that start below level 1 in pages other helpers write (FIGURES.md) are fine.
suppress_warnings = ["myst.header"]
