"""JAX: functional gradients over Keras variables, stateless steps, `lax.cond` with variable updates.

Keras code assigns variables (spectral normalization's `u`, batch
normalization's statistics, optimizers, seed generators); under JAX an
assignment inside a `keras.StatelessScope` is recorded rather than applied.
The functions here run library code in such scopes, each seeing every value
of the scope it is nested in, and hand the recorded updates out as values, so
that `jax.value_and_grad`, `lax.cond` and Keras' JAX trainer see pure functions.
Data parallelism (`keras.distribution.DataParallel`) shards global arrays, so
a step sees the global batch: there are no replicas to combine.
"""

import os

import jax
from keras import ops

from keras_lipschitz.backend.common import InheritingScope


# Step counters: JAX computes in 32-bit integers unless x64 is enabled (int64 would warn and be truncated).
COUNTER_DTYPE = "int64" if jax.config.jax_enable_x64 else "int32"


def _run_recorded(fn, overrides=()):
    """`(fn(), {id: new value}, {id: variable})` with fn's assignments recorded, not applied."""
    scope = InheritingScope(overrides)
    with scope:
        output = fn()
    return output, scope.updates(), dict(scope.assigned)


def _assign(updates, variables):
    for key, value in updates.items():
        variables[key].assign(value)


def global_mean(values):
    """Mean of per-sample `values` over the batch (global arrays: the global batch)."""
    return ops.mean(values)


def num_replicas():
    return 1


def replica_rows(values, batch):
    return values


def all_replicas(condition):
    return condition


def sum_over_replicas(values):
    return values


def value_and_gradients(loss_fn, variables):
    """`loss_fn(tape) -> (loss, aux)` (tape is None); returns `(loss, aux, gradients)` for `variables`.

    Assignments that `loss_fn` makes (e.g. spectral normalization's `u`) are
    applied in the enclosing scope afterwards, as on TensorFlow.
    """
    assigned = {}

    def pure(values):
        (loss, aux), updates, variables_assigned = _run_recorded(lambda: loss_fn(None), zip(variables, values))
        assigned.update(variables_assigned)
        return loss, (aux, updates)

    (loss, (aux, updates)), gradients = jax.value_and_grad(pure, has_aux=True)([v.value for v in variables])
    _assign(updates, assigned)
    return loss, aux, list(gradients)


def input_gradients(total_fn, inputs, tape=None, variables=None):
    """The gradient of the scalar `total_fn(inputs)` with respect to `inputs` (`jax.grad`), differentiable.

    `tape` and `variables` are TensorFlow's (see its backend); JAX traces the
    function, so nothing is recorded that the outer gradient would not use.
    """
    assigned = {}

    def pure(x):
        total, updates, variables_assigned = _run_recorded(lambda: total_fn(x))
        assigned.update(variables_assigned)
        return total, updates

    gradients, updates = jax.grad(pure, has_aux=True)(inputs)
    _assign(updates, assigned)
    return gradients


def vector_jacobian_product(apply, input_shape):
    """`adjoint(operand, u)`: `A^T u` for the linear map `A x = apply(operand, x)` (`jax.vjp`)."""
    def adjoint(operand, u):
        _, pullback = jax.vjp(lambda x: apply(operand, x), ops.zeros(input_shape, u.dtype))
        return pullback(u)[0]

    return adjoint


def cond(condition, true_fn, false_fn):
    """`lax.cond` whose branches may assign variables: the variables either branch assigns are
    carried through both (unchanged where a branch leaves them)."""
    assigned = {}
    for fn in (true_fn, false_fn):  # tracing only: which variables does each branch assign?
        jax.eval_shape(lambda fn=fn: assigned.update(_run_recorded(fn)[2]))
    keys = sorted(assigned)

    def branch(fn):
        def run():
            output, updates, _ = _run_recorded(fn)
            return output, [updates[key] if key in updates else assigned[key].value for key in keys]

        return run

    output, values = jax.lax.cond(condition, branch(true_fn), branch(false_fn))
    _assign(dict(zip(keys, values)), assigned)
    return output


def apply(optimizer, gradients, variables):
    """`optimizer.apply(gradients, variables)` as Keras' JAX trainer runs it: `stateless_apply` on the current
    values, then assigned (a `LossScaleOptimizer`'s own `apply` holds a `cond` whose branches assign variables,
    which JAX cannot trace). `variables` are those the optimizer was built for, in that order."""
    new_values, new_optimizer_values = optimizer.stateless_apply(
        [v.value for v in optimizer.variables], gradients, [v.value for v in variables])
    for variable, value in zip(list(variables) + list(optimizer.variables), new_values + new_optimizer_values):
        variable.assign(value)


def apply_if(condition, optimizer, gradients, variables):
    """`optimizer.apply(gradients, variables)` when `condition`, else nothing."""
    cond(condition, lambda: optimizer.apply(gradients, variables), lambda: None)


# The variables in the state of Keras' JAX `train_step` (4 groups) and `test_step` (3).
_STATE_GROUPS = {
    4: lambda model: (model.trainable_variables, model.non_trainable_variables, model.optimizer.variables,
                      model.metrics_variables),
    3: lambda model: (model.trainable_variables, model.non_trainable_variables, model.metrics_variables),
}


def stateful_step(model, step, state, data):
    """Keras' JAX `train_step(state, data)` or `test_step(state, data)` from `step(data)`, a step
    written with assignments.

    The model's variables take the values in `state` (trainable,
    non-trainable, `model.optimizer.variables` when training, metrics); the
    step's assignments become the returned state.
    """
    groups = _STATE_GROUPS[len(state)](model)
    overrides = [(variable, value) for group, values in zip(groups, state) for variable, value in zip(group, values)]
    scope = InheritingScope(overrides)
    with scope:
        logs = step(data)
    new_state = tuple([scope.state_mapping[id(variable)] for variable in group] for group in groups)
    return logs, new_state


def logs_for_keras(logs):
    return logs


def set_threads(count):
    """XLA's CPU threads per computation (e.g. 1 for a small MLP, whose steps are too short to split).

    XLA reads its flags when JAX starts its runtime: this applies when no JAX
    computation has run yet in the process, and does nothing after.
    """
    from jax._src import xla_bridge

    if xla_bridge.backends_are_initialized():
        return
    eigen = "false" if count == 1 else "true"
    os.environ["XLA_FLAGS"] = (f"{os.environ.get('XLA_FLAGS', '')} --xla_cpu_multi_thread_eigen={eigen} "
                               f"intra_op_parallelism_threads={count}")


def has_accelerator():
    """Whether JAX computes on a GPU or TPU."""
    return jax.default_backend() != "cpu"


def join_processes():
    """Joins a multi-process job (`keras.distribution.initialize`, configured by the `KERAS_DISTRIBUTION_*`
    variables), before the first computation; processes on CPUs exchange data through gloo."""
    import keras

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    keras.distribution.initialize()


def process_shard():
    """`(this process's index, number of processes)` of a multi-process job (`jax.distributed`)."""
    return jax.process_index(), jax.process_count()


def is_tensor(value):
    return isinstance(value, jax.Array)


def batched_arrays(samples, batch_size, shuffle=True, seed=None, drop_remainder=True):
    """In-memory arrays as full, shuffled batches for `fit` (a `keras.utils.PyDataset`)."""
    from keras_lipschitz.data.array_batches import ArrayBatches

    return ArrayBatches(samples, batch_size, shuffle=shuffle, seed=seed, drop_remainder=drop_remainder)
