"""Weight clipping, the Lipschitz constraint of the original WGAN."""

import math
import numbers

import keras
from keras import ops


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
        if (
            isinstance(clip_value, bool)
            or not isinstance(clip_value, numbers.Real)
            or not math.isfinite(clip_value)
            or clip_value <= 0
        ):
            raise ValueError(
                "ClipConstraint clip_value must be a finite number > 0 "
                f"(the WGAN paper uses 0.01), got {clip_value!r}."
            )
        self.clip_value = float(clip_value)

    def __call__(self, w):
        return ops.clip(w, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}
