"""AC-GAN's auxiliary classifier loss: the class log-likelihood term L_C."""

import keras
from keras import ops

from keras_lipschitz import _reduction
from keras_lipschitz.losses.gan_losses import ConfigurableLoss

# The variants by name: which samples the discriminator's classifier is trained on.
VARIANTS = ("acgan", "acgan_mod")


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class AuxiliaryClassifierLoss(ConfigurableLoss):
    """The cross-entropy of a discriminator's class logits against the labels.

    AC-GAN's discriminator has a second head, class logits `(batch,
    num_classes)`; with `L_C = E[log P(C=c | x_real)] + E[log P(C=c |
    x_fake)]` the discriminator maximizes `L_S + L_C` and the generator `L_C
    - L_S` (Odena et al. 2017, eq. 2-3). As losses to minimize, the
    discriminator's is `weight * (CE(real) + CE(fake))` and the generator's
    `weight * CE(fake)`; the adversarial part (L_S) is the GAN loss.

    `on_generated=False` is the variant StudioGAN calls ACGAN-Mod: the
    discriminator's classifier is trained on real samples only (a classifier
    trained on the generator's samples rewards G for samples that are easy
    to classify rather than real), the generator still by the classifier on
    its samples.

    Args:
        on_generated: train the discriminator's classifier on generated
            samples too (AC-GAN) or not (ACGAN-Mod).
        weight: the factor of both terms (StudioGAN's `cond_lambda`, 1.0).
        label_smoothing: smooths the one-hot targets of the real samples
            towards uniform (as `keras.losses.CategoricalCrossentropy` does).
        reduction: `"mean"` over the global batch, or `"none"`.

    Returns:
        `discriminator_loss(real_class_logits, fake_class_logits, labels)` and
        `generator_loss(fake_class_logits, labels)`: float32 scalars (or
        per-sample values), labels integer classes of shape `(batch,)`.

    Example:

    ```python
    import numpy as np
    from keras_lipschitz.losses import AuxiliaryClassifierLoss

    loss = AuxiliaryClassifierLoss()
    logits = np.array([[4.0, 0.0], [0.0, 4.0]], "float32")
    labels = np.array([0, 1])
    print(float(loss.generator_loss(logits, labels)))  # log(1 + e^-4) = 0.018
    ```

    Reference:
        Odena, Olah, Shlens, "Conditional Image Synthesis with Auxiliary
        Classifier GANs", ICML 2017, eq. 2-3; TF-GAN's
        `acgan_discriminator_loss` / `acgan_generator_loss`; Kang et al.,
        StudioGAN (ACGAN-Mod).
    """

    def __init__(self, on_generated=True, weight=1.0, label_smoothing=0.0, reduction="mean"):
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}.")
        if not float(weight) > 0.0:
            raise ValueError(f"weight must be > 0 (1.0 in AC-GAN), got {weight!r}.")
        self.on_generated = bool(on_generated)
        self.weight = float(weight)
        self.label_smoothing = float(label_smoothing)
        self.reduction = _reduction.check_reduction(reduction)

    def discriminator_loss(self, real_class_logits, fake_class_logits, labels):
        """`weight * (CE(real) [+ CE(fake)])`, to be minimized by the discriminator."""
        values = _cross_entropy(real_class_logits, labels, self.label_smoothing)
        if self.on_generated:
            values = values + _cross_entropy(fake_class_logits, labels, 0.0)
        return self.weight * _reduction.reduce_per_sample(values, self.reduction)

    def generator_loss(self, fake_class_logits, labels):
        """`weight * CE(fake)`: the generator makes samples that D classifies as their labels."""
        values = _cross_entropy(fake_class_logits, labels, 0.0)
        return self.weight * _reduction.reduce_per_sample(values, self.reduction)

    def get_config(self):
        return {"on_generated": self.on_generated, "weight": self.weight, "label_smoothing": self.label_smoothing,
                "reduction": self.reduction}


def _cross_entropy(class_logits, labels, label_smoothing):
    """Per-sample softmax cross-entropy in float32, labels integer classes."""
    class_logits = ops.cast(class_logits, "float32")
    if len(class_logits.shape) != 2:
        raise ValueError(f"Class logits must have shape (batch, num_classes), got {tuple(class_logits.shape)}.")
    targets = ops.one_hot(ops.reshape(ops.cast(labels, "int32"), (-1,)), class_logits.shape[-1])
    if label_smoothing:
        targets = targets * (1.0 - label_smoothing) + label_smoothing / class_logits.shape[-1]
    return -ops.sum(targets * ops.log_softmax(class_logits, axis=-1), axis=-1)


def get(identifier):
    """An `AuxiliaryClassifierLoss` from a variant name (`"acgan"`, `"acgan_mod"`), a config or an instance."""
    if identifier is None or isinstance(identifier, AuxiliaryClassifierLoss):
        return identifier
    if identifier in VARIANTS:
        return AuxiliaryClassifierLoss(on_generated=identifier == "acgan")
    if isinstance(identifier, dict):
        loss = keras.saving.deserialize_keras_object(identifier)
        if isinstance(loss, AuxiliaryClassifierLoss):
            return loss
    raise ValueError(f"Unknown classifier loss {identifier!r}: use one of {', '.join(VARIANTS)}, "
                     "or an AuxiliaryClassifierLoss.")
