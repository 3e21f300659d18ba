"""One worker of a MultiWorkerMirroredStrategy GAN run (tests/test_multi_worker.py).

Usage: TF_CONFIG=... python multi_worker_gan.py OUTPUT_DIR
With no TF_CONFIG it runs on one worker with the default strategy. Writes the
final weights (`weights-<task>.npz`, from every worker) and, on the chief, a
checkpoint.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_lipschitz.architectures import mlp_discriminator  # noqa: E402
from keras_lipschitz.architectures import mlp_generator  # noqa: E402
from keras_lipschitz.trainers import GAN  # noqa: E402
from keras_lipschitz.trainers import checkpoint  # noqa: E402
from keras_lipschitz.trainers import presets  # noqa: E402


def main(output_dir):
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task = config.get("task", {}).get("index", 0)
    strategy = tf.distribute.MultiWorkerMirroredStrategy() if config else tf.distribute.get_strategy()
    keras.utils.set_random_seed(0)
    with strategy.scope():
        gan = GAN(
            mlp_generator(latent_dim=2, units=16, depth=2),
            mlp_discriminator(units=16, depth=2, spectral_normalization=True),
            latent_dim=2,
            seed=3,
            ema_decay=0.9,
        )
        gan.compile(**presets.sngan())
    data = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(64, drop_remainder=True)
    history = gan.fit(dataset, epochs=2, verbose=0)
    state = {f"v{i:05d}": v.numpy() for i, v in enumerate(checkpoint.state_variables(gan))}
    np.savez(os.path.join(output_dir, f"weights-{task}.npz"), **state)
    if task == 0:
        checkpoint.save(gan, os.path.join(output_dir, "ckpt-00000008.npz"))
        with open(os.path.join(output_dir, "history.json"), "w") as file:
            json.dump({k: [float(x) for x in v] for k, v in history.history.items()}, file)


if __name__ == "__main__":
    main(sys.argv[1])
