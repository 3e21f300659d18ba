"""Every recipe's models, compile settings and data stream, two training steps on Keras' JAX backend.

Usage: python jax_recipes.py OUT_DIR. TensorFlow is refused. Builds each
recipe as `keras-lipschitz-train` does (digits; sngan also on ring8, its
MLP), runs two generator steps with XLA, and writes OUT_DIR/recipes.npz:
per recipe the last logs, the critic and generator weights before and
after, and the optimizers' step counts.
"""

import os
import pathlib
import sys

import no_tensorflow  # this script's folder is on the path

os.environ["KERAS_BACKEND"] = "jax"
no_tensorflow.block()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_lipschitz import data, recipes  # noqa: E402
from keras_lipschitz.recipes import build  # noqa: E402

OUT = pathlib.Path(sys.argv[1])
STEPS = 2
results = {}


def flat(weights):
    return np.concatenate([np.ravel(np.asarray(w, "float64")) for w in weights])


for name, dataset in [(name, "digits") for name in recipes.names()] + [("sngan", "ring8")]:
    key = f"{name}@{dataset}"
    settings = recipes.get(name).settings(dataset)
    source = data.load(dataset)
    keras.utils.set_random_seed(0)
    gan, compile_arguments = build.build(settings, source.sample_shape, seed=0,
                                         num_classes=source.num_classes if settings["conditional"] else None)
    gan.compile(**compile_arguments, jit_compile=True)
    before = [flat(gan.discriminator.get_weights()), flat(gan.generator.get_weights())]
    batches = source.batches(gan.d_steps * settings["batch_size"], seed=0, labels=settings["conditional"])
    history = gan.fit(batches, steps_per_epoch=STEPS, epochs=1, verbose=0).history
    results[f"{key}/critic_before"], results[f"{key}/generator_before"] = before
    results[f"{key}/critic_after"] = flat(gan.discriminator.get_weights())
    results[f"{key}/generator_after"] = flat(gan.generator.get_weights())
    results[f"{key}/d_iterations"] = int(gan.d_optimizer.iterations.numpy())
    results[f"{key}/g_iterations"] = int(gan.g_optimizer.iterations.numpy())
    results[f"{key}/d_steps"] = gan.d_steps
    for metric, values in history.items():
        results[f"{key}/log/{metric}"] = float(values[-1])
    print(key, "done", flush=True)

np.savez(OUT / "recipes.npz", **results)
print("tensorflow imported:", "tensorflow" in sys.modules)
