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

import jax
from keras import ops

from keras_lipschitz.backend.common import InheritingScope


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


def is_tensor(value):
    return isinstance(value, jax.Array)


def batched_arrays(samples, batch_size, shuffle=True, seed=None, drop_remainder=True):
    """In-memory arrays as full, shuffled batches for `fit` (a `keras.utils.PyDataset`)."""
    from keras_lipschitz.data.array_batches import ArrayBatches

    return ArrayBatches(samples, batch_size, shuffle=shuffle, seed=seed, drop_remainder=drop_remainder)
