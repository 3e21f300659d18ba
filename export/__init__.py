"""Generator export (`keras_lipschitz.export` once installed).

Empty for now: SavedModel and TFLite export are tracked in the project's
issues.
"""
