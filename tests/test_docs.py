"""The documentation builds with warnings as errors, and every page's code (plots, tables) runs."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("pydata_sphinx_theme")
DOCS = os.path.join(os.path.dirname(__file__), os.pardir, "docs")


def test_sphinx_build_with_warnings_as_errors(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d", str(tmp_path / "doctrees"),
                           DOCS, str(tmp_path / "html")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (tmp_path / "html" / "hidden_size.html").read_text()
    assert "49,408 parameters" in html and "W_f" in html          # the table computed by lstmx at build time
    assert len(list((tmp_path / "html" / "_images").glob("*.png"))) >= 3


def test_the_quick_start_code_runs():
    """The python code-blocks of install.rst run as written (the figures' code runs in the build)."""
    import re
    text = open(os.path.join(DOCS, "install.rst")).read()
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text)
    assert blocks
    for block in blocks:
        exec(compile("\n".join(line[3:] for line in block.splitlines()), "install.rst", "exec"), {})


def test_every_public_name_has_a_docstring():
    import inspect

    import lstmx
    missing = [name for name in lstmx.__all__ if not inspect.getdoc(getattr(lstmx, name))]
    assert missing == []
