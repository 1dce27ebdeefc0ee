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


# ---- the tagger: models, training loop, evaluation, prediction, saving, the command ----
import lstmx  # noqa: E402
from lstmx.tagging import Tagger, classification_report, confusion_matrix, most_frequent_tag, tokenize  # noqa: E402

TOY = [("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
       ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
       ("The cat read the book".split(), ["DET", "NN", "V", "DET", "NN"])]
SMALL = dict(word_dim=8, units=6, char_dim=4, char_units=3)


@pytest.mark.parametrize("chars", [False, True])
def test_the_taggers_graph_tags_every_step_and_learns_the_toy_sentences(chars):
    tagger = Tagger.from_data(TOY, chars=chars, min_count=1, word_dropout=0.0, dropout=0.0, learning_rate=0.05,
                              **SMALL)
    model = tagger.model
    assert model.output_shape == (None, None, 3)
    assert [i.shape for i in model.inputs] == ([(None, None), (None, None, None)] if chars else [(None, None)])
    assert isinstance(model.get_layer("bilstm"), lstmx.Bidirectional)
    width = SMALL["word_dim"] + (2 * SMALL["char_units"] if chars else 0)     # the word, then its characters
    assert model.get_layer("bilstm").forward_layer.cell.input_size == width
    history = tagger.fit(TOY, TOY, epochs=25)
    assert history[-1]["loss"] < history[0]["loss"] and history[-1]["dev_accuracy"] == 1.0
    assert tagger.predict("The dog read the book") == ["DET", "NN", "V", "DET", "NN"]
    assert tagger.predict([["Everybody", "ate"], ["the", "apple"]]) == [["NN", "V"], ["DET", "NN"]]


def test_padded_steps_leave_the_loss_and_the_accuracy():
    tagger = Tagger.from_data(TOY, min_count=1, **SMALL)
    xs = tagger._inputs([w for w, _ in TOY], tagger._word_ids([w for w, _ in TOY]))
    y = tagger._tag_ids([t for _, t in TOY], xs[0].shape[1])
    other = y.copy()
    other[1, 4] = (other[1, 4] + 1) % 3             # another label on the one padded step
    assert xs[0][1, 4] == 0
    assert tagger.model.evaluate(xs, y) == tagger.model.evaluate(xs, other)


def test_word_dropout_rare_words_and_length_buckets():
    tagger = Tagger.from_data(TOY, **SMALL)          # min_count 2: words seen once are unknown ...
    stoi = tagger.words.stoi
    assert "dog" not in stoi and "dog" in tagger.train_words     # (but seen: not OOV in evaluation)
    # ... with the id of their shape when a word left out had it, else the plain unknown id 1
    assert tagger._word_ids([["the", "dog", "Everybody", "Zebras", "book"]])[0].tolist() == [
        stoi["the"], stoi["<unk:low>"], stoi["<unk:Cap-y>"], 1, stoi["book"]]
    assert tagger._dropped_ids([["the", "Zebras"]])[0].tolist() == [stoi["<unk:low>"], 1]
    plain = Tagger.from_data(TOY, unknown_shapes=False, **SMALL)
    assert plain._word_ids([["the", "dog"]])[0].tolist() == [plain.words.stoi["the"], 1]
    assert not any(t.startswith("<unk:") for t in plain.words.itos)
    batches = Tagger._batches([5, 1, 9, 2, 8, 3, 7], 3, np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(7))
    assert [sorted(b.tolist()) for b in Tagger._batches([5, 1, 9, 2], 2)] == [[1, 3], [0, 2]]


def test_evaluation_counts_real_tokens_oov_words_and_tags_per_tag():
    tagger = Tagger.from_data(TOY, min_count=1, **SMALL)
    test = [("A dog ate".split(), ["DET", "NN", "V"]), ("Zebras read".split(), ["NN", "ADV"])]   # ADV: unseen tag
    result = tagger.evaluate(test)
    assert result["n_tokens"] == 5 and result["n_oov"] == 2                  # "A", "Zebras"
    assert result["labels"][-1] == "ADV" and result["report"]["ADV"]["recall"] == 0.0
    assert result["confusion"].sum() == 5 and result["confusion"][-1].sum() == 1
    flat = [t for p in result["predictions"] for t in p]
    gold = [t for _, ts in test for t in ts]
    assert result["accuracy"] == pytest.approx(np.mean([a == b for a, b in zip(flat, gold)]))
    report = classification_report(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), ["A", "B"])
    assert report["A"] == dict(precision=1.0, recall=0.5, f1=pytest.approx(2 / 3), support=2)
    assert report["B"]["precision"] == pytest.approx(2 / 3)
    np.testing.assert_array_equal(confusion_matrix([0, 0, 1], [0, 1, 1], 2), [[1, 1], [0, 1]])
    assert most_frequent_tag(TOY, [("the book zebra".split(), ["DET", "NN", "NN"])]) == (1.0, 1.0)


def test_bad_input_to_the_tagger():
    with pytest.raises(ValueError, match="train is empty"):
        Tagger.from_data([])
    with pytest.raises(ValueError, match=r"train\[0\] has 2 words and 1 tags"):
        Tagger.from_data([(["a", "b"], ["X"])])
    with pytest.raises(TypeError, match="not strings"):
        Tagger.from_data([("a b", "X Y")])
    tagger = Tagger.from_data(TOY, chars=True, min_count=1, **SMALL)
    with pytest.raises(ValueError, match="no sentence to tag"):
        tagger.predict_ids([])
    with pytest.raises(ValueError, match="no words in"):
        tagger.predict("  ")
    long = ["the"] * 50 + ["Supercalifragilisticexpialidocious-ness", "Ωmega"]    # longer than any training sentence
    assert len(tagger.predict(long)) == 52                                        # unseen characters: unknown id
    assert tagger._char_batch([long], 52).shape == (1, 52, 20)                    # long words cut to 20 characters
    with pytest.raises(TypeError, match="unknown settings"):
        Tagger.from_data(TOY, hidden=3)


def test_a_saved_tagger_reloads_with_its_vocabularies(tmp_path):
    tagger = Tagger.from_data(TOY, chars=True, min_count=1, **SMALL)
    tagger.fit(TOY, epochs=1)
    tagger.save(tmp_path / "pos.npz")
    loaded = Tagger.load(tmp_path / "pos.npz")
    assert loaded.words.itos == tagger.words.itos and loaded.chars.itos == tagger.chars.itos
    assert loaded.predict_ids([TOY[0][0]])[0].tolist() == tagger.predict_ids([TOY[0][0]])[0].tolist()
    assert lstmx.load_model(tmp_path / "pos.npz").name == "bilstm_tagger_chars"    # still a plain model file
    tagger.model.save(tmp_path / "plain.npz")
    with pytest.raises(ValueError, match="without a tagger's vocabularies"):
        Tagger.load(tmp_path / "plain.npz")


def test_unknown_word_shapes():
    from lstmx.tagging import word_shape
    assert [word_shape(w) for w in ["Obama", "reorganizing", "USA", "3:45", "http://x.org", "--", "well-known",
                                    "quickly"]] == [
        "<unk:Cap>", "<unk:low-ing>", "<unk:CAPS>", "<unk:num>", "<unk:url>", "<unk:punct>", "<unk:low-hyph>",
        "<unk:low-ly>"]


def test_tokenize_splits_as_ud_english_does():
    assert tokenize("I don't think John's U.S.-based dog barks...") == [
        "I", "do", "n't", "think", "John", "'s", "U.S.", "-", "based", "dog", "barks", "..."]


def test_the_tag_command_prints_a_json_line_an_epoch_and_the_test_scores(tmp_path, capsys):
    import json

    from lstmx.cli import main
    (tmp_path / "tb").mkdir()
    data = treebank(tmp_path / "tb")
    assert main(["tag", "--data", str(data), "--epochs", "2", "--json", "--units", "4", "--word-dim", "4",
                 "--save", str(tmp_path / "t.npz")]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line.get("epoch") for line in lines[:2]] == [1, 2] and "dev_accuracy" in lines[0]
    assert {"test_accuracy", "oov_accuracy", "epoch_seconds", "baseline_accuracy"} <= set(lines[-1])
    assert len(lines) == 3 and Tagger.load(tmp_path / "t.npz").chars is None
    with pytest.raises(SystemExit):
        main(["tag", "--data", str(data), "--tagset", "pos"])
    assert main(["tag", "--data", str(tmp_path / "nowhere")]) == 2
    assert "lstmx tag: error: no treebank folder at" in capsys.readouterr().err


def test_the_confusion_matrix_figure(tmp_path):
    from lstmx.plot import plot_confusion_matrix
    fig = plot_confusion_matrix([[8, 2, 0], [1, 9, 0], [0, 0, 0]], ["NOUN", "VERB", "X"], tmp_path / "cm.png")
    assert (tmp_path / "cm.png").stat().st_size > 0
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["80", "20", "10", "90"]               # % of each gold tag's words; the empty row stays blank
    with pytest.raises(ValueError, match=r"must be \(2, 2\) for 2 labels"):
        plot_confusion_matrix(np.eye(3), ["A", "B"])


def test_pretrained_word_vectors_start_the_word_embedding():
    kv = lstmx.KeyedVectors(["the", "dog"], np.array([[1.0] * 6, [2.0] * 6], np.float32))
    tagger = Tagger.from_data(TOY, min_count=1, lower=True, word_vectors=kv, units=4)
    emb = tagger.model.get_layer("word_embedding")
    assert emb.output_dim == 6 and emb.pretrained_rows == 2 and tagger.settings["word_dim"] == 6
    np.testing.assert_array_equal(emb.embeddings[tagger.words.stoi["the"]], [1.0] * 6)   # "The" and "the" alike
    np.testing.assert_array_equal(emb.embeddings[tagger.words.stoi["dog"]], [2.0] * 6)
    assert tagger._word_ids([["The", "DOG"]])[0].tolist() == [tagger.words.stoi["the"], tagger.words.stoi["dog"]]


@pytest.mark.parametrize("binary", [False, True])
def test_the_tag_command_starts_from_word2vec_files(tmp_path, capsys, binary):
    import json

    from lstmx.cli import main
    (tmp_path / "tb").mkdir()
    data = treebank(tmp_path / "tb")
    train, _, _ = __import__("lstmx.datasets.ud_pos", fromlist=["load_data"]).load_data(str(data))
    words = sorted({w.lower() for s, _ in train for w in s})[:3]
    kv = lstmx.KeyedVectors(words, np.arange(3 * 5, dtype=np.float32).reshape(3, 5) / 10)
    kv.save_word2vec_format(tmp_path / "v.txt", binary=binary)
    assert main(["tag", "--data", str(data), "--epochs", "1", "--json", "--units", "4", "--lower",
                 "--vectors", str(tmp_path / "v.txt"), "--min-count", "1", "--save", str(tmp_path / "t.npz")]) == 0
    final = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert final["settings"]["word_dim"] == 5 and final["settings"]["lower"] is True
    assert final["pretrained_rows"] == 3 and final["vectors"] == str(tmp_path / "v.txt")
    assert Tagger.load(tmp_path / "t.npz").model.get_layer("word_embedding").output_dim == 5
    (tmp_path / "bad.txt").write_text("2 5\nthe 1 2\n")
    assert main(["tag", "--data", str(data), "--epochs", "1", "--vectors", str(tmp_path / "bad.txt")]) == 2
    assert "lstmx tag: error: cannot read word vectors from" in capsys.readouterr().err


def test_new_embeddings_start_as_pytorchs_with_characters_and_as_keras_for_words_only():
    big = TOY * 40
    tagger = Tagger.from_data(big, chars=True, min_count=1, **SMALL)
    for name in ("word_embedding", "char_embedding"):
        e = tagger.model.get_layer(name).embeddings
        assert 0.7 < e.std() < 1.3 and np.abs(e).max() > 1.0, name          # N(0, 1), nn.Embedding's start
    keras_start = Tagger.from_data(big, chars=True, min_count=1, embedding_std=None, **SMALL)
    for name in ("word_embedding", "char_embedding"):
        assert np.abs(keras_start.model.get_layer(name).embeddings).max() <= 0.05, name
    words, chars = (tagger.model.get_layer(n).embeddings for n in ("word_embedding", "char_embedding"))
    assert not np.allclose(words[:3, :4], chars[:3, :4])                     # two draws, not one
    # words only, the default keeps Keras's start (N(0, 1) learnt slower there on EWT); asked for, N(0, 1)
    words_only = Tagger.from_data(big, min_count=1, **SMALL)
    assert np.abs(words_only.model.get_layer("word_embedding").embeddings).max() <= 0.05
    asked = Tagger.from_data(big, min_count=1, embedding_std=1.0, **SMALL)
    assert np.abs(asked.model.get_layer("word_embedding").embeddings).max() > 1.0
    # pretrained vectors keep their rows
    kv = lstmx.KeyedVectors(["the"], np.array([[3.0] * 6], np.float32))
    pre = Tagger.from_data(TOY, min_count=1, lower=True, word_vectors=kv, units=4)
    np.testing.assert_array_equal(pre.model.get_layer("word_embedding").embeddings[pre.words.stoi["the"]], [3.0] * 6)
    for bad in (-1.0, float("nan"), float("inf"), "normal", True):
        with pytest.raises(ValueError, match="embedding_std must be \"auto\", None or a finite number >= 0"):
            Tagger.from_data(TOY, min_count=1, embedding_std=bad, **SMALL)
