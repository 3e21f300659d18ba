"""Computes the library's values on one Keras backend, for tests/test_backends.py to compare.

Usage: python backend_cases.py BACKEND OUT_DIR [OTHER_KERAS_FILE]

Every case sets its weights from a seeded numpy generator, so both backends
compute on the same numbers. Under JAX, importing TensorFlow is refused: the
JAX path must run without it. Writes OUT_DIR/<backend>.npz, and
OUT_DIR/critic_<backend>.keras (a spectral-normalized critic) with its
outputs; given another backend's `.keras` file, records this backend's
outputs of it.
"""

import os
import pathlib
import sys

import no_tensorflow  # this script's folder is on the path

BACKEND, OUT = sys.argv[1], pathlib.Path(sys.argv[2])
OTHER = sys.argv[3] if len(sys.argv) > 3 else None
os.environ["KERAS_BACKEND"] = BACKEND

if BACKEND == "jax":
    no_tensorflow.block()
    # Two CPU devices for the data-parallel case (the other cases run on the first one).
    os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

import keras_lipschitz  # noqa: E402
from keras_lipschitz import backend, layers, losses, penalties  # noqa: E402
from keras_lipschitz.trainers import GAN, checkpoint  # noqa: E402

assert keras.backend.backend() == BACKEND
RESULTS = {}


def record(name, value):
    RESULTS[name] = np.asarray(ops.convert_to_numpy(value) if not isinstance(value, np.ndarray) else value)


def state_vector(model):
    """A compiled GAN's whole training state (`checkpoint.state_variables`) as one float64 vector."""
    return np.concatenate([np.ravel(np.asarray(v.numpy(), "float64")) for v in checkpoint.state_variables(model)])


def set_seeded_weights(model, seed, scale=0.3):
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        if keras.backend.is_float_dtype(variable.dtype):
            values = rng.normal(scale=scale, size=variable.shape)
            # Batch statistics: a variance is positive.
            variable.assign((np.abs(values) + 0.5 if "variance" in variable.path else values).astype(variable.dtype))


def gradients(fn, variables):
    return backend.value_and_gradients(lambda tape: (fn(tape), None), variables)


def inputs(shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def spectral_normalization():
    x = inputs((3, 11))
    dense = keras.Sequential([keras.Input((11,)), layers.SpectralNormalization(keras.layers.Dense(7))])
    set_seeded_weights(dense, 0)
    sn = dense.layers[0]
    record("sn_dense/eval", dense(x, training=False))
    record("sn_dense/u_after_eval", sn._singular_vectors[0])
    weights = [sn.layer.kernel]
    loss, _, (grad,) = gradients(lambda tape: ops.sum(dense(x, training=True) * np.arange(7.0, dtype="float32")),
                                 weights)
    record("sn_dense/train", dense(x, training=False))
    record("sn_dense/sigma", sn.sigma)
    record("sn_dense/u", sn._singular_vectors[0])
    record("sn_dense/kernel_gradient", grad)
    for _ in range(60):
        dense(x, training=True)
    record("sn_dense/converged_sigma", sn.sigma)
    record("sn_dense/kernel", sn.layer.kernel)

    image = inputs((2, 6, 6, 3))
    conv = keras.Sequential([keras.Input((6, 6, 3)),
                             layers.SpectralNormalization(keras.layers.Conv2D(4, 3, padding="same"), mode="operator")])
    set_seeded_weights(conv, 2)
    record("sn_conv/train", conv(image, training=True))
    for _ in range(60):
        conv(image, training=True)
    record("sn_conv/converged_sigma", conv.layers[0].sigma)

    keras.config.set_dtype_policy("mixed_float16")
    mixed = keras.Sequential([keras.Input((11,)), layers.SpectralNormalization(keras.layers.Dense(7))])
    output = mixed(x, training=True)
    keras.config.set_dtype_policy("float32")
    RESULTS["mixed/dtypes"] = np.array([keras.backend.standardize_dtype(output.dtype),
                                        keras.backend.standardize_dtype(mixed.layers[0]._singular_vectors[0].dtype),
                                        keras.backend.standardize_dtype(mixed.layers[0].sigma.dtype)])


def conditional_layers():
    labels = np.array([0, 2, 1, 2], "int32")
    x = inputs((4, 4, 4, 16), seed=3)
    image, label = keras.Input((4, 4, 16)), keras.Input((), dtype="int32")
    y = layers.ConditionalBatchNormalization(3)([image, label])
    y = layers.SelfAttention2D(spectral_normalization=True)(y)
    y = layers.NearestUpsampling2D()(y)
    pooled = keras.layers.GlobalAveragePooling2D()(y)
    score = keras.layers.Add()([keras.layers.Dense(1)(pooled), layers.ClassProjection(3, spectral_normalization=True)(
        [pooled, label])])
    model = keras.Model([image, label], [y, score])
    set_seeded_weights(model, 4)
    for training in (True, False):
        out, scores = model([x, labels], training=training)
        record(f"conditional/features_{training}", out)
        record(f"conditional/scores_{training}", scores)


def gan_losses():
    for name in losses.NAMES:
        loss = losses.get(name)
        real, fake = inputs((5, loss.scores_per_sample), seed=5), inputs((5, loss.scores_per_sample), seed=6)
        record(f"loss/{name}/d", loss.discriminator_loss(real, fake))
        record(f"loss/{name}/g", loss.generator_loss(fake, real))


def gradient_penalties():
    critic = keras.Sequential([keras.Input((5,)), layers.SpectralNormalization(keras.layers.Dense(8)),
                               keras.layers.LeakyReLU(0.2), keras.layers.Dense(8, activation="tanh"),
                               keras.layers.Dense(1)])
    set_seeded_weights(critic, 7)
    real, fake = inputs((6, 5), seed=8), inputs((6, 5), seed=9)
    alphas = np.linspace(0.1, 0.9, 6).astype("float32")
    cases = {
        "gradient_penalty": lambda tape: penalties.gradient_penalty(
            critic, real, fake, interpolation_weights=alphas, tape=tape),
        "one_sided": lambda tape: penalties.gradient_penalty(
            critic, real, fake * 3, one_sided=True, interpolation_weights=alphas, tape=tape),
        "r1": lambda tape: penalties.r1_penalty(critic, real, tape=tape),
        "r2": lambda tape: penalties.r2_penalty(critic, fake, tape=tape),
        "lazy_on": lambda tape: penalties.lazy_penalty(lambda: penalties.r1_penalty(critic, real, tape=tape), 8, 4),
        "lazy_off": lambda tape: penalties.lazy_penalty(lambda: penalties.r1_penalty(critic, real, tape=tape), 9, 4),
    }
    variables = critic.trainable_variables
    for name, fn in cases.items():
        value, _, grads = gradients(fn, variables)
        record(f"penalty/{name}", value)
        for index, grad in enumerate(grads):
            record(f"penalty/{name}/grad{index}", grad)
    kernel = inputs((3, 3, 4, 5), seed=10)
    record("orthogonal", penalties.OrthogonalRegularizer(1e-2)(kernel))


def gan(penalty="r1", ema_decay=0.9):
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, kernel_initializer="zeros")])
    critic = keras.Sequential([keras.Input((3,)), layers.SpectralNormalization(keras.layers.Dense(16)),
                               keras.layers.LeakyReLU(0.2), keras.layers.Dense(1)])
    set_seeded_weights(critic, 11)
    model = GAN(generator, critic, latent_dim=2, seed=0, ema_decay=ema_decay)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.0, beta_2=0.9),
                  g_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.0, beta_2=0.9),
                  loss="hinge", penalty=penalty, d_steps=2)
    return model


def training():
    data = inputs((8, 3), seed=12)
    # The generator's output is its bias (its kernel starts at zero), so the first step's
    # samples do not depend on the backend's random numbers.
    model = gan()
    model.fit(data, batch_size=8, shuffle=False, epochs=1, verbose=0)
    record("step/critic", np.concatenate([np.ravel(w) for w in model.discriminator.get_weights()]))
    record("step/generator_bias", model.generator.layers[0].bias)
    record("step/ema_bias", model._ema_weights[1])
    record("step/d_iterations", model.d_optimizer.iterations)

    straight = gan()
    straight.fit(data, batch_size=8, shuffle=False, epochs=4, verbose=0)
    first = gan()
    first.fit(data, batch_size=8, shuffle=False, epochs=2, verbose=0)
    path = checkpoint.save(first, OUT / f"resume_{BACKEND}.npz")
    resumed = gan()
    checkpoint.restore(resumed, path)
    resumed.fit(data, batch_size=8, shuffle=False, epochs=2, verbose=0)
    for name, model in (("straight", straight), ("resumed", resumed)):
        record(f"resume/{name}", state_vector(model))

    bad = gan()
    before = [np.array(w) for w in bad.discriminator.get_weights()]
    bad.fit(np.full((8, 3), np.nan, "float32"), batch_size=8, shuffle=False, epochs=1, verbose=0)
    record("nan/skipped", bad.skipped_steps)
    record("nan/unchanged", np.array([np.array_equal(a, b) for a, b in zip(before, bad.discriminator.get_weights())]))

    labels = np.arange(8, dtype="int32") % 2
    straight = conditional_gan()
    straight.fit(data, labels, batch_size=8, shuffle=False, epochs=3, verbose=0)
    first = conditional_gan()
    first.fit(data, labels, batch_size=8, shuffle=False, epochs=1, verbose=0)
    resumed = conditional_gan()
    checkpoint.restore(resumed, checkpoint.save(first, OUT / f"resume_conditional_{BACKEND}.npz"))
    resumed.fit(data, labels, batch_size=8, shuffle=False, epochs=2, verbose=0)
    for name, model in (("straight", straight), ("resumed", resumed)):
        record(f"resume_conditional/{name}", state_vector(model))


def conditional_gan():
    from keras_lipschitz.architectures import mlp_discriminator, mlp_generator

    generator = mlp_generator(latent_dim=2, data_dim=3, units=8, num_classes=2)
    critic = mlp_discriminator(data_dim=3, units=8, num_classes=2, spectral_normalization=True)
    set_seeded_weights(generator, 15)
    set_seeded_weights(critic, 16)
    model = GAN(generator, critic, latent_dim=2, num_classes=2, seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3),
                  penalty="gradient_penalty", d_steps=2)
    return model


def mixed_precision_training():
    """Two fit steps under mixed_float16 (dynamic loss scaling) and mixed_bfloat16, from the same weights."""
    data = inputs((8, 3), seed=22)
    for policy in ("mixed_float16", "mixed_bfloat16"):
        keras.config.set_dtype_policy(policy)
        try:
            model = gan()
            model.fit(data, batch_size=8, shuffle=False, epochs=2, verbose=0)
        finally:
            keras.config.set_dtype_policy("float32")
        record(f"mixed_training/{policy}/critic", np.concatenate([np.ravel(np.asarray(w, "float32"))
                                                                  for w in model.discriminator.get_weights()]))
        record(f"mixed_training/{policy}/loss_scaled",
               isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer))
        record(f"mixed_training/{policy}/kernel_dtype", str(model.discriminator.trainable_variables[0].dtype))


def data_parallel():
    """keras.distribution.DataParallel over two devices against one device, for the same global batches."""
    import jax

    from keras_lipschitz.trainers import presets

    if BACKEND != "jax":
        return
    assert len(jax.devices()) == 2
    data = inputs((240, 3), seed=19)
    labels = np.arange(240, dtype="int32") % 2

    def seeded_gan(preset, ema_decay):
        from keras_lipschitz.architectures import mlp_discriminator, mlp_generator

        generator = mlp_generator(latent_dim=2, data_dim=3, units=8)
        critic = mlp_discriminator(data_dim=3, units=8, spectral_normalization=True)
        set_seeded_weights(generator, 20)
        set_seeded_weights(critic, 21)
        model = GAN(generator, critic, latent_dim=2, seed=0, ema_decay=ema_decay)
        model.compile(**preset)
        return model

    def runs():
        unconditional = seeded_gan(presets.sngan(), ema_decay=0.9)
        history = unconditional.fit(data[:128], batch_size=64, shuffle=False, epochs=2, verbose=0).history
        # 5 critic steps on a global batch of 80; interpolates drawn over the global batch.
        critic_steps = seeded_gan(presets.wgan_gp(), ema_decay=None)
        critic_steps.fit(data, batch_size=80, shuffle=False, epochs=1, verbose=0)
        conditional = conditional_gan()
        conditional.fit(data[:128], labels[:128], batch_size=32, shuffle=False, epochs=1, verbose=0)
        return history, (unconditional, critic_steps, conditional)

    for name in ("one_device", "data_parallel"):
        if name == "data_parallel":
            keras.distribution.set_distribution(keras.distribution.DataParallel())
        keras.utils.set_random_seed(0)
        history, models = runs()
        for model_name, model in zip(("sngan", "wgan_gp", "conditional"), models):
            record(f"dp/{name}/{model_name}", state_vector(model))
        record(f"dp/{name}/d_loss", history["d_loss"])
        kernel = models[0].discriminator.trainable_variables[0].value
        record(f"dp/{name}/devices", len(kernel.sharding.device_set))
    keras.distribution.set_distribution(None)


def evaluation_metrics():
    from keras_lipschitz import metrics

    real, generated = inputs((200, 6), seed=17), inputs((150, 6), seed=18) * 1.3 + 0.2
    record("metrics/fid", metrics.frechet_distance(real, generated))
    record("metrics/kid", metrics.kernel_distance(real, generated, max_block_size=60))
    record("metrics/inception_score", metrics.inception_score(generated[:, :5] * 3))
    record("metrics/precision_recall", metrics.precision_recall(real, generated))


def saving():
    critic = keras.Sequential([keras.Input((5,)), layers.SpectralNormalization(keras.layers.Dense(8)),
                               keras.layers.LeakyReLU(0.2), layers.SpectralNormalization(keras.layers.Dense(1))])
    set_seeded_weights(critic, 13)
    x = inputs((4, 5), seed=14)
    critic.save(OUT / f"critic_{BACKEND}.keras")
    record("saved/outputs", critic(x, training=False))
    if OTHER:
        record("loaded/outputs", keras_lipschitz.load_model(OTHER)(x, training=False))


for case in (spectral_normalization, conditional_layers, gan_losses, gradient_penalties, training,
             mixed_precision_training, data_parallel, evaluation_metrics, saving):
    keras.utils.set_random_seed(0)
    case()
np.savez(OUT / f"{BACKEND}.npz", **RESULTS)
print("tensorflow imported:", "tensorflow" in sys.modules)
