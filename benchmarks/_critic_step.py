"""A critic training step that runs on either Keras backend, timed through `fit`, for the SN and GP benchmarks.

The step is written once, with keras_lipschitz's backend functions (the
gradient of the loss, the optimizer's update), as the GAN trainer writes its
own; Keras compiles it with `tf.function` (XLA when `jit_compile`) on
TensorFlow and with `jax.jit` on JAX. Each fit runs `steps` steps on fixed
real and fake batches, so the data costs nothing.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np

from keras_lipschitz import backend


class CriticStep(keras.Model):
    """`loss_fn(critic, real, fake, tape)` minimized by the compiled optimizer, one step per batch."""

    def __init__(self, critic, loss_fn, **kwargs):
        super().__init__(**kwargs)
        self.critic = critic
        self.loss_fn = loss_fn

    def call(self, inputs, training=False):
        return self.critic(inputs, training=training)

    def train_step(self, *args):
        return backend.stateful_step(self, self._train_step, *args)

    def _train_step(self, data):
        real, fake = data
        variables = self.critic.trainable_variables

        def scaled_loss(tape):
            loss = self.loss_fn(self.critic, real, fake, tape)
            return self.optimizer.scale_loss(loss), loss

        _, loss, gradients = backend.value_and_gradients(scaled_loss, variables)
        backend.apply(self.optimizer, gradients, variables)
        return backend.logs_for_keras({"loss": loss})


def timer(critic, loss_fn, optimizer, real, fake, steps, jit_compile):
    """A function that runs `steps` critic steps (after one warm-up call that traces and compiles)."""
    model = CriticStep(critic, loss_fn)
    model.compile(optimizer=optimizer, jit_compile=jit_compile)
    reals, fakes = np.concatenate([real] * steps), np.concatenate([fake] * steps)

    def run():
        model.fit(reals, fakes, batch_size=len(real), epochs=1, shuffle=False, verbose=0)

    run()
    return run, model


def run_worker(script, backend_name, arguments):
    """Runs `script --worker ...` under KERAS_BACKEND=backend_name; returns the JSON its last RESULT line holds."""
    env = {**os.environ, "KERAS_BACKEND": backend_name, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-W", "ignore", script, "--worker", *arguments], env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{backend_name} worker failed:\n{result.stderr[-3000:]}")
    line = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def print_result(result):
    print("RESULT " + json.dumps(result), flush=True)


def collect(script, backends, arguments, first_only=()):
    """Runs `script`'s worker on each backend twice, in ABBA order (`first_only` arguments in the first run of
    each); returns `(samples, results)`: the per-round seconds merged as {configuration: {variant: [...]}},
    and each backend's first result."""
    samples, first_results = {}, {}
    for backend_name in backends + backends[::-1]:
        first = backend_name not in first_results
        result = run_worker(script, backend_name, arguments + (list(first_only) if first else []))
        first_results.setdefault(backend_name, result)
        for configuration, by_variant in result["seconds"].items():
            for variant, values in by_variant.items():
                samples.setdefault(configuration, {}).setdefault(variant, []).extend(values)
    return samples, first_results


def jax_over_tensorflow_xla(timings, variants):
    """Prints and returns JAX's median step time over TensorFlow-with-XLA's, per variant (None when either
    backend did not run)."""
    if not {"tensorflow_xla", "jax"} <= set(timings):
        return None
    print("\n| variant | TensorFlow XLA ms | JAX ms | JAX / TensorFlow XLA |\n|---|---|---|---|")
    ratios = {}
    for variant in variants:
        tf_ms, jax_ms = (timings[configuration][variant]["median_ms"] for configuration in ("tensorflow_xla", "jax"))
        ratios[variant] = jax_ms / tf_ms
        print(f"| {variant} | {tf_ms:.2f} | {jax_ms:.2f} | {jax_ms / tf_ms:.2f} |")
    return ratios
