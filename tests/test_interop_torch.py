"""lstmx <-> PyTorch: every conversion computes the same outputs, and lstmx -> torch -> lstmx gives
back the same weights bit for bit."""
import numpy as np
import pytest

from helpers import masked_sequential, padded_ids

import lstmx
from lstmx.interop.torch import from_torch, to_torch

torch = pytest.importorskip("torch")
KINDS = {"LSTM": (torch.nn.LSTM, lstmx.LSTM), "GRU": (torch.nn.GRU, lstmx.GRU), "RNN": (torch.nn.RNN, lstmx.SimpleRNN)}
TOL = {torch.float32: 1e-5, torch.float64: 1e-12}


def randomise(module, seed):
    """Weights of order one (PyTorch's U(-1/sqrt(H), 1/sqrt(H)) hides a wrong bias split)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.5)
    return module


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("layers, bidirectional, bias, batch_first",
                         [(1, False, True, True), (1, True, True, False), (2, False, False, True), (3, True, True, True)])
def test_from_torch_computes_the_modules_output(kind, layers, bidirectional, bias, batch_first, dtype):
    I, H = 5, 4
    module = randomise(KINDS[kind][0](I, H, num_layers=layers, bidirectional=bidirectional, bias=bias,
                                      batch_first=batch_first, dtype=dtype), seed=layers)
    x = torch.randn(3, 7, I, dtype=dtype, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = module(x if batch_first else x.transpose(0, 1))[0]
    expected = (expected if batch_first else expected.transpose(0, 1)).numpy()
    converted = from_torch(module)
    ours = converted.predict(x.numpy(), verbose=0) if isinstance(converted, lstmx.Model) else converted(x.numpy())
    assert ours.dtype == expected.dtype
    np.testing.assert_allclose(ours, expected, rtol=0, atol=TOL[dtype])
    if layers == 1:
        inner = converted.forward_layer if bidirectional else converted
        assert isinstance(inner, KINDS[kind][1]) and inner.return_sequences


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_lstmx_to_torch_and_back_keeps_every_array_bit_for_bit(kind):
    layer = KINDS[kind][1](6, return_sequences=True, seed=3, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    y = layer(x)
    if kind == "GRU":
        layer.cell.b_hn[...] = np.arange(6) / 7          # a b_hn that is not zero: it must go to bias_hh
    y = layer(x)
    module = to_torch(layer)
    with torch.no_grad():
        np.testing.assert_allclose(module(torch.from_numpy(x))[0].numpy(), y, rtol=0, atol=1e-12)
    back = from_torch(module)
    for name, array in layer.cell.params.items():
        np.testing.assert_array_equal(back.cell.params[name], array, err_msg=name)
    bi = lstmx.Bidirectional(KINDS[kind][1](4, return_sequences=True, seed=5, dtype=np.float64))
    y = bi(x)
    with torch.no_grad():
        np.testing.assert_allclose(to_torch(bi)(torch.from_numpy(x))[0].numpy(), y, rtol=0, atol=1e-12)
    back = from_torch(to_torch(bi))
    for ours, theirs in ((bi.forward_layer, back.forward_layer), (bi.backward_layer, back.backward_layer)):
        for name, array in ours.cell.params.items():
            np.testing.assert_array_equal(theirs.cell.params[name], array, err_msg=name)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("merge, sequences, pooling, padding", [("concat", False, False, "pre"),
                                                                ("sum", True, False, "post"),
                                                                ("ave", False, True, "pre"),
                                                                ("mul", True, False, "pre")])
def test_a_masked_sequential_predicts_the_same_in_torch(kind, merge, sequences, pooling, padding):
    """Pre- and post-padded ids (and all-padding rows): lstmx's masks, computed from the ids in torch,
    run as packed sequences, with lstmx's outputs at the padded steps (a tagger reads them all)."""
    model = masked_sequential(KINDS[kind][1], merge, sequences, pooling)
    x = padded_ids(np.random.default_rng(1), padding=padding)
    module = to_torch(model).eval()
    with torch.no_grad():
        theirs = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(theirs, model.predict(x, verbose=0), rtol=0, atol=1e-5)


def test_the_imdb_bilstm_predicts_the_same_in_torch():
    from lstmx.experiments import build_model
    model = build_model(seed=0)
    x = padded_ids(np.random.default_rng(2), B=8, T=40)
    model.predict(x, verbose=0)
    with torch.no_grad():
        theirs = to_torch(model).eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(theirs, model.predict(x, verbose=0), rtol=0, atol=1e-5)


def test_what_cannot_be_converted_is_named():
    with pytest.raises(TypeError, match="from_torch converts torch.nn.LSTM, GRU and RNN, got Linear"):
        from_torch(torch.nn.Linear(3, 4))
    with pytest.raises(ValueError, match=r"proj_size=2\) projects h"):
        from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ValueError, match="lstmx's SimpleRNN is tanh"):
        from_torch(torch.nn.RNN(3, 4, nonlinearity="relu"))
    with pytest.raises(ValueError, match="torch.float16"):
        from_torch(torch.nn.LSTM(3, 4).half())
    with pytest.raises(ValueError, match="not built yet"):
        to_torch(lstmx.LSTM(3))
    with pytest.raises(ValueError, match="go_backwards=True"):
        to_torch(lstmx.LSTM(3, go_backwards=True))
    with pytest.raises(ValueError, match="merge_mode='sum'"):
        to_torch(lstmx.Bidirectional(lstmx.LSTM(3), merge_mode="sum"))
    with pytest.raises(TypeError, match="got Dense"):
        to_torch(lstmx.Dense(3))
    words = lstmx.Input((None,), dtype="int32")
    e = lstmx.Embedding(10, 4)(words)
    branching = lstmx.Model(words, lstmx.Concatenate()([lstmx.LSTM(2)(e), lstmx.LSTM(2)(e)]))
    with pytest.raises(ValueError, match="graph is a chain"):
        to_torch(branching)
    model = masked_sequential(lstmx.LSTM)
    model.predict(padded_ids(np.random.default_rng(0)), verbose=0)
    holes = np.array([[1, 0, 3, 4, 0, 0, 0, 0, 0]])
    with pytest.raises(ValueError, match="one run"):
        to_torch(model)(torch.from_numpy(holes))


def test_a_model_moved_to_torch_trains_on_with_the_same_losses():
    """Trained in lstmx, moved, then trained in both from the same weights: SGD, same batches."""
    model = lstmx.Sequential([lstmx.Input((None,), dtype="int32"), lstmx.Embedding(50, 8, mask_zero=True, seed=0),
                              lstmx.Bidirectional(lstmx.GRU(6, seed=1)), lstmx.Dense(1, "sigmoid", seed=2)])
    model.compile(loss="binary_crossentropy", optimizer=lstmx.SGD(0.5))
    rng = np.random.default_rng(3)
    batches = [(padded_ids(rng, B=8, T=10), rng.integers(0, 2, 8)) for _ in range(6)]
    for x, y in batches[:2]:
        model.train_on_batch(x, y)
    module = to_torch(model).train()
    sgd = torch.optim.SGD(module.parameters(), lr=0.5)
    for x, y in batches[2:]:
        sgd.zero_grad()
        p = module(torch.from_numpy(x))[:, 0]
        loss = torch.nn.functional.binary_cross_entropy(p, torch.from_numpy(y).float())
        loss.backward()
        sgd.step()
        assert abs(model.train_on_batch(x, y) - loss.item()) < 1e-5
    with torch.no_grad():
        np.testing.assert_allclose(module(torch.from_numpy(batches[0][0])).numpy(),
                                   model.predict(batches[0][0], verbose=0), rtol=0, atol=1e-5)
