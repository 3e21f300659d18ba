"""An independent WGAN-GP for the 2-D mixtures, in plain TensorFlow: the quality benchmark's reference.

It shares no training code with `keras_lipschitz.trainers.GAN` (its own
loop, loss, penalty and sampling of real points), so when both get the same
score the score belongs to WGAN-GP at these settings, not to our trainer.
Same models and settings as the benchmark's WGAN-GP recipe: 3 x 256 MLPs, a
2-D latent, batch 256, 5 critic steps, the penalty weight lambda (10 in the
paper), Adam(beta 0, 0.9) with a cosine decay to 0; no EMA.

Reference: Gulrajani et al., NeurIPS 2017, Algorithm 1.
"""

import numpy as np
import tensorflow as tf

CRITIC_STEPS = 5
BATCH = 256


def _mlp(outputs, activation, units):
    layers = [tf.keras.layers.Dense(units, activation=activation) for _ in range(3)]
    return tf.keras.Sequential([tf.keras.Input((2,)), *layers, tf.keras.layers.Dense(outputs)])


def train(means, standard_deviation, seed, generator_steps, learning_rate, penalty_weight=10.0, units=256):
    """Trains on the mixture `means` (array `(modes, 2)`); returns a function of n giving n samples."""
    tf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    means = np.asarray(means, "float32")
    generator = _mlp(2, "relu", units)
    critic = _mlp(1, lambda x: tf.nn.leaky_relu(x, 0.2), units)

    def adam(iterations):
        schedule = tf.keras.optimizers.schedules.CosineDecay(learning_rate, iterations)
        return tf.keras.optimizers.Adam(schedule, beta_1=0.0, beta_2=0.9)

    critic_optimizer, generator_optimizer = adam(CRITIC_STEPS * generator_steps), adam(generator_steps)

    @tf.function
    def critic_step(real):
        fake = generator(tf.random.normal((BATCH, 2)))
        epsilon = tf.random.uniform((BATCH, 1))
        interpolates = epsilon * real + (1.0 - epsilon) * fake
        with tf.GradientTape() as tape:
            with tf.GradientTape() as inner:
                inner.watch(interpolates)
                scores = critic(interpolates)
            norms = tf.norm(inner.gradient(scores, interpolates), axis=1)
            loss = tf.reduce_mean(critic(fake)) - tf.reduce_mean(critic(real))
            loss += penalty_weight * tf.reduce_mean((norms - 1.0) ** 2)
        critic_optimizer.apply_gradients(zip(tape.gradient(loss, critic.trainable_variables),
                                             critic.trainable_variables))

    @tf.function
    def generator_step():
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(critic(generator(tf.random.normal((BATCH, 2)))))
        generator_optimizer.apply_gradients(zip(tape.gradient(loss, generator.trainable_variables),
                                                generator.trainable_variables))

    for _ in range(generator_steps):
        for _ in range(CRITIC_STEPS):
            modes = rng.integers(len(means), size=BATCH)
            critic_step(means[modes] + standard_deviation * rng.standard_normal((BATCH, 2)).astype("float32"))
        generator_step()
    return lambda count: generator(tf.random.normal((count, 2))).numpy()
