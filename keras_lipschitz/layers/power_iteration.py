"""Power iteration for the largest singular value of a linear operator.

The operator A is given as a function `apply(kernel, x)`, linear in `x`; its
adjoint is either given or obtained by automatic differentiation (a
vector-Jacobian product), so one implementation serves matrices and
convolutions alike.

Reference:
    Miyato, Kataoka, Koyama, Yoshida. "Spectral Normalization for Generative
    Adversarial Networks", ICLR 2018, Algorithm 1 and eq. 12.
"""

import numpy as np
from keras import ops

from keras_lipschitz import backend

# Dividing by max(|x|, this) never overflows and keeps the smallest normal
# float32 values exact.
_SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)


def l2_normalize(x):
    """`x / ||x||` over all axes, exact for tiny and huge `x`; zero stays zero.

    Dividing by the largest magnitude first keeps the sum of squares in
    range (it is then at least 1) for values that would overflow or
    underflow when squared.
    """
    x = x / ops.maximum(ops.max(ops.abs(x)), _SMALLEST_NORMAL)
    return x * ops.rsqrt(ops.maximum(ops.sum(ops.square(x)), 1.0))


def spectral_norm(apply, operand, u, input_shape, iterations=1, apply_adjoint=None):
    """Estimates `sigma(A)` by power iteration from the left vector `u`.

    Runs Algorithm 1 of Miyato et al.: `v <- A^T u / ||A^T u||`,
    `u <- A v / ||A v||`, `iterations` times, and returns
    `sigma = u^T A v`. Only the last `A v` is differentiated: `u` and `v` are
    constants, so `d sigma / d operand` is `u v^T` (eq. 12).

    Args:
        apply: `apply(operand, x)`, the operator A, linear in `x`.
        operand: the float32 kernel (or its matrix view) that A uses.
        u: the current left singular vector estimate (output space of A);
            any non-zero scale.
        input_shape: shape of A's input vectors `v`.
        iterations: Python int >= 1.
        apply_adjoint: `apply_adjoint(operand, u)`, A^T; None to take the
            vector-Jacobian product of `apply`.

    Returns:
        `(sigma, next_u)`: the float32 estimate, differentiable in `operand`,
        and the next unit left vector to store. Where `A v` vanishes (an
        all-zero kernel) `next_u` is `u` unchanged, so the state
        never collapses to zero.
    """
    constant = ops.stop_gradient(operand)
    adjoint = apply_adjoint or backend.vector_jacobian_product(apply, input_shape)

    def right_vector(u):
        return l2_normalize(adjoint(constant, u))

    # u is non-trainable state (read once here) and v is built from
    # constants: neither needs a stop_gradient; only the image below does.
    u = ops.convert_to_tensor(u)
    if iterations > 1:  # A loop keeps the graph small for many iterations.
        u = ops.fori_loop(0, iterations - 1, lambda _, u: l2_normalize(apply(constant, right_vector(u))), u)
    v = right_vector(u)
    image = apply(operand, v)
    next_u = ops.stop_gradient(l2_normalize(image))
    sigma = ops.sum(next_u * image)
    # A zero image (all-zero kernel) would wipe the state: keep u instead.
    next_u = ops.where(sigma > 0, next_u, u)
    return sigma, next_u

