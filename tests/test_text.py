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


def test_tokenizer_takes_lists_of_words_and_refuses_other_things():
    tok = Tokenizer()
    tok.fit_on_texts([["The", "cat"], "the dog"])          # Keras takes a list of words as it is
    assert tok.word_index == {"the": 1, "cat": 2, "dog": 3}
    assert tok.texts_to_sequences([["dog", "The"]]) == [[3, 1]]
    with pytest.raises(TypeError, match=r"a string or a list of words \(strings\); text 1 is int 7"):
        tok.fit_on_texts(["a b", 7])
    with pytest.raises(TypeError, match="list of texts, got a single string"):
        tok.texts_to_sequences("the cat")


def test_tokenizer_ties_keep_the_order_of_first_appearance():
    """Equal counts rank in the order the words first appeared (Keras's stable sort); the ranking is
    a plain sort by count since the old one looked each word up in a list (quadratic: 11 s for 30,000
    distinct words)."""
    words = [f"w{k}" for k in range(300)]
    tok = Tokenizer()
    tok.fit_on_texts([" ".join(words[::-1]), " ".join(words[:3])])
    assert list(tok.word_index)[:3] == ["w2", "w1", "w0"]        # counted twice, first seen in that order
    assert list(tok.word_index)[3:6] == ["w299", "w298", "w297"]


def test_pad_sequences_refuses_words():
    with pytest.raises(TypeError, match=r"sequences of numbers \(token ids\) of dtype int32; sequence 1 does not fit"):
        pad_sequences([[1, 2], ["the", "cat"]])


@pytest.mark.parametrize("sequences, came", [(None, "got None"), (5, "got int 5"), (3.5, "got float 3.5"),
                                             (np.int64(4), "got int64"), (np.array(4), "got ndarray")])
def test_pad_sequences_refuses_what_is_not_a_list_of_sequences(sequences, came):
    # it raised "'NoneType' object is not iterable" from inside (Keras raises on None too)
    with pytest.raises(TypeError, match=r"pad_sequences expects a list of sequences of token ids .*; " + came):
        pad_sequences(sequences)


@pytest.mark.parametrize("sequences, came", [
    ([[1, 2], 5], r"sequence 1 is int 5, not a sequence: for one sequence, pass \[sequence\]"),
    ([1, 2, 3], r"sequence 0 is int 1, not a sequence: for one sequence, pass \[sequence\]"),
    ([[1], None], r"sequence 1 is None, not a sequence"),
    ([b"ab"], r"sequence 0 is bytes b'ab', text: turn words into ids first \(lstmx.text.Tokenizer\)"),
    ("the cat", r"got a single string: turn words into ids first \(lstmx.text.Tokenizer\)"),
    (["the cat"], r"sequence 0 is str 'the cat', text: turn words into ids first"),
])
def test_pad_sequences_names_the_element_that_is_not_a_sequence_of_ids(sequences, came):
    # [b"ab"] gave [[97, 98]] silently and "the cat" three one-letter "sequences"
    with pytest.raises(TypeError, match=came):
        pad_sequences(sequences)


def test_pad_sequences_checks_maxlen_and_value():
    for maxlen in (2.5, "3", -1):
        with pytest.raises((TypeError, ValueError), match=f"maxlen must be an integer >= 0, got {maxlen!r}"):
            pad_sequences([[1, 2]], maxlen=maxlen)
    with pytest.raises(TypeError, match="value='x' does not fit dtype int32"):
        pad_sequences([[1, 2]], maxlen=3, value="x")
    with pytest.raises(TypeError, match="dtype must be a NumPy data type, got 'int33'"):
        pad_sequences([[1, 2]], dtype="int33")


def test_pad_sequences_takes_arrays_tuples_and_iterators():
    expected = [[0, 1, 2], [3, 4, 5]]
    object_array = np.empty(2, dtype=object)
    object_array[:] = [[1, 2], [3, 4, 5]]                       # what imdb.load_data returns
    for sequences in (object_array, ([1, 2], (3, 4, 5)), iter([[1, 2], [3, 4, 5]]),
                      [np.array([1, 2]), np.array([3, 4, 5])]):
        np.testing.assert_array_equal(pad_sequences(sequences), expected)
    np.testing.assert_array_equal(pad_sequences(np.array([[1, 2], [3, 4]]), maxlen=np.int64(3)), [[0, 1, 2], [0, 3, 4]])
    assert pad_sequences([]).shape == (0, 0) and pad_sequences([[1]], maxlen=0).shape == (1, 0)


@pytest.mark.parametrize("call", [lambda tok: tok.sequences_to_texts([[1, 2]]),
                                  lambda tok: tok.texts_to_sequences(["the cat"])])
def test_tokenizer_before_fit_on_texts_says_to_call_it(call):
    # sequences_to_texts raised AttributeError ('index_word'); texts_to_sequences gave [[]], silently (as Keras)
    for tok in (Tokenizer(), Tokenizer(oov_token="<OOV>")):
        with pytest.raises(RuntimeError, match=r"this Tokenizer has no vocabulary yet: call fit_on_texts\(texts\) "
                                               r"first \(or set its word_index\)"):
            call(tok)


def test_tokenizer_fitted_on_nothing_or_given_a_word_index_converts():
    tok = Tokenizer()
    tok.fit_on_texts([])                                   # fitted: an empty vocabulary, as Keras's
    assert tok.texts_to_sequences(["the cat"]) == [[]] and tok.sequences_to_texts([[1]]) == [""]
    tok = Tokenizer(oov_token="<OOV>")
    tok.fit_on_texts([])
    assert tok.texts_to_sequences(["the cat"]) == [[1, 1]]
    tok = Tokenizer()
    tok.word_index = {"the": 1, "cat": 2}                  # a word index from elsewhere (imdb.get_word_index())
    assert tok.texts_to_sequences(["The cat"]) == [[1, 2]] and tok.sequences_to_texts([[2, 1]]) == ["cat the"]
    tok.fit_on_texts(["dog dog cat"])
    assert tok.sequences_to_texts([[1, 2]]) == ["dog cat"]


def test_tokenizer_refuses_what_is_not_texts_or_sequences():
    tok = Tokenizer()
    tok.fit_on_texts(["the cat"])
    for method in (tok.fit_on_texts, tok.texts_to_sequences, tok.sequences_to_texts):
        with pytest.raises(TypeError, match=f"{method.__name__} expects a list of .*, got None"):
            method(None)
    with pytest.raises(TypeError, match=r"sequences_to_texts expects a list of sequences of ids; sequence 0 is "
                                        r"int 1, not a sequence: for one sequence, pass \[sequence\]"):
        tok.sequences_to_texts([1, 2])
    with pytest.raises(TypeError, match="sequences_to_texts expects a list of sequences of ids, got a single string"):
        tok.sequences_to_texts("1 2")
    assert tok.sequences_to_texts(np.array([[2, 1]])) == ["cat the"]


@pytest.mark.parametrize("num_words", [0, -1, 2.5, "10"])
def test_tokenizer_num_words_must_be_a_positive_integer_or_none(num_words):
    # 2.5 was taken (ids < 2.5) and "10" failed comparing str with int
    with pytest.raises((TypeError, ValueError), match=r"num_words must be .*1.*got .*\(or None to keep every word\)"):
        Tokenizer(num_words=num_words)


def test_char_level_tokenizer_takes_every_character_as_keras_does():
    tok = Tokenizer(char_level=True, lower=False)
    tok.fit_on_texts(["To be,\nor not"])
    assert tok.word_index[" "] and tok.word_index["\n"] and tok.word_index[","]   # filters not applied
    assert "T" in tok.word_index and "t" in tok.word_index                        # case kept
    ids = tok.texts_to_sequences(["not To"])[0]
    assert len(ids) == 6 and tok.sequences_to_texts([ids]) == ["not To"]
    lowered = Tokenizer(char_level=True)
    lowered.fit_on_texts(["AaB"])
    assert lowered.word_index == {"a": 1, "b": 2}
