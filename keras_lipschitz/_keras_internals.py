"""The Keras internals keras-lipschitz relies on, in one place.

Keras 3 has no public API for the two things spectral normalization needs
from it: reading a variable's stored value without mixed-precision
autocasting, and finding the enclosing `StatelessScope` so that a nested one
keeps its parent's variable values. Importing them here means a Keras
upgrade that moves them breaks in one obvious place.
"""

from keras.src.backend import AutocastScope
from keras.src.backend import get_stateless_scope

__all__ = ["AutocastScope", "get_stateless_scope"]
