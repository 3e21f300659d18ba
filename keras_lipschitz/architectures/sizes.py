"""Image sizes the convolutional architectures make: 4x4 maps doubled k times."""


def upsamplings(image_size):
    """The stride-2 steps from a 4x4 map to `image_size` (which must be 4 * 2**k)."""
    steps, size = 0, image_size
    while size > 4 and size % 2 == 0:
        size //= 2
        steps += 1
    if size != 4:
        raise ValueError(f"image_size must be 4 * 2**k (8, 16, 32, 64, ...), got {image_size}.")
    return steps


def check_attention_resolution(attention_resolution, image_size):
    """None, or a feature-map size the models pass through (4 ... image_size / 2)."""
    if attention_resolution is None:
        return None
    sizes = [4 * 2**step for step in range(upsamplings(image_size))]
    if attention_resolution not in sizes:
        raise ValueError(f"attention_resolution={attention_resolution} is not a feature-map size of a "
                         f"{image_size}-pixel model; use one of {sizes} or None.")
    return attention_resolution
