"""An independent DCGAN in plain Keras, in the style of the TensorFlow DCGAN tutorial and the keras.io DCGAN
example: the image-quality benchmark's reference.

It shares no code with keras-lipschitz (its own models, loop, losses and
batching): Dense to 4x4x256, Conv2DTranspose 5x5 stride 2 up to the image size
with batch normalization and LeakyReLU in G and tanh out; D of 5x5 stride-2
convolutions with LeakyReLU 0.2 and dropout 0.3, a dense logit; the
non-saturating loss (binary cross-entropy from logits, as the tutorial), Adam
1e-4 for both (the tutorial's), batch 64, one D step per G step, both updates
from one forward pass.

The step is written twice, as users write it on each backend: with
`tf.GradientTape` (the tutorial) on TensorFlow, and with `stateless_call`,
`jax.value_and_grad` and the optimizers' `stateless_apply` (keras.io's
"Writing a training loop from scratch in JAX") on JAX.

Reference: Radford et al., ICLR 2016; TensorFlow's "Deep Convolutional
Generative Adversarial Network" tutorial.
"""

import keras
import numpy as np

BATCH = 64
LATENT = 100


def generator(image_size, channels):
    layers = [keras.Input((LATENT,)), keras.layers.Dense(4 * 4 * 256, use_bias=False),
              keras.layers.BatchNormalization(), keras.layers.LeakyReLU(), keras.layers.Reshape((4, 4, 256))]
    size, filters = 4, 128
    while size * 2 < image_size:
        layers += [keras.layers.Conv2DTranspose(filters, 5, strides=2, padding="same", use_bias=False),
                   keras.layers.BatchNormalization(), keras.layers.LeakyReLU()]
        size, filters = size * 2, max(filters // 2, 32)
    layers.append(keras.layers.Conv2DTranspose(channels, 5, strides=2, padding="same", activation="tanh"))
    return keras.Sequential(layers)


def discriminator(image_size, channels):
    layers = [keras.Input((image_size, image_size, channels))]
    for filters in (64, 128, 256)[: max(1, int(np.log2(image_size)) - 2)]:
        layers += [keras.layers.Conv2D(filters, 5, strides=2, padding="same"), keras.layers.LeakyReLU(0.2),
                   keras.layers.Dropout(0.3)]
    return keras.Sequential(layers + [keras.layers.Flatten(), keras.layers.Dense(1)])


class PlainDCGAN:
    """Trains with `train(images, steps)`; `sample(count)` gives images in [-1, 1]."""

    def __init__(self, image_shape, seed):
        keras.utils.set_random_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.generator = generator(image_shape[0], image_shape[-1])
        self.discriminator = discriminator(image_shape[0], image_shape[-1])
        self.g_optimizer = keras.optimizers.Adam(1e-4)
        self.d_optimizer = keras.optimizers.Adam(1e-4)
        step_on = {"tensorflow": _TensorFlowStep, "jax": _JaxStep}[keras.backend.backend()]
        self._trainer = step_on(self, seed)

    def train(self, images, steps):
        """`steps` steps on batches of 64 drawn in shuffled epochs from `images`."""
        order = np.empty(0, "int64")
        for _ in range(steps):
            if len(order) < BATCH:
                order = np.concatenate([order, self.rng.permutation(len(images))])
            batch, order = order[:BATCH], order[BATCH:]
            self._trainer.step(images[batch])
        self._trainer.finish()

    def sample(self, count):
        noise = keras.random.normal((count, LATENT))
        return keras.ops.convert_to_numpy(self.generator(noise, training=False))


def _bce_from_logits(targets, logits):
    return keras.ops.mean(keras.losses.binary_crossentropy(targets, logits, from_logits=True))


class _TensorFlowStep:
    """The tutorial's step: two tapes over one forward pass."""

    def __init__(self, gan, seed):
        import tensorflow as tf

        tf.random.set_seed(seed)
        self.gan, self.tf = gan, tf
        self._compiled = tf.function(self._step)

    def _step(self, real):
        tf, gan = self.tf, self.gan
        noise = tf.random.normal([tf.shape(real)[0], LATENT])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = gan.generator(noise, training=True)
            real_logits = gan.discriminator(real, training=True)
            fake_logits = gan.discriminator(fake, training=True)
            g_loss = _bce_from_logits(tf.ones_like(fake_logits), fake_logits)
            d_loss = (_bce_from_logits(tf.ones_like(real_logits), real_logits)
                      + _bce_from_logits(tf.zeros_like(fake_logits), fake_logits))
        gan.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, gan.generator.trainable_variables),
                                            gan.generator.trainable_variables))
        gan.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, gan.discriminator.trainable_variables),
                                            gan.discriminator.trainable_variables))

    def step(self, real):
        self._compiled(self.tf.constant(real))

    def finish(self):
        pass


class _JaxStep:
    """keras.io's JAX loop: the models' state as arrays, one jitted pure step, written back in `finish`."""

    def __init__(self, gan, seed):
        import jax

        self.gan, self.jax = gan, jax
        gan.g_optimizer.build(gan.generator.trainable_variables)
        gan.d_optimizer.build(gan.discriminator.trainable_variables)
        self.state = tuple([variable.value for variable in group] for group in self._variable_groups())
        self.key = jax.random.key(seed)
        self._compiled = jax.jit(self._step)

    def _variable_groups(self):
        """The variables `state` holds, in its order."""
        gan = self.gan
        return (gan.generator.trainable_variables, gan.generator.non_trainable_variables,
                gan.discriminator.trainable_variables, gan.discriminator.non_trainable_variables,
                gan.g_optimizer.variables, gan.d_optimizer.variables)

    def _losses(self, g_trainable, d_trainable, g_frozen, d_frozen, real, noise):
        gan = self.gan
        fake, g_frozen = gan.generator.stateless_call(g_trainable, g_frozen, noise, training=True)
        real_logits, d_frozen = gan.discriminator.stateless_call(d_trainable, d_frozen, real, training=True)
        fake_logits, d_frozen = gan.discriminator.stateless_call(d_trainable, d_frozen, fake, training=True)
        g_loss = _bce_from_logits(keras.ops.ones_like(fake_logits), fake_logits)
        d_loss = (_bce_from_logits(keras.ops.ones_like(real_logits), real_logits)
                  + _bce_from_logits(keras.ops.zeros_like(fake_logits), fake_logits))
        return g_loss, d_loss, g_frozen, d_frozen

    def _step(self, state, real, key):
        jax, gan = self.jax, self.gan
        g_trainable, g_frozen, d_trainable, d_frozen, g_slots, d_slots = state
        noise = jax.random.normal(key, (real.shape[0], LATENT))

        def g_loss(g_trainable):
            loss, _, new_g_frozen, new_d_frozen = self._losses(g_trainable, d_trainable, g_frozen, d_frozen, real,
                                                               noise)
            return loss, (new_g_frozen, new_d_frozen)

        def d_loss(d_trainable):
            return self._losses(g_trainable, d_trainable, g_frozen, d_frozen, real, noise)[1]

        # Both gradients at the same parameters, as the tutorial's two tapes over one forward pass.
        (_, (new_g_frozen, new_d_frozen)), g_grads = jax.value_and_grad(g_loss, has_aux=True)(g_trainable)
        d_grads = jax.grad(d_loss)(d_trainable)
        g_trainable, g_slots = gan.g_optimizer.stateless_apply(g_slots, g_grads, g_trainable)
        d_trainable, d_slots = gan.d_optimizer.stateless_apply(d_slots, d_grads, d_trainable)
        return g_trainable, new_g_frozen, d_trainable, new_d_frozen, g_slots, d_slots

    def step(self, real):
        self.key, key = self.jax.random.split(self.key)
        self.state = self._compiled(self.state, real, key)

    def finish(self):
        for variables, values in zip(self._variable_groups(), self.state):
            for variable, value in zip(variables, values):
                variable.assign(value)
