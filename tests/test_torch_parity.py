"""Outputs and every gradient equal PyTorch's nn.LSTM / nn.GRU / nn.RNN given the same weights (float64),
and the IMDB BiLSTM's training steps equal PyTorch's."""
import numpy as np
import pytest
from helpers import STATES, analytic_grads, forward, loss_weights, param_names, random_problem

import lstmx

torch = pytest.importorskip("torch")
TORCH = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


def torch_module(prob):
    """A PyTorch layer holding the problem's weights; lstmx's one bias b is split into b_ih + b_hh."""
    cell, p, H = prob["cell"], prob["params"], prob["H"]
    I = prob["X"].shape[2]
    m = TORCH[cell](I, H, batch_first=True).double()
    rng = np.random.default_rng(11)
    b_hh = rng.standard_normal(p["b"].shape)   # any split of b works: PyTorch only ever adds them
    b_ih = p["b"] - b_hh
    if cell == "gru":                          # candidate: b_in is ours b_n, b_hn stays inside r * (...)
        b_ih[2 * H:] = p["b"][2 * H:]
        b_hh[2 * H:] = p["b_hn"]
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(p["W"]))
        m.weight_hh_l0.copy_(torch.from_numpy(p["U"]))
        m.bias_ih_l0.copy_(torch.from_numpy(b_ih))
        m.bias_hh_l0.copy_(torch.from_numpy(b_hh))
    return m


def torch_run(prob, lengths=None):
    """Forward + backward of the same loss in PyTorch; returns outputs and gradients as NumPy."""
    cell = prob["cell"]
    m = torch_module(prob)
    X = torch.from_numpy(prob["X"]).requires_grad_(True)
    states = [torch.from_numpy(prob["states"][s][None]).requires_grad_(True) for s in STATES[cell]]
    hx = tuple(states) if cell == "lstm" else states[0]
    if lengths is None:
        Y, finals = m(X, hx)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(X, torch.as_tensor(lengths), batch_first=True,
                                                         enforce_sorted=False)
        Yp, finals = m(packed, hx)
        Y, _ = torch.nn.utils.rnn.pad_packed_sequence(Yp, batch_first=True, total_length=X.shape[1])
    finals = list(finals) if cell == "lstm" else [finals]
    RY, Rf = loss_weights(prob)
    if lengths is not None:   # PyTorch's padded outputs are zeros; ours repeat the last one
        RY = RY * prob["mask"][:, :, None]
    loss = (Y * torch.from_numpy(RY)).sum() + sum((f[0] * torch.from_numpy(r)).sum() for f, r in zip(finals, Rf))
    loss.backward()
    grads = {"X": X.grad.numpy(), "W": m.weight_ih_l0.grad.numpy(), "U": m.weight_hh_l0.grad.numpy()}
    H = prob["H"]
    grads["b"] = m.bias_ih_l0.grad.numpy().copy()
    if cell == "gru":
        grads["b_hn"] = m.bias_hh_l0.grad.numpy()[2 * H:]
    for s, t in zip(STATES[cell], states):
        grads[s] = t.grad.numpy()[0]
    return Y.detach().numpy(), [f.detach().numpy()[0] for f in finals], grads, RY


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_matches_pytorch(cell):
    prob = random_problem(cell, B=4, T=7, I=5, H=6, seed=2)
    Y_t, finals_t, grads_t, _ = torch_run(prob)
    Y, finals, _ = forward(prob)
    np.testing.assert_allclose(Y, Y_t, rtol=1e-6, atol=1e-12)
    for f, ft in zip(finals, finals_t):
        np.testing.assert_allclose(f, ft, rtol=1e-6, atol=1e-12)
    grads = analytic_grads(prob)
    for name in ("X",) + param_names(cell) + STATES[cell]:
        np.testing.assert_allclose(grads[name], grads_t[name], rtol=1e-6, atol=1e-12, err_msg=f"d{name}")


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_post_padded_mask_matches_packed_sequences(cell):
    """A post-padding mask gives PyTorch's packed-sequence results on the valid steps and final state."""
    prob = random_problem(cell, B=5, T=6, I=3, H=4, seed=4, mask="post")
    lengths = prob["mask"].sum(axis=1)
    Y_t, finals_t, grads_t, RY = torch_run(prob, lengths)
    Y, finals, cache = forward(prob)
    valid = prob["mask"][:, :, None]
    np.testing.assert_allclose(Y * valid, Y_t, rtol=1e-6, atol=1e-12)
    for f, ft in zip(finals, finals_t):
        np.testing.assert_allclose(f, ft, rtol=1e-6, atol=1e-12)
    from helpers import backward
    _, Rf = loss_weights(prob)
    grads = backward(prob, cache, RY, Rf)
    for name in ("X",) + param_names(cell) + STATES[cell]:
        np.testing.assert_allclose(grads[name], grads_t[name], rtol=1e-6, atol=1e-12, err_msg=f"d{name}")


def test_seed_model_training_steps_match_pytorch():
    """Embedding -> Bidirectional(LSTM) -> Dense(1, sigmoid), binary cross-entropy, three Adam steps:
    the losses and every weight after them equal PyTorch's (BCEWithLogitsLoss, Adam) from the same
    start, in float64. Covers the loss from the logits, each layer's backward pass and Adam together.

    PyTorch splits the LSTM bias in two and would train both halves; its ``bias_hh`` stays frozen at
    zero so that one bias moves, as in lstmx. Adam's epsilon is 1e-30 in both: Keras adds it to
    sqrt(v), PyTorch to the bias-corrected sqrt(v), 18 times larger at step 3.
    """
    V, D, H, T = 20, 6, 4, 7
    rng = np.random.default_rng(5)
    batches = [(rng.integers(0, V, (5, T)), rng.integers(0, 2, 5)) for _ in range(3)]
    model = lstmx.Sequential([lstmx.Embedding(V, D, seed=0, dtype=np.float64),
                              lstmx.Bidirectional(lstmx.LSTM(H, seed=1, dtype=np.float64)),
                              lstmx.Dense(1, "sigmoid", seed=2, dtype=np.float64)])
    model.compile("binary_crossentropy", lstmx.Adam(1e-2, epsilon=1e-30))
    model.build((None, T))
    embedding, bilstm, dense = model.layers
    cells = (bilstm.forward_layer.cell, bilstm.backward_layer.cell)

    net_embedding = torch.nn.Embedding(V, D).double()
    net_lstm = torch.nn.LSTM(D, H, batch_first=True, bidirectional=True).double()
    net_dense = torch.nn.Linear(2 * H, 1).double()
    with torch.no_grad():
        net_embedding.weight.copy_(torch.from_numpy(embedding.embeddings))
        for suffix, cell in zip(("", "_reverse"), cells):
            getattr(net_lstm, f"weight_ih_l0{suffix}").copy_(torch.from_numpy(cell.W))
            getattr(net_lstm, f"weight_hh_l0{suffix}").copy_(torch.from_numpy(cell.U))
            getattr(net_lstm, f"bias_ih_l0{suffix}").copy_(torch.from_numpy(cell.b))
            getattr(net_lstm, f"bias_hh_l0{suffix}").zero_()
            getattr(net_lstm, f"bias_hh_l0{suffix}").requires_grad_(False)
        net_dense.weight.copy_(torch.from_numpy(dense.kernel.T))
        net_dense.bias.copy_(torch.from_numpy(dense.bias))
    trained = [p for m in (net_embedding, net_lstm, net_dense) for p in m.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trained, lr=1e-2, eps=1e-30)

    for x, y in batches:
        loss = model.train_on_batch(x, y)
        optimizer.zero_grad()
        _, (h_n, _) = net_lstm(net_embedding(torch.from_numpy(x)))
        logits = net_dense(torch.cat([h_n[0], h_n[1]], dim=1))[:, 0]
        torch_loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.from_numpy(y).double())
        torch_loss.backward()
        optimizer.step()
        assert loss == pytest.approx(torch_loss.item(), rel=1e-10)

    np.testing.assert_allclose(embedding.embeddings, net_embedding.weight.detach().numpy(), rtol=0, atol=1e-9)
    for suffix, cell in zip(("", "_reverse"), cells):
        np.testing.assert_allclose(cell.W, getattr(net_lstm, f"weight_ih_l0{suffix}").detach().numpy(), atol=1e-9)
        np.testing.assert_allclose(cell.U, getattr(net_lstm, f"weight_hh_l0{suffix}").detach().numpy(), atol=1e-9)
        np.testing.assert_allclose(cell.b, getattr(net_lstm, f"bias_ih_l0{suffix}").detach().numpy(), atol=1e-9)
    np.testing.assert_allclose(dense.kernel.T, net_dense.weight.detach().numpy(), atol=1e-9)
    np.testing.assert_allclose(dense.bias, net_dense.bias.detach().numpy(), atol=1e-9)
