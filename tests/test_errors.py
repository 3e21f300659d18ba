"""Bad inputs get errors that say what was wrong and what to do."""

import keras
import pytest

from keras_lipschitz.constraints import ClipConstraint
from keras_lipschitz.layers import SpectralNormalization


@pytest.mark.parametrize(
    "layer",
    [keras.layers.BatchNormalization(name="bn"), keras.layers.LSTM(3, name="lstm"), keras.layers.Flatten(name="flat")],
    ids=lambda layer: type(layer).__name__,
)
def test_unsupported_layer_is_named_with_the_supported_list(layer):
    with pytest.raises(TypeError) as error:
        SpectralNormalization(layer)
    message = str(error.value)
    assert f"'{layer.name}'" in message and type(layer).__name__ in message
    assert "Dense" in message and "Conv2DTranspose" in message and "Embedding" in message


def test_non_layer_is_rejected():
    with pytest.raises(TypeError, match="expects a Keras layer"):
        SpectralNormalization("dense")


@pytest.mark.parametrize("power_iterations", [0, -1, 1.5, True, "2", None])
def test_power_iterations_must_be_a_positive_integer(power_iterations):
    with pytest.raises(ValueError, match="power_iterations must be an integer >= 1"):
        SpectralNormalization(keras.layers.Dense(2), power_iterations=power_iterations)


def test_unknown_mode():
    with pytest.raises(ValueError, match=r"mode must be one of \('matrix', 'operator'\)"):
        SpectralNormalization(keras.layers.Dense(2), mode="frobenius")


@pytest.mark.parametrize("argument", ["lipschitz_constant", "epsilon"])
@pytest.mark.parametrize("value", [0, -1.0, float("inf"), float("nan"), "1"])
def test_positive_finite_arguments(argument, value):
    with pytest.raises(ValueError, match=f"{argument} must be a finite number > 0"):
        SpectralNormalization(keras.layers.Dense(2), **{argument: value})


def test_sigma_before_build():
    with pytest.raises(ValueError, match="not built yet"):
        SpectralNormalization(keras.layers.Dense(2)).sigma


def test_operator_mode_needs_static_spatial_shape():
    wrapper = SpectralNormalization(keras.layers.Conv2D(2, 3, name="conv"), mode="operator")
    with pytest.raises(ValueError, match="needs a fully known input shape"):
        keras.Sequential([keras.Input((None, None, 3)), wrapper])


def test_lora_enabled_layer():
    dense = keras.layers.Dense(4, name="dense")
    dense.build((None, 3))
    dense.enable_lora(2)
    with pytest.raises(TypeError, match="LoRA or quantization"):
        SpectralNormalization(dense).build((None, 3))


@pytest.mark.parametrize("clip_value", [0, -0.01, float("nan"), float("inf"), "0.01", True])
def test_clip_value_must_be_positive(clip_value):
    with pytest.raises(ValueError, match="clip_value must be a finite number > 0"):
        ClipConstraint(clip_value)
