"""Stateful recurrent layers (Keras's ``stateful=True``): the state carried from batch to batch,
truncated BPTT at the batch boundary, the fixed batch size, reset_states, and training step for
step as PyTorch trains with detached states."""
import numpy as np
import pytest

import lstmx

LAYERS = [lstmx.LSTM, lstmx.GRU, lstmx.SimpleRNN]


@pytest.mark.parametrize("cls", LAYERS)
def test_two_stateful_chunks_equal_one_long_sequence(cls):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 10, 4))
    whole = cls(5, return_sequences=True, seed=1, dtype=np.float64)
    chunked = cls(5, return_sequences=True, seed=1, dtype=np.float64, stateful=True)
    Y = whole(X)
    Y1, Y2 = chunked(X[:, :6]), chunked(X[:, 6:])
    np.testing.assert_allclose(np.concatenate([Y1, Y2], axis=1), Y, rtol=1e-12, atol=1e-12)
    assert len(chunked.states) == len(cls.state_names) and chunked.states[0].shape == (3, 5)


def test_reset_states_starts_again_from_zeros():
    X = np.random.default_rng(1).normal(size=(2, 4, 3)).astype(np.float32)
    layer = lstmx.LSTM(6, seed=0, stateful=True)
    first = layer(X)
    assert not np.allclose(layer(X), first)      # the second call starts from the first's state
    layer.reset_states()
    np.testing.assert_array_equal(layer(X), first)
    assert lstmx.LSTM(6, seed=0)(X).tolist() == first.tolist()


def test_explicit_initial_state_overrides_the_carried_one():
    X = np.random.default_rng(2).normal(size=(2, 4, 3))
    layer = lstmx.GRU(3, seed=0, stateful=True, dtype=np.float64)
    layer(X)
    h0 = np.full((2, 3), 0.5)
    np.testing.assert_allclose(layer(X, initial_state=[h0]), lstmx.GRU(3, seed=0, dtype=np.float64)(X, initial_state=[h0]))


def test_gradient_stops_at_the_batch_boundary():
    """The second chunk's gradients are those of a stateless layer started from the carried state
    as a constant: nothing flows back into the first chunk."""
    rng = np.random.default_rng(3)
    X1, X2 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 3))
    stateful = lstmx.LSTM(4, return_sequences=True, seed=0, stateful=True, dtype=np.float64)
    stateful(X1)
    h, c = [s.copy() for s in stateful.states]
    dY = rng.normal(size=(2, 5, 4))
    stateful(X2)
    dX = stateful.backward(dY)
    plain = lstmx.LSTM(4, return_sequences=True, seed=0, dtype=np.float64)
    plain(X2, initial_state=[h, c])
    np.testing.assert_allclose(dX, plain.backward(dY))
    for name in ("W", "U", "b"):
        np.testing.assert_allclose(stateful.grads[name], plain.grads[name])


def test_a_batch_of_another_size_is_refused_and_names_both_sizes():
    layer = lstmx.LSTM(3, stateful=True, name="carry")
    layer(np.zeros((4, 2, 1), np.float32))
    with pytest.raises(ValueError, match=r"'carry' carries one state per sample of a batch of 4, got a batch of 3"):
        layer(np.zeros((3, 2, 1), np.float32))


def test_input_batch_size_declares_the_batch_and_predict_carries_state():
    model = lstmx.Sequential([lstmx.Input(shape=(None,), dtype="int32", batch_size=2),
                              lstmx.Embedding(10, 4, seed=0),
                              lstmx.LSTM(3, return_sequences=True, stateful=True, seed=1),
                              lstmx.Dense(10, "softmax", seed=2)])
    ids = np.array([[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]])
    whole = model.predict(ids, batch_size=2)
    model.reset_states()
    # rows 0-1 are the first halves and rows 2-3 the second halves: predict carries the state over
    chunks = np.concatenate([ids[:, :3], ids[:, 3:]])
    parts = model.predict(chunks, batch_size=2)
    np.testing.assert_allclose(np.concatenate([parts[:2], parts[2:]], axis=1), whole, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="batch of 2, got a batch of 3"):
        model.predict(np.ones((3, 3), int), batch_size=3)


def test_stateful_and_metadata_survive_saving(tmp_path):
    model = lstmx.Sequential([lstmx.Input(shape=(None,), dtype="int32", batch_size=2), lstmx.Embedding(5, 2),
                              lstmx.LSTM(3, return_sequences=True, stateful=True), lstmx.Dense(5, "softmax")])
    model.metadata["char_index"] = {"a": 1, "b": 2}
    model.save(tmp_path / "m.npz")
    loaded = lstmx.load_model(tmp_path / "m.npz")
    assert loaded.layers[1].stateful and loaded.layers[1].batch_size == 2
    assert loaded.metadata == {"char_index": {"a": 1, "b": 2}}
    assert lstmx.LSTM(3).get_config()["stateful"] is False


def test_fit_on_stateful_batches_trains_as_pytorch_with_detached_states():
    """Truncated BPTT as PyTorch writes it (the carried state detached between batches), SGD, the
    same weights: the same loss at every step."""
    torch = pytest.importorskip("torch")
    from lstmx.textgen import stateful_batches
    V, E, H, B, T = 7, 3, 5, 2, 4
    ids = np.random.default_rng(0).integers(1, V, size=B * T * 3 + 1)
    X, Y = stateful_batches(ids, B, T)
    model = lstmx.Sequential([lstmx.Input(shape=(None,), dtype="int32", batch_size=B),
                              lstmx.Embedding(V, E, seed=0, dtype=np.float64),
                              lstmx.LSTM(H, return_sequences=True, stateful=True, seed=1, dtype=np.float64),
                              lstmx.Dense(V, "softmax", seed=2, dtype=np.float64)])
    model.compile(loss="sparse_categorical_crossentropy", optimizer=lstmx.SGD(0.5))
    emb, lstm, dense = model.layers
    t_emb = torch.nn.Embedding(V, E).double()
    t_lstm = torch.nn.LSTM(E, H, batch_first=True).double()
    t_dense = torch.nn.Linear(H, V).double()
    with torch.no_grad():
        t_emb.weight.copy_(torch.from_numpy(emb.embeddings))
        t_lstm.weight_ih_l0.copy_(torch.from_numpy(lstm.cell.W))
        t_lstm.weight_hh_l0.copy_(torch.from_numpy(lstm.cell.U))
        t_lstm.bias_ih_l0.copy_(torch.from_numpy(lstm.cell.b))
        t_lstm.bias_hh_l0.zero_()
        t_dense.weight.copy_(torch.from_numpy(dense.kernel.T))
        t_dense.bias.copy_(torch.from_numpy(dense.bias))
    t_lstm.bias_hh_l0.requires_grad_(False)     # lstmx's one bias b is PyTorch's bias_ih + bias_hh
    params = [p for m in (t_emb, t_lstm, t_dense) for p in m.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.5)
    state, torch_losses = None, []
    for k in range(len(X) // B):
        x, y = torch.from_numpy(X[k * B:(k + 1) * B]).long(), torch.from_numpy(Y[k * B:(k + 1) * B]).long()
        out, state = t_lstm(t_emb(x), state)
        state = tuple(s.detach() for s in state)          # truncated BPTT: no gradient into the last batch
        loss = torch.nn.functional.cross_entropy(t_dense(out).reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        torch_losses.append(loss.item())
    lstmx_losses = [model.train_on_batch(X[k * B:(k + 1) * B], Y[k * B:(k + 1) * B]) for k in range(len(X) // B)]
    np.testing.assert_allclose(lstmx_losses, torch_losses, rtol=1e-10)


def test_fit_without_shuffling_is_the_loop_of_train_on_batch():
    from lstmx.textgen import char_language_model, stateful_batches
    ids = np.random.default_rng(1).integers(1, 6, size=3 * 4 * 5 + 1)
    X, Y = stateful_batches(ids, 3, 4)
    models = [char_language_model(6, units=4, layers=2, embedding_dim=3, batch_size=3, seed=0) for _ in range(2)]
    for m in models:
        m.compile(loss="sparse_categorical_crossentropy", optimizer=lstmx.Adam(0.01))
    models[0].fit(X, Y, batch_size=3, shuffle=False, verbose=0)
    for k in range(len(X) // 3):
        models[1].train_on_batch(X[3 * k:3 * k + 3], Y[3 * k:3 * k + 3])
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(models[0].layers[1].states[0], models[1].layers[1].states[0])
