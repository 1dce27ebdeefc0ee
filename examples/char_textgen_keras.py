"""Keras's example "Character-level text generation with LSTM" (fchollet, 2015; keras.io), line for
line in lstmx, on Tiny Shakespeare instead of Nietzsche.

    python examples/char_textgen_keras.py [--epochs 3] [--max-chars 200000]

What differs from the Keras script, and why:
- the text is Tiny Shakespeare, shipped with lstmx (public domain; Karpathy's char-rnn collection);
  only its first ``--max-chars`` characters are cut into windows, because the one-hot windows of
  the whole text (371,785 x 40 x 39 floats) take 2.3 GB;
- ``x`` is float32, not bool: lstmx's layers read floats;
- the Keras script trains 40 epochs; ``--epochs`` sets it (3 by default, a few minutes here);
- at the end the two ways of generating are timed: the script's loop, which runs the model over
  the last 40 characters again for every new character, and ``lstmx.generate``, which feeds one
  character at a time with the LSTM state carried. The model was trained on 40-character windows
  from zero states, so its carried state runs on past what it was trained for; the samples show it.
"""
import argparse
import random
import time

import numpy as np

import lstmx
from lstmx import layers
from lstmx.datasets import shakespeare

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--max-chars", type=int, default=200_000)
args = parser.parse_args()

text = shakespeare.load_text()[:args.max_chars].lower()
text = text.replace("\n", " ")  # We remove newlines chars for nicer display
print("Corpus length:", len(text))

chars = sorted(list(set(text)))
print("Total chars:", len(chars))
char_indices = dict((c, i) for i, c in enumerate(chars))
indices_char = dict((i, c) for i, c in enumerate(chars))

# cut the text in semi-redundant sequences of maxlen characters
maxlen = 40
step = 3
sentences = []
next_chars = []
for i in range(0, len(text) - maxlen, step):
    sentences.append(text[i: i + maxlen])
    next_chars.append(text[i + maxlen])
print("Number of sequences:", len(sentences))

x = np.zeros((len(sentences), maxlen, len(chars)), dtype="float32")
y = np.zeros((len(sentences), len(chars)), dtype="float32")
for i, sentence in enumerate(sentences):
    for t, char in enumerate(sentence):
        x[i, t, char_indices[char]] = 1
    y[i, char_indices[next_chars[i]]] = 1

model = lstmx.Sequential(
    [
        lstmx.Input(shape=(maxlen, len(chars))),
        layers.LSTM(128),
        layers.Dense(len(chars), activation="softmax"),
    ]
)
optimizer = lstmx.RMSprop(learning_rate=0.01)
model.compile(loss="categorical_crossentropy", optimizer=optimizer)


def sample(preds, temperature=1.0):
    # helper function to sample an index from a probability array
    preds = np.asarray(preds).astype("float64")
    preds = np.log(preds) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = np.random.multinomial(1, preds, 1)
    return np.argmax(probas)


epochs = args.epochs
batch_size = 128

for epoch in range(epochs):
    model.fit(x, y, batch_size=batch_size, epochs=1)
    print()
    print("Generating text after epoch: %d" % epoch)

    start_index = random.randint(0, len(text) - maxlen - 1)
    for diversity in [0.2, 0.5, 1.0, 1.2]:
        print("...Diversity:", diversity)

        generated = ""
        sentence = text[start_index: start_index + maxlen]
        print('...Generating with seed: "' + sentence + '"')

        for i in range(400):
            x_pred = np.zeros((1, maxlen, len(chars)))
            for t, char in enumerate(sentence):
                x_pred[0, t, char_indices[char]] = 1.0
            preds = model.predict(x_pred, verbose=0)[0]
            next_index = sample(preds, diversity)
            next_char = indices_char[next_index]
            sentence = sentence[1:] + next_char
            generated += next_char

        print('...Generated: "' + generated + '"')
        print("-")

# ---- beyond the Keras script: the cost of a character, re-reading 40 characters or stepping once ----
prompt = text[:maxlen]
timings = {}
for name, window in (("window of 40 (the script's way)", maxlen), ("state carried (lstmx.generate)", None)):
    start = time.perf_counter()
    generated = lstmx.generate(model, prompt, 400, temperature=0.5, seed=0, vocab=char_indices, window=window)
    timings[name] = (time.perf_counter() - start) / 400
    print(f"{name}: {1000 * timings[name]:.2f} ms a character\n  {generated[:160]!r}")
ratio = timings["window of 40 (the script's way)"] / timings["state carried (lstmx.generate)"]
print(f"stepping with the state carried is {ratio:.1f}x cheaper a character")
