"""Tokenizer and pad_sequences with Keras's semantics."""
import numpy as np
import pytest

from lstmx.text import Tokenizer, pad_sequences, text_to_word_sequence


def test_tokenizer_ranks_words_by_frequency():
    tok = Tokenizer()
    tok.fit_on_texts(["The cat sat.", "the cat, the dog!"])
    assert tok.word_index == {"the": 1, "cat": 2, "sat": 3, "dog": 4}
    assert tok.texts_to_sequences(["the dog sat on the mat"]) == [[1, 4, 3, 1]]


def test_tokenizer_num_words_and_oov():
    tok = Tokenizer(num_words=3, oov_token="<OOV>")
    tok.fit_on_texts(["a a a b b c"])
    assert tok.word_index["<OOV>"] == 1 and tok.word_index["a"] == 2
    assert tok.texts_to_sequences(["a b c z"]) == [[2, 1, 1, 1]]   # only ids < 3 are kept, others are OOV
    with pytest.raises(TypeError, match="list of texts"):
        tok.fit_on_texts("a single string")


def test_text_to_word_sequence():
    assert text_to_word_sequence("Hello, World! It's 2 a.m.") == ["hello", "world", "it's", "2", "a", "m"]


def test_pad_sequences_modes():
    seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]]
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=4), [[0, 1, 2, 3], [0, 0, 4, 5], [7, 8, 9, 10]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=4, padding="post", truncating="post"),
                                  [[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]])
    np.testing.assert_array_equal(pad_sequences([[1], []], value=-1), [[1], [-1]])
    assert pad_sequences(seqs).shape == (3, 5)
    with pytest.raises(ValueError, match="'pre' or 'post'"):
        pad_sequences(seqs, padding="middle")
