"""Objects that stand in for the library's own in tests."""


class GivenSamples:
    """Stands in for a GAN whose samples are given images: `sample(count)` returns the first `count`."""

    def __init__(self, images):
        self.images = images

    def sample(self, count):
        return self.images[:count]
