"""Every Python block of README.md runs as written, each in a fresh interpreter.

A block that needs something lstmx does not ship says so in a comment line of its own::

    # needs: corpus.txt (your text, one sentence a line)

The first word after ``needs:`` names the thing: ``aclImdb_v1.tar.gz`` is the IMDB data set, looked
for where :func:`lstmx.datasets.imdb.find` looks (``$LSTMX_DATA``, ``~/.lstmx/datasets``); any
other name is a file in the block's working directory (a fresh temporary directory). The block is
skipped, saying what is missing, when the thing is absent.
"""
import os
import re
import subprocess
import sys

import pytest

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")
NEEDS = re.compile(r"^# needs: (\S+)", re.MULTILINE)


def python_blocks(text):
    """``[(line number of the block's first code line, code), ...]`` of the ```python blocks."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1))
            for m in re.finditer(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)]


BLOCKS = python_blocks(open(README, encoding="utf-8").read())


def missing(need, cwd):
    """Why ``need`` is absent (a sentence), or None when it is present."""
    if need == "aclImdb_v1.tar.gz":
        from lstmx.datasets import imdb
        try:
            imdb.find()
        except FileNotFoundError:
            return "the IMDB data set (aclImdb_v1.tar.gz) is not in $LSTMX_DATA or ~/.lstmx/datasets"
        return None
    return None if os.path.exists(os.path.join(cwd, need)) else f"{need} is not in the working directory"


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 4
    assert all("import lstmx" in code or "from lstmx" in code for _, code in BLOCKS)


@pytest.mark.parametrize("line,code", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_block_runs_in_a_fresh_interpreter(line, code, tmp_path):
    for need in NEEDS.findall(code):
        why = missing(need, tmp_path)
        if why:
            pytest.skip(f"README.md line {line} needs {need}: {why}")
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"README.md block at line {line} failed:\n{proc.stderr[-3000:]}"


def test_a_needs_marker_skips_and_names_what_is_missing(tmp_path):
    assert missing("corpus.txt", tmp_path) == "corpus.txt is not in the working directory"
    (tmp_path / "corpus.txt").write_text("a b c\n")
    assert missing("corpus.txt", tmp_path) is None
    assert any(NEEDS.search(code) for _, code in BLOCKS)     # the word2vec block reads the user's corpus
