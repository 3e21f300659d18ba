"""Trains a small spectrally normalized critic on the embedded 8x8 digits.

The critic learns to score real digits (scikit-learn's bundled set, no
download) above blurred-and-shuffled fakes with the SNGAN hinge loss. At the
end it prints, per layer, the estimated spectral norm of the raw kernel, and
checks the Lipschitz bound empirically: no pair of inputs changes the
critic's score by more than the distance between them.

Run: `keras-lipschitz-demo` (or `python -m keras_lipschitz.examples.digits_critic`).
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from keras_lipschitz.layers import SpectralNormalization  # noqa: E402


def digits_and_fakes(seed):
    """Real digits in [-1, 1] and fakes made by shuffling their pixels."""
    rng = np.random.default_rng(seed)
    real = load_digits().images.astype("float32")[..., None] / 8.0 - 1.0
    flat = real.reshape(len(real), -1).copy()
    for row in flat:
        rng.shuffle(row)
    return real, flat.reshape(real.shape)


def critic():
    """A 1-Lipschitz critic: operator-mode SN convolutions, SN dense head."""
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            SpectralNormalization(keras.layers.Conv2D(32, 3, padding="same"), mode="operator"),
            keras.layers.LeakyReLU(0.2),
            SpectralNormalization(keras.layers.Conv2D(64, 3, strides=2, padding="same"), mode="operator"),
            keras.layers.LeakyReLU(0.2),
            keras.layers.Flatten(),
            SpectralNormalization(keras.layers.Dense(1)),
        ],
        name="digits_critic",
    )


def hinge_loss(labels, logits):
    """SNGAN hinge loss: labels 1 for real, 0 for fake."""
    signs = 2.0 * labels - 1.0
    return keras.ops.mean(keras.ops.relu(1.0 - signs * logits))


def empirical_lipschitz(model, x, pairs, seed):
    """max |D(a) - D(b)| / ||a - b|| over random pairs.

    A lower bound on the critic's Lipschitz constant; the product of the
    normalized layers' norms (1 here) is the upper bound.
    """
    rng = np.random.default_rng(seed)
    a, b = x[rng.integers(0, len(x), pairs)], x[rng.integers(0, len(x), pairs)]
    # Also pairs at tiny distances, where the local slope shows.
    c = a + 1e-2 * rng.normal(size=a.shape).astype("float32")
    ratios = []
    for left, right in ((a, b), (a, c)):
        scores = np.abs(model.predict(left, verbose=0) - model.predict(right, verbose=0))[:, 0]
        distances = np.linalg.norm((left - right).reshape(len(left), -1), axis=1)
        ratios.append(np.max(scores / np.maximum(distances, 1e-12)))
    return float(max(ratios))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train a spectrally normalized critic on 8x8 digits.")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch_size must be >= 1")

    keras.utils.set_random_seed(args.seed)
    real, fake = digits_and_fakes(args.seed)
    x = np.concatenate([real, fake])
    y = np.concatenate([np.ones(len(real)), np.zeros(len(fake))]).astype("float32")[:, None]
    model = critic()
    model.compile(
        optimizer=keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9),
        loss=hinge_loss,
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)],
    )
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, shuffle=True, verbose=2)
    seconds = time.perf_counter() - start

    print(f"\ntrained {args.epochs} epochs in {seconds:.1f} s; accuracy {history.history['binary_accuracy'][-1]:.3f}")
    print(f"{'layer':<32}{'mode':<10}{'sigma(W) before SN':>20}")
    for layer in model.layers:
        if isinstance(layer, SpectralNormalization):
            print(f"{layer.name:<32}{layer.mode:<10}{float(layer.sigma):>20.4f}")
    slope = empirical_lipschitz(model, x, pairs=2000, seed=args.seed)
    print(f"empirical Lipschitz constant of the critic: {slope:.4f} (bound: 1)")
    if not np.isfinite(slope) or slope > 1.0 + 1e-3:
        raise SystemExit(f"Lipschitz bound violated: {slope}")
    return 0


if __name__ == "__main__":
    tf.get_logger().setLevel("ERROR")
    raise SystemExit(main())
