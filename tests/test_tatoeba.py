"""Translation: the Tatoeba reader (on a tiny file of the same format, tests/data/tatoeba/spa.txt, written
for the tests), word vocabularies, corpus BLEU against sacrebleu's numbers, and ``lstmx seq2seq translate``."""
import json
import os

import numpy as np
import pytest

from lstmx import seq2seq as s2s
from lstmx.datasets import tatoeba

DATA = os.path.join(os.path.dirname(__file__), "data", "tatoeba")


def test_pairs_are_read_filtered_by_length_and_split_by_english_sentence():
    pairs = tatoeba.read_pairs(os.path.join(DATA, "spa.txt"))
    assert pairs[0] == ("Go.", "Ve.") and ("Tom has a cat.", "Tom tiene un gato.") in pairs   # third column dropped
    train, test = tatoeba.load_pairs(DATA, max_length=8, test=0.2, seed=0)
    assert (train, test) == tatoeba.load_pairs(os.path.join(DATA, "spa.txt"), max_length=8, test=0.2, seed=0)
    assert len(train) + len(test) == len(pairs) - 1                       # the one long pair is left out
    assert {e for e, _ in train}.isdisjoint({e for e, _ in test})         # no held-out sentence was trained on
    assert tatoeba.load_pairs(DATA, max_length=8, test=0.2, seed=1) != (train, test)
    assert len(tatoeba.load_pairs(DATA, max_length=8, limit=10)[0]) < 10
    sources, refs = tatoeba.references([("Go.", "Ve."), ("Hi.", "Hola."), ("Go.", "Vete.")])
    assert sources == ["Go.", "Hi."] and refs == [["Ve.", "Vete."], ["Hola."]]
    assert "CC-BY 2.0 France" in tatoeba.ATTRIBUTION and "tatoeba.org" in tatoeba.ATTRIBUTION


def test_the_data_folders_are_searched_and_a_missing_file_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTMX_DATA", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"English-spa pairs were not found; looked for .*spa\.txt"):
        tatoeba.find()
    monkeypatch.setenv("LSTMX_DATA", os.path.dirname(DATA))               # tests/data, which holds tatoeba/spa.txt
    assert tatoeba.find() == os.path.join(DATA, "spa.txt")
    (tmp_path / "spa-eng").mkdir()
    (tmp_path / "spa-eng" / "spa.txt").write_text("Hi.\tHola.\nGo.\tVe.\n", encoding="utf-8")
    assert tatoeba.find(str(tmp_path)) == str(tmp_path / "spa-eng" / "spa.txt")
    with pytest.raises(FileNotFoundError, match="no Tatoeba data at /nowhere"):
        tatoeba.find("/nowhere")
    (tmp_path / "bad.txt").write_text("Hi.\tHola.\njust one column\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2: expected 'English<TAB>translation', got 'just one column'"):
        tatoeba.read_pairs(str(tmp_path / "bad.txt"))
    with pytest.raises(ValueError, match="test must be a share in"):
        tatoeba.load_pairs(DATA, test=1.5)
    with pytest.raises(ValueError, match="only 0 pairs have at most 0 tokens"):
        tatoeba.load_pairs(DATA, max_length=0)


def test_word_vocabulary_tokenises_words_and_punctuation():
    assert s2s.word_tokens("¿Dónde está el gato?") == ["¿", "dónde", "está", "el", "gato", "?"]
    assert s2s.word_tokens("I'm here, Tom.") == ["i", "'", "m", "here", ",", "tom", "."]
    v = s2s.WordVocabulary(["El gato duerme.", "el perro come."], min_count=2, extra=("<s>", "</s>"))
    assert v.words == ["", "<unk>", "<s>", "</s>", ".", "el"]             # by frequency, then alphabetically
    ids = v.encode(["el gato .", ["<s>", "el"]], 4)
    assert ids.tolist() == [[5, 1, 4, 0], [2, 5, 0, 0]] and v.decode(ids[0]) == "el <unk> ."
    with pytest.raises(ValueError, match="text 0 has 3 words; the model reads at most 2"):
        v.encode(["el gato ."], 2)


# sacrebleu 2.6.0's numbers for these corpora, obtained with
#   sacrebleu.corpus_bleu(hypotheses, reference_streams, tokenize="none", smooth_method=smooth)
# (one stream per reference; None where a sentence has fewer references). CI has no sacrebleu.
SACREBLEU = [
    # hypotheses, references (one or several per sentence), smooth, score, brevity penalty, hyp length, ref length
    (["el gato está en la alfombra .", "hola , ¿ qué tal ?", "tom come una manzana roja ."],
     ["el gato está sobre la alfombra .", "hola , ¿ cómo estás ?", "tom come una manzana ."],
     "exp", 36.151116044943635, 1.0, 19, 18),
    (["el gato", "tengo hambre", "no"], ["el gato duerme en casa .", "tengo mucha hambre .", "no lo sé ."],
     "exp", 0.0, 0.16529888822158656, 5, 14),
    (["me gusta el té .", "él es alto .", "vamos a la playa ."],
     [["me gusta el té .", "el té me gusta ."], ["él es muy alto .", "es alto ."], ["vamos a la playa mañana ."]],
     "exp", 79.97513045108657, 1.0, 14, 14),
    (["a b c d", "x y"], ["a b x c d", "x z y"], "exp", 30.12643052392728, 0.7165313105737893, 6, 8),
    (["a b c d", "x y"], ["a b x c d", "x z y"], "none", 0.0, 0.7165313105737893, 6, 8),
    (["q r s"], ["a b c"], "exp", 0.0, 1.0, 3, 3),
]


@pytest.mark.parametrize("hypotheses, references, smooth, score, bp, hyp_length, ref_length", SACREBLEU)
def test_corpus_bleu_equals_sacrebleu(hypotheses, references, smooth, score, bp, hyp_length, ref_length):
    bleu = s2s.corpus_bleu(hypotheses, references, smooth=smooth)
    assert bleu.score == pytest.approx(score, rel=1e-12, abs=1e-12)
    assert bleu.brevity_penalty == pytest.approx(bp, rel=1e-12)
    assert (bleu.hyp_length, bleu.ref_length) == (hyp_length, ref_length)


def test_corpus_bleu_on_a_random_corpus_equals_sacrebleu():
    rng = np.random.default_rng(0)
    words = "el la un gato perro casa come duerme es grande negro .".split()
    hypotheses = [" ".join(rng.choice(words, rng.integers(2, 9))) for _ in range(40)]
    references = [" ".join(rng.choice(words, rng.integers(3, 9))) for _ in range(40)]
    bleu = s2s.corpus_bleu(hypotheses, references)
    # sacrebleu 2.6.0: corpus_bleu(hypotheses, [references], tokenize="none")
    assert bleu.score == pytest.approx(1.8736311002306896, rel=1e-12)
    np.testing.assert_allclose(bleu.precisions, [34.146341463414636, 5.454545454545454, 0.4, 0.27472527472527475])
    assert s2s.corpus_bleu(references, references).score == pytest.approx(100.0)
    with pytest.raises(ValueError, match="got 2 hypotheses and 1 references"):
        s2s.corpus_bleu(["a", "b"], ["a"])


def test_a_word_translator_learns_the_tiny_corpus_and_scores_bleu():
    train, _ = tatoeba.load_pairs(DATA, max_length=8, test=0.1)
    tr = s2s.WordTranslator(train, max_length=8, min_count=1, embed=16, units=16, seed=0, learning_rate=0.01)
    tr.fit(train, epochs=40, batch_size=8)
    sources, refs = tatoeba.references(train)
    bleu, texts = tr.bleu(sources, refs)
    assert bleu.score > 50 and len(texts) == len(sources)
    beam, beam_texts = tr.bleu(sources, refs, beam_width=3)
    assert beam.score > 50
    assert tr.beam_search_batch(sources, beam_width=1)[0] == texts    # width 1 is greedy


def test_the_translate_command_prints_bleu_and_the_attribution(capsys):
    from lstmx.cli import main
    args = ["seq2seq", "translate", "--data", DATA, "--epochs", "1", "--units", "8", "--max-length", "8",
            "--beam-width", "2"]
    assert main(args + ["--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["epoch"] == 1 and "sample_bleu" in lines[0]
    assert {"greedy_bleu", "beam_bleu", "train_seconds", "attribution"} <= set(lines[-1])
    assert "CC-BY 2.0 France" in lines[-1]["attribution"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("Sentence pairs from the Tatoeba Project") and "BLEU greedy" in out
