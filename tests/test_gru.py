"""The GRU cell: views, initialisation, and each gate tested on its own."""
import numpy as np
import pytest

import lstmx
from lstmx.gru import gru_forward

BIG = 40.0


def _cell(**biases):
    cell = lstmx.GRUCell(3, 4, seed=0, dtype=np.float64)
    cell.b[...] = np.random.default_rng(1).standard_normal(12)
    cell.b_hn[...] = np.random.default_rng(2).standard_normal(4)
    for letter, value in biases.items():
        setattr(cell, f"W_{letter}", 0.0)
        setattr(cell, f"U_{letter}", 0.0)
        setattr(cell, f"b_{letter}", value)
    return cell


def _run(cell, T=5):
    rng = np.random.default_rng(3)
    X, h0 = rng.standard_normal((2, T, 3)), rng.standard_normal((2, 4))
    Y, hT, cache = gru_forward(X, cell.W, cell.U, cell.b, cell.b_hn, h0)
    return X, h0, Y, hT, cache


def test_views_and_params():
    cell = lstmx.GRUCell(3, 4, seed=0)
    assert cell.W.shape == (12, 3) and cell.U.shape == (12, 4) and cell.b.shape == (12,) and cell.b_hn.shape == (4,)
    assert set(cell.params) == {"W", "U", "b", "b_hn"}
    for k, letter in enumerate("rzn"):
        assert np.shares_memory(getattr(cell, f"U_{letter}"), cell.U)
        np.testing.assert_array_equal(getattr(cell, f"U_{letter}"), cell.U[4 * k:4 * k + 4])
    assert not cell.b.any()  # Keras's GRU bias starts at zero
    assert cell.count_params() == 3 * (4 * 3 + 4 * 4 + 4) + 4


def test_step_equals_packed_forward():
    cell = _cell()
    X, h0, Y, hT, _ = _run(cell)
    h = h0
    for t in range(X.shape[1]):
        h = cell.step(X[:, t], h)
        np.testing.assert_allclose(Y[:, t], h, rtol=1e-13)


def test_update_gate_open_copies_the_state():
    """z = 1: h_t = h_(t-1), whatever the input."""
    X, h0, Y, hT, _ = _run(_cell(z=BIG))
    np.testing.assert_allclose(hT, h0, atol=1e-15)


def test_reset_gate_shut_ignores_the_past_in_the_candidate():
    """z = 0, r = 0: h_1 = n = tanh(W_n x + b_n), independent of h0 and b_hn."""
    cell = _cell(z=-BIG, r=-BIG)
    X, h0, Y, hT, _ = _run(cell, T=1)
    np.testing.assert_allclose(hT, np.tanh(X[:, 0] @ cell.W_n.T + cell.b_n), atol=1e-14)


def test_reset_gate_open_applies_after_the_recurrent_product():
    """z = 0, r = 1: n = tanh(W_n x + b_n + U_n h + b_hn) (PyTorch's reset-after form)."""
    cell = _cell(z=-BIG, r=BIG)
    X, h0, Y, hT, _ = _run(cell, T=1)
    want = np.tanh(X[:, 0] @ cell.W_n.T + cell.b_n + h0 @ cell.U_n.T + cell.b_hn)
    np.testing.assert_allclose(hT, want, atol=1e-14)


def test_gate_slices_of_the_cache():
    cell = _cell()
    X, h0, Y, hT, cache = _run(cell, T=1)
    x = X[:, 0]
    r = 1 / (1 + np.exp(-(x @ cell.W_r.T + cell.b_r + h0 @ cell.U_r.T)))
    z = 1 / (1 + np.exp(-(x @ cell.W_z.T + cell.b_z + h0 @ cell.U_z.T)))
    np.testing.assert_allclose(cache["gates"][0][:, :4], r, rtol=1e-12)
    np.testing.assert_allclose(cache["gates"][0][:, 4:8], z, rtol=1e-12)


def test_view_names_match_pytorch_chunks():
    """PyTorch's weight_hh_l0 is [U_r; U_z; U_n]: loading it into our pack gives the same gate blocks."""
    torch = pytest.importorskip("torch")
    m = torch.nn.GRU(3, 4)
    cell = lstmx.GRUCell(3, 4)
    cell.U[...] = m.weight_hh_l0.detach().numpy()
    for chunk, letter in zip(torch.chunk(m.weight_hh_l0.detach(), 3), "rzn"):
        np.testing.assert_array_equal(getattr(cell, f"U_{letter}"), chunk.numpy())


def test_step_takes_h_itself_and_refuses_a_tuple_or_wrong_shapes():
    """A GRU's only state is h: step(x_t, h) -> h. ``(h,)`` used to broadcast to a (1, B, H) output."""
    cell = lstmx.GRUCell(3, 2, seed=0)
    x, h = np.ones((1, 3)), np.zeros((1, 2))
    assert cell.step(x, h).shape == (1, 2)
    with pytest.raises(TypeError, match=r"GRUCell.step takes h_prev, one \(batch, 2\) array .*got a tuple of 1"):
        cell.step(x, (h,))
    with pytest.raises(ValueError, match=r"h_prev must have shape \(1, 2\) .*got \(1, 1, 2\)"):
        cell.step(x, h[None])
    with pytest.raises(ValueError, match=r"x_t must have shape \(batch, input_size\) = \(batch, 3\) or \(3,\), "
                                         r"got \(1, 4\)"):
        cell.step(np.ones((1, 4)), h)
    with pytest.raises(TypeError, match=r"RNNCell.step takes h_prev.*got a list of 1"):
        lstmx.RNNCell(3, 2).step(x, [h])
