"""Power iteration for the largest singular value of a linear operator.

The operator is given as a function `apply(kernel, x)`, linear in `x`; its
adjoint is obtained by automatic differentiation (a vector-Jacobian product),
so one implementation serves matrices and convolutions alike.

Reference:
    Miyato, Kataoka, Koyama, Yoshida. "Spectral Normalization for Generative
    Adversarial Networks", ICLR 2018, Algorithm 1 and eq. 12.
"""

import tensorflow as tf
from keras import ops


def l2_normalize(x):
    """`x / ||x||` over all axes, exact for tiny and huge `x`; zero stays zero.

    Dividing by the largest magnitude first keeps the sum of squares in
    range (it is then at least 1) for values that would overflow or
    underflow when squared.
    """
    scale = ops.max(ops.abs(x))
    x = x / ops.where(scale > 0, scale, ops.ones_like(scale))
    return x * ops.rsqrt(ops.maximum(ops.sum(ops.square(x)), 1.0))


def power_iteration(apply, kernel, probe, iterations, apply_adjoint=None):
    """Runs `iterations` steps of `x <- A^T A x / ||A^T A x||`.

    Args:
        apply: `apply(kernel, x)`, the operator A, linear in `x`.
        kernel: the float32 kernel that A uses.
        probe: the current estimate of the top right singular vector.
        iterations: Python int >= 1.
        apply_adjoint: `apply_adjoint(kernel, y)`, A^T; None to take it as
            the vector-Jacobian product of `apply`.

    Returns:
        The next unit probe, a constant for automatic differentiation (u and v
        are constants in Miyato et al. eq. 12). Where `A x` vanishes (an
        all-zero kernel) the previous probe is kept, so the state never
        collapses to zero.
    """
    kernel = tf.stop_gradient(kernel)

    def step(x):
        candidate = l2_normalize(_gram_product(apply, apply_adjoint, kernel, x))
        return ops.where(ops.sum(ops.square(candidate)) > 0, candidate, x)

    x = l2_normalize(tf.stop_gradient(probe))
    if iterations == 1:  # The usual case: keep the graph straight-line.
        x = step(x)
    else:  # A loop keeps the graph small for many iterations.
        _, x = tf.while_loop(
            lambda i, _: i < iterations, lambda i, x: (i + 1, step(x)), (0, x)
        )
    return tf.stop_gradient(x)


def _gram_product(apply, apply_adjoint, kernel, x):
    """`A^T (A x / ||A x||)`, the adjoint by autodiff where none is given."""
    if apply_adjoint is not None:
        return apply_adjoint(kernel, l2_normalize(apply(kernel, x)))
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        image = apply(kernel, x)
    # For a linear map the vector-Jacobian product at y is A^T y.
    return tape.gradient(image, x, output_gradients=l2_normalize(image))


def singular_value(apply, kernel, probe):
    """The estimate `sigma = u^T A v`, `v` the normalized probe, `u = Av/||Av||`.

    The gradient flows into `kernel` through `A v` while `u` and `v` are held
    constant, which gives `d sigma / dW = u v^T` (Miyato et al. eq. 12).
    """
    probe = l2_normalize(tf.stop_gradient(probe))
    image = apply(kernel, probe)
    direction = tf.stop_gradient(l2_normalize(image))
    return ops.sum(direction * image)
