"""scikit-learn's 8x8 digits as arrays (no TensorFlow: the JAX path trains on them)."""


def digits_arrays():
    """scikit-learn's bundled 8x8 digits in [-1, 1], split 80/20 (stratified, fixed seed).

    Returns:
        `(train_images, train_labels, test_images, test_labels)`; images are
        float32 `(n, 8, 8, 1)`, labels int32.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images[..., None] / 8.0 - 1.0).astype("float32")  # pixel values are 0..16
    labels = digits.target.astype("int32")
    train_x, test_x, train_y, test_y = train_test_split(
        images, labels, test_size=0.2, random_state=0, stratify=labels
    )
    return train_x, train_y, test_x, test_y
