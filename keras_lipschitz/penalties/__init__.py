"""Lipschitz penalties: gradient penalties, orthogonal regularization, PGGAN's drift penalty and EBGAN's
pulling-away term."""

from keras_lipschitz.penalties.drift import drift_penalty
from keras_lipschitz.penalties.gradient_penalties import critic_input_gradients
from keras_lipschitz.penalties.gradient_penalties import critic_scores
from keras_lipschitz.penalties.gradient_penalties import dragan_penalty
from keras_lipschitz.penalties.gradient_penalties import gradient_penalty
from keras_lipschitz.penalties.gradient_penalties import lazy_penalty
from keras_lipschitz.penalties.gradient_penalties import r1_penalty
from keras_lipschitz.penalties.gradient_penalties import r2_penalty
from keras_lipschitz.penalties.orthogonal_regularizer import OrthogonalRegularizer
from keras_lipschitz.penalties.pulling_away import pulling_away_term

__all__ = [
    "OrthogonalRegularizer",
    "critic_input_gradients",
    "critic_scores",
    "dragan_penalty",
    "drift_penalty",
    "gradient_penalty",
    "lazy_penalty",
    "pulling_away_term",
    "r1_penalty",
    "r2_penalty",
]
