"""TensorFlow: gradient tapes, `tf.distribute` replicas, `tf.cond`."""

import keras
import tensorflow as tf
from keras import ops

COUNTER_DTYPE = "int64"  # step counters


def global_mean(values):
    """Mean of per-sample `values` over the global batch.

    Inside a `tf.distribute` replica each replica returns its sum divided by
    the global batch size (`tf.nn.compute_average_loss`), so the replicas'
    values add up to the mean over the whole batch, as gradient
    all-reduction (a sum) expects. Outside a strategy, the plain mean.
    """
    return tf.nn.compute_average_loss(values)


def num_replicas():
    return tf.distribute.get_strategy().num_replicas_in_sync


def replica_rows(values, batch):
    """This replica's `batch` rows of `values`, drawn for the global batch (all rows with one replica)."""
    replicas = num_replicas()
    if replicas == 1:
        return values
    replica = tf.distribute.get_replica_context().replica_id_in_sync_group
    return tf.slice(values, [replica * batch] + [0] * (len(values.shape) - 1), [batch, *values.shape[1:]])


def all_replicas(condition):
    """`condition` (a boolean scalar) holds on every replica."""
    bad = ops.cast(ops.logical_not(condition), "float32")
    bad = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, bad)
    return ops.equal(bad, 0.0)


def sum_over_replicas(values):
    """The sum over replicas of each tensor in `values` (a list), differentiable; `values` with one replica."""
    if num_replicas() == 1:
        return values
    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, values)


def value_and_gradients(loss_fn, variables):
    """`loss_fn(tape) -> (loss, aux)`; returns `(loss, aux, gradients of loss)` for `variables`.

    Gradients of variables the loss does not reach are zeros. `tape` is the
    recording `tf.GradientTape` (penalties use it to skip recording a
    piecewise-linear critic's forward pass).
    """
    with tf.GradientTape() as tape:
        loss, aux = loss_fn(tape)
    gradients = tape.gradient(loss, variables)
    return loss, aux, [ops.zeros_like(v) if g is None else g for g, v in zip(gradients, variables)]


def input_gradients(total_fn, inputs, tape=None, variables=None):
    """The gradient of the scalar `total_fn(inputs)` with respect to `inputs`, itself differentiable.

    With the caller's outer `tape` and the `variables` the function reads
    (given only for a piecewise-linear critic, whose forward-pass cotangents
    are all zero), the forward pass is hidden from the outer tape and the
    weights are read where it sees them: the same result, and the double
    backpropagation costs about a third less.
    """
    def inner_tape_total():
        inner = tf.GradientTape(watch_accessed_variables=False)
        with inner:
            inner.watch(inputs)
            total = total_fn(inputs)
        return inner, total

    if tape is not None and variables is not None:
        mapping = [(variable, tf.convert_to_tensor(variable)) for variable in variables]
        with tape.stop_recording(), keras.StatelessScope(state_mapping=mapping):
            inner, total = inner_tape_total()
    else:
        inner, total = inner_tape_total()
    return inner.gradient(total, inputs)


def vector_jacobian_product(apply, input_shape):
    """`adjoint(operand, u)`: `A^T u` for the linear map `A x = apply(operand, x)` (any point: it is linear)."""
    def adjoint(operand, u):
        x = tf.zeros(input_shape, u.dtype)
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(x)
            image = apply(operand, x)
        return tape.gradient(image, x, output_gradients=u)

    return adjoint


def cond(condition, true_fn, false_fn):
    """`tf.cond`; either branch may assign variables."""
    return tf.cond(condition, true_fn, false_fn)


def apply(optimizer, gradients, variables):
    """`optimizer.apply(gradients, variables)`."""
    optimizer.apply(gradients, variables)


def apply_if(condition, optimizer, gradients, variables):
    """`optimizer.apply(gradients, variables)` when `condition` (on every replica alike), else nothing.

    The condition wraps the optimizer's merge_call in cross-replica context,
    as `keras.optimizers.LossScaleOptimizer` does: a `cond` in replica
    context cannot hold a merge_call.
    """
    if tf.__internal__.distribute.strategy_supports_no_merge_call():
        tf.cond(condition, lambda: optimizer.apply(gradients, variables), lambda: None)
        return

    def cross_replica(distribution, gradients, condition):
        def apply():
            distribution.extended.call_for_each_replica(optimizer.apply, args=(gradients, variables))

        tf.cond(distribution.experimental_local_results(condition)[0], apply, lambda: None)

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(gradients, condition))


def stateful_step(model, step, *args):
    """Runs a training step written with variable assignments: on TensorFlow, as it is."""
    return step(*args)


def logs_for_keras(logs):
    """Keras 3.15 reduces multi-worker logs with `strategy.reduce(MEAN, v, axis=0)`,
    which fails on scalars; give it shape (1,) there, and scalars elsewhere."""
    strategy = tf.distribute.get_strategy()
    # The same test Keras applies (no public API says "several workers").
    multi_worker = isinstance(
        strategy, tf.distribute.MultiWorkerMirroredStrategy
    ) and strategy.extended._in_multi_worker_mode()
    if not multi_worker:
        return logs
    return {name: ops.reshape(value, (1,)) for name, value in logs.items()}


def set_threads(count):
    """TensorFlow's intra- and inter-op threads (before its runtime starts)."""
    tf.config.threading.set_intra_op_parallelism_threads(count)
    tf.config.threading.set_inter_op_parallelism_threads(count)


def has_accelerator():
    """Whether TensorFlow sees a GPU."""
    return bool(tf.config.list_physical_devices("GPU"))


def join_processes():
    """tf.distribute's multi-worker strategies join their cluster themselves (TF_CONFIG)."""


def process_shard():
    """`(0, 1)`: tf.distribute's multi-worker strategies split the data themselves."""
    return 0, 1


def is_tensor(value):
    return tf.is_tensor(value)


def batched_arrays(samples, batch_size, shuffle=True, seed=None, drop_remainder=True):
    """In-memory arrays as a `tf.data` pipeline of shuffled batches (distributable by `tf.distribute`)."""
    length = len(samples[0]) if isinstance(samples, tuple) else len(samples)
    dataset = tf.data.Dataset.from_tensor_slices(samples)
    if shuffle:
        dataset = dataset.shuffle(length, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
