"""Weight clipping, the Lipschitz constraint of the original WGAN."""

import keras
from keras import ops

from keras_lipschitz import _validation


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class ClipConstraint(keras.constraints.Constraint):
    """Clips every weight to `[-clip_value, clip_value]` after each update.

    Keras optimizers apply a variable's constraint right after its update,
    also under `tf.distribute` strategies, so the critic's weights stay in a
    compact set and the critic is K-Lipschitz for some K that depends on the
    architecture.

    Args:
        clip_value: positive float, the largest magnitude a weight may take
            (0.01 in the WGAN paper).

    Returns:
        Called on a weight tensor, the clipped tensor.

    Example:

    ```python
    import keras
    from keras_lipschitz.constraints import ClipConstraint

    critic_layer = keras.layers.Dense(1, kernel_constraint=ClipConstraint(0.01))
    ```

    Reference:
        Arjovsky, Chintala, Bottou. "Wasserstein GAN", ICML 2017,
        Algorithm 1 (`w <- clip(w, -c, c)`, c = 0.01).
    """

    def __init__(self, clip_value):
        self.clip_value = _validation.check_finite_number(
            "clip_value", clip_value, positive=True, owner="ClipConstraint", hint="the WGAN paper uses 0.01"
        )

    def __call__(self, w):
        return ops.clip(w, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}
