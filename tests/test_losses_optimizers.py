"""Losses (values, gradients, bad labels) and optimizers (updates, clipping, fused Adam)."""
import json

import numpy as np
import pytest

import lstmx
from lstmx import losses
from lstmx.gradcheck import numeric_gradient, relative_error
from lstmx.layers import IndexedRows


@pytest.mark.parametrize("name,from_logits", [("binary_crossentropy", False), ("binary_crossentropy", True),
                                              ("categorical_crossentropy", False), ("categorical_crossentropy", True),
                                              ("sparse_categorical_crossentropy", True), ("mse", False)])
def test_loss_gradients(name, from_logits):
    rng = np.random.default_rng(0)
    if name == "binary_crossentropy":
        y, p = rng.integers(0, 2, (6, 1)), rng.uniform(0.05, 0.95, (6, 1))
    elif name == "sparse_categorical_crossentropy":
        y, p = rng.integers(0, 4, (3, 5)), rng.standard_normal((3, 5, 4))
    else:
        y = np.eye(4)[rng.integers(0, 4, 6)] if "categorical" in name else rng.standard_normal((6, 4))
        p = rng.dirichlet(np.ones(4), 6) if not from_logits and "categorical" in name else rng.standard_normal((6, 4))
    fn = losses.get(name)
    kwargs = {"from_logits": True} if from_logits else {}
    value, grad = fn(y, p, **kwargs)
    assert relative_error(grad, numeric_gradient(lambda: fn(y, p, **kwargs)[0], p)) < 1e-6


def test_binary_crossentropy_values_and_stability():
    value, _ = losses.binary_crossentropy(np.array([1, 0]), np.array([[0.9], [0.2]]))
    assert value == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2)
    value, grad = losses.binary_crossentropy(np.array([1, 0]), np.array([[800.0], [-800.0]]), from_logits=True)
    assert value == pytest.approx(0.0) and np.isfinite(grad).all()


def test_bad_labels():
    with pytest.raises(ValueError, match=r"labels must be 0 or 1, got values \[2\]"):
        losses.binary_crossentropy(np.array([0, 2]), np.array([[0.5], [0.5]]))
    with pytest.raises(ValueError, match=r"labels of shape \(3, 2\) do not match predictions of shape \(3, 1\)"):
        losses.binary_crossentropy(np.zeros((3, 2)), np.full((3, 1), 0.5))
    with pytest.raises(ValueError, match=r"integers in \[0, 3\)"):
        losses.sparse_categorical_crossentropy(np.array([0, 3]), np.zeros((2, 3)))
    # NaN labels: said at once, not 'the loss became nan ... gradients probably exploded' from fit
    with pytest.raises(ValueError, match="mse: the labels hold 1 NaN or inf values"):
        losses.mse(np.array([[1.0], [np.nan]]), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="categorical_crossentropy: the labels hold 2 NaN or inf"):
        losses.categorical_crossentropy(np.array([[np.inf, 0], [0, np.nan]]), np.full((2, 2), 0.5))
    model = lstmx.Sequential([lstmx.Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    with pytest.raises(ValueError, match="NaN or inf"):
        model.fit(np.ones((4, 2), np.float32), np.array([1.0, np.nan, 0, 1]), verbose=0)


def _adam_run(fused, sparse, steps=5):
    rng = np.random.default_rng(0)
    p = rng.standard_normal((50, 8)).astype(np.float32)
    opt = lstmx.Adam(1e-2, fused=fused)
    for t in range(steps):
        if sparse:
            idx = np.unique(rng.integers(0, 50, 12))
            g = IndexedRows(idx, rng.standard_normal((idx.size, 8)).astype(np.float32), p.shape)
        else:
            g = rng.standard_normal(p.shape).astype(np.float32)
        opt.apply({"w": p}, {"w": g})
    return p


@pytest.mark.parametrize("sparse", [False, True])
def test_fused_adam_equals_the_numpy_update(sparse):
    from lstmx.optimizers import _adam_kernel
    if _adam_kernel() is None:
        pytest.skip("the compiled Adam kernel is not built")
    np.testing.assert_allclose(_adam_run(True, sparse), _adam_run(False, sparse), rtol=1e-5, atol=1e-6)


def test_fused_adam_does_not_depend_on_where_its_arrays_lie():
    """The same numbers give the same bits whether p, g, m and v (8 floats) lie far apart or close.

    The bug: the compiled loop had a vector copy and a scalar copy, chosen by the arrays' addresses,
    that rounded differently under -ffast-math; two identical fits in one process drifted apart
    (test_models.py::test_fit_learns_and_is_reproducible failed now and then). About a fifth of
    the elements differed by one unit in the last place.
    """
    from lstmx.optimizers import _adam_kernel
    kernel = _adam_kernel()
    if kernel is None:
        pytest.skip("the compiled Adam kernel is not built")
    rng, n = np.random.default_rng(1), 8
    for trial in range(50):
        p, g, m = (rng.standard_normal(n).astype(np.float32) for _ in range(3))
        v = (np.abs(rng.standard_normal(n)) * 10.0 ** rng.uniform(-8, 0)).astype(np.float32)
        results = []
        for gap in (4096, 0, 16, 32):           # bytes between the end of one array and the next
            step = (4 * n + gap) // 4
            memory = np.zeros(4 * step, np.float32)
            arrays = [memory[i * step:i * step + n] for i in range(4)]
            for array, value in zip(arrays, (p, g, m, v)):
                array[...] = value
            kernel.adam_dense(*arrays, 1e-2, 0.9, 0.999, 1e-7)
            results.append(np.concatenate([arrays[0], arrays[2], arrays[3]]))
        for result in results[1:]:
            np.testing.assert_array_equal(results[0], result)


def test_fused_adam_kernels_refuse_arrays_they_would_read_out_of_bounds():
    from lstmx.optimizers import _adam_kernel
    kernel = _adam_kernel()
    if kernel is None:
        pytest.skip("the compiled Adam kernel is not built")
    p, m, v = (np.zeros(8, np.float32) for _ in range(3))
    with pytest.raises(ValueError, match="same length, got 8, 7, 8, 8"):
        kernel.adam_dense(p, np.zeros(7, np.float32), m, v, 1e-3, 0.9, 0.999, 1e-7)
    P, M, V = (np.zeros((5, 3), np.float32) for _ in range(3))
    rows = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"row indices must lie in \[0, 5\), got \[1, 5\]"):
        kernel.adam_rows(P, np.array([1, 5]), rows, M, V, 1e-3, 0.9, 0.999, 1e-7)
    with pytest.raises(ValueError, match=r"values must have shape \(3, 3\)"):
        kernel.adam_rows(P, np.array([0, 1, 2]), rows, M, V, 1e-3, 0.9, 0.999, 1e-7)
    with pytest.raises(ValueError, match="m and v must have the shape of p"):
        kernel.adam_rows(P, np.array([0, 1]), rows, M[:4], V, 1e-3, 0.9, 0.999, 1e-7)
    assert not P.any() and not M.any()                      # nothing was written


def test_adam_first_step_moves_each_weight_by_the_learning_rate():
    p = np.array([1.0, -2.0, 3.0])
    lstmx.Adam(0.1, fused=False).apply({"w": p}, {"w": np.array([0.5, -4.0, 0.1])})
    np.testing.assert_allclose(p, [0.9, -1.9, 2.9], atol=1e-4)   # m_hat / sqrt(v_hat) = sign(g) (for g >> eps)


@pytest.mark.parametrize("momentum", [-0.1, 1.5])
def test_sgd_momentum_outside_0_1_is_refused(momentum):
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        lstmx.SGD(0.1, momentum=momentum)


def test_sgd_momentum_and_sparse_rows():
    p = np.zeros(2)
    opt = lstmx.SGD(0.1, momentum=0.9)
    for _ in range(2):
        opt.apply({"w": p}, {"w": np.ones(2)})
    np.testing.assert_allclose(p, [-0.1 - 0.19] * 2)
    e = np.zeros((4, 2))
    lstmx.SGD(1.0).apply({"e": e}, {"e": IndexedRows(np.array([2]), np.ones((1, 2)), e.shape)})
    np.testing.assert_array_equal(e, [[0, 0], [0, 0], [-1, -1], [0, 0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_norm_is_numpys_float64_norm(dtype):
    """The clip's norms come from one compiled float64 pass where the extension is built: NumPy's
    float64 sum of squares to rounding, for every length around its 16 running totals, an inf or a
    NaN gradient as NumPy gives it, float32 squares past float32's range, and arrays it does not
    take (a strided view, integers) summed by NumPy."""
    from lstmx.optimizers import _norm
    rng = np.random.default_rng(0)
    for n in (0, 1, 15, 16, 17, 33, 1000, 100_003):
        g = (rng.standard_normal(n) * 3).astype(dtype)
        assert _norm(g) == pytest.approx(np.sqrt(np.sum(g.astype(np.float64) ** 2)), rel=1e-12)
    assert _norm(np.array([1, np.inf, 2], dtype)) == np.inf
    assert np.isnan(_norm(np.array([1.0, np.nan] + [1.0] * 20, dtype)))
    assert _norm(np.full(17, 3e19, dtype)) == pytest.approx(np.sqrt(17) * 3e19, rel=1e-6)   # no float32 overflow
    g = (rng.standard_normal((40, 30)) * 2).astype(dtype)
    assert _norm(g[:, ::3]) == pytest.approx(np.linalg.norm(g[:, ::3].astype(np.float64)), rel=1e-12)
    assert _norm(np.arange(5)) == pytest.approx(np.sqrt(30.0))


def test_clipnorm_and_clipvalue():
    """Keras's three kinds: clipnorm per parameter, global_clipnorm over all together, clipvalue per entry."""
    def grads():
        return {"a": np.array([3.0, 4.0]), "b": np.array([0.3, -0.4]),
                "e": IndexedRows(np.array([1]), np.array([[0.0, 12.0]]), (3, 2))}

    joint = np.sqrt(5.0 ** 2 + 0.5 ** 2 + 12.0 ** 2)
    g = grads()
    assert lstmx.SGD(1.0, clipnorm=1.0).clip(g) == pytest.approx(joint)   # the joint norm before clipping
    np.testing.assert_allclose(g["a"], [0.6, 0.8])            # norm 5 -> 1
    np.testing.assert_allclose(g["b"], [0.3, -0.4])           # norm 0.5: left alone
    np.testing.assert_allclose(g["e"].values, [[0.0, 1.0]])  # an embedding's rows, on their own too
    g = grads()
    lstmx.SGD(1.0, global_clipnorm=1.0).clip(g)
    np.testing.assert_allclose(g["a"], np.array([3.0, 4.0]) / joint)   # all scaled by 1 / joint
    np.testing.assert_allclose(g["b"], np.array([0.3, -0.4]) / joint)
    np.testing.assert_allclose(g["e"].values, [[0.0, 12.0 / joint]])
    g = grads()
    lstmx.SGD(1.0, global_clipnorm=20.0).clip(g)
    np.testing.assert_array_equal(g["a"], [3.0, 4.0])
    g = {"a": np.array([3.0, -0.5])}
    lstmx.SGD(1.0, clipvalue=1.0).clip(g)
    np.testing.assert_array_equal(g["a"], [1.0, -0.5])
    for kind in ("clipnorm", "global_clipnorm", "clipvalue"):   # apply clips before it steps
        p = np.zeros(2)
        lstmx.SGD(1.0, **{kind: 1.0}).apply({"p": p}, {"p": np.array([3.0, 4.0])})
        np.testing.assert_allclose(p, [-1.0, -1.0] if kind == "clipvalue" else [-0.6, -0.8])
    p = np.zeros(2)
    lstmx.SGD(1.0).apply({"p": p}, {"p": np.array([3.0, 4.0])})
    np.testing.assert_array_equal(p, [-3.0, -4.0])   # no clipping asked for: none done
    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue and global_clipnorm can be set, "
                                         "got clipnorm=1.0, global_clipnorm=2.0"):
        lstmx.Adam(clipnorm=1.0, global_clipnorm=2.0)
    with pytest.raises(ValueError, match="clipnorm must be > 0 or None, got -1"):   # would turn descent into ascent
        lstmx.Adam(clipnorm=-1)
    with pytest.raises(ValueError, match="clipvalue must be > 0 or None, got 0"):
        lstmx.SGD(clipvalue=0)
    with pytest.raises(ValueError, match="global_clipnorm must be > 0 or None, got 0"):
        lstmx.Adam(global_clipnorm=0)


# ---- RMSprop and Adagrad: Keras 3's formulas (keras/src/optimizers/rmsprop.py, adagrad.py) ----
def keras_rmsprop(p, grads, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    """Keras 3's ``RMSprop.update_step``, transcribed line by line, over the gradients ``grads``."""
    velocity, average_grad, mom = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in grads:
        velocity = rho * velocity + (1 - rho) * np.square(g)
        if centered:
            average_grad = rho * average_grad + (1 - rho) * g
            denominator = velocity - np.square(average_grad) + epsilon
        else:
            denominator = velocity + epsilon
        increment = learning_rate * g / np.sqrt(denominator)
        if momentum > 0:
            mom = momentum * mom + increment
            p = p - mom
        else:
            p = p - increment
    return p


def keras_adagrad(p, grads, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    """Keras 3's ``Adagrad.update_step``, transcribed line by line."""
    accumulator = np.full_like(p, initial_accumulator_value)
    for g in grads:
        accumulator = accumulator + np.square(g)
        p = p - learning_rate * g / np.sqrt(accumulator + epsilon)
    return p


def _gradients(rng, shape, steps):
    """Gradients spread over four decades (1e-4 to 1), so that where epsilon lies shows in the result."""
    return [rng.standard_normal(shape) * 10.0 ** rng.uniform(-4, 0, shape) for _ in range(steps)]


def _run(opt, p, grads):
    p = p.copy()
    for g in grads:
        opt.apply({"w": p}, {"w": g.copy()})
    return p


RMSPROP_SETTINGS = [dict(), dict(learning_rate=0.01, rho=0.8, epsilon=1e-3), dict(momentum=0.9),
                    dict(centered=True, rho=0.7), dict(learning_rate=0.02, momentum=0.5, centered=True, epsilon=1e-5)]


@pytest.mark.parametrize("settings", RMSPROP_SETTINGS)
def test_rmsprop_equals_keras_formulas(settings):
    rng = np.random.default_rng(3)
    p, grads = rng.standard_normal((4, 5)), _gradients(rng, (4, 5), 6)
    np.testing.assert_allclose(_run(lstmx.RMSprop(**settings), p, grads), keras_rmsprop(p, grads, **settings),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("settings", [dict(), dict(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=1e-6),
                                      dict(learning_rate=0.05, initial_accumulator_value=2.0, epsilon=1e-3)])
def test_adagrad_equals_keras_formulas(settings):
    rng = np.random.default_rng(4)
    p, grads = rng.standard_normal((4, 5)), _gradients(rng, (4, 5), 6)
    np.testing.assert_allclose(_run(lstmx.Adagrad(**settings), p, grads), keras_adagrad(p, grads, **settings),
                               rtol=1e-12, atol=1e-15)


def _torch_run(torch_opt_class, p, grads, **kwargs):
    import torch
    w = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    opt = torch_opt_class([w], **kwargs)
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return w.detach().numpy()


def _away_from_zero(rng, shape, steps):
    return [rng.choice([-1.0, 1.0], shape) * rng.uniform(0.05, 2.0, shape) for _ in range(steps)]


# PyTorch adds eps outside the root, g / (sqrt(v) + eps); Keras inside, g / sqrt(v + eps) (both read
# from source: torch/optim/rmsprop.py and adagrad.py, _single_tensor_*). The two agree only without
# eps, so torch gets eps=0 and lstmx (which wants epsilon > 0) 1e-30: with gradients of at least
# 0.05, v and s stay above 1e-4, and v + 1e-30 == v in float64, bit for bit. Both then compute
# g / sqrt(v). PyTorch's momentum buffer sums g / d and multiplies by lr when stepping; Keras's sums
# lr g / d: the same numbers at a constant learning rate, up to rounding (rtol 1e-12).
@pytest.mark.parametrize("momentum,centered", [(0.0, False), (0.9, False), (0.0, True), (0.5, True)])
def test_rmsprop_equals_torch(momentum, centered):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    p, grads = rng.standard_normal((3, 4)), _away_from_zero(rng, (3, 4), 6)
    ours = _run(lstmx.RMSprop(0.01, rho=0.8, momentum=momentum, epsilon=1e-30, centered=centered), p, grads)
    theirs = _torch_run(torch.optim.RMSprop, p, grads, lr=0.01, alpha=0.8, eps=0.0, momentum=momentum,
                        centered=centered)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("initial", [0.1, 0.0])
def test_adagrad_equals_torch(initial):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    p, grads = rng.standard_normal((3, 4)), _away_from_zero(rng, (3, 4), 6)
    ours = _run(lstmx.Adagrad(0.1, initial_accumulator_value=initial, epsilon=1e-30), p, grads)
    theirs = _torch_run(torch.optim.Adagrad, p, grads, lr=0.1, initial_accumulator_value=initial, eps=0.0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make", [lambda: lstmx.RMSprop(momentum=0.9), lambda: lstmx.RMSprop(centered=True),
                                  lambda: lstmx.RMSprop(momentum=0.5, centered=True), lambda: lstmx.RMSprop(),
                                  lambda: lstmx.Adagrad(0.1)])
def test_rmsprop_adagrad_sparse_rows_equal_the_dense_gradient(make):
    """An embedding's gradient on a few rows updates as the dense gradient with zero rows would (as
    Keras applies it): the other rows' moving averages decay, and with momentum they keep moving."""
    rng = np.random.default_rng(7)
    p0 = rng.standard_normal((10, 3)).astype(np.float32)
    sparse_opt, dense_opt = make(), make()
    p_sparse, p_dense = p0.copy(), p0.copy()
    for _ in range(6):
        rows = np.sort(rng.choice(10, 3, replace=False))      # distinct, as IndexedRows holds them
        g = IndexedRows(rows, rng.standard_normal((3, 3)).astype(np.float32), p0.shape)
        dense = g.to_dense()
        sparse_opt.apply({"e": p_sparse}, {"e": g})
        dense_opt.apply({"e": p_dense}, {"e": dense})
    np.testing.assert_array_equal(p_sparse, p_dense)
    assert sparse_opt.state.keys() == dense_opt.state.keys()
    for key in sparse_opt.state:
        np.testing.assert_array_equal(sparse_opt.state[key], dense_opt.state[key])
    assert not np.array_equal(p_sparse, p0)


def test_rmsprop_adagrad_keras_defaults_names_and_config():
    assert lstmx.optimizers.get("rmsprop").get_config() == dict(
        learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
        clipnorm=None, clipvalue=None, global_clipnorm=None)
    assert lstmx.optimizers.get("Adagrad").get_config() == dict(
        learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
        clipnorm=None, clipvalue=None, global_clipnorm=None)
    for opt in (lstmx.RMSprop(0.01, rho=0.5, momentum=0.3, epsilon=1e-4, centered=True, clipnorm=2.0),
                lstmx.Adagrad(0.5, initial_accumulator_value=0.0, epsilon=1e-5, global_clipnorm=1.0)):
        config = opt.get_config()
        assert type(opt)(**config).get_config() == config
        assert json.loads(json.dumps(config)) == config      # what model.save writes
    assert lstmx.optimizers.OPTIMIZERS["rmsprop"] is lstmx.RMSprop
    assert lstmx.optimizers.OPTIMIZERS["adagrad"] is lstmx.Adagrad


@pytest.mark.parametrize("cls,kwargs,error,message", [
    ("RMSprop", dict(learning_rate=0), ValueError, r"learning_rate must be a finite number > 0, got 0$"),
    ("RMSprop", dict(learning_rate=float("nan")), ValueError, r"learning_rate must be a finite number > 0, got nan"),
    ("Adagrad", dict(learning_rate=float("inf")), ValueError, r"learning_rate must be a finite number > 0, got inf"),
    ("Adagrad", dict(learning_rate=-0.1), ValueError, r"learning_rate must be a finite number > 0, got -0.1"),
    ("RMSprop", dict(rho=1.0), ValueError, r"rho must be in \[0, 1\), got 1.0"),
    ("RMSprop", dict(rho=-0.1), ValueError, r"rho must be in \[0, 1\), got -0.1"),
    ("RMSprop", dict(rho="0.9"), TypeError, r"rho must be in \[0, 1\), got '0.9' of type str"),
    ("RMSprop", dict(momentum=-0.5), ValueError, r"momentum must be a finite number >= 0, got -0.5"),
    ("RMSprop", dict(epsilon=0), ValueError, r"epsilon must be a finite number > 0, got 0"),
    ("RMSprop", dict(centered="False"), TypeError, r"centered must be True or False, got 'False'"),
    ("RMSprop", dict(clipnorm=1.0, clipvalue=1.0), ValueError, r"only one of clipnorm, clipvalue"),
    ("Adagrad", dict(initial_accumulator_value=-0.1), ValueError,
     r"initial_accumulator_value must be a finite number >= 0, got -0.1"),
    ("Adagrad", dict(epsilon=-1e-7), ValueError, r"epsilon must be a finite number > 0, got -1e-07"),
    ("Adagrad", dict(clipvalue=0), ValueError, r"clipvalue must be > 0 or None, got 0"),
])
def test_rmsprop_adagrad_bad_arguments(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        getattr(lstmx, cls)(**kwargs)


@pytest.mark.parametrize("optimizer", ["rmsprop", "adagrad", "RMSprop-momentum-centered", "Adagrad-custom"])
def test_model_trains_saves_and_loads_with_rmsprop_and_adagrad(optimizer, tmp_path):
    """Compiled by name (or with an object's settings), a model's loss falls over a few steps on one
    batch (its embedding's row-wise gradients included); saved and loaded, it has the same optimizer."""
    made = {"RMSprop-momentum-centered": lambda: lstmx.RMSprop(0.005, rho=0.8, momentum=0.5, centered=True),
            "Adagrad-custom": lambda: lstmx.Adagrad(0.05, initial_accumulator_value=0.5)}
    rng = np.random.default_rng(8)
    x, y = rng.integers(1, 20, (16, 6)), rng.integers(0, 2, 16)
    model = lstmx.Sequential([lstmx.Input((6,), dtype="int32"), lstmx.Embedding(20, 4, seed=0),
                              lstmx.LSTM(3, seed=1), lstmx.Dense(1, "sigmoid", seed=2)])
    model.compile("binary_crossentropy", made[optimizer]() if optimizer in made else optimizer)
    losses_ = [model.train_on_batch(x, y) for _ in range(8)]
    assert losses_[-1] < losses_[0] and all(b < a for a, b in zip(losses_, losses_[1:]))
    model.save(tmp_path / "m.npz")
    loaded = lstmx.load_model(tmp_path / "m.npz")
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert np.isfinite(loaded.train_on_batch(x, y))
