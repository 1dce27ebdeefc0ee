"""The LSTM cell: views into the packs, initialisation, and each gate tested on its own."""
import numpy as np
import pytest
from helpers import random_problem

import lstmx
from lstmx.lstm import lstm_forward

BIG = 40.0  # sigmoid(40) == 1.0 in float64: a gate driven fully open (or shut with -BIG)


def test_gate_views_are_views_into_the_packs():
    cell = lstmx.LSTMCell(3, 2, seed=0)
    for k, letter in enumerate("ifgo"):
        for pack in ("W", "U", "b"):
            view = getattr(cell, f"{pack}_{letter}")
            assert np.shares_memory(view, getattr(cell, pack))
            np.testing.assert_array_equal(view, getattr(cell, pack)[k * 2:(k + 1) * 2])
    cell.W_g[1, 2] = 7.0
    assert cell.W[5, 2] == 7.0
    cell.U_o = np.full((2, 2), 3.0)   # assigning a gate writes into the pack
    assert (cell.U[6:8] == 3.0).all()
    with pytest.raises(ValueError, match=r"U_o: expected shape \(2, 2\)"):
        cell.U_o = np.zeros((3, 2))


def test_keras_initialisation():
    cell = lstmx.LSTMCell(10, 4, seed=1)
    assert cell.W.dtype == np.float32 and cell.W.shape == (16, 10) and cell.U.shape == (16, 4)
    np.testing.assert_array_equal(cell.b, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    assert np.abs(cell.W).max() <= np.sqrt(6 / (10 + 16))
    np.testing.assert_allclose(cell.U.T @ cell.U, np.eye(4), atol=1e-6)  # orthonormal columns
    np.testing.assert_array_equal(cell.W, lstmx.LSTMCell(10, 4, seed=1).W)
    assert not np.array_equal(cell.W, lstmx.LSTMCell(10, 4, seed=2).W)


def test_view_names_match_pytorch_chunks():
    """PyTorch's weight_ih_l0 is [W_i; W_f; W_g; W_o]: the same order as our pack."""
    torch = pytest.importorskip("torch")
    m = torch.nn.LSTM(3, 2)
    cell = lstmx.LSTMCell(3, 2, dtype=np.float64)
    cell.W[...] = m.weight_ih_l0.detach().numpy()
    for chunk, letter in zip(torch.chunk(m.weight_ih_l0.detach(), 4), "ifgo"):
        np.testing.assert_array_equal(getattr(cell, f"W_{letter}"), chunk.numpy())


def test_step_equals_packed_forward():
    cell = lstmx.LSTMCell(4, 3, seed=0, dtype=np.float64)
    cell.b[...] = np.random.default_rng(0).standard_normal(12)
    X = np.random.default_rng(1).standard_normal((2, 5, 4))
    h = c = np.zeros((2, 3))
    Y, (hT, cT), _ = lstm_forward(X, cell.W, cell.U, cell.b, h, c)
    for t in range(5):
        h, c = cell.step(X[:, t], (h, c))
        np.testing.assert_allclose(Y[:, t], h, rtol=1e-13)
    np.testing.assert_allclose(cT, c, rtol=1e-13)


@pytest.mark.parametrize("k,letter,act", [(0, "i", "sigmoid"), (1, "f", "sigmoid"), (2, "g", "tanh"), (3, "o", "sigmoid")])
def test_each_gate_uses_its_own_block_and_nonlinearity(k, letter, act):
    """The cached activation of gate k equals its textbook formula from that gate's views alone."""
    prob = random_problem("lstm", B=3, T=1, I=4, H=5, seed=k)
    cell = lstmx.LSTMCell(4, 5, dtype=np.float64)
    for name in ("W", "U", "b"):
        getattr(cell, name)[...] = prob["params"][name]
    x, h0 = prob["X"][:, 0], prob["states"]["h0"]
    a = x @ getattr(cell, f"W_{letter}").T + h0 @ getattr(cell, f"U_{letter}").T + getattr(cell, f"b_{letter}")
    want = np.tanh(a) if act == "tanh" else 1 / (1 + np.exp(-a))
    _, _, cache = lstmx.lstm_forward(prob["X"], cell.W, cell.U, cell.b, h0, prob["states"]["c0"], backend="reference")
    np.testing.assert_allclose(cache["gates"][0][:, k * 5:(k + 1) * 5], want, rtol=1e-12)


def _cell_with_gate_biases(**biases):
    cell = lstmx.LSTMCell(3, 4, seed=0, dtype=np.float64)
    for letter, value in biases.items():
        setattr(cell, f"W_{letter}", 0.0)
        setattr(cell, f"U_{letter}", 0.0)
        setattr(cell, f"b_{letter}", value)
    return cell


def _run(cell, T=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, T, 3))
    h0, c0 = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    Y, (hT, cT), _ = lstmx.lstm_forward(X, cell.W, cell.U, cell.b, h0, c0, backend="reference")
    return X, h0, c0, Y, hT, cT


def test_forget_gate_open_and_input_gate_shut_keep_the_cell_state():
    X, h0, c0, Y, hT, cT = _run(_cell_with_gate_biases(f=BIG, i=-BIG))
    np.testing.assert_allclose(cT, c0, atol=1e-15)


def test_forget_gate_shut_forgets_the_past():
    """f = 0 and i = 1: the cell state is the current candidate alone, whatever c0 was."""
    cell = _cell_with_gate_biases(f=-BIG, i=BIG)
    X, h0, c0, Y, hT, cT = _run(cell, T=1)
    g = np.tanh(X[:, 0] @ cell.W_g.T + h0 @ cell.U_g.T + cell.b_g)
    np.testing.assert_allclose(cT, g, atol=1e-15)


def test_output_gate_shut_hides_the_cell():
    X, h0, c0, Y, hT, cT = _run(_cell_with_gate_biases(o=-BIG))
    np.testing.assert_allclose(Y, 0.0, atol=1e-15)
    assert np.abs(cT).min() > 0


def test_candidate_reaches_h_through_both_tanhs():
    """f = 0, i = 1, o = 1: h = tanh(g) with g = tanh(W_g x + U_g h + b_g)."""
    cell = _cell_with_gate_biases(f=-BIG, i=BIG, o=BIG)
    X, h0, c0, Y, hT, cT = _run(cell, T=1)
    g = np.tanh(X[:, 0] @ cell.W_g.T + h0 @ cell.U_g.T + cell.b_g)
    np.testing.assert_allclose(hT, np.tanh(g), atol=1e-15)


def test_shapes_table_counts():
    cell = lstmx.LSTMCell(128, 64)
    rows = {r["name"]: r for r in cell.shapes()}
    assert rows["W_f"]["shape"] == (64, 128) and rows["U_f"]["shape"] == (64, 64) and rows["b_f"]["shape"] == (64,)
    assert rows["W"]["shape"] == (256, 128)
    assert cell.count_params() == 4 * (64 * 128 + 64 * 64 + 64) == 49_408  # 2x = 98,816 bidirectional
    assert "49,408" in cell.shapes_table()


def test_step_refuses_a_wrong_input_width_or_a_missing_cell_state_naming_what_it_expects():
    cell = lstmx.LSTMCell(3, 2, seed=0)
    x, h = np.ones((1, 3), np.float32), np.zeros((1, 2), np.float32)
    with pytest.raises(ValueError, match=r"LSTMCell.step: x_t must have shape \(batch, input_size\) = \(batch, 3\) "
                                         r"or \(3,\), got \(1, 5\)"):
        cell.step(np.ones((1, 5)), (h, h))
    with pytest.raises(TypeError, match=r"state = \(h_prev, c_prev\).*two \(batch, 2\) arrays; got one array of "
                                        r"shape \(1, 2\)"):
        cell.step(x, h)
    with pytest.raises(TypeError, match=r"got a tuple of 1"):
        cell.step(x, (h,))
    with pytest.raises(ValueError, match=r"c_prev must have shape \(1, 2\) .*got \(1, 3\)"):
        cell.step(x, (h, np.zeros((1, 3))))
    with pytest.raises(ValueError, match=r"h_prev must have shape \(2, 2\) .*got \(1, 2\)"):
        cell.step(np.ones((2, 3)), (h, np.zeros((2, 2))))
    h1, c1 = cell.step(x[0], (h[0], h[0]))           # one unbatched step: (I,) and (H,)
    assert h1.shape == c1.shape == (2,)


@pytest.mark.parametrize("cell_class", ["LSTMCell", "GRUCell", "RNNCell"])
def test_shapes_table_counts_each_parameter_once(cell_class):
    """The packs are the gate blocks stacked: the count column adds up to the total it prints."""
    cell = getattr(lstmx, cell_class)(input_size=5, hidden_size=3)
    lines = cell.shapes_table().splitlines()
    total_line = next(k for k, line in enumerate(lines) if line.startswith("total parameters"))
    counts = [int(line[19:30].replace(",", ""))              # the count column
              for line in lines[2:total_line]]
    assert sum(counts) == cell.count_params() == int(lines[total_line].split()[-1].replace(",", ""))
    assert "not counted again" in lines[total_line + 1]
