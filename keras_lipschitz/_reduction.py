"""Per-sample values to the scalar a training step differentiates."""

from keras import ops

from keras_lipschitz import backend

REDUCTIONS = ("mean", "none")


def check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {REDUCTIONS}, got reduction={reduction!r}."
        )
    return reduction


def reduce_per_sample(values, reduction):
    """Reduces float32 per-sample `values` of shape `(batch,)`.

    `"mean"` is the mean over the global batch (`backend.global_mean`:
    inside a `tf.distribute` replica, each replica's share of it, so the
    replicas' values add up to the mean over the whole batch, as gradient
    all-reduction expects). `"none"` returns `values`.
    """
    if reduction == "none":
        return values
    return backend.global_mean(values)


def per_logit(logits, name="logits"):
    """Float32 logits as a `(batch, k)` matrix: each sample's k scores (k = 1 for one logit per sample).

    A patch critic (pix2pix) returns several scores per sample, `(batch, k)`
    or `(batch, h, w, 1)`; a loss is applied to each of them and then
    averaged, as TF-GAN's losses and PyTorch's element-wise losses do.
    """
    logits = ops.cast(logits, "float32")
    if len(logits.shape) == 0:
        raise ValueError(
            f"{name} must have a batch axis (one score per sample), got a "
            "scalar. Return the critic's output before any reduction."
        )
    if len(logits.shape) == 1:
        return ops.expand_dims(logits, 1)
    return ops.reshape(logits, (ops.shape(logits)[0], -1))


def per_sample(logits, name="logits"):
    """Float32 logits reduced to one value per sample (mean over other axes).

    A critic may return `(batch,)`, `(batch, 1)` or a patch of scores such as
    `(batch, h, w, 1)`; each sample's score is the mean of its entries.
    """
    return ops.mean(per_logit(logits, name), axis=1)
