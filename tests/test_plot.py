"""lstmx.plot.plot_history: the seeds' loss and accuracy figure."""
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
