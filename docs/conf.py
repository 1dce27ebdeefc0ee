"""Sphinx configuration of lstmx's documentation. Build: ``sphinx-build -W -b html docs docs/_build/html``."""
import os
import sys

sys.path.insert(0, os.path.abspath("_ext"))

project = "lstmx"
author = "the lstmx developers"
copyright = "2026, the lstmx developers"
import lstmx  # noqa: E402

release = version = lstmx.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",   # ships MathJax with the site: equations render without a network
    "sphinx.ext.viewcode",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
    "lstmx_cli",                # the command-line page, generated from lstmx.cli's parser
    "lstmx_docs",
    "lstmx_notebooks",          # each tutorial page as a Jupyter notebook (notebooks/<page>.ipynb)
]
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
autodoc_member_order = "bysource"
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.autolayout": False}
html_theme = "pydata_sphinx_theme"
html_title = "lstmx"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    # The pages form one flat list, so the left "Section Navigation" would be empty on every page
    # (and take ~300 px from the text): there is no left sidebar; the header menu is the navigation.
    # The header keeps to one line from 960 px up: three pages, then "More"; the search is an icon.
    "navbar_align": "left",
    "header_links_before_dropdown": 3,
    "navbar_persistent": [],
    "navbar_end": ["search-button", "theme-switcher"],
}
html_sidebars = {"**": []}
html_static_path = ["_static"]
html_css_files = ["lstmx.css"]
exclude_patterns = ["_build"]
