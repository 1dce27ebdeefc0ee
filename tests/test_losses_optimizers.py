"""Losses (values, gradients, bad labels) and optimizers (updates, clipping, fused Adam)."""
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
