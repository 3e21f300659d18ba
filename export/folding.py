"""Folding SpectralNormalization into plain layers: `W <- c * W / sigma`, no state left."""

import keras
import numpy as np

from keras_lipschitz.layers import SpectralNormalization


def fold_spectral_normalization(model):
    """A plain copy of `model` with every `SpectralNormalization` folded into its layer.

    Each wrapper becomes a copy of the layer it wraps whose kernel holds
    `lipschitz_constant * W / sigma`, sigma computed now from the current
    kernel and power-iteration state (exactly what the wrapper's next
    inference call divides by). The copy has no power iteration and no
    singular-vector state; its outputs equal the model's inference outputs.
    Other layers are copied with their weights (batch-norm statistics
    included). Nested models are folded recursively.

    A custom layer that builds `SpectralNormalization` inside itself
    (`SelfAttention2D`, `ClassProjection`,
    `VectorConditionalBatchNormalization`) is folded too, when its config
    has a `spectral_normalization` argument, as this library's layers do:
    the copy is made from its config with `spectral_normalization=False`
    and receives the folded kernels of each inner wrapper.

    Args:
        model: a built Sequential or functional Keras model, or a subclassed
            one with a `functional()` method returning its functional form
            (`architectures.ProgressiveGenerator`: its current phase only).

    Returns:
        A new model of the same inputs and outputs.

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.export import fold_spectral_normalization
    from keras_lipschitz.layers import SpectralNormalization

    model = keras.Sequential([keras.Input((3,)), SpectralNormalization(keras.layers.Dense(2))])
    plain = fold_spectral_normalization(model)
    x = np.ones((1, 3), "float32")
    assert np.allclose(plain(x), model(x), atol=1e-6)
    assert not any(isinstance(layer, SpectralNormalization) for layer in plain.layers)
    ```

    Reference:
        Miyato et al., ICLR 2018, eq. 8 (W_SN = W / sigma(W)).
    """
    if not isinstance(model, keras.Model) or not model.built:
        raise ValueError(f"fold_spectral_normalization takes a built Keras model, got {model!r}.")
    if hasattr(model, "functional"):  # a subclassed model with a functional form (ProgressiveGenerator)
        model = model.functional()
    pairs = []

    def clone(layer):
        if isinstance(layer, keras.Model):
            folded = fold_spectral_normalization(layer)
            return folded
        source = layer.layer if isinstance(layer, SpectralNormalization) else layer
        config = source.get_config()
        if _hidden_normalization(source):
            _check_foldable(source, config)
            config = {**config, "spectral_normalization": False}
        copy = source.__class__.from_config(config)
        pairs.append((layer, copy))
        return copy

    folded = keras.models.clone_model(model, clone_function=clone)
    for original, copy in pairs:
        copy.set_weights(_plain_weights(original))
    return folded


def _plain_weights(layer):
    """The weights of `layer` as its plain copy holds them (normalized kernels folded in), in Keras' order of
    `layer.weights`: the layer's own variables, then each sublayer's, a wrapper's replaced by its layer's folded
    weights (its singular vectors dropped)."""
    if isinstance(layer, SpectralNormalization):
        normalized = layer.normalized_kernels()
        return [
            np.asarray(normalized[variable.path]).astype(variable.dtype) if variable.path in normalized
            else variable.numpy()
            for variable in layer.layer.weights
        ]
    values, seen = [], set()
    for variable in layer._trainable_variables + layer._non_trainable_variables:
        if id(variable) not in seen:
            seen.add(id(variable))
            values.append(variable.numpy())
    for sublayer in layer._layers:
        values += _plain_weights(sublayer)
    return values


def _hidden_normalization(layer):
    return [sublayer.name for sublayer in layer._flatten_layers(include_self=False)
            if isinstance(sublayer, SpectralNormalization)]


def _check_foldable(layer, config):
    if config.get("spectral_normalization") is not True:
        raise ValueError(
            f"Layer {layer.name!r} ({type(layer).__name__}) holds SpectralNormalization inside it "
            f"({', '.join(_hidden_normalization(layer))}) and has no spectral_normalization argument to build a plain "
            "copy with: give its __init__ and get_config a spectral_normalization flag that decides whether its "
            "sublayers are wrapped (as keras_lipschitz.layers.SelfAttention2D does), or wrap its sublayers at the "
            "model level."
        )
