"""Sequence to sequence with attention, on a task whose answer is known: human-written dates to ISO.

``"Tuesday, 3 May 1979"``, ``"05/03/79"``, ``"3rd of May 79"``... all become ``"1979-05-03"``. An
encoder (a bidirectional LSTM over the characters) reads the date; a decoder LSTM, started from the
encoder's final states, writes the ISO characters one at a time, and at each step attends over the
encoder's outputs (Luong's dot-product ``Attention``) to find the characters that decide the next one:
the alignment shows each output digit looking at the input that determines it.

Training uses teacher forcing: the decoder reads the true previous character. Decoding has only its
own: greedy decoding takes the likeliest character at each step, beam search keeps the ``beam_width``
likeliest prefixes. Both re-run the decoder over the prefix at each step, which computes exactly
what carrying its state from step to step would (the prefixes are at most 11 characters).
"""
import datetime

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

    def __init__(self, texts, extra=""):
        chars = sorted(set("".join(texts)) | set(extra))
        self.chars = ["", "?"] + chars
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, texts, length=None, padding="post"):
        """(N, length) int64 ids, padded with 0 (``padding='pre'`` puts the padding first)."""
        length = max(len(t) for t in texts) if length is None else length
        out = np.zeros((len(texts), length), np.int64)
        for i, t in enumerate(texts):
            if len(t) > length:
                raise ValueError(f"text {i} has {len(t)} characters; the model reads at most {length}")
            ids = [self.index.get(c, 1) for c in t]
            if padding == "pre":
                out[i, length - len(ids):] = ids
            else:
                out[i, :len(ids)] = ids
        return out

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids if i > 1)


def build_model(source_vocab, target_vocab, embed=32, units=64, seed=0):
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
    model.compile(loss=["sparse_categorical_crossentropy", None], optimizer=lstmx.Adam(2e-3),
                  metrics=["accuracy"])
    return model


class DateTranslator:
    """The dates task end to end: vocabularies, the model, training with teacher forcing, decoding."""

    def __init__(self, pairs, embed=32, units=64, seed=0):
        sources, targets = zip(*pairs)
        self.source_vocab = CharVocabulary(sources)
        self.target_vocab = CharVocabulary(targets, extra=START + END)
        self.source_length = max(len(s) for s in sources)
        self.target_length = max(len(t) for t in targets) + 1
        self.model = build_model(len(self.source_vocab), len(self.target_vocab), embed, units, seed)

    def arrays(self, pairs):
        """(source ids, decoder input ids, labels): the decoder reads START + target, learns target + END."""
        sources, targets = zip(*pairs)
        x = self.source_vocab.encode(sources, self.source_length, padding="pre")
        t_in = self.target_vocab.encode([START + t for t in targets], self.target_length)
        y = self.target_vocab.encode([t + END for t in targets], self.target_length)
        return x, t_in, y

    def fit(self, pairs, epochs=10, batch_size=64, validation=None, verbose=0, seed=0):
        x, t_in, y = self.arrays(pairs)
        val = None
        if validation:
            vx, vt, vy = self.arrays(validation)
            val = ([vx, vt], [vy, None])
        return self.model.fit([x, t_in], [y, None], epochs=epochs, batch_size=batch_size, validation_data=val,
                              verbose=verbose, seed=seed)

    def _step_probs(self, x, prefixes):
        """Next-character probabilities after each prefix (B, L) of decoder inputs: (B, vocab), and the
        attention of the last step (B, Ts)."""
        probs, alignment = self.model.predict([x, prefixes], verbose=0, batch_size=max(len(x), 1))
        return probs[:, -1], alignment[:, -1]

    def greedy(self, sources, max_length=None):
        """The likeliest character at each step; returns (strings, alignments (N, steps, Ts))."""
        max_length = self._max_length(max_length)
        x = self.source_vocab.encode(list(sources), self.source_length, padding="pre")
        start = self.target_vocab.index[START]
        prefixes = np.full((len(x), 1), start, np.int64)
        alignments, done = [], np.zeros(len(x), bool)
        for _ in range(max_length):
            probs, attention = self._step_probs(x, prefixes)
            nxt = probs.argmax(axis=1)
            alignments.append(attention)
            prefixes = np.concatenate([prefixes, nxt[:, None]], axis=1)
            done |= nxt == self.target_vocab.index[END]
            if done.all():
                break
        return [self._text(p[1:]) for p in prefixes], np.stack(alignments, axis=1)

    def beam_search(self, source, beam_width=5, max_length=None):
        """The ``beam_width`` likeliest prefixes kept at each step (summed log-probabilities); returns the
        best finished string and its log-probability."""
        if isinstance(beam_width, bool) or not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
            raise ValueError(f"beam_width must be an integer >= 1, got {beam_width!r}")
        max_length = self._max_length(max_length)
        x = self.source_vocab.encode([source], self.source_length, padding="pre")
        end = self.target_vocab.index[END]
        beams = [([self.target_vocab.index[START]], 0.0)]
        finished = []
        for _ in range(max_length):
            prefixes = np.array([b[0] for b in beams], np.int64)
            probs, _ = self._step_probs(np.repeat(x, len(beams), axis=0), prefixes)
            logp = np.log(np.maximum(probs, 1e-300))
            candidates = [(seq + [int(k)], score + logp[i, k]) for i, (seq, score) in enumerate(beams)
                          for k in np.argsort(-logp[i])[:beam_width]]
            candidates.sort(key=lambda c: -c[1])
            beams = []
            for seq, score in candidates:
                (finished if seq[-1] == end else beams).append((seq, score))
                if len(beams) == beam_width:
                    break
            if not beams or (finished and max(f[1] for f in finished) >= beams[0][1]):
                break
        best = max(finished or beams, key=lambda c: c[1])
        return self._text(best[0][1:]), float(best[1])

    def _max_length(self, max_length):
        limit = self.target_length
        if max_length is None:
            return limit
        if isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer)) or not 1 <= max_length <= 4 * limit:
            raise ValueError(f"max_length must be an integer in 1..{4 * limit} (the targets have at most "
                             f"{limit - 1} characters), got {max_length!r}")
        return int(max_length)

    def _text(self, ids):
        end = self.target_vocab.index[END]
        ids = list(ids)
        return self.target_vocab.decode(ids[:ids.index(end)] if end in ids else ids)


def exact_match(predicted, expected):
    """The fraction of strings predicted exactly."""
    return float(np.mean([p == e for p, e in zip(predicted, expected)]))
