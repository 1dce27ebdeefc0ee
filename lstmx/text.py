"""Text tools with Keras's semantics: ``Tokenizer`` and ``pad_sequences``."""
from collections import Counter

import numpy as np

from ._validation import check_nonnegative_int, check_positive_int

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text, filters=FILTERS, lower=True, split=" "):
    """Lower-case, replace every character of ``filters`` by ``split``, split, drop empty words."""
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in text.split(split) if w]


class Tokenizer:
    """Words to integer ids by frequency rank (1 = most frequent; 0 is never a word's id).

    ``texts_to_sequences`` and ``sequences_to_texts`` need a vocabulary: before ``fit_on_texts`` (or
    a ``word_index`` set by hand) they raise RuntimeError, where Keras returns empty lists.

    Parameters
    ----------
    num_words : int or None
        Keep only words of rank < num_words when converting texts (ranks >= num_words are dropped,
        or mapped to ``oov_token``'s id).
    oov_token : str or None
        A token for out-of-vocabulary words; it gets id 1 and the words shift by one.
    filters : str, default: punctuation, tab and newline
        Characters replaced by spaces before a text is split on spaces (Keras's default set,
        ``lstmx.text.FILTERS``).
    lower : bool, default True
        Lower-case the texts (and lists of words) first.
    char_level : bool, default False
        Every character is a token (Keras's ``char_level``): a text is taken character by
        character, spaces and newlines included, and ``filters`` are not applied, as in Keras.
        ``sequences_to_texts`` then joins the characters without spaces (Keras joins them with
        spaces, so that ``"to be"`` comes back as ``"t o   b e"``). For a character language
        model, keep the case: ``Tokenizer(char_level=True, lower=False)``.

    Examples
    --------
    >>> tok = Tokenizer(char_level=True, lower=False)
    >>> tok.fit_on_texts(["to be"])
    >>> tok.word_index
    {'t': 1, 'o': 2, ' ': 3, 'b': 4, 'e': 5}
    >>> tok.texts_to_sequences(["be to"]), tok.sequences_to_texts([[4, 5, 3, 1, 2]])
    ([[4, 5, 3, 1, 2]], ['be to'])
    """

    def __init__(self, num_words=None, oov_token=None, filters=FILTERS, lower=True, char_level=False):
        if num_words is not None:
            try:
                num_words = check_positive_int("num_words", num_words)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{exc} (or None to keep every word)") from None
        self.num_words, self.oov_token = num_words, oov_token
        self.filters, self.lower, self.char_level = filters, lower, bool(char_level)
        self.word_counts = Counter()
        self.word_index = {}
        self.index_word = {}
        self._fitted = False

    def _words(self, text, k):
        """The words of text number ``k``: a string is split (``text_to_word_sequence``); a list of
        words is taken as it is (lower-cased if ``lower``), as Keras takes it."""
        if isinstance(text, str) and self.char_level:
            return list(text.lower() if self.lower else text)
        if isinstance(text, str):
            return text_to_word_sequence(text, self.filters, self.lower)
        if isinstance(text, (list, tuple)) and all(isinstance(w, str) for w in text):
            return [w.lower() for w in text] if self.lower else list(text)
        raise TypeError(f"each text must be a string or a list of words (strings); text {k} is "
                        f"{type(text).__name__} {text!r:.60}")

    @staticmethod
    def _texts(method, texts):
        """``texts`` to iterate over, or a TypeError saying that a list of texts was expected."""
        if isinstance(texts, str):
            raise TypeError(f"{method} expects a list of texts, got a single string")
        try:
            return iter(texts)
        except TypeError:
            raise TypeError(f"{method} expects a list of texts (strings or lists of words), "
                            f"got {_describe(texts)}") from None

    def _check_vocabulary(self):
        """An unfitted Tokenizer is an error, not empty results (Keras gives ``[[]]`` for every text):
        fitted on no text, or given a ``word_index``, it converts."""
        if not self._fitted and not self.word_index:
            raise RuntimeError("this Tokenizer has no vocabulary yet: call fit_on_texts(texts) first "
                               "(or set its word_index)")

    def fit_on_texts(self, texts):
        for k, text in enumerate(self._texts("fit_on_texts", texts)):
            self.word_counts.update(self._words(text, k))
        # by count, the first seen first among equal counts (a stable sort of the counts in the order
        # the words were first seen, as Keras sorts)
        ranked = sorted(self.word_counts.items(), key=lambda kv: -kv[1])
        words = ([self.oov_token] if self.oov_token is not None else []) + [w for w, _ in ranked if w != self.oov_token]
        self.word_index = {w: i for i, w in enumerate(words, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}
        self._fitted = True

    def texts_to_sequences(self, texts):
        texts = self._texts("texts_to_sequences", texts)
        self._check_vocabulary()
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        out = []
        for k, text in enumerate(texts):
            seq = []
            for w in self._words(text, k):
                i = self.word_index.get(w)
                if i is not None and (self.num_words is None or i < self.num_words):
                    seq.append(i)
                elif oov is not None:
                    seq.append(oov)
            out.append(seq)
        return out

    def sequences_to_texts(self, sequences):
        what = "sequences_to_texts expects a list of sequences of ids"
        if isinstance(sequences, (str, bytes)):
            raise TypeError(f"{what}, got a single string")
        try:
            sequences = list(sequences)
        except TypeError:
            raise TypeError(f"{what}, got {_describe(sequences)}") from None
        self._check_vocabulary()
        if len(self.index_word) != len(self.word_index):   # a word_index set by hand
            self.index_word = {i: w for w, i in self.word_index.items()}
        out = []
        for k, seq in enumerate(sequences):
            if isinstance(seq, (str, bytes)) or not hasattr(seq, "__iter__"):
                raise TypeError(f"{what}; sequence {k} is {_describe(seq)}, not a sequence: for one sequence, "
                                f"pass [sequence]")
            out.append(("" if self.char_level else " ").join(self.index_word[i] for i in seq if i in self.index_word))
        return out


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0):
    """Make a ``(n, maxlen)`` array from lists of ids, as Keras does.

    ``padding='pre'`` puts the padding value in front (the review ends at the last step, next to the
    classifier); ``truncating='pre'`` drops the beginning of sequences longer than ``maxlen``.
    ``sequences`` is a list (or array, tuple, iterator) of sequences of token ids; anything else, a
    string or a flat list of ids among them, is a TypeError that names what came.
    """
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"padding and truncating must be 'pre' or 'post', got {padding!r}, {truncating!r}")
    sequences = _as_sequences(sequences)
    if maxlen is None:
        maxlen = max((len(s) for s in sequences), default=0)
    else:
        maxlen = check_nonnegative_int("maxlen", maxlen)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a NumPy data type, got {dtype!r}") from None
    try:
        out = np.full((len(sequences), maxlen), value, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"value={value!r} does not fit dtype {dtype} ({exc})") from None
    for i, s in enumerate(sequences):
        if not s or maxlen == 0:
            continue
        s = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        try:
            if padding == "pre":
                out[i, maxlen - len(s):] = s
            else:
                out[i, :len(s)] = s
        except (TypeError, ValueError) as exc:
            raise TypeError(f"pad_sequences expects sequences of numbers (token ids) of dtype {out.dtype}; "
                            f"sequence {i} does not fit ({exc}). Turn words into ids first "
                            f"(lstmx.text.Tokenizer)") from None
    return out


_EXPECTED = "a list of sequences of token ids (such as [[1, 5, 2], [7, 3]])"
_TO_IDS = "turn words into ids first (lstmx.text.Tokenizer)"


def _as_sequences(sequences):
    """``sequences`` as a list of lists, or a TypeError naming what is not a sequence of ids."""
    if isinstance(sequences, (str, bytes)):
        raise TypeError(f"pad_sequences expects {_EXPECTED}; got a single string: {_TO_IDS}")
    try:
        items = list(sequences)
    except TypeError:
        raise TypeError(f"pad_sequences expects {_EXPECTED}; got {_describe(sequences)}") from None
    out = []
    for i, s in enumerate(items):
        if isinstance(s, (str, bytes)):
            raise TypeError(f"pad_sequences expects {_EXPECTED}; sequence {i} is {_describe(s)}, text: {_TO_IDS}")
        try:
            out.append(list(s))
        except TypeError:
            raise TypeError(f"pad_sequences expects {_EXPECTED}; sequence {i} is {_describe(s)}, not a sequence: "
                            f"for one sequence, pass [sequence]") from None
    return out


def _describe(x):
    """``None``, or the type and the start of the repr: what came, for an error message."""
    return "None" if x is None else f"{type(x).__name__} {x!r:.60}"


class Vocabulary:
    """Tokens (words, characters, tags) to ids and back, with a padding id and an unknown id.

    ``Vocabulary.build(sequences)`` counts the tokens and gives them ids in order of frequency
    (ties in the order first seen): with the defaults, 0 is the padding ``"<pad>"`` (what
    ``Embedding(mask_zero=True)`` masks), 1 the unknown token ``"<unk>"``, and the tokens follow from
    2. ``pad=None`` or ``oov=None`` leaves that id out: a tag vocabulary is ``Vocabulary.build(tags,
    pad=None, oov=None)``, ids 0 .. n_tags - 1, the classes of a softmax.

    Parameters
    ----------
    tokens : list of str
        The tokens in id order, after the padding and unknown tokens.
    pad, oov : str or None
        The padding token (id 0) and the unknown token (the next id); None for none.
    lower : bool
        Lower-case every token before looking it up (and when building).
    counts : dict or None
        How often each token was seen when building (kept for inspection, e.g. OOV rates).

    Notes
    -----
    ``encode`` maps a token not in the vocabulary to the unknown id; without one, it raises
    KeyError naming the token. ``get_config()`` / ``Vocabulary.from_config`` (plain JSON) save it:
    :class:`lstmx.tagging.Tagger` stores its vocabularies inside the model's ``.npz`` file.
    """

    def __init__(self, tokens, pad="<pad>", oov="<unk>", lower=False, counts=None):
        tokens = list(tokens)
        if not all(isinstance(t, str) for t in tokens):
            raise TypeError("a Vocabulary's tokens must be strings")
        reserved = [t for t in (pad, oov) if t is not None]
        self.pad, self.oov, self.lower = pad, oov, bool(lower)
        self.itos = reserved + [t for t in tokens if t not in reserved]
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("a Vocabulary's tokens must be distinct")
        self.counts = dict(counts or {})

    @classmethod
    def build(cls, sequences, min_count=1, max_size=None, pad="<pad>", oov="<unk>", lower=False):
        """A vocabulary of the tokens of ``sequences`` (a list of lists of tokens) seen at least
        ``min_count`` times, the ``max_size`` most frequent at most; the others will be unknown."""
        min_count = check_positive_int("min_count", min_count)
        if isinstance(sequences, str):
            raise TypeError("Vocabulary.build expects a list of token lists, got a single string")
        counts = Counter()
        for seq in sequences:
            if isinstance(seq, str):
                raise TypeError(f"Vocabulary.build expects a list of token lists; one of them is the string "
                                f"{seq!r:.40}: for characters, pass list(word)")
            counts.update(t.lower() for t in seq) if lower else counts.update(seq)
        if not counts:
            raise ValueError("Vocabulary.build got no tokens (an empty list of sequences?)")
        ranked = [t for t, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c >= min_count]
        if max_size is not None:
            ranked = ranked[:check_positive_int("max_size", max_size)]
        return cls(ranked, pad=pad, oov=oov, lower=lower, counts=counts)

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return (token.lower() if self.lower else token) in self.stoi

    def __repr__(self):
        return (f"Vocabulary({len(self)} ids: pad={self.pad!r}, oov={self.oov!r}, "
                f"first {self.itos[len(self) - self.n_tokens:][:5]})")

    @property
    def pad_id(self):
        return 0 if self.pad is not None else None

    @property
    def oov_id(self):
        return self.stoi[self.oov] if self.oov is not None else None

    @property
    def n_tokens(self):
        """The number of real tokens (not counting the padding and unknown ids)."""
        return len(self.itos) - (self.pad is not None) - (self.oov is not None)

    def encode(self, tokens):
        """The ids of a list of tokens (unknown tokens get ``oov_id``, or KeyError without one)."""
        if isinstance(tokens, str):
            raise TypeError(f"encode expects a list of tokens, got the string {tokens!r:.40}")
        oov = self.oov_id
        out = []
        for t in tokens:
            i = self.stoi.get(t.lower() if self.lower else t, oov)
            if i is None:
                raise KeyError(f"{t!r} is not in the vocabulary ({self.n_tokens} tokens, no unknown id): "
                               f"known tokens are {self.itos[:20]}{' ...' if len(self) > 20 else ''}")
            out.append(i)
        return out

    def encode_batch(self, sequences, maxlen=None, dtype="int32"):
        """``(n, T)`` ids of several token lists, post-padded with 0 to the longest (or ``maxlen``)."""
        return pad_sequences([self.encode(s) for s in sequences], maxlen=maxlen, dtype=dtype, padding="post",
                             truncating="post")

    def decode(self, ids):
        """The tokens of a sequence of ids."""
        return [self.itos[int(i)] for i in ids]

    def get_config(self):
        """A JSON-able dict from which :meth:`from_config` rebuilds the vocabulary."""
        reserved = (self.pad is not None) + (self.oov is not None)
        return dict(tokens=self.itos[reserved:], pad=self.pad, oov=self.oov, lower=self.lower)

    @classmethod
    def from_config(cls, config):
        return cls(**config)
