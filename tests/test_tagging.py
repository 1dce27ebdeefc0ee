"""Sequence labelling: PyTorch's LSTM-tagger tutorial in lstmx, the CoNLL-U reader of
lstmx.datasets.ud_pos, its vocabularies, the taggers and their evaluation (tiny data, no real
training: the accuracies on UD English EWT are measured by ``lstmx tag``, see docs/tagging.rst)."""
import runpy
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_tutorial_example_predicts_the_tutorials_sequence(capsys):
    runpy.run_path(str(ROOT / "examples" / "lstm_tagger_tutorial.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "last output == final h: True | whole sequence == stepped: True" in out
    assert "whole sequence: inputs (1, 5, 3) (batch, seq_len, features)" in out
    assert out.rstrip().endswith("predicted sequence: 0 1 2 0 1")


# ---- lstmx.datasets.ud_pos: the CoNLL-U reader ----
from lstmx.datasets import ud_pos  # noqa: E402
from lstmx.text import Vocabulary  # noqa: E402

HEADER = "# sent_id = s{k}\n# text = ...\n"


def row(ident, form, upos, xpos="_", head="0"):
    return "\t".join([str(ident), form, form.lower(), upos, xpos, "_", head, "dep", "_", "_"]) + "\n"


def sentence(k, words):
    return HEADER.format(k=k) + "".join(row(i, w, t, x) for i, (w, t, x) in enumerate(words, start=1)) + "\n"


S1 = [("I", "PRON", "PRP"), ("saw", "VERB", "VBD"), ("her", "PRON", "PRP"), ("duck", "NOUN", "NN"), (".", "PUNCT", ".")]
S2 = [("Dogs", "NOUN", "NNS"), ("bark", "VERB", "VBP")]


def treebank(tmp_path, train=None, dev=None, test=None):
    texts = {"train": train if train is not None else sentence(1, S1) + sentence(2, S2),
             "dev": dev if dev is not None else sentence(3, S2),
             "test": test if test is not None else sentence(4, S1)}
    for split, text in texts.items():
        (tmp_path / f"xx_tiny-ud-{split}.conllu").write_text(text, encoding="utf-8")
    return tmp_path


def test_load_data_returns_words_and_tags_of_each_split(tmp_path):
    train, dev, test = ud_pos.load_data(treebank(tmp_path))
    assert train == [(["I", "saw", "her", "duck", "."], ["PRON", "VERB", "PRON", "NOUN", "PUNCT"]),
                     (["Dogs", "bark"], ["NOUN", "VERB"])]
    assert dev == [(["Dogs", "bark"], ["NOUN", "VERB"])] and len(test) == 1
    assert ud_pos.load_data(tmp_path, tagset="xpos")[0][1] == (["Dogs", "bark"], ["NNS", "VBP"])
    with pytest.raises(ValueError, match="tagset must be 'upos'"):
        ud_pos.load_data(tmp_path, tagset="pos")


def test_multiword_tokens_and_empty_nodes_are_skipped(tmp_path):
    text = (HEADER.format(k=1) + "1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n" + row(1, "do", "AUX") + row(2, "n't", "PART")
            + row(3, "go", "VERB") + "3.1\tgo\tgo\tVERB\t_\t_\t_\t_\t2:conj\t_\n" + "\n")
    train, _, _ = ud_pos.load_data(treebank(tmp_path, train=text))
    assert train == [(["do", "n't", "go"], ["AUX", "PART", "VERB"])]


@pytest.mark.parametrize("text, message", [
    (HEADER.format(k=1) + row(1, "a", "DET") + "2\tb\tb\tNOUN\t_\n\n", r"line 4: expected 10 tab-separated columns.*got 5"),
    (HEADER.format(k=1) + row(1, "a", "DET") + row("x2", "b", "NOUN") + "\n", r"line 4: the ID 'x2' is not an integer"),
    (HEADER.format(k=1) + row(1, "a", "DET") + row(3, "b", "NOUN") + "\n", r"line 4: word ID 3 where 2 was expected"),
    (HEADER.format(k=1) + row(1, "a", "DET") + row(2, "b", "_") + "\n", r"line 4: word 'b' has no UPOS tag"),
    (sentence(1, S2) + HEADER.format(k=2) + row(1, "a", "DET"), r"line 8: the file ends without a blank line"),
    ("# only a comment\n\n", r"line 2: the sentence ending here has no word"),
    ("", r"holds no sentence"),
])
def test_broken_files_name_the_file_and_the_line(tmp_path, text, message):
    treebank(tmp_path, train=text)
    with pytest.raises(ud_pos.CoNLLUError, match=r"xx_tiny-ud-train\.conllu.*" + message):
        ud_pos.load_data(tmp_path)


def test_a_folder_without_the_three_splits_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no treebank folder"):
        ud_pos.load_data(tmp_path / "nowhere")
    (tmp_path / "a-ud-train.conllu").write_text(sentence(1, S2))
    with pytest.raises(FileNotFoundError, match=r"expected one \*-dev.conllu file for the dev split, found no file"):
        ud_pos.load_data(tmp_path)


def test_the_shipped_ewt_sample_and_its_license():
    train, dev, test = ud_pos.load_sample()
    assert (len(train), len(dev), len(test)) == (1000, 200, 200)
    assert train[0][0][:3] == ["Al", "-", "Zaman"] and train[0][1][:3] == ["PROPN", "PUNCT", "PROPN"]
    tags = {t for _, ts in train for t in ts}
    assert len(tags) == 17 and "_" not in tags
    folder = ROOT / "lstmx" / "datasets" / "data" / "ud_ewt_sample"
    assert (folder / "LICENSE.txt").read_text().startswith("Attribution-ShareAlike 4.0 International")
    assert "CC BY-SA 4.0" in (folder / "README.md").read_text()
    assert "CC BY-SA 4.0" in ud_pos.__doc__


# ---- vocabularies ----
def test_vocabulary_has_padding_and_unknown_ids_and_round_trips_through_its_config():
    v = Vocabulary.build([["the", "dog", "the"], ["a", "cat", "rare"], ["the", "dog", "a", "cat"]], min_count=2)
    assert v.itos[:3] == ["<pad>", "<unk>", "the"] and v.pad_id == 0 and v.oov_id == 1
    assert v.encode(["the", "rare", "zebra"]) == [2, 1, 1] and "rare" not in v and v.counts["rare"] == 1
    np.testing.assert_array_equal(v.encode_batch([["the"], ["dog", "cat"]]), [[2, 0], [3, 5]])
    again = Vocabulary.from_config(v.get_config())
    assert again.itos == v.itos and again.encode(["cat"]) == v.encode(["cat"])
    tags = Vocabulary.build([["DET", "NOUN"], ["NOUN"]], pad=None, oov=None)
    assert tags.itos == ["NOUN", "DET"] and tags.encode(["DET"]) == [1]
    with pytest.raises(KeyError, match="'VERB' is not in the vocabulary"):
        tags.encode(["VERB"])
    with pytest.raises(TypeError, match="single string"):
        Vocabulary.build("some text")
    with pytest.raises(ValueError, match="no tokens"):
        Vocabulary.build([])
