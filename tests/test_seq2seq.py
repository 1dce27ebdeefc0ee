"""Sequence to sequence with attention on dates: the data, the vocabularies, teacher forcing, greedy and
beam decoding, and what bad input gets."""
import datetime

import numpy as np
import pytest

from lstmx import seq2seq as s2s


def test_dates_come_in_every_format_with_the_right_iso_answer():
    pairs = s2s.generate_dates(3000, seed=0)
    assert pairs == s2s.generate_dates(3000, seed=0) and pairs != s2s.generate_dates(3000, seed=1)
    assert len(s2s.FORMATS) >= 15
    for human, iso in pairs[:200]:
        date = datetime.date.fromisoformat(iso)
        assert any(s2s.human_date(date, f) == human for f in s2s.FORMATS), (human, iso)
    assert s2s.human_date(datetime.date(1979, 5, 3), "{weekday}, {d} {month} {yyyy}") == "Thursday, 3 May 1979"
    assert s2s.human_date(datetime.date(1979, 5, 3), "{ord} of {month} {yy}") == "3rd of May 79"
    assert [s2s._ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd"]
    with pytest.raises(ValueError, match="two-digit years need a span of at most 100 years"):
        s2s.generate_dates(3, start_year=1900, end_year=2049)


def test_character_vocabularies_pad_and_round_trip():
    v = s2s.CharVocabulary(["ab", "ba"], extra="^$")
    ids = v.encode(["ab", "b"], 3, padding="pre")
    assert ids.tolist() == [[0, v.index["a"], v.index["b"]], [0, 0, v.index["b"]]]
    assert v.decode(ids[0]) == "ab" and v.encode(["zz"])[0].tolist() == [1, 1]
    with pytest.raises(ValueError, match="text 0 has 4 characters; the model reads at most 3"):
        v.encode(["abab"], 3)


@pytest.fixture(scope="module")
def translator():
    pairs = s2s.generate_dates(200, seed=0)
    tr = s2s.DateTranslator(pairs, embed=8, units=8, seed=0)
    tr.fit(pairs, epochs=1, batch_size=50)
    return tr, pairs


def test_teacher_forcing_shifts_the_target_by_one(translator):
    tr, pairs = translator
    x, t_in, y = tr.arrays(pairs[:2])
    v = tr.target_vocab
    assert t_in[0, 0] == v.index[s2s.START] and v.decode(t_in[0, 1:]) == pairs[0][1]
    assert v.decode(y[0]) == pairs[0][1] + s2s.END and y[0, len(pairs[0][1])] == v.index[s2s.END]
    np.testing.assert_array_equal(t_in[:, 1:11], y[:, :10])          # input k + 1 is label k
    assert (x[:, 0] == 0).any() and (x[:, -1] != 0).all()             # sources pre-padded


def _rerun_greedy(tr, sources):
    """Greedy decoding the slow way: the whole model re-run over the prefix at every step."""
    x = tr.source_vocab.encode(sources, tr.source_length, padding="pre")
    prefixes = np.full((len(x), 1), tr.start)
    for _ in range(tr.target_length):
        probs = tr.model.predict([x, prefixes], verbose=0)[0][:, -1]
        probs[:, tr.banned] = 0
        prefixes = np.concatenate([prefixes, probs.argmax(axis=1)[:, None]], axis=1)
    return [tr._text(p[1:]) for p in prefixes]


@pytest.mark.parametrize("trained", [True, False])
def test_stepping_with_the_state_carried_equals_running_the_whole_prefix(translator, trained):
    tr, pairs = translator if trained else (s2s.DateTranslator(translator[1], embed=8, units=8, seed=3), translator[1])
    x, t_in, _ = tr.arrays(pairs[:6])
    whole, alignment = tr.model.predict([x, t_in], verbose=0)          # (B, Tt, V), (B, Tt, Ts)
    memory, mask, state = tr.encode(x)
    for t in range(t_in.shape[1]):                                      # the true previous token, one at a time
        probs, weights, state = tr.step(memory, mask, state, t_in[:, t])
        kept = t_in[:, t] != 0                                          # padded steps are masked in the graph
        np.testing.assert_allclose(probs[kept], whole[kept, t], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(weights[kept], alignment[kept, t], rtol=1e-4, atol=1e-6)
    sources = [a for a, _ in pairs[:8]]
    assert tr.greedy(sources)[0] == _rerun_greedy(tr, sources)


def test_greedy_and_beam_decoding(translator):
    tr, pairs = translator
    sources = [a for a, _ in pairs[:6]]
    texts, alignment = tr.greedy(sources)
    assert len(texts) == 6 and alignment.shape[0] == 6 and alignment.shape[2] == tr.source_length
    np.testing.assert_allclose(alignment.sum(axis=2), 1.0, rtol=1e-5)
    # width 1 is greedy, and a wider beam finds a string at least as likely
    assert tr.beam_search_batch(sources, beam_width=1)[0] == texts
    one, score_one = tr.beam_search_batch(sources, beam_width=1)
    five, score_five = tr.beam_search_batch(sources, beam_width=5)
    assert all(s5 >= s1 - 1e-9 for s1, s5 in zip(score_one, score_five))
    for source, text, score in list(zip(sources, five, score_five))[:2]:      # one source alone, the same
        assert tr.beam_search(source, beam_width=5)[0] == text
        assert tr.beam_search(source, beam_width=5)[1] == pytest.approx(score, abs=1e-4)
    assert s2s.exact_match(["a", "b"], ["a", "c"]) == 0.5


def test_bad_input_gets_a_clear_error(translator):
    tr, pairs = translator
    sources = [a for a, _ in pairs[:2]]
    with pytest.raises(ValueError, match="beam_width must be an integer >= 1, got 0"):
        tr.beam_search(sources[0], beam_width=0)
    with pytest.raises(ValueError, match="beam_width must be an integer >= 1, got 2.5"):
        tr.beam_search_batch(sources, beam_width=2.5)
    with pytest.raises(ValueError, match="length_penalty must be >= 0"):
        tr.beam_search_batch(sources, length_penalty=-1)
    with pytest.raises(ValueError, match=r"max_length must be an integer in 1\.\.44 \(the targets have at most 10 tokens\)"):
        tr.greedy(sources, max_length=1000)
    with pytest.raises(ValueError, match=rf"text 0 has 200 characters; the model reads at most {tr.source_length}"):
        tr.greedy(["x" * 200])
    x = tr.source_vocab.encode(sources, tr.source_length, padding="pre")
    x[0, -1] = len(tr.source_vocab)                                    # one id past the vocabulary
    with pytest.raises(ValueError, match=rf"token id {len(tr.source_vocab)} is out of range: "
                                         rf"Embedding\(input_dim={len(tr.source_vocab)}\) accepts ids 0 <= id < "):
        tr.encode(x)
    with pytest.raises(ValueError, match="hypothesis 1 has no reference"):
        s2s.corpus_bleu(["a", "b"], ["a", []])


def test_attention_names_what_it_expected_and_what_it_got():
    import lstmx
    q, v = np.zeros((2, 3, 4)), np.zeros((2, 5, 4))
    with pytest.raises(ValueError, match="the query has 6 features, the key 4"):
        lstmx.Attention()([np.zeros((2, 3, 6)), v])
    with pytest.raises(ValueError, match="query, value and key have batch sizes 1, 2, 2"):
        lstmx.Attention()([np.zeros((1, 3, 4)), v])
    with pytest.raises(ValueError, match=r"the query's mask must be \(batch, Tq\) = \(2, 3\), got \(2, 5\)"):
        lstmx.Attention()([q, v], mask=[np.ones((2, 5), bool), None])
    with pytest.raises(ValueError, match=r"the value's mask must be \(batch, Tv\) = \(2, 5\), got \(2, 3\)"):
        lstmx.Attention()([q, v], mask=[None, np.ones((2, 3), bool)])


def test_the_seq2seq_command_trains_and_reports_greedy_and_beam(capsys):
    import json

    from lstmx.cli import main
    assert main(["seq2seq", "dates", "--train", "120", "--test", "10", "--epochs", "1", "--units", "8",
                 "--beam-width", "2", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["epoch"] == 1 and "sample_exact_match" in lines[0]
    assert set(lines[-1]) == {"greedy_exact_match", "beam_exact_match", "beam_width", "test_dates", "train_seconds"}
    assert lines[-1]["test_dates"] == 10 and 0 <= lines[-1]["beam_exact_match"] <= 1
