"""GAN trainers (`keras_lipschitz.trainers` once installed).

Empty for now: the GAN `keras.Model` classes and the training command are
tracked in the project's issues.
"""
