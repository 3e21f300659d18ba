"""Weight constraints that bound a critic's Lipschitz constant."""

from keras_lipschitz.constraints.clip_constraint import ClipConstraint

__all__ = ["ClipConstraint"]
