"""KeyedVectors.evaluate_word_analogies answers questions in matrix products: the same answers as a
plain per-question transcription of gensim's method and as gensim itself (when installed), with
sections, unknown words, restrict_vocab, case variants, repeated vectors (ties) and dummy4unknown."""
import numpy as np
import pytest
from scipy.linalg.blas import dnrm2

from lstmx.word2vec import KeyedVectors
from lstmx.word2vec import keyedvectors as kv_module


def reference(kv, path, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False):
    """gensim's evaluate_word_analogies, one question at a time, in plain NumPy: the mean of the unit
    vectors of b, c, -a (float32, then divided by 3 and normalised in float64 as gensim's BLAS calls
    do: BLAS dnrm2), scores = vectors @ mean / norms over the first restrict_vocab words, the 8 best ordered as
    gensim's matutils.argsort orders them (argpartition, then argsort), the question words' rows
    dropped, the first 5 kept; the answer is the first that is not a question word in upper case."""
    keys = kv.index_to_key[:restrict_vocab]
    form = (lambda w: w.upper()) if case_insensitive else (lambda w: w)
    ok = {}
    for i, w in enumerate(keys):
        ok.setdefault(form(w), i)
    vectors = kv.vectors[:restrict_vocab] if restrict_vocab else kv.vectors
    norms = np.linalg.norm(kv.vectors, axis=1)
    sections = []
    for line in open(path, encoding="utf-8"):
        if line.startswith(":"):
            sections.append({"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []})
            continue
        words = tuple(form(w) for w in line.split())
        if not words:
            continue
        if any(w not in ok for w in words):
            if dummy4unknown:
                sections[-1]["incorrect"].append(words)
            continue
        a, b, c, expected = words
        mean = np.zeros(kv.vector_size, np.float32)
        for weight, w in ((1.0, b), (1.0, c), (-1.0, a)):
            mean += np.float64(weight) * (kv.vectors[ok[w]] / norms[ok[w]])
        mean = mean / np.float64(3.0)
        mean = (mean * (1.0 / dnrm2(mean))).astype(np.float32)
        scores = -(np.dot(vectors, mean) / norms[:len(vectors)])
        if 8 >= scores.size:
            best = np.argsort(scores)[:8]
        else:
            top = np.argpartition(scores, 8)[:8]
            best = top.take(np.argsort(scores.take(top)))
        candidates = [i for i in best if i not in (ok[a], ok[b], ok[c])][:5]
        predicted = None
        for i in candidates:
            predicted = form(kv.index_to_key[i])
            if predicted not in (a, b, c):
                break
        sections[-1]["correct" if predicted == expected else "incorrect"].append(words)
    total = {"section": "Total accuracy", "correct": [q for s in sections for q in s["correct"]],
             "incorrect": [q for s in sections for q in s["incorrect"]]}
    n = len(total["correct"]) + len(total["incorrect"])
    return (len(total["correct"]) / n if n else 0.0), sections + [total]


@pytest.fixture(scope="module")
def vectors_and_questions(tmp_path_factory):
    """60 words in 5 dimensions (many near misses), among them case variants of question words
    (Paris/paris/PARIS) and words with the same vector as another (exact ties); 400 questions in
    four sections, some with unknown words, in mixed case."""
    rng = np.random.default_rng(19)
    words = [f"w{i}" for i in range(50)] + ["Paris", "paris", "France", "france", "PARIS", "t1", "t2", "T1", "u",
                                            "t3"]
    vectors = rng.standard_normal((len(words), 5)).astype(np.float32)
    for twin, of in (("t2", "t1"), ("T1", "t1"), ("t3", "t1"), ("u", "t1")):
        vectors[words.index(twin)] = vectors[words.index(of)]
    vectors[words.index("u")] *= 3   # the same direction, another norm: a tie in cosine up to rounding
    for variant, noise in (("paris", 0.05), ("PARIS", 0.1)):   # the best candidates for Paris Paris Paris,
        vectors[words.index(variant)] = vectors[words.index("Paris")] + noise * rng.standard_normal(5)   # not answers
    kv = KeyedVectors(words, vectors)
    pool = words + ["nope", "W1", "PaRiS", "T2"]
    lines = []
    for name in ("capital-common", ": weird::name", "gram", "family"):
        lines.append(name if name.startswith(":") else f": {name}")
        for _ in range(100):
            lines.append(" ".join(rng.choice(pool, 4)))
    # questions whose answer is a tie or a case variant of a question word
    lines += ["t1 t1 t1 t2", "t1 t1 t1 u", "t2 t2 t2 t3", "w3 t1 w7 t2", "w7 t1 w3 T1", "Paris Paris Paris PARIS",
              "paris france Paris France", "w1 w2 paris PARIS", "", "w4 w5 w6 w7"]
    path = tmp_path_factory.mktemp("analogies") / "questions.txt"
    path.write_text("\n".join(lines) + "\n")
    return kv, str(path)


SETTINGS = [dict(), dict(restrict_vocab=40), dict(restrict_vocab=None), dict(case_insensitive=False),
            dict(dummy4unknown=True), dict(restrict_vocab=0, dummy4unknown=True),
            dict(restrict_vocab=58, case_insensitive=False, dummy4unknown=True)]


@pytest.mark.parametrize("settings", SETTINGS)
def test_batched_answers_equal_a_per_question_transcription(vectors_and_questions, settings):
    kv, path = vectors_and_questions
    ours = kv.evaluate_word_analogies(path, **settings)
    assert ours == reference(kv, path, **settings)
    assert [s["section"] for s in ours[1]] == ["capital-common", "weird::name", "gram", "family", "Total accuracy"]


@pytest.mark.parametrize("settings", SETTINGS)
def test_batched_answers_equal_gensims(vectors_and_questions, settings):
    gensim_models = pytest.importorskip("gensim.models")
    kv, path = vectors_and_questions
    theirs = gensim_models.KeyedVectors(kv.vector_size)
    theirs.add_vectors(kv.index_to_key, kv.vectors)
    if settings.get("restrict_vocab") == 0:
        pytest.skip("gensim divides by zero logging the unknown words' share when no question is known")
    assert kv.evaluate_word_analogies(path, **settings) == theirs.evaluate_word_analogies(path, **settings)


def test_near_ties_and_case_variants_take_gensims_path(vectors_and_questions, monkeypatch):
    """Most questions are answered from the matrix product; the ties and the questions whose best
    candidate is a case variant of a question word are answered one at a time, as gensim does."""
    kv, path = vectors_and_questions
    exact = []
    original = kv_module._AnalogySolver._exact
    monkeypatch.setattr(kv_module._AnalogySolver, "_exact",
                        lambda self, mean, row: exact.append(tuple(row)) or original(self, mean, row))
    _, sections = kv.evaluate_word_analogies(path)
    asked = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
    ids = kv.key_to_index
    assert 0 < len(exact) < asked / 4
    # t2, t3 and T1 have t1's vector (u 3 times it): the best candidates for t1 t1 t1 tie
    assert (ids["t1"], ids["t1"], ids["t1"]) in exact and (ids["t2"], ids["t2"], ids["t2"]) in exact


def test_progress_is_a_line_per_section_on_stderr_when_asked(vectors_and_questions, capsys):
    kv, path = vectors_and_questions
    kv.evaluate_word_analogies(path)
    assert capsys.readouterr() == ("", "")
    kv.evaluate_word_analogies(path, progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 5 and lines[0].startswith("analogies 1/4 capital-common: ")
    assert lines[-1].startswith("analogies Total accuracy: ") and lines[-1].endswith(" s")


def test_bad_arguments_and_lines(vectors_and_questions, tmp_path):
    kv, path = vectors_and_questions
    with pytest.raises(ValueError, match="similarity_function must be 'most_similar'"):
        kv.evaluate_word_analogies(path, similarity_function="3CosMul")
    with pytest.raises(ValueError, match="restrict_vocab must be None"):
        kv.evaluate_word_analogies(path, restrict_vocab=-1)
    bad = tmp_path / "bad.txt"
    bad.write_text(": s\nw1 w2 w3\n")
    with pytest.raises(ValueError, match="line 2: expected 4 words"):
        kv.evaluate_word_analogies(str(bad))
    bad.write_text("w1 w2 w3 w4\n")
    with pytest.raises(ValueError, match="line 1: expected a ': section' line first"):
        kv.evaluate_word_analogies(str(bad))
