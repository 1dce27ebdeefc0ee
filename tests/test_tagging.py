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
