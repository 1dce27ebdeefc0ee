"""cell.explain prints one step gate by gate and returns what step returns; cells render as HTML tables."""
import io
import re

import numpy as np
import pytest

import lstmx

CELLS = {lstmx.LSTMCell: ("i", "f", "g", "o"), lstmx.GRUCell: ("r", "z", "n"), lstmx.RNNCell: ()}


def one_step(cell_class, batch):
    rng = np.random.default_rng(1)
    cell = cell_class(3, 2, seed=0)
    cell.b[:] = rng.standard_normal(cell.b.shape)           # biases that are not 0 show up in the sums
    x = rng.standard_normal((*batch, 3)).astype(cell.dtype)
    h = rng.standard_normal((*batch, 2)).astype(cell.dtype)
    state = (h, rng.standard_normal((*batch, 2)).astype(cell.dtype)) if cell_class is lstmx.LSTMCell else h
    return cell, x, state


@pytest.mark.parametrize("batch", [(), (4,)])
@pytest.mark.parametrize("cell_class", list(CELLS))
def test_explain_returns_exactly_what_step_returns(cell_class, batch):
    cell, x, state = one_step(cell_class, batch)
    explained = cell.explain(x, state, file=io.StringIO())
    stepped = cell.step(x, state)
    for a, b in zip(np.atleast_1d(explained) if cell_class is not lstmx.LSTMCell else explained,
                    np.atleast_1d(stepped) if cell_class is not lstmx.LSTMCell else stepped):
        assert np.array_equal(a, b)                          # the same floats, not merely close


@pytest.mark.parametrize("cell_class", list(CELLS))
def test_explain_names_every_gate_with_its_equation_and_the_shapes_of_its_matrices(cell_class):
    cell, x, state = one_step(cell_class, ())
    out = io.StringIO()
    cell.explain(x, state, file=out)
    text = out.getvalue()
    assert "I = 3" in text and "H = 2" in text
    for k in CELLS[cell_class]:
        assert re.search(rf"^{k}_t = (σ|tanh)\(W_{k} x_t", text, re.M), k     # the gate's equation
        assert f"W_{k} (2, 3) @ x_t" in text and f"U_{k} (2, 2) @ h_(t-1)" in text and f"b_{k} (2,)" in text
        assert f"=> {k}_t" in text                                              # and its value
    if cell_class is lstmx.RNNCell:
        assert "W (2, 3) @ x_t" in text and "U (2, 2) @ h_(t-1)" in text
    assert "=> h_t" in text and ("=> c_t" in text) == (cell_class is lstmx.LSTMCell)
    if cell_class is lstmx.GRUCell:
        assert "b_hn (2,)" in text


def test_explain_prints_the_values_it_returns_and_the_matrices_on_request():
    cell, x, state = one_step(lstmx.LSTMCell, ())
    out = io.StringIO()
    h, c = cell.explain(x, state, weights=True, precision=4, file=out)
    text = out.getvalue()
    line = next(l for l in text.splitlines() if l.strip().startswith("=> h_t"))
    assert np.allclose(np.array(line.split("=")[-1].strip(" []").split(), float), h, atol=1e-4)
    w_i = np.array2string(cell.W_i[0], precision=4, floatmode="fixed", sign=" ")[1:-1].strip()
    assert w_i in text                                       # the first row of W_i, printed


def test_explain_checks_the_state_as_step_does():
    cell = lstmx.LSTMCell(3, 2)
    with pytest.raises(TypeError, match=r"state = \(h_prev, c_prev\)"):
        cell.explain(np.zeros(3), np.zeros(2), file=io.StringIO())
    with pytest.raises(ValueError, match="x_t must have shape"):
        lstmx.GRUCell(3, 2).explain(np.zeros(4), np.zeros(2), file=io.StringIO())


@pytest.mark.parametrize("cell_class", list(CELLS))
def test_a_cell_renders_as_an_html_table_of_its_gate_matrices(cell_class):
    cell = cell_class(3, 2)
    html = cell._repr_html_()
    assert html.startswith("<table>") and html.endswith("</table>")
    for r in cell.shapes():
        assert f"<code>{r['name']}</code></td><td><code>{r['shape']}</code>" in html
    assert f"{cell.count_params():,} parameters" in html
    gates_only = sum(r["count"] for r in cell.shapes() if r["name"] not in ("W", "U", "b"))
    assert gates_only == cell.count_params()                  # the gate rows add up to the total, packs aside


def test_a_models_summary_renders_as_an_html_table_with_the_rows_of_the_text_summary():
    from lstmx.models.summary import summary_html, summary_rows
    model = lstmx.Sequential([lstmx.Embedding(100, 8), lstmx.Bidirectional(lstmx.LSTM(4)), lstmx.Dense(1)])
    model.build((None, 5))
    html = summary_html(model)
    for name, shape, count, _ in summary_rows(model)[1:]:
        assert f"<code>{name}</code></td><td><code>{shape}</code></td><td style='text-align:right'>{count:,}<" in html
    assert f"Total params: {model.count_params():,}" in html
    if hasattr(type(model), "_repr_html_"):                  # once Model forwards to it
        assert model._repr_html_() == html


# ---- the teaching pages' code runs, and prints what the page shows ----
import contextlib
import os

DOCS = os.path.join(os.path.dirname(__file__), os.pardir, "docs")
BLOCK = re.compile(r"\.\. code-block:: (python|text)\n\n((?:   .*\n|\n)+)")


def code_and_output(page):
    """[(python code, the text block right after it or None)] of a page's code-blocks."""
    text = open(os.path.join(DOCS, page), encoding="utf-8").read()
    blocks = [(m.group(1), "\n".join(l[3:] for l in m.group(2).splitlines()).strip("\n"), m.start(), m.end())
              for m in BLOCK.finditer(text)]
    pairs = []
    for k, (kind, body, _, end) in enumerate(blocks):
        if kind == "python":
            follows = k + 1 < len(blocks) and blocks[k + 1][0] == "text" and blocks[k + 1][2] == end
            pairs.append((body, blocks[k + 1][1] if follows else None))
    return pairs


@pytest.mark.parametrize("page", ["lstm_step.rst", "gru_rnn.rst", "bptt.rst", "word2vec.rst"])
def test_the_pages_python_blocks_run_and_print_the_output_shown_below_them(page, monkeypatch):
    monkeypatch.chdir(DOCS)
    pairs = code_and_output(page)
    assert pairs
    for code, shown in pairs:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, page, "exec"), {})
        if shown is not None:
            assert out.getvalue().strip("\n") == shown, f"{page}: the output under this code has changed:\n{code}"
