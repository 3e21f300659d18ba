"""An independent DCGAN in plain Keras and TensorFlow, in the style of the TensorFlow DCGAN tutorial and the
keras.io DCGAN example: the image-quality benchmark's reference.

It shares no code with keras-lipschitz (its own models, loop, losses and
batching): Dense to 4x4x256, Conv2DTranspose 5x5 stride 2 up to the image size
with batch normalization and LeakyReLU in G and tanh out; D of 5x5 stride-2
convolutions with LeakyReLU 0.2 and dropout 0.3, a dense logit; the
non-saturating loss (binary cross-entropy from logits, as the tutorial), Adam
1e-4 for both (the tutorial's), batch 64, one D step per G step.

Reference: Radford et al., ICLR 2016; TensorFlow's "Deep Convolutional
Generative Adversarial Network" tutorial.
"""

import numpy as np
import tensorflow as tf

BATCH = 64
LATENT = 100


def generator(image_size, channels):
    layers = [tf.keras.Input((LATENT,)), tf.keras.layers.Dense(4 * 4 * 256, use_bias=False),
              tf.keras.layers.BatchNormalization(), tf.keras.layers.LeakyReLU(), tf.keras.layers.Reshape((4, 4, 256))]
    size, filters = 4, 128
    while size * 2 < image_size:
        layers += [tf.keras.layers.Conv2DTranspose(filters, 5, strides=2, padding="same", use_bias=False),
                   tf.keras.layers.BatchNormalization(), tf.keras.layers.LeakyReLU()]
        size, filters = size * 2, max(filters // 2, 32)
    layers.append(tf.keras.layers.Conv2DTranspose(channels, 5, strides=2, padding="same", activation="tanh"))
    return tf.keras.Sequential(layers)


def discriminator(image_size, channels):
    layers = [tf.keras.Input((image_size, image_size, channels))]
    for filters in (64, 128, 256)[: max(1, int(np.log2(image_size)) - 2)]:
        layers += [tf.keras.layers.Conv2D(filters, 5, strides=2, padding="same"), tf.keras.layers.LeakyReLU(0.2),
                   tf.keras.layers.Dropout(0.3)]
    return tf.keras.Sequential(layers + [tf.keras.layers.Flatten(), tf.keras.layers.Dense(1)])


class PlainDCGAN:
    """Trains with `train(images, steps)`; `sample(count)` gives images in [-1, 1]."""

    def __init__(self, image_shape, seed):
        tf.random.set_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.generator = generator(image_shape[0], image_shape[-1])
        self.discriminator = discriminator(image_shape[0], image_shape[-1])
        self.g_optimizer = tf.keras.optimizers.Adam(1e-4)
        self.d_optimizer = tf.keras.optimizers.Adam(1e-4)
        self.cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def _step(self, real):
        noise = tf.random.normal([tf.shape(real)[0], LATENT])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(noise, training=True)
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            g_loss = self.cross_entropy(tf.ones_like(fake_logits), fake_logits)
            d_loss = (self.cross_entropy(tf.ones_like(real_logits), real_logits)
                      + self.cross_entropy(tf.zeros_like(fake_logits), fake_logits))
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, self.generator.trainable_variables),
                                             self.generator.trainable_variables))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, self.discriminator.trainable_variables),
                                             self.discriminator.trainable_variables))
        return d_loss, g_loss

    def train(self, images, steps):
        """`steps` steps on batches of 64 drawn in shuffled epochs from `images`."""
        order = np.empty(0, "int64")
        for _ in range(steps):
            if len(order) < BATCH:
                order = np.concatenate([order, self.rng.permutation(len(images))])
            batch, order = order[:BATCH], order[BATCH:]
            self._step(tf.constant(images[batch]))

    def sample(self, count):
        return self.generator(tf.random.normal([count, LATENT]), training=False).numpy()
