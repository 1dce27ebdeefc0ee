"""The IMDB BiLSTM with attention pooling: where does it look in a review?

    python examples/imdb_attention.py [path/to/aclImdb_v1.tar.gz] [--epochs 1] [--plot imdb-attention.png]

Trains ``build_model("bilstm-attention")`` (Embedding -> Bidirectional(LSTM, every step) ->
AttentionPooling -> Dropout -> Dense) on the 25,000 training reviews cut to 200 words, reports the test
accuracy, and draws the attention weights of one short test review over its words: the weights a
reader can check against the review's sentiment words.
"""
import argparse

import numpy as np

from lstmx.datasets import imdb
from lstmx.experiments import build_model
from lstmx.plot import plot_attention
from lstmx.text import pad_sequences

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("data", nargs="?", default="../shared/data/aclImdb_v1.tar.gz")
parser.add_argument("--epochs", type=int, default=1)
parser.add_argument("--plot", default="imdb-attention.png")
parser.add_argument("--label", type=int, choices=[0, 1], default=0,
                    help="draw the first short test review of this label (0 negative, 1 positive)")
args = parser.parse_args()

(x_train, y_train), (x_test, y_test) = imdb.load_data(args.data, num_words=10000)
x_train, x_test = pad_sequences(x_train, maxlen=200), pad_sequences(x_test, maxlen=200)
model = build_model("bilstm-attention", seed=0)
model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, verbose=2, seed=0)
print("test accuracy", model.evaluate(x_test, y_test, verbose=0)[1])

word_index = imdb.get_word_index(args.data)
lengths = (x_test != 0).sum(axis=1)
k = int(np.flatnonzero((lengths > 25) & (lengths < 45) & (y_test == args.label))[0])   # short: readable on a page
review = x_test[k:k + 1]
p = float(model.predict(review, verbose=0)[0, 0])
weights = model.layers[2].weights_[0]                               # AttentionPooling's (T,) weights
kept = review[0] != 0
words = imdb.decode(review[0][kept], word_index)
# 12-point text: the docs show this 14-inch strip scaled into a 9-inch column
fig = plot_attention(weights[kept], x_labels=words, fontsize=12,
                     title=f"test review {k}: label {'positive' if y_test[k] else 'negative'}, predicted {p:.2f}")
fig.savefig(args.plot, dpi=100)
print("attention over the words drawn in", args.plot)
