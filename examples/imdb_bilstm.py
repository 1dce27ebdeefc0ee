"""The IMDB sentiment BiLSTM in lstmx, line for line as the Keras code reads.

    python examples/imdb_bilstm.py [path/to/aclImdb_v1.tar.gz]   # default: the embedded sample
"""
import sys

import lstmx
from lstmx.datasets import imdb
from lstmx.plot import plot_history
from lstmx.text import pad_sequences

if len(sys.argv) > 1:
    (x_train, y_train), (x_test, y_test) = imdb.load_data(sys.argv[1], num_words=10000)
else:
    (x_train, y_train), (x_test, y_test) = imdb.load_sample()
x_train = pad_sequences(x_train, maxlen=200)
x_test = pad_sequences(x_test, maxlen=200)

model = lstmx.Sequential([
    lstmx.Embedding(10000, 128, mask_zero=True),
    lstmx.Bidirectional(lstmx.LSTM(64)),
    lstmx.Dropout(0.5),
    lstmx.Dense(1, activation="sigmoid"),
])
model.compile(loss="binary_crossentropy", optimizer=lstmx.Adam(1e-3), metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=3, validation_data=(x_test, y_test))
loss, accuracy = model.evaluate(x_test, y_test)
print(f"test accuracy {accuracy:.4f}")
plot_history(history, "imdb_history.png")
