"""ClipConstraint: exact clipping by the optimizer, serialization, distribution; on TensorFlow and JAX."""

import keras
import numpy as np
import pytest

from keras_lipschitz.constraints import ClipConstraint
from on_backend import gradients
from on_backend import tensorflow_only


def test_call_equals_numpy_clip():
    w = np.random.default_rng(0).normal(scale=0.05, size=(7, 5)).astype("float32")
    np.testing.assert_array_equal(ClipConstraint(0.01)(w), np.clip(w, -0.01, 0.01))


def _critic(clip_value=0.01):
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, kernel_constraint=ClipConstraint(clip_value)),
            keras.layers.Dense(1, kernel_constraint=ClipConstraint(clip_value)),
        ]
    )


def _data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")


def test_optimizer_applies_the_clip_after_each_update():
    x, y = _data()
    model = _critic()
    before = [w.numpy() for w in model.trainable_weights]
    loss_fn = keras.losses.MeanSquaredError()
    _, grads = gradients(lambda tape: loss_fn(y, model(x)), model.trainable_weights)
    optimizer = keras.optimizers.SGD(learning_rate=1.0)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    for variable, start, grad in zip(model.trainable_weights, before, grads):
        stepped = start - np.asarray(grad)
        expected = np.clip(stepped, -0.01, 0.01) if "kernel" in variable.path else stepped
        np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-6, atol=1e-8, err_msg=variable.path)
    kernel = model.layers[0].kernel.numpy()
    assert np.abs(kernel).max() == pytest.approx(0.01)


@tensorflow_only
def test_mirrored_strategy_clips_like_one_device(two_replicas):
    import tensorflow as tf

    x, y = _data()
    initial = _critic().get_weights()

    def fit(strategy):
        with strategy.scope():
            model = _critic()
            model.set_weights(initial)
            model.compile(optimizer=keras.optimizers.RMSprop(5e-3), loss="mse")
        model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
        return model

    single, mirrored = fit(tf.distribute.get_strategy()), fit(two_replicas)
    for a, b in zip(single.weights, mirrored.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)
        if "kernel" in a.path:
            assert np.abs(b.numpy()).max() <= 0.01 + 1e-9


def test_serialization_round_trip(tmp_path):
    constraint = ClipConstraint(0.05)
    config = keras.saving.serialize_keras_object(constraint)
    assert config["registered_name"] == "keras_lipschitz>ClipConstraint"
    assert keras.saving.deserialize_keras_object(config).clip_value == 0.05

    model = _critic(0.05)
    path = tmp_path / "critic.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    restored_constraint = restored.layers[0].kernel.constraint
    assert isinstance(restored_constraint, ClipConstraint) and restored_constraint.clip_value == 0.05
    for a, b in zip(model.weights, restored.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
