"""Keras' JAX backend against the same GAN step written directly in JAX and optax: what the library costs.

The case is the command's SNGAN recipe on the ring8 mixture (read from the
recipe: the MLP sizes, hinge loss, one power iteration per critic call with
the gradient through sigma, Adam with a cosine learning rate, EMA of the
generator with its warm-up, `steps_per_execution` steps per compiled call)
trained by `GAN.fit` on the command's data stream. The reference does the
same arithmetic without Keras: parameters as pytrees, `jax.value_and_grad`,
`optax.adam`, the steps of one call in a `lax.scan`, fed the same batches.
What the reference leaves out and the library does: the NaN/inf guard (a
`lax.cond` per step), the progress metrics (d_loss, g_loss, the Wasserstein
estimate, the largest sigma) and Keras' callbacks and data adapter.

Both run in one JAX process (no TensorFlow), in interleaved rounds; the
table gives the median milliseconds per generator step and the ratio
library / reference.

Usage: KERAS_BACKEND=jax python benchmarks/bench_jax_overhead.py [--rounds 5] [--steps 500]
       [--json benchmarks/results/jax_overhead.json]
"""

import argparse
import json
import os
import pathlib
import platform
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from keras_lipschitz import data, recipes  # noqa: E402
from keras_lipschitz.recipes import build  # noqa: E402

RECIPE, DATASET = "sngan", "ring8"
EMA_WARMUP = (1.0, 10.0)  # decay_t = min(decay, (1 + t) / (10 + t)), as GAN's EMA


def library_trainer(settings, source, total_steps):
    """`GAN.fit` for `steps` generator steps, resumable: returns `train(steps)`."""
    keras.utils.set_random_seed(0)
    gan, arguments = build.build(settings, source.sample_shape, seed=0)
    gan.compile(**arguments, jit_compile=True, steps_per_execution=settings["steps_per_execution"])
    batches = source.batches(gan.d_steps * settings["batch_size"], seed=0, labels=False)
    state = {"epoch": 0}

    def train(steps):
        gan.fit(batches, steps_per_epoch=steps, epochs=state["epoch"] + 1, initial_epoch=state["epoch"], verbose=0)
        state["epoch"] += 1
        float(keras.ops.convert_to_numpy(gan.generator.trainable_variables[0].value).ravel()[0])  # wait

    return train


def _dense(key, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))  # glorot uniform, as Keras' Dense
    return {"kernel": jax.random.uniform(key, (fan_in, fan_out), minval=-limit, maxval=limit),
            "bias": jnp.zeros((fan_out,))}


def _mlp_params(key, sizes):
    keys = jax.random.split(key, len(sizes) - 1)
    return [_dense(k, a, b) for k, a, b in zip(keys, sizes[:-1], sizes[1:])]


def _generator(params, z):
    for layer in params[:-1]:
        z = jax.nn.relu(z @ layer["kernel"] + layer["bias"])
    return z @ params[-1]["kernel"] + params[-1]["bias"]


def _normalize(x):
    return x / (jnp.linalg.norm(x) + 1e-12)


def _critic(params, us, x):
    """The SN critic: W / sigma(W), one power iteration from each `u` (no gradient through u, v)."""
    new_us = []
    for index, (layer, u) in enumerate(zip(params, us)):
        kernel = layer["kernel"]
        v = jax.lax.stop_gradient(_normalize(kernel @ u))
        new_u = jax.lax.stop_gradient(_normalize(kernel.T @ v))
        sigma = v @ kernel @ new_u
        x = x @ (kernel / sigma) + layer["bias"]
        if index < len(params) - 1:
            x = jax.nn.leaky_relu(x, 0.2)
        new_us.append(new_u)
    return x, new_us


def reference_trainer(settings, source, total_steps):
    """The same training in JAX and optax: returns `train(steps)`."""
    units, latent = settings["units"], settings["latent_dim"]
    g_sizes = [latent, units, units, units, 2]
    d_sizes = [2] + [units] * settings["critic_depth"] + [1]
    key_g, key_d, key_u, key_z = jax.random.split(jax.random.PRNGKey(0), 4)
    g_params, d_params = _mlp_params(key_g, g_sizes), _mlp_params(key_d, d_sizes)
    us = [_normalize(jax.random.normal(k, (b,))) for k, b in zip(jax.random.split(key_u, len(d_sizes) - 1),
                                                                   d_sizes[1:])]

    def adam(learning_rate):
        schedule = optax.cosine_decay_schedule(learning_rate, total_steps)
        return optax.adam(schedule, b1=settings["beta_1"], b2=settings["beta_2"], eps=1e-7)

    d_optimizer, g_optimizer = adam(settings["d_learning_rate"]), adam(settings["g_learning_rate"])
    batch, decay = settings["batch_size"], settings["ema_decay"]

    def one_step(carry, real):
        g_params, d_params, us, d_state, g_state, ema, step, key = carry
        key, z_critic, z_generator = jax.random.split(key, 3)
        fake = _generator(g_params, jax.random.normal(z_critic, (batch, latent)))

        def d_loss(d_params):
            real_logits, new_us = _critic(d_params, us, real)
            fake_logits, new_us = _critic(d_params, new_us, fake)
            return jnp.mean(jax.nn.relu(1 - real_logits)) + jnp.mean(jax.nn.relu(1 + fake_logits)), new_us

        (_, us), grads = jax.value_and_grad(d_loss, has_aux=True)(d_params)
        updates, d_state = d_optimizer.update(grads, d_state, d_params)
        d_params = optax.apply_updates(d_params, updates)

        def g_loss(g_params):
            logits, new_us = _critic(d_params, us, _generator(g_params, jax.random.normal(z_generator,
                                                                                          (batch, latent))))
            return -jnp.mean(logits), new_us

        (_, us), grads = jax.value_and_grad(g_loss, has_aux=True)(g_params)
        updates, g_state = g_optimizer.update(grads, g_state, g_params)
        g_params = optax.apply_updates(g_params, updates)
        rate = jnp.minimum(decay, (EMA_WARMUP[0] + step) / (EMA_WARMUP[1] + step))
        ema = jax.tree.map(lambda e, p: rate * e + (1 - rate) * p, ema, g_params)
        return (g_params, d_params, us, d_state, g_state, ema, step + 1, key), None

    @jax.jit
    def steps_call(carry, reals):
        return jax.lax.scan(one_step, carry, reals)[0]

    state = {"carry": (g_params, d_params, us, d_optimizer.init(d_params), g_optimizer.init(g_params),
                       jax.tree.map(jnp.copy, g_params), jnp.asarray(0.0), key_z)}
    per_call = settings["steps_per_execution"]
    batches = source.batches(batch, seed=0, labels=False)
    position = {"batch": 0}

    def train(steps):
        for _ in range(steps // per_call):
            reals = np.stack([batches[position["batch"] + i] for i in range(per_call)])
            position["batch"] += per_call
            state["carry"] = steps_call(state["carry"], reals)
        float(state["carry"][0][0]["kernel"][0, 0])  # wait for the device

    return train


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=500, help="generator steps per timed round")
    parser.add_argument("--json", default="benchmarks/results/jax_overhead.json")
    args = parser.parse_args()
    settings = recipes.get(RECIPE).settings(DATASET)
    source = data.load(DATASET)
    total = (args.rounds + 1) * args.steps
    trainers = {"keras-lipschitz GAN.fit": library_trainer(settings, source, total),
                "JAX + optax, no Keras": reference_trainer(settings, source, total)}
    for train in trainers.values():
        train(args.steps)  # warm-up: trace and compile
    seconds = {name: [] for name in trainers}
    order = list(trainers)
    for round_index in range(args.rounds):
        for name in order if round_index % 2 == 0 else order[::-1]:  # ABBA
            start = time.perf_counter()
            trainers[name](args.steps)
            seconds[name].append((time.perf_counter() - start) / args.steps)
    library, reference = (statistics.median(seconds[name]) * 1e3 for name in order)
    ratios = [a / b for a, b in zip(*(seconds[name] for name in order))]
    device = jax.devices()[0]
    print(f"{RECIPE} on {DATASET}, {settings['steps_per_execution']} steps per call, on "
          f"{device.platform} ({getattr(device, 'device_kind', '')}), {args.rounds} rounds of {args.steps} steps")
    print("| trainer | ms per generator step (median) |\n|---|---|")
    print(f"| {order[0]} | {library:.3f} |\n| {order[1]} | {reference:.3f} |")
    print(f"library / reference: {statistics.median(ratios):.2f}x (median of paired rounds; "
          f"min {min(ratios):.2f}, max {max(ratios):.2f})")
    result = {"recipe": RECIPE, "dataset": DATASET, "device": f"{device.platform} {getattr(device, 'device_kind', '')}",
              "machine": platform.processor() or platform.machine(), "steps": args.steps, "rounds": args.rounds,
              "seconds_per_step": seconds, "median_ratio": statistics.median(ratios),
              "jax": jax.__version__, "keras": keras.__version__, "optax": optax.__version__}
    path = pathlib.Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(f"Wrote {path}")


if __name__ == "__main__":
    main()
