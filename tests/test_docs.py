"""The documentation builds with warnings as errors, every page's code (plots, tables) runs, and the
built HTML keeps the layout and the reference complete (issue #26): no empty sidebar, real alt text
and a full-size link on every image, legible figure labels, code that fits the text column, every
public name in the API reference, the command-line page generated from the parser.

The site is built once for the module (about two minutes) and every HTML test reads that build.
"""
import json
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("pydata_sphinx_theme")
bs4 = pytest.importorskip("bs4")
DOCS = os.path.join(os.path.dirname(__file__), os.pardir, "docs")

# At 1280 px the text column (the article's content box) is 896 px wide: the sidebar is gone and
# pydata-sphinx-theme caps the article at 928 px. Its monospace (14 px, 8.43 px a character) holds
# 102 characters across a code block's padding; a block inside an API entry or a list item is
# indented 32 px (4 characters) more at each level.
COLUMN_PX = 896
CODE_CHARS = 102
SIDE_BY_SIDE_CHARS = 52      # each half of a side-by-side table (code at 0.85em)
MIN_LABEL_PX = 9

# Pages under rewrite by the teaching-content work of issue #26 at the time of writing, whose code
# blocks or figures are not yet fixed; each is to be removed from these sets as it is fixed.
PENDING_CODE_WIDTH = set()
PENDING_ALT_TEXT = set()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if os.environ.get("LSTMX_DOCS_HTML"):   # to check an existing build again: the folder of its HTML
        from pathlib import Path
        return Path(os.environ["LSTMX_DOCS_HTML"])
    out = tmp_path_factory.mktemp("docs")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", "-d", str(out / "doctrees"),
                           DOCS, str(out / "html")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out / "html"


def _pages(site):
    skip = {"genindex.html", "search.html", "py-modindex.html"}
    return {p.name: bs4.BeautifulSoup(p.read_text(), "html.parser")
            for p in sorted(site.glob("*.html")) if p.name not in skip}


@pytest.fixture(scope="module")
def pages(site):
    return _pages(site)


def test_sphinx_build_with_warnings_as_errors(site):
    html = (site / "hidden_size.html").read_text()
    assert "49,408 parameters" in html and "W_f" in html          # the table computed by lstmx at build time
    assert len(list((site / "_images").glob("*.png"))) >= 3


def test_no_empty_sidebar(pages):
    """The left sidebar is only the small screens' menu (hidden on wide ones); no page has an empty
    "Section Navigation" taking 300 px from the text."""
    for name, soup in pages.items():
        assert "Section Navigation" not in soup.get_text(), name
        primary = soup.select_one(".bd-sidebar-primary")
        assert primary is None or "hide-on-wide" in primary.get("class", []), name


def test_every_image_has_real_alt_text_and_opens_at_full_size(pages):
    for name, soup in pages.items():
        for img in soup.select("article img"):
            src = img.get("src", "")
            alt = (img.get("alt") or "").strip()
            if name not in PENDING_ALT_TEXT:
                stem = os.path.splitext(os.path.basename(src))[0]
                assert len(alt) >= 20 and not re.search(r"\.(png|jpe?g|svg|gif)$|/", alt) and alt != stem, \
                    f"{name}: {src} has alt {alt!r}"
            link = img.find_parent("a")
            assert link is not None and link["href"].endswith(os.path.basename(src)), f"{name}: {src} is not a link"


def _png_width(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(head[16:20], "big")


def test_figure_labels_are_legible_in_the_column(site, pages):
    """Every figure drawn at build time: its smallest text, once the figure is scaled to the text
    column (images are shown at their own width, or narrower), is at least 9 px high."""
    measured = json.loads((site / "figure_text.json").read_text())
    shown = {os.path.basename(img["src"]) for soup in pages.values() for img in soup.select("article img")}
    checked = 0
    for png, figure in measured.items():
        if png not in shown:
            continue
        assert "error" not in figure, f"{png}: its text could not be measured: {figure['error']}"
        width = _png_width(site / "_images" / png)
        px = figure["min_text_px"] * min(1.0, COLUMN_PX / width)
        assert px >= MIN_LABEL_PX, f"{png}: {figure['text']!r} is {px:.1f} px on the page (figure {width} px wide)"
        checked += 1
    assert checked >= 20


def test_code_blocks_fit_the_text_column(pages):
    """No code block scrolls sideways at 1280 px: no line longer than the column holds (a block that
    must keep a source file's long lines is marked ``wrap-long-lines`` and wraps them)."""
    for name, soup in pages.items():
        if name in PENDING_CODE_WIDTH:
            continue
        for pre in soup.select("article pre"):
            if pre.find_parent(class_="wrap-long-lines"):
                continue
            indent = 4 * len(pre.find_parents(["dd", "li", "blockquote"]))
            limit = SIDE_BY_SIDE_CHARS if pre.find_parent("table", class_="side-by-side") else CODE_CHARS - indent
            longest = max(pre.get_text().split("\n"), key=len)
            assert len(longest) <= limit, f"{name}: {len(longest)} characters: {longest!r}"


def test_the_side_by_side_code_has_both_columns(pages):
    table = pages["imdb.html"].select_one("table.side-by-side")
    cells = table.select("td")
    assert len(cells) == 2 and "keras" in cells[0].get_text() and "lstmx" in cells[1].get_text()


def test_every_public_name_is_in_the_api_reference(pages):
    import lstmx
    ids = {tag["id"] for tag in pages["api.html"].find_all(id=True)}
    assert [name for name in lstmx.__all__ if f"lstmx.{name}" not in ids] == []
    for name in ("lstmx.LSTM.__call__", "lstmx.LSTM.backward", "lstmx.GRU.__call__", "lstmx.SimpleRNN.backward",
                 "lstmx.models.History", "lstmx.datasets.imdb.decode", "lstmx.datasets.imdb.get_word_index",
                 "lstmx.datasets.imdb.load_sample_word_index", "lstmx.gradcheck.check_layer_gradients",
                 "lstmx.Word2Vec.load"):
        assert name in ids, name
    signatures = " ".join(dt.get_text() for dt in pages["api.html"].select("dt.sig"))
    assert "dtype=float32" in re.sub(r"\s+", "", signatures)
    assert not re.search(r"<class|<built-in|<function| at 0x", signatures), "a default printed as a repr"


def test_recurrent_layers_show_every_parameter(pages):
    import inspect

    import lstmx
    api = pages["api.html"]
    for cls in (lstmx.LSTM, lstmx.GRU, lstmx.SimpleRNN):
        entry = api.find(id=f"lstmx.{cls.__name__}").find_next_sibling("dd")
        documented = entry.get_text()
        for parameter in inspect.signature(cls).parameters:
            assert parameter in documented, (cls.__name__, parameter)
        call = api.find(id=f"lstmx.{cls.__name__}.forward").find_next_sibling("dd").get_text()
        for argument in ("mask", "training", "initial_state"):
            assert argument in call, (cls.__name__, argument)


def test_the_command_line_page_lists_every_command_and_option(pages):
    import argparse

    from lstmx.cli import build_parser
    page = pages["cli.html"].select_one("article").get_text()

    def walk(parser, prog):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    assert f"{prog} {name}" in page
                    walk(child, f"{prog} {name}")
            for option in action.option_strings:
                assert option in page, (prog, option)

    walk(build_parser(), "lstmx")


def test_shapes_tables_count_each_parameter_once():
    sys.path.insert(0, os.path.join(DOCS, "_ext"))
    try:
        from lstmx_docs import shapes_rows
    finally:
        sys.path.pop(0)
    import lstmx
    for cell in (lstmx.LSTMCell(7, 5), lstmx.GRUCell(7, 5), lstmx.RNNCell(7, 5)):
        rows = shapes_rows(cell)
        counts = [int(count.replace(",", "")) for name, _, count, _ in rows
                  if count[:1].isdigit() and name != "**total**"]
        total = [count for name, _, count, _ in rows if name == "**total**"]
        assert sum(counts) == cell.count_params() and total == [f"**{cell.count_params():,}**"]
        assert [r[0] for r in rows[-3:]] == ["``W``", "``U``", "``b``"]


def test_the_quick_start_code_runs():
    """The python code-blocks of install.rst run as written (the figures' code runs in the build)."""
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


# ---- the pages as notebooks (docs/_ext/lstmx_notebooks.py) ----

def _pages_with_python():
    """The pages whose source has Python code (a python code-block or a plot)."""
    pattern = re.compile(r"^\s*\.\. (code-block:: python|plot::)", re.M)
    return sorted(name[:-4] for name in os.listdir(DOCS)
                  if name.endswith(".rst") and pattern.search(open(os.path.join(DOCS, name)).read()))


NOTEBOOK_PAGES = _pages_with_python()


def test_every_page_with_code_has_a_notebook_and_a_link_to_it(site, pages):
    assert len(NOTEBOOK_PAGES) >= 10
    made = sorted(p.stem for p in (site / "notebooks").glob("*.ipynb"))
    assert made == NOTEBOOK_PAGES
    for page in NOTEBOOK_PAGES:
        links = [a for a in pages[page + ".html"].select("article a") if a.get("href") == f"notebooks/{page}.ipynb"]
        assert links, f"{page}.html has no link to its notebook"


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_the_notebook_follows_its_page(site, pages, page):
    """Its code cells are the page's code, in the page's order; its headings are the page's."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(site / "notebooks" / f"{page}.ipynb", as_version=4)
    html = pages[page + ".html"]
    shown = [pre.get_text() for pre in html.select("article div.highlight-python pre")]
    code = [c.source for c in nb.cells if c.cell_type == "code" and not c.source.startswith("import sys\nsys.path")]
    assert code, page
    where = [next((k for k, text in enumerate(shown) if text.strip() == c.strip()), None) for c in code]
    assert None not in where, f"{page}: a code cell that the page does not show"
    assert where == sorted(where), f"{page}: the code cells are not in the page's order"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for h in html.select("article section > h1, article section > h2, article section > h3"):
        assert h.get_text().strip("#¶ \n") in markdown, f"{page}: heading {h.get_text()!r} missing"


def _docs_mirror(tmp_path):
    """A folder that reads as the docs folder (its files linked, ``../benchmarks`` beside it) but
    keeps what a notebook writes (an ONNX file, a saved model) out of the source tree."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in os.listdir(DOCS):
        (docs / name).symlink_to(os.path.abspath(os.path.join(DOCS, name)))
    (tmp_path / "benchmarks").symlink_to(os.path.abspath(os.path.join(DOCS, os.pardir, "benchmarks")))
    return docs


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_the_notebook_runs(site, page, tmp_path):
    """Every cell runs in a Jupyter kernel from (a mirror of) the docs folder, as the build runs the
    page's code, except the cells tagged not-run-in-ci (they need the EWT treebank, IMDB's archive,
    Keras, or minutes of training)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(site / "notebooks" / f"{page}.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if "not-run-in-ci" not in c.metadata.get("tags", [])]
    for peer in ("torch", "onnx", "onnxruntime"):      # the peers .ci/run installs
        if any(re.search(rf"^\s*(import|from) {peer}\b", c.source, re.M) for c in nb.cells if c.cell_type == "code"):
            pytest.importorskip(peer)
    before = sorted(os.listdir(DOCS))
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(_docs_mirror(tmp_path))}}).execute()
    assert sorted(os.listdir(DOCS)) == before, "the notebook wrote into the docs folder"
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]


def test_cells_not_run_in_ci_are_the_marked_ones(site):
    """Exactly the code-blocks marked ``:class: not-run-in-ci`` on the pages are tagged."""
    nbformat = pytest.importorskip("nbformat")
    for page in NOTEBOOK_PAGES:
        marked = open(os.path.join(DOCS, page + ".rst")).read().count(":class: not-run-in-ci")
        nb = nbformat.read(site / "notebooks" / f"{page}.ipynb", as_version=4)
        tagged = sum("not-run-in-ci" in c.metadata.get("tags", []) for c in nb.cells)
        assert tagged == marked, page
