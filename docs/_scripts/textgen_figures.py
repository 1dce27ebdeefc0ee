"""The figures and samples of the page "Generating text", from a model trained by ``lstmx textgen``.

    lstmx textgen --minutes 15 --epochs 100 --save charlm.npz --json > charlm.jsonl
    python docs/_scripts/textgen_figures.py charlm.npz charlm.jsonl

Writes into docs/_static/ (committed; the docs build does not train): textgen-val-loss.png,
textgen-temperature.png, textgen-cells.png, textgen-samples.txt and textgen-cells.txt (which cells
were picked and how well they follow what they are said to track). Training takes 15 minutes; the
figures a minute.
"""
import argparse
import json
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt   # noqa: E402
import numpy as np                # noqa: E402

import lstmx                      # noqa: E402
from lstmx import plot, textgen   # noqa: E402
from lstmx.datasets import shakespeare   # noqa: E402

STATIC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_static")


def val_loss_figure(history):
    minutes = [h["seconds"] / 60 for h in history if "epoch" in h and "val_loss" in h]
    loss = [h["val_loss"] for h in history if "epoch" in h and "val_loss" in h]
    fig, ax = plt.subplots(figsize=(8.5, 3.4))
    ax.plot(minutes, loss, "o-", label="validation loss (the last 10% of the text)")
    for level, style in ((1.60, "--"), (1.50, ":")):
        ax.axhline(level, color="gray", linestyle=style, linewidth=1)
        ax.text(minutes[0], level + 0.005, f"{level:.2f} nats ({level / np.log(2):.2f} bits)", ha="left",
                va="bottom", fontsize=10, color="dimgray")
    for m, l, h in zip(minutes, loss, history):
        ax.annotate(f"epoch {h['epoch']}", (m, l), textcoords="offset points", xytext=(4, 6), fontsize=9)
    ax.margins(y=0.12)
    ax.set_xlabel("training minutes", fontsize=11)
    ax.set_ylabel("nats per character", fontsize=11)
    bits = ax.secondary_yaxis("right", functions=(lambda n: n / np.log(2), lambda b: b * np.log(2)))
    bits.set_ylabel("bits per character", fontsize=11)
    ax.legend(fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(STATIC, "textgen-val-loss.png"), dpi=100)


def temperature_figure(model, prompt):
    char_index = model.metadata["char_index"]
    ids = textgen.encode(prompt, char_index)
    recurrent = [layer for layer in model.layers if hasattr(layer, "reset_states")]
    p, _ = textgen.run_steps(model.layers, ids[None, :], [None] * len(recurrent))
    labels = ["<pad>"] + [c for c, _ in sorted(char_index.items(), key=lambda kv: kv[1])]
    ax = plot.plot_temperature(p, labels, temperatures=(0.5, 1.0, 2.0), top=8)
    ax.set_title(f"the next character after {prompt!r}", fontsize=11, loc="left")
    ax.figure.tight_layout()
    ax.figure.savefig(os.path.join(STATIC, "textgen-temperature.png"), dpi=100)


def line_features(text):
    """Per character: its position in the line, and whether its line is a speaker's name (ends with ':')."""
    position, speaker = np.zeros(len(text)), np.zeros(len(text))
    start = 0
    for line in text.split("\n"):
        n = min(len(line) + 1, len(text) - start)       # the line and its newline (the last may have none)
        position[start:start + n] = np.arange(n)
        speaker[start:start + n] = float(line.endswith(":"))
        start += n
    return position, speaker


def cells_figure(model, text):
    """Pick, on a long passage, the cell of the last LSTM that follows each feature best; draw both
    over a short passage. Returns the notes: which cells, their correlations."""
    long_passage, short_passage = text[:20000], text[20000:20000 + 420]
    C = textgen.cell_activations(model, long_passage, layer=1, state="c")        # (T, H)
    notes = {}
    fig, axes = plt.subplots(2, 1, figsize=(8.5, 6.4))
    for ax, (name, feature) in zip(axes, zip(("position in its line", "being on a speaker's name line"),
                                                  line_features(long_passage))):
        r = np.array([np.corrcoef(C[:, j], feature)[0, 1] for j in range(C.shape[1])])
        j = int(np.nanargmax(np.abs(r)))
        notes[name] = dict(cell=j, correlation=round(float(r[j]), 3),
                           median_abs_correlation=round(float(np.nanmedian(np.abs(r))), 3))
        values = textgen.cell_activations(model, short_passage, layer=1, state="c")[:, j]
        plot.plot_text_activations(short_passage, values, columns=64, ax=ax,
                                   title=f"cell {j} of the second LSTM: correlation {r[j]:+.2f} with a character's {name}"
                                   if name.startswith("position") else
                                   f"cell {j} of the second LSTM: correlation {r[j]:+.2f} with {name}")
    fig.tight_layout()
    fig.savefig(os.path.join(STATIC, "textgen-cells.png"), dpi=100)
    return notes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("history", help="the JSON lines of lstmx textgen --json")
    args = parser.parse_args()
    model = lstmx.load_model(args.model)
    with open(args.history) as f:
        history = [json.loads(line) for line in f if line.startswith("{")]
    val_loss_figure(history)
    temperature_figure(model, "ROMEO:\nO, th")
    _, validation = shakespeare.split_text(shakespeare.load_text())
    notes = cells_figure(model, validation)
    samples = []
    for temperature in (0.2, 0.5, 0.8, 1.0, 1.2):
        samples.append(f"--- temperature {temperature} ---\nROMEO:" + lstmx.generate(model, "ROMEO:", 300,
                                                                                      temperature, seed=0))
    with open(os.path.join(STATIC, "textgen-samples.txt"), "w") as f:
        f.write("\n\n".join(samples) + "\n")
    timing = {}
    for window in (None, 40, 100):
        start = time.perf_counter()
        lstmx.generate(model, "ROMEO:", 200, 0.8, seed=0, window=window)
        timing["state carried" if window is None else f"window {window}"] = round(
            1000 * (time.perf_counter() - start) / 200, 2)
    notes["ms_per_character"] = timing
    with open(os.path.join(STATIC, "textgen-cells.txt"), "w") as f:
        f.write(json.dumps(notes, indent=1) + "\n")
    print(json.dumps(notes))


if __name__ == "__main__":
    main()
