"""Unrolled critic updates (Metz et al. 2017): the critic's parameters after K differentiable optimizer steps.

The unrolled GAN's generator minimizes its loss against the critic it would
face after K more critic updates, `f_K(theta_G, theta_D) = f(theta_G,
theta_D^K(theta_G, theta_D))`, with `theta_D^{k+1} = theta_D^k - eta *
d f_D(theta_G, theta_D^k) / d theta_D^k` (eq. 3-4). Its gradient flows
through every update, so the updates here are written as plain functions
of tensors (the Keras optimizer's assignments cannot be differentiated).
"""

import keras
from keras import ops

from keras_lipschitz import backend

UNROLLED_OPTIMIZERS = ("adam", "sgd")
# sqrt(v) of Adam has an infinite derivative at v = 0 (a weight whose gradient is 0 so far); the floor
# keeps the unroll's second derivatives finite and is far below Adam's epsilon (1e-7 .. 1e-8) in value.
_VELOCITY_FLOOR = 1e-30


def unrolled_parameters(objective, variables, optimizer, steps, method="adam"):
    """The values of `variables` after `steps` updates that minimize `objective`, differentiable.

    Args:
        objective: function of a list of tensors, the values of `variables`,
            returning the scalar loss (each replica's share of a global mean
            under `tf.distribute`: the gradients are summed over replicas).
        variables: the critic's trainable variables.
        optimizer: the critic's Keras optimizer: its learning rate, and for
            `"adam"` its betas, epsilon, step count and moment estimates, from
            which the unrolled updates continue (as the authors' code unrolls
            the critic's own Adam).
        steps: K, the number of unrolled updates (0 returns the current values).
        method: `"adam"` (Keras' Adam update, written out) or `"sgd"`
            (`theta - learning_rate * gradient`).

    Returns:
        A list of tensors, one per variable.

    Example:

    ```python
    import keras
    from keras_lipschitz.trainers import unrolling

    weight = keras.Variable(1.0)
    optimizer = keras.optimizers.SGD(0.1)
    # Two steps of gradient descent on w^2: 1.0 -> 0.8 -> 0.64.
    values = unrolling.unrolled_parameters(lambda p: p[0] ** 2, [weight], optimizer, 2, method="sgd")
    print(float(values[0]))  # 0.64
    ```

    Reference:
        Metz, Poole, Pfau, Sohl-Dickstein, "Unrolled Generative Adversarial
        Networks", ICLR 2017, eq. 3-6.
    """
    check_unrollable(method, optimizer)
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer's own
    parameters = [variable.value for variable in variables]
    update = _adam_update(optimizer, variables) if method == "adam" else _sgd_update(optimizer)
    for step in range(steps):
        parameters = update(step, parameters, _gradients(objective, parameters))
    return parameters


def check_unrollable(method, optimizer=None, argument="method"):
    """Raises a ValueError unless `method` is known and, given the critic's `optimizer`, can unroll it:
    `"adam"` continues an Adam optimizer (amsgrad off). `argument` names the setting in the message."""
    if method not in UNROLLED_OPTIMIZERS:
        raise ValueError(f"{argument} must be one of {', '.join(UNROLLED_OPTIMIZERS)}, got {method!r}.")
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    if optimizer is not None and method == "adam" and (not isinstance(inner, keras.optimizers.Adam) or inner.amsgrad):
        raise ValueError(f"{argument}='adam' continues the critic's Adam optimizer (amsgrad off); the critic's "
                         f"optimizer is {type(inner).__name__}: use {argument}='sgd'.")


def _gradients(objective, parameters):
    gradients = backend.input_gradients(objective, parameters)
    gradients = [ops.zeros_like(p) if g is None else g for g, p in zip(gradients, parameters)]
    return backend.sum_over_replicas(gradients)


def _learning_rate(optimizer):
    return ops.cast(optimizer._get_current_learning_rate(), "float32")


def _sgd_update(optimizer):
    learning_rate = _learning_rate(optimizer)

    def update(step, parameters, gradients):
        return [p - ops.cast(learning_rate, p.dtype) * g for p, g in zip(parameters, gradients)]

    return update


def _adam_update(optimizer, variables):
    """Keras' `Adam.update_step`, as a function of tensors, starting from the optimizer's moments and step."""
    slots = [optimizer._get_variable_index(variable) for variable in variables]
    state = {"m": [optimizer._momentums[i].value for i in slots], "v": [optimizer._velocities[i].value for i in slots]}
    learning_rate = _learning_rate(optimizer)
    beta_1, beta_2, epsilon = float(optimizer.beta_1), float(optimizer.beta_2), float(optimizer.epsilon)
    first_step = ops.cast(optimizer.iterations, "float32") + 1.0

    def update(step, parameters, gradients):
        t = first_step + float(step)
        alpha = learning_rate * ops.sqrt(1.0 - ops.power(beta_2, t)) / (1.0 - ops.power(beta_1, t))
        state["m"] = [m + (g - m) * (1.0 - beta_1) for m, g in zip(state["m"], gradients)]
        state["v"] = [v + (ops.square(g) - v) * (1.0 - beta_2) for v, g in zip(state["v"], gradients)]
        return [p - m * ops.cast(alpha, p.dtype) / (ops.sqrt(ops.maximum(v, _VELOCITY_FLOOR)) + epsilon)
                for p, m, v in zip(parameters, state["m"], state["v"])]

    return update
