"""The file of a saved :class:`~lstmx.word2vec.Word2Vec`: arrays and JSON in one ``.npz``, never a pickle.

Members (NumPy ``.npy`` files in a zip archive, as ``np.savez`` writes them, uncompressed):

* ``config``: uint8, the UTF-8 bytes of a JSON object: ``format``, the model's ``settings`` (the
  constructor's arguments), ``vocabulary`` (``size``, ``raw_words``, ``word_bytes``; null before
  ``build_vocab``) and ``corpus`` (``words``, ``sentences``; null when the corpus is streamed);
* ``words``: uint8, the words' UTF-8 bytes one after another, and ``word_ends`` (V,) int64 where each ends;
* ``counts`` (V,) int64; ``W_in`` (V, N), ``W_out`` and ``W_hs`` float32, shaped as the settings say;
* ``ids`` (word ids, uint16 below 65,536 words, else int32) and ``starts`` (int64), when the corpus is kept.

Loading reads the config first (at most :data:`MAX_CONFIG_BYTES`), checks the settings as the
constructor does, then checks each array's header (dtype, shape) against what the config implies,
and its size against the file's, before reading it; then the contents the trainers index with (word
ids below V, sentence starts inside the corpus). The alias table and the Huffman tree are rebuilt
from the counts, as ``build_vocab`` builds them.
"""
import json
import math
import os
import zipfile

import numpy as np

from .._files import atomic_write
from .vocab import Vocabulary

FORMAT = "lstmx-word2vec-1"
MAX_CONFIG_BYTES = 1 << 20
SETTINGS = ("vector_size", "window", "min_count", "sample", "negative", "hs", "alpha", "min_alpha", "epochs",
            "workers", "seed", "max_vocab_size", "backend", "progress", "max_corpus_memory")


def save(model, path):
    arrays = {}
    vocabulary = corpus = None
    if model.vocab is not None:
        encoded = []
        for k, word in enumerate(model.vocab.words):
            if not isinstance(word, str):
                raise TypeError(f"Word2Vec.save stores words as text: expected str words, word {k} is "
                                f"{word!r} ({type(word).__name__})")
            encoded.append(word.encode("utf-8", "surrogatepass"))
        blob = b"".join(encoded)
        arrays["words"] = np.frombuffer(blob, np.uint8)
        arrays["word_ends"] = np.cumsum([len(b) for b in encoded], dtype=np.int64)
        arrays["counts"] = np.asarray(model.vocab.counts, np.int64)
        arrays.update(W_in=model.W_in, W_out=model.W_out, W_hs=model.W_hs)
        vocabulary = dict(size=len(model.vocab), raw_words=int(model.vocab.raw_words), word_bytes=len(blob))
        if model.ids is not None:
            arrays.update(ids=model.ids, starts=model.starts)
            corpus = dict(words=len(model.ids), sentences=len(model.starts) - 1)
    config = dict(format=FORMAT, settings=model.settings(), vocabulary=vocabulary, corpus=corpus)
    arrays["config"] = np.frombuffer(json.dumps(config).encode(), np.uint8)
    with atomic_write(path, "the model") as f:
        np.savez(f, **arrays)


class _Archive:
    """The ``.npy`` members of a zip archive, each read only after its header matches what is expected."""

    def __init__(self, path):
        self.path = path
        self.file_size = os.path.getsize(path)
        self.zip = zipfile.ZipFile(path)
        self.members = {info.filename[:-4]: info for info in self.zip.infolist() if info.filename.endswith(".npy")}

    def header(self, name):
        """(shape, fortran_order, dtype) from the header of the array ``name``; nothing else is read."""
        info = self.members.get(name)
        if info is None:
            raise ValueError(f"the array {name!r} is missing")
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"the array {name!r} is compressed; Word2Vec.save stores arrays uncompressed")
        with self.zip.open(info) as fp:
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                return np.lib.format.read_array_header_1_0(fp)
            if version == (2, 0):
                return np.lib.format.read_array_header_2_0(fp)
        raise ValueError(f"the array {name!r} has .npy format version {version}, expected 1.0 or 2.0")

    def read(self, name, dtype, shape):
        """The array ``name``, after checking that its header gives this dtype and shape, and that it
        fits in the file (so a forged shape allocates nothing)."""
        dtype, shape = np.dtype(dtype), tuple(shape)
        if name not in self.members:
            raise ValueError(f"the array {name!r} ({dtype} of shape {shape}) is missing")
        got_shape, fortran_order, got_dtype = self.header(name)
        if got_dtype != dtype or fortran_order or tuple(got_shape) != shape:
            raise ValueError(f"the array {name!r}: expected {dtype} of shape {shape} (C order), got "
                             f"{got_dtype} of shape {tuple(got_shape)}{' (Fortran order)' if fortran_order else ''}")
        nbytes = math.prod(shape) * dtype.itemsize
        room = min(self.file_size, self.members[name].file_size)
        if nbytes > room:
            raise ValueError(f"the array {name!r} of shape {shape} would take {nbytes} bytes, more than the "
                             f"{room} bytes the file holds for it (truncated?)")
        with self.zip.open(self.members[name]) as fp:
            return np.lib.format.read_array(fp, allow_pickle=False)

    def close(self):
        self.zip.close()


def _is_int(value, low=0):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _section(config, key, fields):
    """config[key]: None, or a dict of exactly ``fields``, each an integer >= 0."""
    section = config.get(key)
    if section is None:
        return None
    if not isinstance(section, dict) or set(section) != set(fields):
        raise ValueError(f"config {key!r}: expected null or an object with {', '.join(fields)}, got {section!r:.200}")
    for field in fields:
        if not _is_int(section[field]):
            raise ValueError(f"config {key}.{field}: expected an integer >= 0, got {section[field]!r:.100}")
    return section


def load(cls, path):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no Word2Vec model file at {path}")
    try:
        archive = _Archive(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        with open(path, "rb") as f:
            start = f.read(2)
        hint = (" (it looks like a pickle, as lstmx before this version saved Word2Vec models; lstmx does not "
                "unpickle, since unpickling a file can run any code: train and save the model again)"
                if start[:1] == b"\x80" else "")
        raise ValueError(f"{path} is not a Word2Vec model file written by lstmx (expected the .npz archive of "
                         f"Word2Vec.save){hint}: {exc}") from None
    try:
        return _load(cls, archive)
    except (ValueError, TypeError, zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError, KeyError,
            RecursionError, UnicodeDecodeError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression; KeyError: a
        # member listed twice; RecursionError: JSON nested too deep
        raise ValueError(f"{path}: not a valid Word2Vec model file written by lstmx: {exc}") from None
    finally:
        archive.close()


def _load(cls, archive):
    if "config" not in archive.members:
        raise ValueError("no 'config' array: not a file of Word2Vec.save")
    shape = archive.header("config")[0]
    if len(shape) != 1 or shape[0] > MAX_CONFIG_BYTES:
        raise ValueError(f"'config': expected at most {MAX_CONFIG_BYTES} bytes of JSON, got an array of shape {shape}")
    config = json.loads(archive.read("config", np.uint8, shape).tobytes().decode("utf-8"))
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        found = config.get("format") if isinstance(config, dict) else type(config).__name__
        raise ValueError(f"expected a config of format {FORMAT!r}, got {found!r:.100}")
    settings = config.get("settings")
    if not isinstance(settings, dict) or set(settings) != set(SETTINGS):
        keys = sorted(settings) if isinstance(settings, dict) else type(settings).__name__
        raise ValueError(f"config 'settings': expected the keys {', '.join(SETTINGS)}, got {keys!s:.300}")
    model = cls(**settings)   # checks them as for any new model
    vocabulary = _section(config, "vocabulary", ("size", "raw_words", "word_bytes"))
    corpus = _section(config, "corpus", ("words", "sentences"))
    if vocabulary is None:
        if corpus is not None:
            raise ValueError("config: a corpus without a vocabulary")
        return model
    V, N = vocabulary["size"], model.vector_size
    if V < 1:
        raise ValueError(f"config vocabulary.size: expected an integer >= 1, got {V}")
    blob = archive.read("words", np.uint8, (vocabulary["word_bytes"],)).tobytes()
    ends = archive.read("word_ends", np.int64, (V,))
    if ends[0] < 0 or np.any(np.diff(ends) < 0) or ends[-1] != len(blob):
        raise ValueError(f"'word_ends': expected offsets rising from 0 to {len(blob)} (the words' bytes)")
    words, start = [], 0
    for k, end in enumerate(ends.tolist()):
        try:
            words.append(blob[start:end].decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError as exc:
            raise ValueError(f"word {k} is not valid UTF-8 ({exc.reason})") from None
        start = end
    counts = archive.read("counts", np.int64, (V,))
    if counts.min() < 1 or sum(counts.tolist()) >= 2 ** 62:
        raise ValueError(f"'counts': expected word counts >= 1 (summing below 2**62), got from {counts.min()} "
                         f"to {counts.max()}")
    model.vocab = Vocabulary.restore(words, counts, vocabulary["raw_words"])
    model.W_in = archive.read("W_in", np.float32, (V, N))
    model.W_out = archive.read("W_out", np.float32, model._W_out_shape())
    model.W_hs = archive.read("W_hs", np.float32, model._W_hs_shape())
    model.ids = model.starts = None
    if corpus is not None:
        ids = archive.read("ids", model._id_dtype(), (corpus["words"],))
        starts = archive.read("starts", np.int64, (corpus["sentences"] + 1,))
        if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= V):
            raise ValueError(f"'ids': expected word ids from 0 to {V - 1}, got from {ids.min()} to {ids.max()}")
        if starts[0] != 0 or starts[-1] != len(ids) or np.any(np.diff(starts) < 0):
            raise ValueError(f"'starts': expected sentence starts rising from 0 to {len(ids)} (the corpus's words)")
        model.ids, model.starts = ids, starts
    model._build_tables()
    return model

