"""Central-difference gradient checks (float64) of the reference BPTT, every cell, with and without masks
and recurrent dropout."""
import numpy as np
import pytest
from helpers import STATES, analytic_grads, numeric_grad, param_names, random_problem, rel_error


@pytest.mark.parametrize("recurrent_dropout", [0.0, 0.4])
@pytest.mark.parametrize("mask", [None, "random", "pre", "post"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_gradients_match_central_differences(cell, mask, recurrent_dropout):
    """With ``recurrent_dropout`` the mask on h_(t-1) is held fixed: U meets h_(t-1) * keep."""
    prob = random_problem(cell, B=3, T=5, I=4, H=3, seed=7, mask=mask, recurrent_dropout=recurrent_dropout)
    if recurrent_dropout:
        assert 0 < np.count_nonzero(prob["recurrent_keep"]) < prob["recurrent_keep"].size   # both kinds of unit
    grads = analytic_grads(prob)
    for name in ("X",) + param_names(cell) + STATES[cell]:
        err = rel_error(grads[name], numeric_grad(prob, name))
        assert err < 1e-6, f"{cell} d{name}: max relative error {err:.2e}"


def test_gradcheck_catches_a_wrong_gradient():
    """The check itself can fail: a gradient off by a little in one entry is reported."""
    prob = random_problem("lstm", B=2, T=3, I=2, H=2, seed=3)
    grads = analytic_grads(prob)
    bad = grads["U"].copy()
    bad[5, 1] *= 1.001
    assert rel_error(bad, numeric_grad(prob, "U")) > 1e-6


def test_masked_step_passes_gradient_straight_through():
    """With every step masked the layer is the identity on the state: dh0 = dhT, dX = 0, dW = 0."""
    prob = random_problem("lstm", B=2, T=4, I=3, H=2, seed=5)
    prob["mask"] = np.zeros((2, 4), bool)
    grads = analytic_grads(prob)
    from helpers import loss_weights
    RY, Rf = loss_weights(prob)
    np.testing.assert_allclose(grads["h0"], Rf[0] + RY.sum(axis=1))
    np.testing.assert_allclose(grads["c0"], Rf[1])
    assert not grads["X"].any() and not grads["W"].any() and not grads["U"].any()
