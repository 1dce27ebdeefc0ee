"""Tiny Shakespeare: 1,115,394 characters of Shakespeare's plays (65 symbols), shipped with lstmx.

The text Andrej Karpathy put together for char-rnn (public domain; see
``data/tinyshakespeare/README.md``), compressed inside the package, so that a character language
model trains without a download::

    text = shakespeare.load_text()                 # str, 1,115,394 characters
    train, validation = shakespeare.split_text(text)   # the last 10% held out
"""
import lzma
import os

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tinyshakespeare", "input.txt.xz")
N_CHARACTERS = 1_115_394


def load_text(path=None):
    """The text of Tiny Shakespeare (a ``str``), or of the UTF-8 file at ``path`` (``.xz`` files are
    decompressed), for training on another text."""
    path = _PATH if path is None else os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no text file at {path}")
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        text = f.read()
    if not text:
        raise ValueError(f"{path} is empty: a language model needs text to train on")
    return text


def split_text(text, validation=0.1):
    """``(train, validation)``: the text cut before its last ``validation`` fraction (a held-out
    passage, not scattered lines, so no line of it is seen in training). For Tiny Shakespeare the
    cut falls at character 1,003,854, as nanoGPT makes it."""
    if not 0 < validation < 1:
        raise ValueError(f"validation must be a fraction in (0, 1), got {validation}")
    cut = int(len(text) * (1 - validation))
    if cut == 0 or cut == len(text):
        raise ValueError(f"a text of {len(text)} characters is too short to hold out {validation:.0%} of it")
    return text[:cut], text[cut:]
