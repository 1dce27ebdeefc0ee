"""Character-level language models: train one on a text with truncated BPTT, then generate from it.

A character language model reads a text one character at a time and predicts the next. Trained as
char-rnn trains it, the model is many-to-many: an LSTM with ``return_sequences=True`` reads a chunk
of ``T`` characters and a Dense layer gives the distribution of the next character at every step,
so that one chunk gives ``T`` losses (per-step sparse categorical cross-entropy, summed over the
chunk's steps and averaged). Its gradient is exactly what backpropagation through time computes.

The text is far longer than a chunk. With ``stateful=True`` the recurrent layers carry their state
from one batch to the next: :func:`stateful_batches` cuts the text into ``B`` long rows and each
batch takes the next ``T`` characters of every row, so sample ``i`` of batch ``k + 1`` continues
sample ``i`` of batch ``k``. The state carries information across the whole row; the gradient
stops at the batch boundary (truncated BPTT)::

    text = lstmx.datasets.shakespeare.load_text()
    model, history = lstmx.textgen.train_language_model(text, units=256, layers=2, epochs=5)
    print(lstmx.generate(model, "ROMEO:", 300, temperature=0.8, seed=0))

:func:`generate` feeds the prompt once and then one character at a time with the state carried,
so each new character costs one step of the network whatever the length of the context;
``window=40`` runs the model again over the last 40 characters for every character instead, as
Keras's text-generation example does (40 steps a character), for comparison.
"""
import math
import time

import numpy as np

from ._validation import check_positive_int
from .layers import LSTM, Activation, Dense, Dropout, Embedding, TimeDistributed
from .layers.recurrent import Recurrent

VOCABULARY_KEY = "char_index"      # where a model's metadata keeps its characters' ids


# ---- data ----
def char_vocabulary(text):
    """A character-level :class:`~lstmx.text.Tokenizer` fitted on ``text``, case kept: ids 1..V by
    frequency (id 0 is never a character's: an ``Embedding`` row and an output class that no
    target uses)."""
    from .text import Tokenizer      # lstmx.text loads on first use (import lstmx stays light)
    tokenizer = Tokenizer(char_level=True, lower=False)
    tokenizer.fit_on_texts([text])
    return tokenizer


def encode(text, char_index, what="the text"):
    """The ids of ``text``'s characters, (len(text),) int32; a character without an id is refused,
    named."""
    unknown = sorted(set(text) - set(char_index))
    if unknown:
        raise ValueError(f"{what} has {len(unknown)} character(s) the vocabulary lacks: "
                         f"{''.join(unknown)!r}; the vocabulary holds {''.join(sorted(char_index))!r}")
    return np.array([char_index[c] for c in text], dtype=np.int32)


def stateful_batches(ids, batch_size, seq_length):
    """Inputs and targets for a stateful model: ``(X, Y)``, each ``(n * B, T)``, in batches of ``B``.

    The ids are cut into ``B`` rows of ``n * T`` consecutive characters; batch ``k`` (samples
    ``k * B`` to ``k * B + B - 1``) holds the ``k``-th chunk of ``T`` characters of every row, so
    sample ``i`` of batch ``k + 1`` continues sample ``i`` of batch ``k``. ``Y`` is ``X`` one
    character later. Feed them in order (``fit(..., batch_size=B, shuffle=False)``); the last
    ``len(ids) - 1 - n * B * T`` characters are left out.
    """
    ids = np.asarray(ids)
    B = check_positive_int("batch_size", batch_size)
    T = check_positive_int("seq_length", seq_length)
    n = (len(ids) - 1) // (B * T)                 # chunks per row
    if n == 0:
        raise ValueError(f"a text of {len(ids)} characters is too short for one batch of {B} sequences of "
                         f"{T} characters (it needs at least {B * T + 1})")
    rows_x = ids[:n * B * T].reshape(B, n, T)       # row i: characters i*n*T .. (i+1)*n*T - 1
    rows_y = ids[1:n * B * T + 1].reshape(B, n, T)  # the same, one character later
    X = rows_x.transpose(1, 0, 2).reshape(n * B, T)  # chunk k of every row, then chunk k + 1, ...
    Y = rows_y.transpose(1, 0, 2).reshape(n * B, T)
    return np.ascontiguousarray(X), np.ascontiguousarray(Y)


# ---- the model ----
def char_language_model(vocab_size, units=256, layers=2, embedding_dim=64, dropout=0.0, batch_size=None,
                        stateful=True, backend="auto", seed=0):
    """Embedding -> ``layers`` x LSTM(``units``, return_sequences) -> Dense(softmax) at every step.

    ``vocab_size`` counts the ids 0..V (a Tokenizer's ``len(word_index) + 1``). A stateful model
    needs ``batch_size`` (its Input declares it, as Keras 3 wants); ``dropout`` is applied to each
    LSTM's output in training, as char-rnn does. Compile it with
    ``loss="sparse_categorical_crossentropy"``.
    """
    from .layers import Input
    from .models import Sequential
    vocab_size = check_positive_int("vocab_size", vocab_size)
    layers = check_positive_int("layers", layers)
    if stateful and batch_size is None:
        raise ValueError("a stateful model needs its batch size: char_language_model(..., batch_size=B)")
    stack = [Input(shape=(None,), dtype="int32", batch_size=batch_size if stateful else None),
             Embedding(vocab_size, embedding_dim, seed=seed)]
    for k in range(layers):
        stack.append(LSTM(units, return_sequences=True, stateful=stateful, backend=backend, seed=seed + 1 + k))
        if dropout:
            stack.append(Dropout(dropout, seed=seed + 100 + k))
    stack.append(Dense(vocab_size, "softmax", seed=seed + 200))
    return Sequential(stack)


def train_language_model(text, units=256, layers=2, embedding_dim=64, dropout=0.0, batch_size=32, seq_length=64,
                         epochs=10, learning_rate=3e-3, clipnorm=5.0, validation=0.1, minutes=None,
                         backend="auto", seed=0, on_epoch=None):
    """Train a stateful character language model on ``text``; returns ``(model, history)``.

    The last ``validation`` fraction of the text is held out. Every epoch starts from zero states
    and walks the training text once in :func:`stateful_batches` (Adam, gradient norm clipped at
    ``clipnorm``); then the validation text is read the same way, from zero states, for its loss
    in nats per character. ``minutes`` stops training after the epoch during which that much time
    has passed. The model's ``metadata["char_index"]`` holds the vocabulary, so that a saved model
    generates without it.

    ``history`` is a list of dicts, one per epoch: ``epoch``, ``seconds`` (training time so far),
    ``loss`` (training, nats per character), ``val_loss`` and ``val_bits_per_char``.
    ``on_epoch(entry)`` is called with each.
    """
    from .datasets.shakespeare import split_text
    from .optimizers import Adam
    train_text, val_text = split_text(text, validation)
    vocab = char_vocabulary(text)
    X, Y = stateful_batches(encode(train_text, vocab.word_index), batch_size, seq_length)
    Xv, Yv = stateful_batches(encode(val_text, vocab.word_index), batch_size, seq_length)
    model = char_language_model(len(vocab.word_index) + 1, units, layers, embedding_dim, dropout, batch_size,
                                stateful=True, backend=backend, seed=seed)
    model.metadata[VOCABULARY_KEY] = vocab.word_index
    model.compile(loss="sparse_categorical_crossentropy", optimizer=Adam(learning_rate, clipnorm=clipnorm))
    history, spent = [], 0.0
    for epoch in range(1, epochs + 1):
        model.reset_states()
        start = time.perf_counter()
        fit = model.fit(X, Y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        spent += time.perf_counter() - start
        val_loss = evaluate_language_model(model, Xv, Yv, batch_size)
        entry = dict(epoch=epoch, seconds=round(spent, 2), loss=fit.history["loss"][-1], val_loss=val_loss,
                     val_bits_per_char=val_loss / math.log(2))
        history.append(entry)
        if on_epoch is not None:
            on_epoch(entry)
        if minutes is not None and spent >= 60 * minutes:
            break
    model.reset_states()
    return model, history


def evaluate_language_model(model, X, Y, batch_size):
    """Mean cross-entropy (nats per character) of a stateful model over ``stateful_batches``, read
    from zero states. The training state is put back afterwards, so training can go on where it was."""
    recurrent = [layer for layer in model.layers if isinstance(layer, Recurrent)]
    kept = [layer.states for layer in recurrent]
    model.reset_states()
    loss = model.evaluate(X, Y, batch_size=batch_size)
    for layer, states in zip(recurrent, kept):
        layer.states = states
    return float(loss if np.ndim(loss) == 0 else loss[0])


# ---- running a model one step at a time ----
_PER_STEP = (Embedding, Dense, Dropout, Activation, TimeDistributed)


def _check_steppable(model):
    """The layers of a Sequential model that can run one step at a time: recurrent layers reading
    forwards, and layers that act on each step alone."""
    layers = getattr(model, "layers", None)
    if layers is None or not hasattr(model, "graph"):
        raise TypeError(f"generate needs an lstmx Sequential model, got {type(model).__name__}")
    if model.graph is None:
        raise ValueError("the model is not built yet (it has no weights): train it, or call model.build(input_shape)")
    for layer in layers:
        if isinstance(layer, Recurrent) and not layer.go_backwards:
            continue
        if not isinstance(layer, _PER_STEP):
            raise TypeError(f"generate runs a model one character at a time, so each layer must act on each step "
                            f"alone or be a recurrent layer reading forwards; layer {layer.name!r} "
                            f"({type(layer).__name__}{', go_backwards' if isinstance(layer, Recurrent) else ''}) "
                            f"is neither")
    if not isinstance(layers[-1], (Dense, Activation, TimeDistributed)):
        raise TypeError(f"generate expects the model to end with Dense(softmax), got {type(layers[-1]).__name__}")
    return layers


def _run_layers(layers, x, states):
    """Run ``layers`` over ``x``, each recurrent layer from its entry of ``states`` (None: zeros).
    Returns the last layer's output and the recurrent layers' final states."""
    new_states = []
    for layer in layers:
        if isinstance(layer, Recurrent):
            Y, finals, _ = layer._forward(x, layer._initial_states(states[len(new_states)]), None, None)
            new_states.append(finals)
            x = Y if layer.return_sequences else finals[0]   # (1, t, H) or the last step's (1, H)
        else:
            x, _ = layer.forward(x, training=False)          # Dropout: identity in inference
    return x, new_states


def run_steps(layers, x, states):
    """Run ``layers`` over ``x`` (1, t) ids or (1, t, F) one-hot rows, starting each recurrent layer
    from its entry of ``states`` (None: zeros). Returns the output of the last step, (V,), and the
    recurrent layers' final states: the state to carry into the next call. A stateful layer's own
    carried state is left alone."""
    x, new_states = _run_layers(layers, x, states)
    last = x[0, -1] if x.ndim == 3 else x[0]                 # (V,) the next character's distribution
    return np.asarray(last, np.float64), new_states


# ---- generation ----
def _vocabulary(model, vocab):
    if vocab is None:
        vocab = getattr(model, "metadata", {}).get(VOCABULARY_KEY)
        if vocab is None:
            raise ValueError("this model carries no character vocabulary (model.metadata['char_index']): pass "
                             "vocab= (a char-level Tokenizer or a dict character -> id)")
    if hasattr(vocab, "word_index"):         # a Tokenizer
        vocab = vocab.word_index
    if not isinstance(vocab, dict) or not vocab or not all(isinstance(c, str) and len(c) == 1 for c in vocab):
        raise TypeError("vocab must be a char-level Tokenizer or a dict mapping single characters to ids")
    return {c: int(i) for c, i in vocab.items()}


def _input_encoder(layers, char_index):
    """ids -> what the first layer reads: the ids (an Embedding first), or one-hot rows whose width
    is the model's input width (Keras's example)."""
    if isinstance(layers[0], Embedding):
        return lambda ids: np.asarray(ids, np.int64)[None, :]
    width = layers[0].cell.input_size if isinstance(layers[0], Recurrent) and layers[0].built else None
    if width is None or max(char_index.values()) >= width:
        raise ValueError(f"the model reads one-hot rows of width {width}, which cannot hold the vocabulary's ids "
                         f"0..{max(char_index.values())}")

    def one_hot(ids):
        rows = np.zeros((1, len(ids), width), np.float32)
        rows[0, np.arange(len(ids)), ids] = 1.0
        return rows
    return one_hot


def sample_next(probabilities, temperature=1.0, top_k=None, rng=None, allowed=None):
    """One id drawn from ``probabilities`` (V,) sharpened or flattened by ``temperature``:
    ``p_i^(1/temperature)``, renormalised (softmax of ``log p / temperature``), keeping only the
    ``top_k`` most likely ids if given, and only ``allowed`` ids (a boolean (V,) mask)."""
    with np.errstate(divide="ignore"):     # a probability of 0 stays impossible at any temperature
        logits = np.log(probabilities) / temperature
    if allowed is not None:
        logits = np.where(allowed, logits, -np.inf)
    if top_k is not None and top_k < np.isfinite(logits).sum():
        kth = np.sort(logits)[-top_k]
        logits = np.where(logits >= kth, logits, -np.inf)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    rng = np.random.default_rng() if rng is None else rng
    return int(rng.choice(len(p), p=p))


def generate(model, prompt, length, temperature=1.0, top_k=None, seed=None, vocab=None, window=None):
    """Generate ``length`` characters after ``prompt`` with a character language model.

    The prompt is read once; then each character is drawn from the model's distribution
    (``temperature``: below 1 sharper, above 1 flatter; ``top_k``: only the k most likely) and fed
    back one step at a time, each recurrent layer's state carried, so a character costs the same
    whatever came before. With ``window=w`` the model instead re-reads the last ``w`` characters
    from zero states for every character, as Keras's text-generation example does (the cost of a
    character grows with ``w``; the context is cut at ``w``).

    Parameters
    ----------
    model : a Sequential model: Embedding (or one-hot inputs), recurrent layers reading forwards,
        Dense(softmax) (e.g. from :func:`char_language_model`). A stateful model's carried state is
        not used or changed.
    prompt : str, at least one character, each in the vocabulary (others are refused, named)
    length : int >= 0, how many characters to generate
    temperature : float > 0
    top_k : int >= 1 or None
    seed : int or None, for a reproducible sample
    vocab : a char-level Tokenizer or a dict character -> id; by default the model's
        ``metadata["char_index"]`` (saved with it by :func:`train_language_model` and ``lstmx textgen``)
    window : int >= 1 or None

    Returns
    -------
    str, the ``length`` generated characters (without the prompt)
    """
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(f"prompt must be a non-empty string (the text to continue), got {prompt!r}")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length must be an int >= 0 (characters to generate), got {length!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating, np.integer)) \
            or not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0 (1.0 samples the model's distribution as it "
                         f"is), got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1):
        raise ValueError(f"top_k must be an int >= 1 or None, got {top_k!r}")
    if window is not None:
        window = check_positive_int("window", window)
    layers = _check_steppable(model)
    char_index = _vocabulary(model, vocab)
    ids = list(encode(prompt, char_index, "the prompt"))
    to_input = _input_encoder(layers, char_index)
    id_char = {i: c for c, i in char_index.items()}
    rng = np.random.default_rng(seed)
    out = []
    n_recurrent = sum(isinstance(layer, Recurrent) for layer in layers)
    probabilities, states = None, [None] * n_recurrent
    allowed = None
    for k in range(length):
        if window is not None:                  # Keras's way: the last `window` characters, from zero states
            probabilities, _ = run_steps(layers, to_input(ids[-window:]), [None] * n_recurrent)
        elif k == 0:                            # the prompt, once
            probabilities, states = run_steps(layers, to_input(ids), states)
        else:                                   # one step, the state carried
            probabilities, states = run_steps(layers, to_input(ids[-1:]), states)
        if allowed is None:
            allowed = np.array([i in id_char for i in range(len(probabilities))])
            if not allowed.any():
                raise ValueError(f"the model's {len(probabilities)} outputs include none of the vocabulary's ids")
        next_id = sample_next(probabilities, temperature, top_k, rng, allowed)
        ids.append(next_id)
        out.append(id_char[next_id])
    return "".join(out)


def cell_activations(model, text, layer=0, vocab=None, state="c"):
    """What one LSTM's cells do over ``text``: ``(len(text), H)``, the cell state ``c_t``
    (``state="c"``) or the hidden state ``h_t`` (``"h"``) after each character, from zero states.

    ``layer`` counts the model's recurrent layers from 0. Computed with the NumPy reference of the
    LSTM, so every value is the equation's. Plot a few columns over the text to find a cell that
    tracks quotes, line length or the speaker's name (Karpathy, Johnson and Fei-Fei, 2015).
    """
    from . import functional as F
    layers = _check_steppable(model)
    recurrent = [l for l in layers if isinstance(l, Recurrent)]
    if not 0 <= layer < len(recurrent) or not isinstance(recurrent[layer], LSTM):
        raise ValueError(f"layer must index one of the model's {len(recurrent)} recurrent layers and name an "
                         f"LSTM, got {layer}")
    if state not in ("c", "h"):
        raise ValueError(f"state must be 'c' or 'h', got {state!r}")
    char_index = _vocabulary(model, vocab)
    x = _input_encoder(layers, char_index)(encode(text, char_index))
    lstm = recurrent[layer]
    below = layers[:layers.index(lstm)]                      # what feeds the chosen LSTM
    x, _ = _run_layers(below, x, [None] * layer)             # (1, T, I): its input, from zero states
    cell = lstm.cell
    _, _, cache = F.lstm_forward(x.astype(lstm.dtype), cell.W, cell.U, cell.b, backend="reference")
    return np.asarray(cache["cs" if state == "c" else "hs"][1:, 0])   # (T, H), after each step
