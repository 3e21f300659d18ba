"""Gradient penalties on a critic's inputs: WGAN-GP, WGAN-LP, R1, R2, DRAGAN.

All of them differentiate the critic's per-sample score with respect to its
input, take a per-sample norm over every non-batch axis, and return the mean
over the global batch (`reduction="mean"`, distribution-aware) or per-sample
values (`reduction="none"`). They are meant to be called inside the
critic step's gradient (an outer `tf.GradientTape`, or the function JAX
differentiates), which then differentiates through the inner gradient
(double backpropagation). Inputs, gradients and norms are
float32 whatever the critic's compute dtype.

The per-sample gradient is the gradient of the sum of scores, which equals
each sample's own gradient only when samples do not interact in the critic:
no batch normalization in training mode, no minibatch statistics (as
Gulrajani et al. require for WGAN-GP).
"""

import keras
from keras import ops

from keras_lipschitz import _reduction
from keras_lipschitz import backend
from keras_lipschitz import _validation
from keras_lipschitz.penalties import piecewise_linear


def critic_input_gradients(critic, inputs, conditioning=None, gradient_scale=1.0, training=True, tape=None):
    """Per-sample gradients of the critic's score with respect to its inputs.

    With `tape`, the caller's outer `tf.GradientTape`, and a critic that
    `is_piecewise_linear`, the forward pass is hidden from the outer tape
    (the weights are read under it first), so differentiating the result
    skips the forward pass, whose cotangents would all be zero. The result
    and its gradients are the same; the double backpropagation costs about a
    third less.

    Args:
        critic: a callable (usually a Keras model) returning one score per
            sample (`(batch,)`, `(batch, 1)`, or a patch of scores, summed per sample).
        inputs: float tensor `(batch, ...)`.
        conditioning: optional extra critic input (e.g. labels); the critic
            is then called as `critic([inputs, conditioning])`.
        gradient_scale: positive float multiplying the scores before
            differentiation and dividing the gradient after, in float32: a
            static loss scale for the inner gradient of a float16 critic.
        training: passed to the critic.
        tape: optional outer `tf.GradientTape` that will differentiate the
            result (see above).

    Returns:
        float32 gradients, shaped like `inputs`.
    """
    inputs = ops.cast(inputs, "float32")

    def total(x):
        return ops.sum(critic_scores(critic, x, conditioning, training)) * gradient_scale

    # Weights are read where the outer tape sees them only for a piecewise-linear critic (TensorFlow).
    variables = critic.trainable_variables if tape is not None and piecewise_linear.is_piecewise_linear(critic) else None
    gradients = backend.input_gradients(total, inputs, tape=tape, variables=variables)
    return ops.cast(gradients, "float32") / gradient_scale


def critic_scores(critic, inputs, conditioning=None, training=True):
    """The critic's float32 per-sample scores, with a clear shape check.

    A sample's score is the sum of its logits, so a patch critic's input
    gradient is the gradient of the sum of its outputs, as TF-GAN's gradient
    penalty and PyTorch's `grad_outputs=ones` take it.
    """
    if conditioning is None:
        critic_inputs = inputs
    else:
        critic_inputs = [inputs, keras.tree.map_structure(ops.convert_to_tensor, conditioning)]
    outputs = critic(critic_inputs, training=training)
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]  # e.g. an auxiliary classifier's (score, class logits)
    batch = inputs.shape[0]
    if len(outputs.shape) == 0 or (
        batch is not None and outputs.shape[0] is not None and outputs.shape[0] != batch
    ):
        raise ValueError(
            f"The critic returned shape {tuple(outputs.shape)} for a batch of "
            f"{batch} inputs; it must return one score per sample, shaped "
            "(batch,) or (batch, 1). Remove any reduction over the batch."
        )
    return ops.sum(_reduction.per_logit(outputs, "critic output"), axis=1)


def _per_sample_squared_norm(gradients):
    flat = ops.reshape(gradients, (ops.shape(gradients)[0], -1))
    return ops.sum(ops.square(flat), axis=1)


def gradient_penalty(
    critic,
    real,
    fake,
    conditioning=None,
    *,
    weight=10.0,
    target=1.0,
    one_sided=False,
    epsilon=1e-10,
    interpolation_weights=None,
    seed=None,
    gradient_scale=1.0,
    training=True,
    reduction="mean",
    tape=None,
):
    """The WGAN-GP penalty `weight * (||grad D(x_hat)|| / target - 1)^2`.

    `x_hat = eps * real + (1 - eps) * fake` with one `eps ~ U[0, 1]` per
    sample (Gulrajani et al. 2017, Algorithm 1). The norm is per sample over
    all non-batch axes, `sqrt(sum g^2 + epsilon)` so that its gradient stays
    finite at zero. With `one_sided=True` only norms above `target` are
    penalized (WGAN-LP, Petzka et al. 2018).

    Args:
        critic: callable returning one score per sample.
        real: float tensor `(batch, ...)`, real samples.
        fake: float tensor of the same shape and dtype, generated samples.
        conditioning: optional extra critic input, passed through.
        weight: non-negative float, lambda (10 in the paper).
        target: positive float, the target norm (1 in the paper).
        one_sided: bool, penalize only norms above `target`.
        epsilon: non-negative float added inside the square root.
        interpolation_weights: optional float tensor `(batch,)` of `eps`
            values, for reproducibility; drawn from U[0, 1] otherwise.
        seed: seed or `keras.random.SeedGenerator` for drawing `eps`.
        gradient_scale: static loss scale for the inner gradient (float16).
        training: passed to the critic.
        reduction: `"mean"` (over the global batch) or `"none"`.
        tape: the outer `tf.GradientTape` of the critic step, optional; with
            a piecewise-linear critic it makes the step cheaper, exactly
            (see `critic_input_gradients`).

    Returns:
        A float32 scalar, or `(batch,)` values with `reduction="none"`.

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.penalties import gradient_penalty

    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    real = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    fake = np.zeros((8, 2), "float32")
    penalty = gradient_penalty(critic, real, fake)
    w = critic.layers[0].kernel.numpy()[:, 0]
    # A linear critic has the same gradient w everywhere.
    assert np.isclose(float(penalty), 10 * (np.linalg.norm(w) - 1) ** 2, rtol=1e-4)
    ```

    Reference:
        Gulrajani, Ahmed, Arjovsky, Dumoulin, Courville. "Improved Training
        of Wasserstein GANs", NeurIPS 2017, Algorithm 1 (lambda = 10).
        Petzka, Fischer, Lukovnicov. "On the regularization of Wasserstein
        GANs", ICLR 2018 (one-sided).
    """
    _check_non_negative("weight", weight)
    _check_positive("target", target)
    _check_non_negative("epsilon", epsilon)
    _check_positive("gradient_scale", gradient_scale)
    reduction = _reduction.check_reduction(reduction)
    real, fake = _check_real_fake(real, fake)
    if interpolation_weights is None:
        interpolation_weights = keras.random.uniform((ops.shape(real)[0],), seed=seed)
    eps = ops.reshape(
        ops.cast(interpolation_weights, "float32"),
        (-1,) + (1,) * (len(real.shape) - 1),
    )
    interpolates = eps * real + (1.0 - eps) * fake
    gradients = critic_input_gradients(critic, interpolates, conditioning, gradient_scale, training, tape)
    norms = ops.sqrt(_per_sample_squared_norm(gradients) + epsilon)
    excess = norms / target - 1.0
    if one_sided:
        excess = ops.relu(excess)
    return _reduction.reduce_per_sample(ops.cast(weight, "float32") * ops.square(excess), reduction)


def r1_penalty(
    critic, real, conditioning=None, *, gamma=10.0, gradient_scale=1.0, training=True, reduction="mean", tape=None
):
    """R1: `gamma / 2 * ||grad D(x)||^2` on real data (Mescheder et al. 2018).

    Args:
        critic: callable returning one score per sample.
        real: float tensor `(batch, ...)`, real samples.
        conditioning: optional extra critic input, passed through.
        gamma: non-negative float (10 is common; StyleGAN uses 1 to 100).
        gradient_scale: static loss scale for the inner gradient (float16).
        training: passed to the critic.
        reduction: `"mean"` (over the global batch) or `"none"`.
        tape: the outer `tf.GradientTape`, optional (see `gradient_penalty`).

    Returns:
        A float32 scalar, or `(batch,)` values with `reduction="none"`.

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.penalties import r1_penalty

    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    real = np.ones((4, 3), "float32")
    w = critic.layers[0].kernel.numpy()[:, 0]
    assert np.isclose(float(r1_penalty(critic, real, gamma=2.0)), np.sum(w**2), rtol=1e-5)
    ```

    Reference:
        Mescheder, Geiger, Nowozin. "Which Training Methods for GANs do
        actually Converge?", ICML 2018, eq. 9.
    """
    return _zero_centered_penalty(critic, real, conditioning, gamma, gradient_scale, training, reduction, tape)


def r2_penalty(
    critic, fake, conditioning=None, *, gamma=10.0, gradient_scale=1.0, training=True, reduction="mean", tape=None
):
    """R2: `gamma / 2 * ||grad D(x)||^2` on generated data (Mescheder et al. 2018).

    Args:
        critic: callable returning one score per sample.
        fake: float tensor `(batch, ...)`, generated samples.
        conditioning: optional extra critic input, passed through.
        gamma: non-negative float.
        gradient_scale: static loss scale for the inner gradient (float16).
        training: passed to the critic.
        reduction: `"mean"` (over the global batch) or `"none"`.
        tape: the outer `tf.GradientTape`, optional (see `gradient_penalty`).

    Returns:
        A float32 scalar, or `(batch,)` values with `reduction="none"`.

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.penalties import r2_penalty

    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    print(float(r2_penalty(critic, np.zeros((4, 3), "float32"))))
    ```

    Reference:
        Mescheder, Geiger, Nowozin, ICML 2018, eq. 10.
    """
    return _zero_centered_penalty(critic, fake, conditioning, gamma, gradient_scale, training, reduction, tape)


def _zero_centered_penalty(critic, data, conditioning, gamma, gradient_scale, training, reduction, tape):
    _check_non_negative("gamma", gamma)
    _check_positive("gradient_scale", gradient_scale)
    reduction = _reduction.check_reduction(reduction)
    data = ops.cast(_check_float("data", data), "float32")
    gradients = critic_input_gradients(critic, data, conditioning, gradient_scale, training, tape)
    penalties = 0.5 * ops.cast(gamma, "float32") * _per_sample_squared_norm(gradients)
    return _reduction.reduce_per_sample(penalties, reduction)


def dragan_penalty(
    critic,
    real,
    conditioning=None,
    *,
    weight=10.0,
    perturbation_scale=0.5,
    seed=None,
    gradient_scale=1.0,
    training=True,
    reduction="mean",
    tape=None,
):
    """DRAGAN: the WGAN-GP penalty around perturbed real data.

    `perturbed = real + perturbation_scale * std(real) * u` with
    `u ~ U[0, 1]` elementwise, then `x_hat` a random point between `real` and
    `perturbed` (one `U[0, 1]` weight per sample), and
    `weight * (||grad D(x_hat)|| - 1)^2`, as in the authors' reference
    implementation of Kodali et al. (2017), whose paper writes the
    perturbation as `x + delta` with `delta` a small noise.

    Args:
        critic: callable returning one score per sample.
        real: float tensor `(batch, ...)`.
        conditioning: optional extra critic input, passed through.
        weight: non-negative float, lambda (10).
        perturbation_scale: non-negative float, `c` (0.5).
        seed: None (Keras' global seed generator), an int (the same draws
            on every call) or a `keras.random.SeedGenerator` (fresh draws).
        gradient_scale: static loss scale for the inner gradient (float16).
        training: passed to the critic.
        reduction: `"mean"` (over the global batch) or `"none"`.
        tape: the outer `tf.GradientTape`, optional (see `gradient_penalty`).

    Returns:
        A float32 scalar, or `(batch,)` values with `reduction="none"`.

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.penalties import dragan_penalty

    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    real = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    print(float(dragan_penalty(critic, real, seed=1)))
    ```

    Reference:
        Kodali, Abernethy, Hays, Kira. "On Convergence and Stability of
        GANs", 2017 (arXiv 1705.07215), eq. 1.
    """
    _check_non_negative("perturbation_scale", perturbation_scale)
    real = ops.cast(_check_float("real", real), "float32")
    noise = keras.random.uniform(ops.shape(real), seed=seed)
    perturbed = real + perturbation_scale * ops.std(real) * noise
    if isinstance(seed, int):  # distinct draws for the interpolation weights
        seed = seed + 1
    return gradient_penalty(
        critic,
        real,
        perturbed,
        conditioning,
        weight=weight,
        seed=seed,
        gradient_scale=gradient_scale,
        training=training,
        reduction=reduction,
        tape=tape,
    )


def lazy_penalty(penalty_fn, step, every):
    """Applies a penalty every `every` steps, scaled by `every`.

    Lazy regularization (Karras et al. 2020, StyleGAN2 sec. 3.1): computing
    an expensive penalty on one step in `every`, multiplied by `every`, keeps
    its average strength. The penalty is not computed on other steps
    (a conditional, `tf.cond` or `lax.cond`), which is where the saving comes from.

    Args:
        penalty_fn: zero-argument callable returning the float32 penalty.
        step: integer scalar tensor or variable, the training step.
        every: Python int >= 1.

    Returns:
        `every * penalty_fn()` when `step % every == 0`, else 0.

    Example:

    ```python
    import keras
    import numpy as np
    from keras_lipschitz.penalties import lazy_penalty, r1_penalty

    critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    real = np.ones((4, 3), "float32")
    skipped = lazy_penalty(lambda: r1_penalty(critic, real), step=3, every=4)
    applied = lazy_penalty(lambda: r1_penalty(critic, real), step=8, every=4)
    assert float(skipped) == 0.0
    assert np.isclose(float(applied), 4 * float(r1_penalty(critic, real)))
    ```

    Reference:
        Karras et al. "Analyzing and Improving the Image Quality of
        StyleGAN", CVPR 2020, sec. 3.1.
    """
    _validation.check_positive_integer("every", every)
    if every == 1:
        return penalty_fn()
    return backend.cond(
        ops.equal(ops.mod(ops.cast(step, backend.COUNTER_DTYPE), every), 0),
        lambda: float(every) * ops.cast(penalty_fn(), "float32"),
        lambda: ops.zeros((), "float32"),
    )


def _check_real_fake(real, fake):
    real = _check_float("real", real)
    fake = _check_float("fake", fake)
    if keras.backend.standardize_dtype(real.dtype) != keras.backend.standardize_dtype(fake.dtype):
        raise ValueError(
            f"real and fake must have the same dtype; got {keras.backend.standardize_dtype(real.dtype)} and "
            f"{keras.backend.standardize_dtype(fake.dtype)}. Cast the generator's output to the data's dtype."
        )
    if not _compatible(real.shape, fake.shape):
        raise ValueError(
            f"real and fake must have the same shape to interpolate between "
            f"them; got {tuple(real.shape)} and {tuple(fake.shape)}. Check that "
            "the generator's output matches the data."
        )
    return ops.cast(real, "float32"), ops.cast(fake, "float32")


def _compatible(shape, other):
    return len(shape) == len(other) and all(a is None or b is None or a == b for a, b in zip(shape, other))


def _check_float(name, value):
    tensor = ops.convert_to_tensor(value)
    if not keras.backend.is_float_dtype(tensor.dtype):
        raise ValueError(
            f"{name} must be a floating-point tensor (images scaled to [-1, 1], "
            f"say); got dtype {keras.backend.standardize_dtype(tensor.dtype)}."
        )
    if len(tensor.shape) < 1:
        raise ValueError(f"{name} must have a batch axis; got a scalar.")
    return tensor


def _check_positive(name, value):
    _validation.check_finite_number(name, value, positive=True)


def _check_non_negative(name, value):
    # A tensor or variable (a schedule) is checked by whoever sets it: its value may be known only when run.
    if not (backend.is_tensor(value) or isinstance(value, keras.Variable)):
        _validation.check_finite_number(name, value, positive=False)
