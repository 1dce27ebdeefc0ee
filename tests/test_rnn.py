"""The simple tanh RNN cell."""
import numpy as np

import lstmx
from lstmx.rnn import rnn_forward


def test_step_equals_packed_forward_and_equation():
    cell = lstmx.RNNCell(3, 4, seed=0, dtype=np.float64)
    cell.b[...] = 0.3
    assert np.shares_memory(cell.W_h, cell.W) and cell.W_h.shape == (4, 3)
    rng = np.random.default_rng(0)
    X, h = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 4))
    Y, hT, _ = rnn_forward(X, cell.W, cell.U, cell.b, h)
    for t in range(6):
        want = np.tanh(X[:, t] @ cell.W.T + h @ cell.U.T + cell.b)
        h = cell.step(X[:, t], h)
        np.testing.assert_allclose(h, want, rtol=1e-14)
        np.testing.assert_allclose(Y[:, t], h, rtol=1e-13)
    assert cell.count_params() == 4 * 3 + 4 * 4 + 4
