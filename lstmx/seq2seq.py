"""Sequence to sequence with attention, on a task whose answer is known: human-written dates to ISO.

``"Tuesday, 3 May 1979"``, ``"05/03/79"``, ``"3rd of May 79"``... all become ``"1979-05-03"``. An
encoder (a bidirectional LSTM over the characters) reads the date; a decoder LSTM, started from the
encoder's final states, writes the ISO characters one at a time, and at each step attends over the
encoder's outputs (Luong's dot-product ``Attention``) to find the characters that decide the next one:
the alignment shows each output digit looking at the input that determines it.

Training uses teacher forcing: the decoder reads the true previous character. Decoding has only its
own: greedy decoding takes the likeliest character at each step, beam search keeps the ``beam_width``
likeliest prefixes. Both read the source once (:meth:`Translator.encode`) and then step the decoder
one token at a time, carrying its LSTM state ``(h, c)`` from step to step (:meth:`Translator.step`):
the same numbers as re-running the decoder over the whole prefix, at a cost that does not grow with it.

:class:`Translator` is the same machinery for any vocabulary; ``lstmx.datasets.tatoeba`` and
:class:`WordVocabulary` make it translate English sentences into Spanish, scored by :func:`corpus_bleu`.
"""
import collections
import datetime
import math
import re

import numpy as np

FORMATS = (                                  # strftime-like patterns, with {d} {dd} {ord} {m} {mm} {mon} {month} {yy} {yyyy} {wd} {weekday}
    "{yyyy}-{mm}-{dd}", "{dd}/{mm}/{yy}", "{d}/{m}/{yyyy}", "{mm}/{dd}/{yyyy} (US)", "{d} {month} {yyyy}",
    "{weekday}, {d} {month} {yyyy}", "{ord} of {month} {yy}", "{month} {d}, {yyyy}", "{mon} {d} {yyyy}",
    "{d} {mon} {yy}", "{dd}.{mm}.{yyyy}", "{wd} {d} {mon} {yyyy}", "{yyyy}/{mm}/{dd}", "{d}-{mon}-{yyyy}",
    "{month} {ord}, {yyyy}", "{dd}{mm}{yyyy}", "{weekday} the {ord} of {month}, {yyyy}",
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
START, END = "^", "$"                        # the decoder's first input, and the end of every target


def _ordinal(n):
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def human_date(date, fmt):
    """``date`` written by the pattern ``fmt`` (one of :data:`FORMATS`)."""
    fields = dict(d=date.day, dd=f"{date.day:02d}", ord=_ordinal(date.day), m=date.month, mm=f"{date.month:02d}",
                  mon=MONTHS[date.month - 1][:3], month=MONTHS[date.month - 1], yy=f"{date.year % 100:02d}",
                  yyyy=date.year, wd=WEEKDAYS[date.weekday()][:3], weekday=WEEKDAYS[date.weekday()])
    return fmt.format(**fields)


def generate_dates(n, seed=0, start_year=1950, end_year=2049, formats=FORMATS):
    """``n`` pairs (human-written date, ISO date) from a seeded generator, the formats and days drawn at
    random; two-digit years are read in ``start_year .. start_year + 99``, so every pair has one answer."""
    if end_year - start_year > 99:
        raise ValueError(f"two-digit years need a span of at most 100 years, got {start_year}..{end_year}")
    rng = np.random.default_rng(seed)
    first, last = datetime.date(start_year, 1, 1).toordinal(), datetime.date(end_year, 12, 31).toordinal()
    pairs = []
    for day, k in zip(rng.integers(first, last + 1, n), rng.integers(0, len(formats), n)):
        date = datetime.date.fromordinal(int(day))
        pairs.append((human_date(date, formats[k]), date.isoformat()))
    return pairs


class CharVocabulary:
    """Characters to ids and back; id 0 is padding, 1 an unknown character."""

    unit = "characters"

    def __init__(self, texts, extra=""):
        chars = sorted(set("".join(texts)) | set(extra))
        self.chars = ["", "?"] + chars
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def tokens(self, text):
        """A text's tokens: its characters."""
        return list(text)

    def encode(self, texts, length=None, padding="post"):
        """(N, length) int64 ids of texts (or lists of tokens), padded with 0 (``padding='pre'`` puts the
        padding first); an unknown token gets id 1."""
        texts = [self.tokens(t) if isinstance(t, str) else list(t) for t in texts]
        length = max(len(t) for t in texts) if length is None else length
        out = np.zeros((len(texts), length), np.int64)
        for i, t in enumerate(texts):
            if len(t) > length:
                raise ValueError(f"text {i} has {len(t)} {self.unit}; the model reads at most {length}")
            ids = [self.index.get(c, 1) for c in t]
            if padding == "pre":
                out[i, length - len(ids):] = ids
            else:
                out[i, :len(ids)] = ids
        return out

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids if i > 1)


def word_tokens(text):
    """Lower-cased words and punctuation marks, each a token: ``"¿Dónde está?"`` -> ``["¿", "dónde",
    "está", "?"]`` (letters of any alphabet make words; every other non-space character stands alone)."""
    return _WORD.findall(text.lower())


_WORD = re.compile(r"\w+|[^\w\s]")


class WordVocabulary:
    """Words to ids and back, for sentences; id 0 is padding, 1 an unknown word (``<unk>``).

    The ``max_size`` most frequent tokens of ``texts`` (by :func:`word_tokens`; ties alphabetically)
    that occur at least ``min_count`` times, after the ``extra`` tokens (the decoder's start and end).
    """

    unit = "words"

    def __init__(self, texts, max_size=None, min_count=1, extra=()):
        counts = collections.Counter(tok for t in texts for tok in word_tokens(t))
        ranked = sorted((w for w, n in counts.items() if n >= min_count and w not in extra),
                        key=lambda w: (-counts[w], w))
        self.words = ["", "<unk>", *extra, *ranked[:max_size]]
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self):
        return len(self.words)

    tokens = staticmethod(word_tokens)
    encode = CharVocabulary.encode

    def decode(self, ids):
        """The words of ``ids`` joined by spaces (padding left out; an unknown word is ``<unk>``)."""
        return " ".join(self.words[i] for i in ids if i > 0)


def build_model(source_vocab, target_vocab, embed=32, units=64, seed=0, learning_rate=2e-3):
    """The encoder-decoder with attention, for training with teacher forcing.

    ``source`` ids (B, Ts) -> Embedding(mask_zero) -> Bidirectional(LSTM(units, return_sequences,
    return_state)): outputs (B, Ts, 2*units) and four final states; the decoder starts from
    ``[h_fwd, h_bwd]`` and ``[c_fwd, c_bwd]`` concatenated (2*units each). ``target_in`` ids (B, Tt)
    -> Embedding(mask_zero) -> LSTM(2*units, return_sequences) -> Attention over the encoder's outputs
    -> Concatenate(decoder, context) -> Dense(target_vocab, softmax): (B, Tt, target_vocab).
    """
    import lstmx
    source = lstmx.Input((None,), dtype="int32", name="source")
    target_in = lstmx.Input((None,), dtype="int32", name="target_in")
    enc = lstmx.Embedding(source_vocab, embed, mask_zero=True, seed=seed, name="source_embedding")(source)
    enc_out, fh, fc, bh, bc = lstmx.Bidirectional(
        lstmx.LSTM(units, return_sequences=True, return_state=True, seed=seed + 1), name="encoder")(enc)
    h = lstmx.Concatenate(name="encoder_h")([fh, bh])
    c = lstmx.Concatenate(name="encoder_c")([fc, bc])
    dec = lstmx.Embedding(target_vocab, embed, mask_zero=True, seed=seed + 2, name="target_embedding")(target_in)
    dec_out = lstmx.LSTM(2 * units, return_sequences=True, seed=seed + 3, name="decoder")(dec, initial_state=[h, c])
    context, alignment = lstmx.Attention(name="attention")([dec_out, enc_out], return_attention_scores=True)
    merged = lstmx.Concatenate(name="decoder_and_context")([dec_out, context])
    probs = lstmx.Dense(target_vocab, "softmax", seed=seed + 4, name="next_character")(merged)
    model = lstmx.Model([source, target_in], [probs, alignment], name="dates_seq2seq")
    model.compile(loss=["sparse_categorical_crossentropy", None], optimizer=lstmx.Adam(learning_rate),
                  metrics=["accuracy"])
    return model


class Translator:
    """An encoder-decoder with attention end to end, for any vocabularies of tokens: the arrays of
    teacher forcing, training, and decoding one token at a time with the decoder's state carried.

    ``source_vocab`` and ``target_vocab`` turn texts into token ids and back (:class:`CharVocabulary`,
    or :class:`WordVocabulary` for sentences); the target vocabulary holds the ``start`` and ``end``
    tokens. Texts longer than ``source_length`` tokens (``target_length - 1`` for the targets) are refused.
    """

    def __init__(self, source_vocab, target_vocab, source_length, target_length, embed=32, units=64, seed=0,
                 start=START, end=END, learning_rate=2e-3):
        self.source_vocab, self.target_vocab = source_vocab, target_vocab
        self.source_length, self.target_length = int(source_length), int(target_length)
        self.start_token, self.end_token = start, end
        self.start, self.end = target_vocab.index[start], target_vocab.index[end]
        self.model = build_model(len(source_vocab), len(target_vocab), embed, units, seed, learning_rate)
        # padding, the unknown token and the start are never decoded: they are not words of an answer
        self.banned = np.array([0, 1, self.start])

    def arrays(self, pairs):
        """(source ids, decoder input ids, labels): the decoder reads start + target, learns target + end."""
        sources, targets = zip(*pairs)
        tokens = [self.target_vocab.tokens(t) for t in targets]
        x = self.source_vocab.encode(sources, self.source_length, padding="pre")
        t_in = self.target_vocab.encode([[self.start_token] + t for t in tokens], self.target_length)
        y = self.target_vocab.encode([t + [self.end_token] for t in tokens], self.target_length)
        return x, t_in, y

    def fit(self, pairs, epochs=10, batch_size=64, validation=None, verbose=0, seed=0):
        x, t_in, y = self.arrays(pairs)
        val = None
        if validation:
            vx, vt, vy = self.arrays(validation)
            val = ([vx, vt], [vy, None])
        return self.model.fit([x, t_in], [y, None], epochs=epochs, batch_size=batch_size, validation_data=val,
                              verbose=verbose, seed=seed)

    # ---- decoding, one step at a time ----
    def encode(self, x):
        """Read the sources once: ids (B, Ts) -> (encoder outputs (B, Ts, 2U), their mask (B, Ts), the
        decoder's first state [h, c], each (B, 2U)), as the model's graph computes them."""
        layer = self.model.get_layer
        x = np.asarray(x)
        embedded, _ = layer("source_embedding").forward(x)                  # (B, Ts, E); checks the ids' range
        mask = x != 0                                                        # mask_zero: padding is not read
        (memory, fh, fc, bh, bc), _ = layer("encoder").forward(embedded, mask)
        return memory, mask, [np.concatenate([fh, bh], axis=1), np.concatenate([fc, bc], axis=1)]

    def step(self, memory, mask, state, tokens):
        """One decoder step from ``state``: the previous tokens (B,) -> (next-token probabilities (B, V),
        attention over the source (B, Ts), the state after the step)."""
        layer = self.model.get_layer
        e, _ = layer("target_embedding").forward(np.asarray(tokens)[:, None])    # (B, 1, E)
        decoder = layer("decoder")
        y, state, _ = decoder._forward(e, state, None, None)                     # (B, 1, 2U): one LSTM step
        (context, weights), _ = layer("attention").forward([y, memory], mask=[None, mask],
                                                           return_attention_scores=True)   # (B, 1, 2U), (B, 1, Ts)
        merged = np.concatenate([y[:, 0], context[:, 0]], axis=-1)                # (B, 4U)
        probs, _ = layer("next_character").forward(merged)                       # (B, V)
        return probs, weights[:, 0], state

    def log_probability(self, sources, targets):
        """The model's log-probability of each target given its source (teacher forcing, one run):
        the sum of log p over the target's tokens and the end, (N,) float64."""
        x, t_in, y = self.arrays(list(zip(sources, targets)))
        probs = self.model.predict([x, t_in], verbose=0)[0].astype(np.float64)      # (N, Tt, V)
        picked = np.take_along_axis(probs, y[:, :, None], axis=2)[:, :, 0]          # (N, Tt)
        return np.where(y != 0, np.log(np.maximum(picked, 1e-300)), 0.0).sum(axis=1)

    def _log_probs(self, probs):
        """log p in float64, banned tokens at -inf."""
        logp = np.log(np.maximum(probs.astype(np.float64), 1e-300))
        logp[:, self.banned] = -np.inf
        return logp

    def greedy(self, sources, max_length=None):
        """The likeliest token at each step; returns (texts, alignments (N, steps, Ts))."""
        max_length = self._max_length(max_length)
        memory, mask, state = self.encode(self.source_vocab.encode(list(sources), self.source_length, padding="pre"))
        last = np.full(len(memory), self.start)                              # (N,)
        outputs, alignments, done = [], [], np.zeros(len(memory), bool)
        for _ in range(max_length):
            probs, weights, state = self.step(memory, mask, state, last)
            last = self._log_probs(probs).argmax(axis=1)                     # (N,)
            outputs.append(last)
            alignments.append(weights)
            done |= last == self.end
            if done.all():
                break
        return [self._text(ids) for ids in np.stack(outputs, axis=1)], np.stack(alignments, axis=1)

    def beam_search(self, source, beam_width=5, max_length=None, length_penalty=0.0):
        """The best of the ``beam_width`` likeliest token sequences kept at each step: returns its text
        and its log-probability (the sum over its tokens, the end included)."""
        texts, scores = self.beam_search_batch([source], beam_width, max_length, length_penalty)
        return texts[0], scores[0]

    def beam_search_batch(self, sources, beam_width=5, max_length=None, length_penalty=0.0):
        """Beam search over many sources at once: the beams of all of them are one batch of N * K rows.

        At each step every kept sequence is extended by every token, and the K likeliest of the K * V
        candidates of a source are kept (summed log-probabilities). A finished sequence stays in the beam
        with its score, extended only by padding at no cost, so it competes with the unfinished ones; the
        search ends when each source's best sequence is finished. With ``length_penalty`` alpha > 0, the
        finished sequences are compared by score / length ** alpha instead (longer ones less penalised).
        Returns (texts, log-probabilities).
        """
        K = _check_beam_width(beam_width)
        if not length_penalty >= 0:
            raise ValueError(f"length_penalty must be >= 0 (0: none), got {length_penalty!r}")
        max_length = self._max_length(max_length)
        memory, mask, state = self.encode(self.source_vocab.encode(list(sources), self.source_length, padding="pre"))
        N = len(memory)
        memory, mask = np.repeat(memory, K, axis=0), np.repeat(mask, K, axis=0)   # (N*K, Ts, D), (N*K, Ts)
        state = [np.repeat(s, K, axis=0) for s in state]                           # (N*K, H) each
        scores = np.full((N, K), -np.inf)
        scores[:, 0] = 0.0                                  # one live sequence at first: no duplicates
        sequences = np.zeros((N, K, 0), np.int64)
        finished = np.zeros((N, K), bool)
        lengths = np.zeros((N, K))
        last = np.full(N * K, self.start)
        rows = np.arange(N)[:, None]
        for _ in range(max_length):
            probs, _, state = self.step(memory, mask, state, last)
            logp = self._log_probs(probs).reshape(N, K, -1)                       # (N, K, V)
            logp[finished] = -np.inf                        # a finished sequence only grows by padding, free
            logp[finished, 0] = 0.0
            V = logp.shape[2]
            total = (scores[:, :, None] + logp).reshape(N, K * V)                 # (N, K*V) candidates
            best = np.argsort(-total, axis=1, kind="stable")[:, :K]               # (N, K)
            beam, token = best // V, best % V
            scores = np.take_along_axis(total, best, axis=1)
            sequences = np.concatenate([sequences[rows, beam], token[:, :, None]], axis=2)
            lengths = lengths[rows, beam] + ~finished[rows, beam]
            finished = finished[rows, beam] | (token == self.end)
            state = [s.reshape(N, K, -1)[rows, beam].reshape(N * K, -1) for s in state]
            last = token.reshape(-1)
            if finished[:, 0].all():                        # every best sequence is finished
                break
        ranked = scores / np.maximum(lengths, 1) ** length_penalty if length_penalty else scores.copy()
        ranked[~finished & finished.any(axis=1, keepdims=True)] = -np.inf   # a finished one when there is one
        choice = ranked.argmax(axis=1)                                        # (N,)
        return ([self._text(sequences[i, k]) for i, k in enumerate(choice)],
                [float(scores[i, k]) for i, k in enumerate(choice)])

    def _max_length(self, max_length):
        limit = self.target_length
        if max_length is None:
            return limit
        if isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer)) or not 1 <= max_length <= 4 * limit:
            raise ValueError(f"max_length must be an integer in 1..{4 * limit} (the targets have at most "
                             f"{limit - 1} tokens), got {max_length!r}")
        return int(max_length)

    def _text(self, ids):
        ids = [int(i) for i in ids]
        return self.target_vocab.decode(ids[:ids.index(self.end)] if self.end in ids else ids)


def _check_beam_width(beam_width):
    if isinstance(beam_width, bool) or not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"beam_width must be an integer >= 1, got {beam_width!r}")
    return int(beam_width)


class DateTranslator(Translator):
    """The dates task: character vocabularies made from the pairs, then a :class:`Translator`."""

    def __init__(self, pairs, embed=32, units=64, seed=0):
        sources, targets = zip(*pairs)
        super().__init__(CharVocabulary(sources), CharVocabulary(targets, extra=START + END),
                         source_length=max(len(s) for s in sources), target_length=max(len(t) for t in targets) + 1,
                         embed=embed, units=units, seed=seed)


START_WORD, END_WORD = "<s>", "</s>"        # the word decoder's first input, and the end of every target


class WordTranslator(Translator):
    """Sentences into sentences, word by word (English into Spanish on Tatoeba's pairs): word
    vocabularies of the training pairs (tokens seen fewer than ``min_count`` times become ``<unk>``),
    sentences of at most ``max_length`` tokens, then a :class:`Translator`."""

    def __init__(self, pairs, max_length=8, min_count=2, embed=64, units=128, seed=0, learning_rate=2e-3):
        sources, targets = zip(*pairs)
        super().__init__(WordVocabulary(sources, min_count=min_count),
                         WordVocabulary(targets, min_count=min_count, extra=(START_WORD, END_WORD)),
                         source_length=max_length, target_length=max_length + 1, embed=embed, units=units,
                         seed=seed, start=START_WORD, end=END_WORD, learning_rate=learning_rate)

    def bleu(self, sources, references, beam_width=None, length_penalty=0.0):
        """Corpus BLEU of the translations of ``sources`` (greedy, or beam search of ``beam_width``)
        against ``references`` (one string or a list for each), both tokenised as the model's words.
        Returns (BLEU, translations)."""
        if beam_width is None:
            hypotheses = self.greedy(sources)[0]
        else:
            hypotheses = self.beam_search_batch(sources, beam_width, length_penalty=length_penalty)[0]
        tokenised = [[" ".join(word_tokens(r)) for r in ([refs] if isinstance(refs, str) else refs)]
                     for refs in references]
        return corpus_bleu(hypotheses, tokenised), hypotheses


def exact_match(predicted, expected):
    """The fraction of strings predicted exactly."""
    return float(np.mean([p == e for p, e in zip(predicted, expected)]))


BLEU = collections.namedtuple("BLEU", "score precisions brevity_penalty hyp_length ref_length")


def _ngrams(tokens, max_order):
    return collections.Counter(tuple(tokens[i:i + n]) for n in range(1, max_order + 1)
                               for i in range(len(tokens) - n + 1))


def corpus_bleu(hypotheses, references, max_order=4, smooth="exp"):
    """Corpus BLEU (Papineni et al. 2002) as sacrebleu computes it with ``tokenize="none"``: texts split
    on whitespace, so tokenise them first (the decoders' outputs already are).

    For each order n <= 4, the clipped n-gram matches of all hypotheses over their n-grams (a hypothesis
    n-gram counts at most as often as in the reference that has it most often) give a precision p_n;
    BLEU = BP * exp(mean log p_n) * 100, with the brevity penalty BP = exp(1 - r / c) when the
    hypotheses' length c is below r, the sum over sentences of the reference length closest to each
    hypothesis's (the shorter on a tie). ``smooth="exp"`` (sacrebleu's default) gives an order with no
    match the precision 1 / (2^k total) for its k-th such order instead of 0; ``"none"`` leaves it 0.

    Parameters
    ----------
    hypotheses : list of N strings
    references : list of N strings, or of N lists of strings (several references; None left out)

    Returns
    -------
    BLEU(score, precisions, brevity_penalty, hyp_length, ref_length), score and precisions in percent.
    """
    if smooth not in ("exp", "none"):
        raise ValueError(f"smooth must be 'exp' or 'none', got {smooth!r}")
    if len(hypotheses) != len(references):
        raise ValueError(f"corpus_bleu needs one reference (or list of them) per hypothesis: got "
                         f"{len(hypotheses)} hypotheses and {len(references)} references")
    correct, total = [0] * max_order, [0] * max_order
    hyp_length = ref_length = 0
    for i, (hyp, refs) in enumerate(zip(hypotheses, references)):
        refs = [refs] if isinstance(refs, str) else [r for r in refs if r is not None]
        if not refs:
            raise ValueError(f"hypothesis {i} has no reference: expected a string or a list of at least one")
        h = hyp.split()
        ref_tokens = [r.split() for r in refs]
        clip = collections.Counter()                    # the most each n-gram occurs in one reference
        for r in ref_tokens:
            clip |= _ngrams(r, max_order)
        for gram, n in _ngrams(h, max_order).items():
            total[len(gram) - 1] += n
            correct[len(gram) - 1] += min(n, clip[gram])
        hyp_length += len(h)
        ref_length += min((abs(len(r) - len(h)), len(r)) for r in ref_tokens)[1]
    bp = 1.0 if hyp_length >= ref_length else (math.exp(1 - ref_length / hyp_length) if hyp_length else 0.0)
    precisions = [0.0] * max_order
    if not any(correct):
        return BLEU(0.0, precisions, bp, hyp_length, ref_length)
    halvings = 1.0
    for n in range(max_order):
        if total[n] == 0:                               # sacrebleu stops here: later orders stay 0
            break
        if correct[n]:
            precisions[n] = 100.0 * correct[n] / total[n]
        elif smooth == "exp":
            halvings *= 2
            precisions[n] = 100.0 / (halvings * total[n])
    logs = [math.log(p) if p > 0 else -9999999999 for p in precisions]   # sacrebleu's log of 0
    return BLEU(bp * math.exp(sum(logs) / max_order), precisions, bp, hyp_length, ref_length)
