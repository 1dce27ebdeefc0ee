"""lstmx.plot.plot_history: the loss and accuracy figure."""
import pytest

from lstmx.plot import plot_history


def test_plot_history_draws_training_and_validation(tmp_path):
    history = {"loss": [0.6, 0.4, 0.3], "accuracy": [0.7, 0.8, 0.9], "val_loss": [0.5, 0.45, 0.5],
               "val_accuracy": [0.75, 0.8, 0.78]}
    path = tmp_path / "history.png"
    fig = plot_history(history, path=str(path))
    loss_axes, accuracy_axes = fig.axes
    assert [line.get_label() for line in loss_axes.lines] == ["training loss", "validation loss"]
    assert list(accuracy_axes.lines[1].get_ydata()) == history["val_accuracy"]
    assert path.stat().st_size > 5_000


def test_plot_history_without_a_loss_says_what_it_needs():
    with pytest.raises(ValueError, match=r"the history has no per-epoch 'loss' to plot \(keys: \['accuracy'\]\)"):
        plot_history({"accuracy": [0.5]})


# ---- plot_model: a model's graph, drawn with matplotlib ----
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

import lstmx
from lstmx.plot import plot_model


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def tagger():
    """The tagger with character features: two Inputs, two Embeddings, TimeDistributed(LSTM),
    Concatenate, Bidirectional(LSTM), Dense."""
    words = lstmx.Input((None,), dtype="int32", name="words")
    chars = lstmx.Input((None, None), dtype="int32", name="chars")
    w = lstmx.Embedding(10, 3, mask_zero=True)(words)
    c = lstmx.TimeDistributed(lstmx.LSTM(5))(lstmx.Embedding(8, 2, mask_zero=True)(chars))
    h = lstmx.Bidirectional(lstmx.LSTM(4, return_sequences=True))(lstmx.Concatenate()([w, c]))
    return lstmx.Model([words, chars], lstmx.Dense(6, "softmax")(h))


def encoder_decoder():
    source, target = lstmx.Input((None, 3), name="source"), lstmx.Input((None, 2), name="target")
    _, h, c = lstmx.LSTM(4, return_state=True, name="encoder")(source)
    decoded = lstmx.LSTM(4, return_sequences=True, name="decoder")(target, initial_state=[h, c])
    return lstmx.Model([source, target], lstmx.Dense(2, name="out")(decoded))


def drawing(fig):
    """{layer name: (box, title, shapes text or None)} and {"src->dst": arrow} from plot_model's figure."""
    ax, = fig.axes
    boxes = {p.get_gid()[len("layer:"):]: p for p in ax.patches
             if isinstance(p, FancyBboxPatch) and (p.get_gid() or "").startswith("layer:")}
    texts = {t.get_gid(): t for t in ax.texts}
    arrows = {p.get_gid()[len("edge:"):]: p for p in ax.patches
              if isinstance(p, FancyArrowPatch) and (p.get_gid() or "").startswith("edge:")}
    assert len(boxes) + len(arrows) == len(ax.patches)       # nothing else is drawn as a patch
    return ({name: (box, texts[f"title:{name}"].get_text(), texts.get(f"shapes:{name}") and
                    texts[f"shapes:{name}"].get_text()) for name, box in boxes.items()}, arrows)


def graph_edges(model):
    """The pairs of layers (reader of an output, its writer) in the model's graph, by name."""
    return {f"{t.node.layer.name}->{node.layer.name}" for node in model.graph.nodes for t in node.inputs}


def assert_clean(fig):
    """Every text sits inside its box (or is an edge label) at >= 9 pt, no two boxes overlap, and no
    arrow passes through a box other than the two it joins."""
    ax, = fig.axes
    renderer = fig.canvas.get_renderer()
    boxes, arrows = drawing(fig)
    extent = {name: box.get_window_extent(renderer) for name, (box, _, _) in boxes.items()}
    for t in ax.texts:
        assert t.get_fontsize() >= 9, t.get_text()
        kind, name = t.get_gid().split(":", 1)
        if kind != "edge-label":
            bb, box = t.get_window_extent(renderer), extent[name]
            assert box.x0 < bb.x0 and bb.x1 < box.x1 and box.y0 < bb.y0 and bb.y1 < box.y1, t.get_text()
    names = sorted(extent)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not extent[a].overlaps(extent[b]), (a, b)
    for gid, arrow in arrows.items():
        src, dst = gid.split("->")
        lines = ax.transData.transform_path(arrow.get_path()).to_polygons(closed_only=False)
        t = np.linspace(0, 1, 25)[:, None, None]
        points = np.concatenate([(line[:-1] + t * (line[1:] - line[:-1])).reshape(-1, 2) for line in lines])
        for name, bb in extent.items():
            if name not in (src, dst):
                inside = (points[:, 0] > bb.x0 + 1) & (points[:, 0] < bb.x1 - 1) & \
                         (points[:, 1] > bb.y0 + 1) & (points[:, 1] < bb.y1 - 1)
                assert not inside.any(), f"the arrow {gid} crosses the box of {name}"


def test_plot_model_draws_every_layer_of_the_tagger_with_its_name_type_and_shapes():
    model = tagger()
    fig = plot_model(model)
    boxes, arrows = drawing(fig)
    assert set(boxes) == {layer.name for layer in model.layers} and len(boxes) == 8
    assert boxes["words"][1:] == ("words (InputLayer)", "input: (None, None) | output: (None, None)")
    assert boxes["time_distributed"][1:] == ("time_distributed (TimeDistributed(LSTM))",
                                             "input: (None, None, None, 2) | output: (None, None, 5)")
    assert boxes["bidirectional"][1:] == ("bidirectional (Bidirectional(LSTM))",
                                          "input: (None, None, 8) | output: (None, None, 8)")
    assert boxes["concatenate"][2] == "input:  [(None, None, 3), (None, None, 5)]\noutput: (None, None, 8)"
    assert boxes["dense"][1] == "dense (Dense)"
    # one arrow a pair of layers the graph connects, and no other
    assert set(arrows) == graph_edges(model) == {
        "words->embedding", "chars->embedding_1", "embedding_1->time_distributed", "embedding->concatenate",
        "time_distributed->concatenate", "concatenate->bidirectional", "bidirectional->dense"}
    assert_clean(fig)
    # ranks by depth: the word embedding's arrow to concatenate skips the TimeDistributed's rank
    y = {name: box.get_y() + box.get_height() / 2 for name, (box, _, _) in boxes.items()}
    assert y["words"] == y["chars"] > y["embedding"] == y["embedding_1"] > y["time_distributed"] > \
        y["concatenate"] > y["bidirectional"] > y["dense"]


def test_an_encoder_whose_states_start_a_decoder_labels_the_outputs_the_arrow_carries():
    model = encoder_decoder()
    fig = plot_model(model)
    boxes, arrows = drawing(fig)
    assert set(arrows) == graph_edges(model) == {"source->encoder", "target->decoder", "encoder->decoder",
                                                "decoder->out"}
    labels = {t.get_gid(): t.get_text() for t in fig.axes[0].texts if t.get_gid().startswith("edge-label:")}
    assert labels == {"edge-label:encoder->decoder": "[1], [2]"}   # h and c, not the output
    # several outputs (or inputs): shapes as a list, a line each when both do not fit on one
    assert boxes["encoder"][2] == "input:  (None, None, 3)\noutput: [(None, 4), (None, 4), (None, 4)]"
    assert boxes["decoder"][2] == "input:  [(None, None, 2), (None, 4), (None, 4)]\noutput: (None, None, 4)"
    assert_clean(fig)


def test_a_shared_layer_is_one_box_with_an_arrow_from_each_layer_it_reads():
    shared = lstmx.Dense(3, "tanh", name="shared")
    inputs = [lstmx.Input((2,), name=f"x{k}") for k in range(3)]
    model = lstmx.Model(inputs, lstmx.Dense(1, name="out")(lstmx.Concatenate(name="cat")([shared(t) for t in inputs])))
    fig = plot_model(model, show_shapes=False)
    boxes, arrows = drawing(fig)
    assert set(boxes) == {"x0", "x1", "x2", "shared", "cat", "out"}
    assert boxes["shared"][1:] == ("shared (Dense)", None)
    assert set(arrows) == {"x0->shared", "x1->shared", "x2->shared", "shared->cat", "cat->out"}
    assert_clean(fig)


def test_a_layer_fed_its_own_output_through_another_gets_an_arrow_back_up():
    """d(e(d(x))): the boxes of d and e form a cycle; every edge is still drawn, none through a box."""
    x = lstmx.Input((3,), name="x")
    d, e = lstmx.Dense(3, name="d"), lstmx.Dense(3, name="e")
    model = lstmx.Model(x, [lstmx.Dense(1, name="head")(d(e(d(x)))), d(d(x))])
    fig = plot_model(model, rankdir="LR")
    boxes, arrows = drawing(fig)
    assert set(arrows) == graph_edges(model) == {"x->d", "d->e", "e->d", "d->d", "d->head"}
    assert_clean(fig)


def test_rankdir_lays_a_sequential_out_top_to_bottom_or_left_to_right_and_layer_names_can_go():
    model = lstmx.Sequential([lstmx.Input((7,), dtype="int32"), lstmx.Embedding(20, 4), lstmx.LSTM(3),
                              lstmx.Dense(1, "sigmoid")])
    order = ["input_layer", "embedding", "lstm", "dense"]   # a Sequential's Input is drawn too
    centres = {}
    for rankdir in ("TB", "LR"):
        fig = plot_model(model, rankdir=rankdir, show_layer_names=False)
        boxes, arrows = drawing(fig)
        assert set(arrows) == {"input_layer->embedding", "embedding->lstm", "lstm->dense"}
        assert [boxes[n][1] for n in order] == ["InputLayer", "Embedding", "LSTM", "Dense"]
        bbs = [boxes[n][0].get_bbox() for n in order]
        centres[rankdir] = np.array([((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2) for b in bbs])
        width, height = fig.get_size_inches()
        assert (height > width) == (rankdir == "TB")
        assert_clean(fig)
    tb, lr = centres["TB"], centres["LR"]
    assert np.allclose(tb[:, 0], tb[0, 0]) and np.all(np.diff(tb[:, 1]) < 0)     # a column, top down
    assert np.allclose(lr[:, 1], lr[0, 1]) and np.all(np.diff(lr[:, 0]) > 0)     # a row, left to right
    assert boxes["lstm"][2] == "input:  (None, 7, 4)\noutput: (None, 3)"     # LR: a line each, boxes narrow


def test_plot_model_writes_png_and_svg_and_returns_the_figure(tmp_path):
    model = encoder_decoder()
    fig = plot_model(model, to_file=tmp_path / "model.png", dpi=80)
    data = (tmp_path / "model.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    width, height = (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))
    assert np.allclose((width, height), fig.get_size_inches() * 80, atol=1)    # the figure, at the dpi asked
    assert isinstance(fig, matplotlib.figure.Figure) and len(drawing(fig)[1]) == 4
    plot_model(model, to_file=str(tmp_path / "model.svg"), show_shapes=False)
    svg = (tmp_path / "model.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and svg.count('id="edge:') == 4 and 'id="layer:encoder"' in svg


def test_plot_model_in_a_given_axes_scales_to_fit_and_warns_when_text_gets_too_small():
    fig, ax = plt.subplots(figsize=(12, 9))
    assert plot_model(encoder_decoder(), ax=ax) is fig
    assert len(drawing(fig)[0]) == 5
    fig, ax = plt.subplots(figsize=(2, 2))
    with pytest.warns(UserWarning, match="the axes is too small for this model"):
        plot_model(encoder_decoder(), ax=ax)


def test_plot_model_of_an_unbuilt_sequential_says_to_build_it_first():
    with pytest.raises(ValueError, match="build the model first"):
        plot_model(lstmx.Sequential([lstmx.LSTM(3), lstmx.Dense(1)]))
    with pytest.raises(ValueError, match="rankdir must be 'TB'"):
        plot_model(encoder_decoder(), rankdir="BT")


def test_plot_attention_draws_a_strip_over_words_and_a_matrix_of_queries_over_keys():
    from lstmx.plot import plot_attention
    words = ["a", "truly", "awful", "film"]
    fig = plot_attention(np.array([0.1, 0.2, 0.6, 0.1]), x_labels=words)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == words and ax.images[0].get_array().shape == (1, 4)
    fig = plot_attention(np.eye(3), x_labels=list("abc"), y_labels=list("xyz"), title="alignment")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list("xyz") and ax.get_title() == "alignment"
    with pytest.raises(ValueError, match="x_labels has 2 tokens for 4 columns"):
        plot_attention(np.ones(4) / 4, x_labels=["a", "b"])
    with pytest.raises(ValueError, match=r"\(T,\) or \(Tq, Tv\) weights, got shape \(1, 2, 3\)"):
        plot_attention(np.ones((1, 2, 3)))


def test_plot_attention_sets_every_text_of_the_figure_to_fontsize():
    """A wide alignment shown in the docs' column is scaled down: ``fontsize`` keeps all its text
    (tokens, axis labels, the colour bar's numbers) large enough, not only the tokens."""
    from lstmx.plot import plot_attention
    fig = plot_attention(np.eye(3), x_labels=list("abc"), y_labels=list("xyz"), title="t", fontsize=14)
    ax, bar = fig.axes
    sizes = [t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels() + bar.get_yticklabels()]
    sizes += [ax.xaxis.label.get_fontsize(), ax.yaxis.label.get_fontsize(), bar.yaxis.label.get_fontsize()]
    assert min(sizes) == 14 and ax.title.get_fontsize() > 14
    assert min(t.get_fontsize() for t in plot_attention(np.eye(2)).axes[1].get_yticklabels()) == 9   # the default
    for bad in (0, -3, float("nan"), "12", True):
        with pytest.raises(ValueError, match="fontsize must be a positive number of points"):
            plot_attention(np.eye(2), fontsize=bad)


def test_plot_forecast_draws_the_band_and_the_residuals():
    from lstmx.plot import plot_forecast
    t = np.arange(10)
    fig = plot_forecast(t, np.ones(10), np.zeros(10), lower=-np.ones(10), upper=np.ones(10),
                        history=(np.arange(-5, 0), np.ones(5)), title="f")
    top, bottom = fig.axes
    assert [l.get_label() for l in top.lines] == ["series", "truth", "forecast"] and len(top.collections) == 1
    np.testing.assert_array_equal(bottom.lines[-1].get_ydata(), np.ones(10))    # truth - forecast
    with pytest.raises(ValueError, match="must be \\(N,\\) alike"):
        plot_forecast(t, np.ones(10), np.ones(9))


# ---- diagrams drawn from real shapes, and the gradient through time ----
from matplotlib.text import Text

from lstmx.plot import (plot_bidirectional_layout, plot_cbow, plot_cell_diagram, plot_gate_bias_flow,
                        plot_unrolled)
from lstmx.plot.cells import gradient_flow


def texts(fig):
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def assert_readable(fig):
    """At most 8.5 inches wide (850 px at 100 dpi, the text column) and no text under 10 pt: labels
    of at least 9 px however the page scales the figure down to its column."""
    assert fig.get_figwidth() <= 8.5 + 1e-9
    small = [(t.get_text(), t.get_fontsize()) for t in texts(fig) if t.get_fontsize() < 10]
    assert small == []


def by_gid(fig, prefix):
    return {a.get_gid()[len(prefix):]: a for a in fig.findobj(lambda a: (a.get_gid() or "").startswith(prefix))}


@pytest.mark.parametrize("cell_class, I, H", [(lstmx.LSTMCell, 3, 2), (lstmx.LSTMCell, 128, 64),
                                              (lstmx.GRUCell, 3, 2), (lstmx.RNNCell, 5, 4)])
def test_the_cell_diagram_draws_every_gate_matrix_as_a_block_of_its_real_shape(cell_class, I, H):
    cell = cell_class(I, H)
    fig = plot_cell_diagram(cell)
    assert_readable(fig)
    blocks, labels = by_gid(fig, "block:"), by_gid(fig, "label:")
    G = len(cell.gates)
    names = [f"{p}_{g}" for g in cell.gates for p in "WU"] if G > 1 else ["W", "U"]
    for name in names:
        w, h = blocks[name].get_width(), blocks[name].get_height()
        cols = I if name.startswith("W") else H
        assert w / h == pytest.approx(cols / H)                      # drawn to scale
        assert labels[name].get_text() == f"{name}\n({H}, {cols})"
    packs = by_gid(fig, "pack:")
    assert packs["W"].get_text() == f"W ({G * H}, {I})" and packs["U"].get_text() == f"U ({G * H}, {H})"
    gates = by_gid(fig, "gate:")
    assert set(gates) == (set(cell.gates) if G > 1 else {"h"})


def test_the_unrolled_rnn_has_a_cell_a_step_and_a_gradient_arrow_between_steps():
    fig = plot_unrolled(T=6)
    assert_readable(fig)
    assert len(by_gid(fig, "block:step")) == 6 and len(by_gid(fig, "arrow:grad")) == 5
    lstm = plot_unrolled(T=4, kind="lstm")
    assert {"⊙ f_2", "⊙ f_3", "⊙ f_4"} <= {t.get_text() for t in texts(lstm)}


def test_the_bidirectional_layout_says_which_half_of_the_last_step_has_read_what():
    fig = plot_bidirectional_layout(("not", "a", "good", "film"), H=3)
    assert_readable(fig)
    assert len(by_gid(fig, "block:fwd")) == len(by_gid(fig, "block:bwd")) == 4 * 3
    labels = by_gid(fig, "label:")
    assert labels["last_forward"].get_text() == "Y[:, -1, :3]: has read\nall 4 tokens"
    assert labels["last_backward"].get_text() == "Y[:, -1, 3:]: has read\nonly 'film'"


def test_the_cbow_diagram_averages_the_context_rows_of_w_in():
    fig = plot_cbow(vocabulary_size=8, vector_size=3, context=(0, 2, 5), target=3)
    assert_readable(fig)
    blocks = by_gid(fig, "block:")
    assert sum(k.startswith("in") for k in blocks) == 8 * 3 and sum(k.startswith("out") for k in blocks) == 8 * 3
    bright = {k.split("_")[0] for k, b in blocks.items() if k.startswith("in") and b.get_alpha() > 0.5}
    assert bright == {"in0", "in2", "in5"}
    assert by_gid(fig, "label:")["W_in"].get_text() == "W_in (8, 3)"


def test_gradient_flow_with_a_large_forget_bias_keeps_the_gradient_over_60_steps():
    """The numbers the BPTT page states: at the default initialisation (b_f = 1) an LSTM keeps about
    4e-6 of the gradient over 60 steps, a GRU (b_z = 0) about 3e-13; b_f = 3 keeps about 0.67."""
    ratio = {}
    for name, cls, bias in (("lstm", lstmx.LSTM, None), ("lstm3", lstmx.LSTM, {"f": 3.0}),
                            ("gru", lstmx.GRU, None), ("gru3", lstmx.GRU, {"z": 3.0})):
        flow = gradient_flow(cls, T=60, gate_bias=bias)
        ratio[name] = flow[0] / flow[-1]
    assert 1e-6 < ratio["lstm"] < 1e-5 and 1e-13 < ratio["gru"] < 1e-12
    assert 0.5 < ratio["lstm3"] < 0.9 and 0.03 < ratio["gru3"] < 0.15


def test_plot_gate_bias_flow_draws_a_curve_a_bias_and_names_its_ratio():
    fig = plot_gate_bias_flow(T=20, forget_biases=(1, 3), update_biases=(0, 2))
    assert_readable(fig)
    lstm_axes, gru_axes = fig.axes
    assert len(lstm_axes.lines) == len(gru_axes.lines) == 3            # two biases and the simple RNN
    labels = [t.get_text() for t in lstm_axes.get_legend().get_texts()]
    assert labels[0].startswith("1: ") and labels[0].endswith("(default)") and labels[2].startswith("RNN: ")
