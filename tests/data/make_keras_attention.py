"""Writes ``keras_attention.npz``: Keras's Attention and AdditiveAttention outputs for
``test_attention.py``.

Run with a Python that has Keras 3 (not an lstmx dependency), from this folder::

    /root/keras/bin/python make_keras_attention.py

float64 queries (B, Tq, D), values (B, Tv, D) and keys from a seeded generator, masks with padded
steps (and one query step masked), and for each case: the layer's weights after setting them (scale
and concat_score_weight away from their initial 1.0), the output and the attention scores.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import keras
import numpy as np

keras.config.set_floatx("float64")
B, TQ, TV, D = 2, 3, 4, 5
rng = np.random.default_rng(0)
q, v, k = rng.standard_normal((B, TQ, D)), rng.standard_normal((B, TV, D)), rng.standard_normal((B, TV, D))
q_mask = np.array([[True, True, False], [True, True, True]])
v_mask = np.array([[True, True, True, False], [True, False, True, True]])
out = {"keras_version": keras.__version__, "q": q, "v": v, "k": k, "q_mask": q_mask, "v_mask": v_mask}

CASES = {
    "dot": (keras.layers.Attention(), dict()),
    "dot_scale_causal": (keras.layers.Attention(use_scale=True), dict(use_causal_mask=True)),
    "concat_scale": (keras.layers.Attention(use_scale=True, score_mode="concat"), dict()),
    "concat": (keras.layers.Attention(score_mode="concat"), dict()),
    "additive": (keras.layers.AdditiveAttention(), dict()),
    "additive_no_scale": (keras.layers.AdditiveAttention(use_scale=False), dict()),
}
for name, (layer, kwargs) in CASES.items():
    layer([q, v, k], mask=[q_mask, v_mask], **kwargs)            # builds it
    weights = [rng.uniform(0.5, 1.5, w.shape) for w in layer.get_weights()]
    layer.set_weights(weights)
    o, scores = layer([q, v, k], mask=[q_mask, v_mask], return_attention_scores=True, **kwargs)
    out[f"{name}/out"], out[f"{name}/scores"] = np.asarray(o), np.asarray(scores)
    for j, w in enumerate(weights):
        out[f"{name}/w_{j}"] = w
    out[f"{name}/n_weights"] = len(weights)
np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_attention.npz"), **out)
print(sorted(out))
