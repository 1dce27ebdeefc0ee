"""The character language model's figures: the stateful-batch diagram shows what stateful_batches
feeds, the temperature bars are the sampling distributions, the activation map one value a character."""
import matplotlib

matplotlib.use("Agg")
import numpy as np   # noqa: E402
import pytest        # noqa: E402

from lstmx import plot, textgen   # noqa: E402


def texts(ax):
    return [t.get_text() for t in ax.texts]


def test_the_stateful_batches_diagram_shows_the_chunks_stateful_batches_feeds():
    text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
    ax = plot.plot_stateful_batches(text, batch_size=3, batches=2, seq_length=4)
    ids = np.array([ord(c) for c in text[:3 * 2 * 4 + 1]])
    X, _ = textgen.stateful_batches(ids, 3, 4)
    shown = texts(ax)
    for sample in X:                                # every (batch, row) chunk is a box of the figure
        assert "".join(map(chr, sample)) in shown
    assert min(t.get_fontsize() for t in ax.texts) >= 9


def test_temperature_bars_are_the_renormalised_distributions():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    ax = plot.plot_temperature(p, list("abcd"), temperatures=(0.5, 1.0), top=4)
    heights = np.array([b.get_height() for b in ax.patches]).reshape(2, 4)
    np.testing.assert_allclose(heights[1], p)
    np.testing.assert_allclose(heights[0], p ** 2 / (p ** 2).sum())
    with pytest.raises(ValueError, match="one label each"):
        plot.plot_temperature(p, list("abc"))


def test_text_activations_colour_one_value_a_character():
    text = "ab\ncd"
    ax = plot.plot_text_activations(text, [1.0, -1.0, 0.0, 0.5, -0.5], columns=10)
    assert texts(ax) == ["a", "b", "⏎", "c", "d"]
    cmap = matplotlib.colormaps["RdBu_r"]                    # positive red, negative blue, 0 white
    for patch, v in zip(ax.patches, [1.0, -1.0, 0.0, 0.5, -0.5]):
        np.testing.assert_allclose(patch.get_facecolor(), cmap(0.5 + 0.5 * v))
    with pytest.raises(ValueError, match=r"one number a character: \(5,\)"):
        plot.plot_text_activations(text, [1.0, 2.0])
