"""Sequence labelling: a BiLSTM part-of-speech tagger, its training recipe, evaluation and prediction.

The model tags every step: word ids ``(B, T)`` -> ``Embedding(mask_zero=True)`` ``(B, T, E)`` ->
``Bidirectional(LSTM(H, return_sequences=True))`` ``(B, T, 2H)`` -> ``Dense(n_tags, "softmax")``
``(B, T, n_tags)``, trained with per-step sparse categorical cross-entropy; padded steps (id 0) leave
the loss and the accuracy. With ``chars=True``, a character BiLSTM reads each word
(``TimeDistributed``) and its final states are joined to the word's embedding (the closing exercise
of PyTorch's sequence-models tutorial).

The recipe (the defaults of :class:`Tagger` and of ``lstmx tag``), chosen on the dev set of UD
English EWT: Adam with learning rate 2e-3 and clipnorm 5; words seen once in training are left out
of the vocabulary, so that the unknown ids are trained on real contexts; an unknown word gets the
id of its shape (:func:`word_shape`: capitalised, all capitals, digits, hyphen, a suffix such as
-ing, -ly, -s), not one id for all; word dropout 0.1 (each training word is replaced by its shape's
id with that probability, a new draw every epoch); dropout 0.25 on the BiLSTM's input and output;
100-dimensional word vectors, 128 units a direction; batches of 32 sentences of similar length.
See docs/tagging.rst for the numbers.

    from lstmx.datasets import ud_pos
    from lstmx.tagging import Tagger
    train, dev, test = ud_pos.load_data("ud_english_ewt")
    tagger = Tagger.from_data(train, chars=True)
    tagger.fit(train, dev, epochs=10)
    print(tagger.evaluate(test)["accuracy"], tagger.predict("I saw her duck ."))
    tagger.save("pos.npz")   # the model and its vocabularies in one file; Tagger.load("pos.npz")

What happens at prediction time: a word not in the vocabulary gets the unknown id (its characters
still reach the character LSTM); a character never seen gets the characters' unknown id; a
sentence longer than any in training is tagged all the same (the LSTMs run over any length; the
model was just never trained on such distances). A gold tag that the training data never had
(possible in ``evaluate``) cannot be predicted: it counts as an error and has its own row, recall 0,
in the per-tag table. An empty sentence list is refused.
"""
import io
import json
import re
import sys
import time
import zipfile
from collections import Counter, defaultdict

import numpy as np

from .text import Vocabulary

DEFAULTS = dict(word_dim=100, units=128, char_dim=30, char_units=50, dropout=0.25, learning_rate=2e-3,
                clipnorm=5.0, min_count=2, word_dropout=0.1, batch_size=32, max_word_length=20, lower=False,
                unknown_shapes=True, embedding_std="auto")
_TOKEN = re.compile(r"\w+(?=n't\b)|n't\b|'(?:s|re|ve|ll|d|m)\b|(?:[A-Za-z]\.){2,}|\w+(?:[-.]\w+)*|\.{2,}|[^\w\s]",
                    re.UNICODE | re.IGNORECASE)


def tokenize(text):
    """Split a raw sentence into words roughly as UD English does: punctuation on its own,
    "don't" -> "do", "n't", "John's" -> "John", "'s". For exact control, pass a list of words."""
    return _TOKEN.findall(text)


_SUFFIXES = ("ing", "ed", "ly", "ion", "ness", "ment", "able", "ible", "ive", "al", "ous", "ful", "less", "est",
             "er", "ize", "ise", "ity", "ic", "ish", "es", "s", "y")


def word_shape(word):
    """The unknown-word class of ``word``: ``"<unk:...>"`` from its case, digits, hyphen, and one of a
    few English suffixes (as unknown-word signatures of classic taggers and parsers do), e.g.
    "Obama" -> ``<unk:Cap>``, "reorganizing" -> ``<unk:low-ing>``, "well-known" -> ``<unk:low-hyph>``,
    "3:45" -> ``<unk:num>``. Words left out of the vocabulary get the id of their class when the
    training data had it (else the plain unknown id)."""
    if not any(ch.isalnum() for ch in word):
        return "<unk:punct>"
    if "@" in word or word.lower().startswith(("http", "www.")):
        return "<unk:url>"
    letters = [ch for ch in word if ch.isalpha()]
    if any(ch.isdigit() for ch in word):
        return "<unk:num>" if len(letters) <= 1 else "<unk:digit-alpha>"
    case = ("CAPS" if all(ch.isupper() for ch in letters) and len(letters) > 1 else
            "Cap" if letters and letters[0].isupper() else "low")
    tail = word.lower().rsplit("-", 1)[-1]
    suffix = next((f"-{x}" for x in _SUFFIXES if tail.endswith(x) and len(tail) > len(x) + 1), "")
    return f"<unk:{case}{'-hyph' if '-' in word else ''}{suffix if case != 'CAPS' else ''}>"


def _check_data(data, what):
    """``data``, a non-empty list of ``(words, tags)`` pairs of equal lengths, or an error saying why not."""
    if isinstance(data, (str, bytes)):
        raise TypeError(f"{what} must be a list of (words, tags) pairs, got a string")
    data = list(data)
    if not data:
        raise ValueError(f"{what} is empty: there is no sentence to train on or to evaluate")
    for k, pair in enumerate(data):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{what}[{k}] must be a (words, tags) pair, got {type(pair).__name__} {pair!r:.60}")
        words, tags = pair
        if isinstance(words, str) or isinstance(tags, str):
            raise TypeError(f"{what}[{k}]: words and tags must be lists, not strings (split the sentence first)")
        if len(words) != len(tags):
            raise ValueError(f"{what}[{k}] has {len(words)} words and {len(tags)} tags")
        if not words:
            raise ValueError(f"{what}[{k}] is a sentence without words")
    return data


def build_model(n_words, n_tags, n_chars=None, word_dim=100, units=128, char_dim=30, char_units=50, dropout=0.25,
                seed=0, word_vectors=None, embedding_std="auto"):
    """The tagger's graph: word ids ``(B, T)`` [and character ids ``(B, T, C)``] -> ``(B, T, n_tags)``.

    ``word_vectors``: an ``Embedding`` made by ``Embedding.from_pretrained`` to use for the words
    (its rows are the word vocabulary's ids), or None for a new one.
    ``embedding_std``: new word and character embeddings start N(0, embedding_std^2), as PyTorch's
    ``nn.Embedding`` does with 1.0; None or 0 keeps Keras's U(-0.05, 0.05). ``"auto"``: 1.0 for the
    character model, Keras's start for words only. On EWT's dev set (three seeds, 10 epochs) the
    character model gains 0.002-0.006 from the N(0, 1) start and the word-only model loses
    0.003-0.007 (see the tagging page).
    """
    import lstmx
    if isinstance(embedding_std, str) and embedding_std == "auto":
        embedding_std = 1.0 if n_chars else None
    elif embedding_std is not None and (isinstance(embedding_std, (str, bool)) or not np.isfinite(embedding_std)
                                        or embedding_std < 0):
        raise ValueError(f"embedding_std must be \"auto\", None or a finite number >= 0 (0 or None: Keras's start), "
                         f"got {embedding_std!r}")

    def start(emb, seed):
        if embedding_std:
            rng = np.random.default_rng(seed)
            emb.embeddings = rng.normal(0.0, embedding_std, (emb.input_dim, emb.output_dim))
        return emb

    words = lstmx.Input((None,), dtype="int32", name="words")
    inputs = [words]
    emb = word_vectors or start(lstmx.Embedding(n_words, word_dim, mask_zero=True, seed=seed), seed)
    emb.name = "word_embedding"
    h = emb(words)                                                                      # (B, T, E)
    if n_chars:
        chars = lstmx.Input((None, None), dtype="int32", name="chars")
        inputs.append(chars)
        c = start(lstmx.Embedding(n_chars, char_dim, mask_zero=True, seed=seed + 1, name="char_embedding"),
                  seed + 1)(chars)
        c = lstmx.TimeDistributed(lstmx.Bidirectional(lstmx.LSTM(char_units, seed=seed + 2)),
                                  name="char_lstm")(c)                                 # (B, T, 2 char_units)
        h = lstmx.Concatenate(name="word_and_chars")([h, c])
    if dropout:
        h = lstmx.Dropout(dropout, seed=seed + 3, name="input_dropout")(h)
    h = lstmx.Bidirectional(lstmx.LSTM(units, return_sequences=True, seed=seed + 4), name="bilstm")(h)  # (B, T, 2H)
    if dropout:
        h = lstmx.Dropout(dropout, seed=seed + 5, name="output_dropout")(h)
    tags = lstmx.Dense(n_tags, "softmax", seed=seed + 6, name="tags")(h)               # (B, T, n_tags)
    return lstmx.Model(inputs, tags, name="bilstm_tagger" + ("_chars" if n_chars else ""))


class Tagger:
    """A BiLSTM tagger with its vocabularies: train, evaluate, predict, save.

    Parameters
    ----------
    words, tags : :class:`lstmx.text.Vocabulary`
        Words with padding (0) and unknown (1) ids; tags without either (ids 0 .. n_tags - 1).
    chars : Vocabulary or None
        Characters with padding and unknown ids, for the character-feature model; None: words only.
    train_words : set of str or None
        Every word form of the training data (also those left out of ``words``), to tell which
        evaluation words are out of the training vocabulary (OOV accuracy).
    seed : int
    **settings : overrides of :data:`DEFAULTS` (word_dim, units, char_dim, char_units, dropout,
        learning_rate, clipnorm, word_dropout, batch_size, max_word_length, unknown_shapes, embedding_std)
    """

    def __init__(self, words, tags, chars=None, train_words=None, seed=0, word_vectors=None, **settings):
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown settings {sorted(unknown)}; the settings are {sorted(DEFAULTS)}")
        if words.pad_id != 0 or words.oov_id is None:
            raise ValueError("the word vocabulary needs a padding id 0 and an unknown id (Vocabulary's defaults)")
        if tags.pad is not None or tags.oov is not None:
            raise ValueError("the tag vocabulary must have no padding or unknown id: Vocabulary.build(tags, "
                             "pad=None, oov=None)")
        self.words, self.tags, self.chars = words, tags, chars
        self.train_words = set(train_words or ())
        self.seed = seed
        self.settings = dict(DEFAULTS, **settings)
        s = self.settings
        self.model = build_model(len(words), len(tags), len(chars) if chars else None, s["word_dim"], s["units"],
                                 s["char_dim"], s["char_units"], s["dropout"], seed, word_vectors,
                                 s["embedding_std"])
        self.compile()
        self.history = []

    def compile(self, learning_rate=None):
        import lstmx
        lr = self.settings["learning_rate"] if learning_rate is None else learning_rate
        self.model.compile("sparse_categorical_crossentropy", lstmx.Adam(lr, clipnorm=self.settings["clipnorm"]),
                           metrics=["accuracy"])

    @classmethod
    def from_data(cls, train, chars=False, min_count=None, lower=None, seed=0, word_vectors=None, **settings):
        """A tagger with vocabularies built from ``train`` (a list of ``(words, tags)`` pairs).

        ``word_vectors``: a :class:`lstmx.KeyedVectors` (e.g. ``lstmx.Word2Vec(...).wv``) to start
        the word embedding from (``Embedding.from_pretrained``; its size sets ``word_dim``).
        """
        train = _check_data(train, "train")
        min_count = DEFAULTS["min_count"] if min_count is None else min_count
        lower = DEFAULTS["lower"] if lower is None else lower
        words = Vocabulary.build([w for w, _ in train], min_count=min_count, lower=lower)
        if settings.get("unknown_shapes", DEFAULTS["unknown_shapes"]):
            # the classes of the words left out of the vocabulary: their ids are trained on them
            left_out = sorted({word_shape(w) for w, c in words.counts.items() if w not in words.stoi})
            words = Vocabulary(words.itos[2:] + left_out, lower=lower, counts=words.counts)
        tags = Vocabulary.build([t for _, t in train], pad=None, oov=None)
        char_vocab = Vocabulary.build([list(w) for s, _ in train for w in s]) if chars else None
        emb = None
        if word_vectors is not None:
            import lstmx
            emb = lstmx.Embedding.from_pretrained(word_vectors, word_index=words.stoi, input_dim=len(words),
                                                  mask_zero=True, seed=seed)
            settings["word_dim"] = emb.output_dim
        return cls(words, tags, char_vocab, train_words={w for s, _ in train for w in s}, seed=seed,
                   word_vectors=emb, min_count=min_count, lower=lower, **settings)

    # ---- encoding ----
    def _word_ids(self, sentences):
        return [np.array([self._word_id(w) for w in s], np.int32) for s in sentences]

    def _word_id(self, word):
        """A word's id; unknown: its shape's id (with ``unknown_shapes``) or the unknown id."""
        stoi = self.words.stoi
        i = stoi.get(word.lower() if self.words.lower else word)
        if i is None:
            i = stoi.get(word_shape(word), 1) if self.settings["unknown_shapes"] else 1
        return i

    def _dropped_ids(self, sentences):
        """What word dropout replaces each word with: the id of its shape, or the unknown id."""
        if not self.settings["unknown_shapes"]:
            return [np.ones(len(s), np.int32) for s in sentences]
        return [np.array([self.words.stoi.get(word_shape(w), 1) for w in s], np.int32) for s in sentences]

    def _char_batch(self, sentences, T):
        """``(B, T, C)`` character ids; a word longer than ``max_word_length`` keeps its first and last
        halves of that many characters (prefix and suffix, where the clues to its tag are)."""
        L = self.settings["max_word_length"]
        cut = lambda w: w if len(w) <= L else w[:L // 2] + w[len(w) - (L - L // 2):]
        C = max(min(len(w), L) for s in sentences for w in s)
        out = np.zeros((len(sentences), T, C), np.int32)
        for i, s in enumerate(sentences):
            for j, w in enumerate(s):
                ids = self.chars.encode(list(cut(w)))
                out[i, j, :len(ids)] = ids
        return out

    def _inputs(self, sentences, word_ids):
        """The model's inputs for one batch: post-padded word ids (and character ids)."""
        T = max(len(s) for s in sentences)
        x = np.zeros((len(sentences), T), np.int32)
        for i, ids in enumerate(word_ids):
            x[i, :len(ids)] = ids
        return [x, self._char_batch(sentences, T)] if self.chars else [x]

    def _tag_ids(self, tags, T, unknown=-1):
        y = np.zeros((len(tags), T), np.int32)
        for i, ts in enumerate(tags):
            y[i, :len(ts)] = [self.tags.stoi.get(t, unknown) for t in ts]
        return y

    @staticmethod
    def _batches(lengths, batch_size, rng=None):
        """Index arrays of sentences of similar lengths (little padding). With ``rng``: shuffled, then
        sorted by length within pools of 50 batches, and the batches in random order."""
        lengths = np.asarray(lengths)
        if rng is None:
            order = np.argsort(lengths, kind="stable")
            return [order[k:k + batch_size] for k in range(0, len(order), batch_size)]
        order = rng.permutation(len(lengths))
        pool = batch_size * 50
        batches = []
        for p in range(0, len(order), pool):
            chunk = order[p:p + pool]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [chunk[k:k + batch_size] for k in range(0, len(chunk), batch_size)]
        return [batches[k] for k in rng.permutation(len(batches))]

    # ---- training ----
    def fit(self, train, dev=None, epochs=10, seed=None, callback=None, verbose=0):
        """Train for ``epochs`` epochs; after each, evaluate on ``dev`` (if given).

        ``callback(logs)`` is called after every epoch with a dict: epoch, loss, accuracy (training,
        over real tokens, with word dropout), dev_accuracy, dev_oov_accuracy, epoch_seconds (the
        training pass only). Returns the list of these dicts (also in ``self.history``).
        """
        train = _check_data(train, "train")
        dev = _check_data(dev, "dev") if dev is not None else None
        rng = np.random.default_rng(self.seed if seed is None else seed)
        sentences = [w for w, _ in train]
        word_ids = self._word_ids(sentences)
        dropped = self._dropped_ids(sentences)
        tags = [t for _, t in train]
        p = self.settings["word_dropout"]
        from ._blas_threads import one_blas_thread
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            total_loss = correct = seen = 0.0
            with one_blas_thread():
                for idx in self._batches([len(s) for s in sentences], self.settings["batch_size"], rng):
                    batch = [sentences[i] for i in idx]
                    ids = [word_ids[i] for i in idx]
                    if p:
                        ids = [np.where(rng.random(len(a)) < p, dropped[i], a) for a, i in zip(ids, idx)]
                    xs = self._inputs(batch, ids)
                    y = self._tag_ids([tags[i] for i in idx], xs[0].shape[1])
                    loss, acc = self.model.train_on_batch(xs, y)
                    n = int((xs[0] != 0).sum())
                    if not np.isfinite(loss):
                        raise FloatingPointError(f"the loss became {loss} in epoch {epoch}: try a smaller "
                                                 f"learning rate")
                    total_loss += loss * n
                    correct += acc * n
                    seen += n
            logs = dict(epoch=len(self.history) + 1, loss=total_loss / seen, accuracy=correct / seen,
                        epoch_seconds=time.perf_counter() - start)
            if dev is not None:
                result = self.evaluate(dev)
                logs.update(dev_accuracy=result["accuracy"], dev_oov_accuracy=result["oov_accuracy"])
            self.history.append(logs)
            if verbose:
                print(" - ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in logs.items()),
                      flush=True)
            if callback is not None:
                callback(logs)
        return self.history

    # ---- prediction and evaluation ----
    def predict_ids(self, sentences, batch_size=64):
        """Tag ids of each sentence (a list of word lists): a list of int arrays."""
        if isinstance(sentences, (str, bytes)):
            raise TypeError("predict_ids expects a list of sentences (lists of words)")
        sentences = [list(s) for s in sentences]
        if not sentences:
            raise ValueError("no sentence to tag (an empty list)")
        empty = [k for k, s in enumerate(sentences) if not s]
        if empty:
            raise ValueError(f"sentence {empty[0]} has no words")
        word_ids = self._word_ids(sentences)
        out = [None] * len(sentences)
        from ._blas_threads import one_blas_thread
        with one_blas_thread():
            for idx in self._batches([len(s) for s in sentences], batch_size):
                xs = self._inputs([sentences[i] for i in idx], [word_ids[i] for i in idx])
                probs = self.model.predict_on_batch(xs)
                for k, i in enumerate(idx):
                    out[i] = probs[k, :len(sentences[i])].argmax(axis=-1)
        return out

    def predict(self, sentence):
        """The tags of one sentence (a string, split by :func:`tokenize`, or a list of words), or of a
        list of sentences (each a list of words): a list of tags, or a list of such lists."""
        if isinstance(sentence, str):
            words = tokenize(sentence)
            if not words:
                raise ValueError(f"no words in {sentence!r}")
            return self.tags.decode(self.predict_ids([words])[0])
        sentence = list(sentence)
        if sentence and all(isinstance(w, str) for w in sentence):
            return self.tags.decode(self.predict_ids([sentence])[0])
        return [self.tags.decode(p) for p in self.predict_ids(sentence)]

    def evaluate(self, data):
        """Scores on ``data`` (``(words, tags)`` pairs), over real tokens only.

        Returns a dict: accuracy, oov_accuracy (words not seen in training), n_tokens, n_oov,
        report (per tag: precision, recall, f1, support), confusion ((n, n) counts, gold rows,
        predicted columns, tags in ``labels`` order), labels, and the predictions.
        """
        data = _check_data(data, "the evaluation data")
        predictions = self.predict_ids([w for w, _ in data])
        gold_names = [t for _, ts in data for t in ts]
        labels = list(self.tags.itos) + sorted({t for t in gold_names if t not in self.tags.stoi})
        index = {t: i for i, t in enumerate(labels)}
        gold = np.array([index[t] for t in gold_names])
        pred = np.concatenate(predictions)
        oov = np.array([w not in self.train_words for s, _ in data for w in s])
        right = gold == pred
        return dict(accuracy=float(right.mean()), oov_accuracy=float(right[oov].mean()) if oov.any() else float("nan"),
                    n_tokens=int(gold.size), n_oov=int(oov.sum()),
                    report=classification_report(gold, pred, labels), confusion=confusion_matrix(gold, pred, len(labels)),
                    labels=labels, predictions=[self.tags.decode(p) for p in predictions])

    # ---- saving ----
    def get_config(self):
        return dict(words=self.words.get_config(), tags=self.tags.get_config(),
                    chars=self.chars.get_config() if self.chars else None, settings=self.settings, seed=self.seed,
                    train_words=sorted(self.train_words))

    def save(self, path):
        """One ``.npz``: the model (``lstmx.load_model`` reads it) and, beside its arrays, the
        vocabularies and settings as JSON (``tagger``). :meth:`Tagger.load` reads both."""
        self.model.save(path)
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(json.dumps(self.get_config()).encode(), np.uint8))
        with zipfile.ZipFile(path, "a") as z:
            z.writestr("tagger.npy", buf.getvalue())

    @classmethod
    def load(cls, path):
        from .models.saving import load_model
        model = load_model(path)
        with np.load(path, allow_pickle=False) as z:
            if "tagger" not in z.files:
                raise ValueError(f"{path} is an lstmx model without a tagger's vocabularies (saved by model.save, "
                                 f"not Tagger.save)")
            config = json.loads(bytes(z["tagger"]).decode())
        tagger = cls.__new__(cls)
        tagger.words = Vocabulary.from_config(config["words"])
        tagger.tags = Vocabulary.from_config(config["tags"])
        tagger.chars = Vocabulary.from_config(config["chars"]) if config["chars"] else None
        tagger.settings, tagger.seed = dict(DEFAULTS, **config["settings"]), config["seed"]
        tagger.train_words = set(config["train_words"])
        tagger.model, tagger.history = model, []
        if model.optimizer is None:
            tagger.compile()
        return tagger


def classification_report(gold, pred, labels):
    """Per tag: ``{"tag": {"precision", "recall", "f1", "support"}}`` from id arrays (support: gold count)."""
    n = len(labels)
    cm = confusion_matrix(gold, pred, n)
    tp = np.diag(cm).astype(float)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    report = {}
    for k, tag in enumerate(labels):
        p = tp[k] / predicted[k] if predicted[k] else 0.0
        r = tp[k] / support[k] if support[k] else 0.0
        report[tag] = dict(precision=p, recall=r, f1=2 * p * r / (p + r) if p + r else 0.0, support=int(support[k]))
    return report


def format_report(report, digits=3):
    """The per-tag table as text (as scikit-learn's ``classification_report`` prints it)."""
    width = max(len(t) for t in report)
    lines = [f"{'':<{width}}  precision  recall  f1-score  support"]
    for tag, r in sorted(report.items(), key=lambda kv: -kv[1]["support"]):
        lines.append(f"{tag:<{width}}  {r['precision']:>9.{digits}f}  {r['recall']:>6.{digits}f}  "
                     f"{r['f1']:>8.{digits}f}  {r['support']:>7d}")
    return "\n".join(lines)


def confusion_matrix(gold, pred, n):
    """``(n, n)`` counts: row = gold tag id, column = predicted tag id."""
    cm = np.zeros((n, n), np.int64)
    np.add.at(cm, (np.asarray(gold), np.asarray(pred)), 1)
    return cm


def most_frequent_tag(train, test):
    """The baseline: each word gets the tag it had most often in ``train``; a word never seen gets
    the most frequent tag of all. Returns ``(accuracy, oov_accuracy)`` on ``test``."""
    train, test = _check_data(train, "train"), _check_data(test, "test")
    by_word, overall = defaultdict(Counter), Counter()
    for words, tags in train:
        for w, t in zip(words, tags):
            by_word[w][t] += 1
        overall.update(tags)
    best = {w: c.most_common(1)[0][0] for w, c in by_word.items()}
    default = overall.most_common(1)[0][0]
    right, oov = [], []
    for words, tags in test:
        for w, t in zip(words, tags):
            right.append(best.get(w, default) == t)
            oov.append(w not in best)
    right, oov = np.array(right), np.array(oov)
    return float(right.mean()), float(right[oov].mean()) if oov.any() else float("nan")


def run_command(args):
    """``lstmx tag``: train on a treebank's train split, evaluate on dev after every epoch and on test
    at the end. With ``--json``: one JSON line an epoch, then one with the test scores."""
    from .datasets import ud_pos

    def say(text):
        if not args.json:
            print(text, flush=True)

    start = time.perf_counter()
    try:
        train, dev, test = ud_pos.load_data(args.data, tagset=args.tagset)
    except (FileNotFoundError, ud_pos.CoNLLUError) as exc:
        print(f"lstmx tag: error: {exc}", file=sys.stderr)
        return 2
    n_words = sum(len(w) for w, _ in train)
    say(f"{len(train)} training sentences ({n_words} words), {len(dev)} dev, {len(test)} test, "
        f"{args.tagset.upper()} tags; read in {time.perf_counter() - start:.1f} s")
    baseline, baseline_oov = most_frequent_tag(train, test)
    say(f"most-frequent-tag baseline: test accuracy {baseline:.4f} (words not seen in training {baseline_oov:.4f})")
    settings = {k: getattr(args, k) for k in ("learning_rate", "word_dropout", "dropout", "units", "word_dim",
                                              "embedding_std")
                if getattr(args, k, None) is not None}
    if args.single_unknown:
        settings["unknown_shapes"] = False
    vectors = None
    if args.vectors:
        from .word2vec.keyedvectors import KeyedVectors
        try:
            vectors = KeyedVectors.load_word2vec_format(args.vectors, binary=_is_binary(args.vectors))
        except (OSError, ValueError) as exc:
            print(f"lstmx tag: error: cannot read word vectors from {args.vectors}: {exc}", file=sys.stderr)
            return 2
    tagger = Tagger.from_data(train, chars=args.chars, min_count=args.min_count, lower=args.lower or None,
                              seed=args.seed, word_vectors=vectors, **settings)
    if vectors is not None:
        emb = tagger.model.get_layer("word_embedding")
        say(f"word vectors: {len(vectors)} from {args.vectors}, {emb.pretrained_rows} of the "
            f"{len(tagger.words)} vocabulary rows start from them")
    shapes = sum(t.startswith("<unk:") for t in tagger.words.itos)
    say(f"vocabulary: {tagger.words.n_tokens - shapes} words (seen >= {tagger.settings['min_count']} times) and "
        f"{shapes} unknown-word shapes, "
        f"{len(tagger.tags)} tags" + (f", {tagger.chars.n_tokens} characters" if tagger.chars else "") +
        f"; {tagger.model.count_params():,} parameters")

    def report(logs):
        if args.save:       # after every epoch: a run cut short leaves its last epoch's tagger
            tagger.save(args.save)
        if args.json:
            print(json.dumps({k: round(v, 6) if isinstance(v, float) else v for k, v in logs.items()}), flush=True)
        else:
            print(f"epoch {logs['epoch']}: loss {logs['loss']:.4f}, train accuracy {logs['accuracy']:.4f}, "
                  f"dev accuracy {logs['dev_accuracy']:.4f} (OOV {logs['dev_oov_accuracy']:.4f}), "
                  f"{logs['epoch_seconds']:.1f} s", flush=True)

    history = tagger.fit(train, dev, epochs=args.epochs, callback=report)
    result = tagger.evaluate(test)
    seconds = [h["epoch_seconds"] for h in history]
    final = dict(tagset=args.tagset, chars=bool(args.chars), epochs=args.epochs, seed=args.seed,
                 vectors=args.vectors,
                 pretrained_rows=tagger.model.get_layer("word_embedding").pretrained_rows if vectors else 0,
                 test_accuracy=round(result["accuracy"], 6), oov_accuracy=round(result["oov_accuracy"], 6),
                 test_tokens=result["n_tokens"], test_oov_tokens=result["n_oov"],
                 dev_accuracy=round(history[-1]["dev_accuracy"], 6), baseline_accuracy=round(baseline, 6),
                 baseline_oov_accuracy=round(baseline_oov, 6), epoch_seconds=round(float(np.mean(seconds)), 3),
                 total_seconds=round(time.perf_counter() - start, 1), settings=tagger.settings)
    if args.save:
        tagger.save(args.save)
    if args.json:
        print(json.dumps(final), flush=True)
    else:
        print(format_report(result["report"]))
        print(f"test accuracy {result['accuracy']:.4f} over {result['n_tokens']} words; on the {result['n_oov']} "
              f"words not seen in training {result['oov_accuracy']:.4f}; baseline {baseline:.4f}; "
              f"{final['epoch_seconds']:.1f} s an epoch" + (f"; tagger saved to {args.save}" if args.save else ""))
    if args.plot:
        from .plot import plot_confusion_matrix
        plot_confusion_matrix(result["confusion"], result["labels"], args.plot)
        say(f"confusion matrix written to {args.plot}")
    return 0


def _is_binary(path):
    """Whether a word2vec.c file is binary: its first vector's bytes after the header are not text."""
    with open(path, "rb") as f:
        f.readline()
        chunk = f.read(4096)
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(chunk) - 4     # not just a character cut at the chunk's end
    return False


def add_parser(sub, positive):
    """Add the ``tag`` subcommand: ``sub`` is the CLI's subparsers, or its ``command(name, help,
    func)`` factory; ``positive`` its positive-integer type."""
    help = ("train a BiLSTM part-of-speech tagger on a UD treebank (CoNLL-U train/dev/test), scoring dev after "
            "every epoch and test at the end")
    if hasattr(sub, "add_parser"):
        tag = sub.add_parser("tag", help=help)
    else:
        tag = sub("tag", help, run_command)
    tag.add_argument("--data", help="folder with *-ud-{train,dev,test}.conllu (default: $LSTMX_DATA/ud_english_ewt)")
    tag.add_argument("--tagset", choices=sorted(("upos", "xpos")), default="upos")
    tag.add_argument("--chars", action="store_true", help="add a character BiLSTM over each word")
    tag.add_argument("--epochs", type=positive, default=10)
    tag.add_argument("--json", action="store_true", help="one JSON line an epoch, then the test scores")
    tag.add_argument("--learning-rate", type=float, help=f"Adam's (default {DEFAULTS['learning_rate']})")
    tag.add_argument("--word-dropout", type=float, help=f"default {DEFAULTS['word_dropout']}")
    tag.add_argument("--dropout", type=float, help=f"on the BiLSTM's input and output (default {DEFAULTS['dropout']})")
    tag.add_argument("--min-count", type=positive, help=f"rarer words become unknown (default {DEFAULTS['min_count']})")
    tag.add_argument("--units", type=positive, help=f"BiLSTM units a direction (default {DEFAULTS['units']})")
    tag.add_argument("--word-dim", type=positive, help=f"default {DEFAULTS['word_dim']}")
    tag.add_argument("--embedding-std", type=float,
                     help="new embeddings start N(0, std^2), as PyTorch's do with 1; 0: Keras's U(-0.05, 0.05) "
                          "(default: 1 with --chars, 0 for words only, the better start of each on EWT)")
    tag.add_argument("--single-unknown", action="store_true",
                     help="one unknown id for every word out of the vocabulary, not one for each word shape")
    tag.add_argument("--vectors", metavar="PATH",
                     help="start the word embedding from these word vectors (word2vec.c's text or binary format, "
                          "as `lstmx word2vec` writes them); their size sets --word-dim")
    tag.add_argument("--lower", action="store_true",
                     help="look words up lower-cased (for vectors trained on lower-cased text)")
    tag.add_argument("--seed", type=int, default=0)
    tag.add_argument("--save", metavar="FILE.npz", help="save the tagger (model and vocabularies) after every epoch")
    tag.add_argument("--plot", metavar="FILE.png", help="draw the test set's confusion matrix")
    tag.set_defaults(func=run_command)
    return tag
