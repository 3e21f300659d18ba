"""BigGAN's generator (Brock et al. 2019), sized for small images: shared embedding, hierarchical latent."""

import keras

from keras_lipschitz.architectures import conditioning as conditional
from keras_lipschitz.architectures.resnet import attend_at
from keras_lipschitz.architectures.resnet import convolution
from keras_lipschitz.architectures.resnet import generator_block
from keras_lipschitz.architectures.sizes import check_attention_resolution
from keras_lipschitz.architectures.sizes import upsamplings
from keras_lipschitz.layers import LatentChunks
from keras_lipschitz.layers import VectorConditionalBatchNormalization
from keras_lipschitz.penalties import OrthogonalRegularizer


def biggan_generator(
    latent_dim=128,
    channels=3,
    filters=256,
    num_classes=None,
    image_size=32,
    shared_embedding_dim=128,
    attention_resolution=None,
    orthogonal_regularization=1e-4,
    spectral_normalization=True,
    name="biggan_generator",
):
    """BigGAN's residual generator: z split into one chunk per stage, each block's BN conditioned on its chunk
    and a shared class embedding.

    The first chunk of z goes through a dense layer to a 4x4 map; each
    upsampling residual block (SNGAN's, see `resnet.generator_block`) gets
    the next chunk concatenated with the shared class embedding, which both
    of its batch normalizations project linearly to their gains and biases
    (`VectorConditionalBatchNormalization`). Self-attention after the block
    at `attention_resolution`; BN, ReLU, a 3x3 convolution and tanh at the
    end. Every layer but the shared embedding carries BigGAN's orthogonal
    regularization as a `kernel_regularizer`, so it is in `model.losses`.

    Args:
        latent_dim: size of z, split into `1 + blocks` chunks.
        channels: output channels.
        filters: channels of every residual block (BigGAN widens the early
            blocks; one width keeps the small models simple).
        num_classes: None, or the number of classes (then `[z, labels]` in).
        image_size: 4 * 2**k pixels.
        shared_embedding_dim: size of the shared class embedding (128).
        attention_resolution: None, or the feature-map size after which a
            `SelfAttention2D` block is inserted.
        orthogonal_regularization: beta of `OrthogonalRegularizer` (1e-4; 0
            for none).
        spectral_normalization: wrap every layer (SN in G, as BigGAN does).
        name: model name.

    Returns:
        A functional model from `(batch, latent_dim)` (and labels) to
        `(batch, image_size, image_size, channels)` in [-1, 1].

    Example:

    ```python
    from keras_lipschitz.architectures import biggan_generator

    generator = biggan_generator(latent_dim=32, channels=1, filters=16, num_classes=10, image_size=8)
    print(generator.output_shape, len(generator.losses) > 0)  # (None, 8, 8, 1) True
    ```

    Reference:
        Brock, Donahue, Simonyan, "Large Scale GAN Training for High Fidelity
        Natural Image Synthesis", ICLR 2019, sec. 3-4, Appendix B (Figure 15,
        Table 4); eq. 3 (orthogonal regularization).
    """
    check_attention_resolution(attention_resolution, image_size)
    blocks = upsamplings(image_size)
    sn = spectral_normalization
    regularizer = OrthogonalRegularizer(orthogonal_regularization) if orthogonal_regularization else None
    z = keras.Input((latent_dim,), name="latents")
    labels = conditional.label_input(num_classes)
    chunks = LatentChunks(blocks + 1, name="latent_chunks")(z)
    shared = None
    if labels is not None:
        shared = keras.layers.Embedding(num_classes, shared_embedding_dim, name="shared_embedding")(labels)
    dense = keras.layers.Dense(4 * 4 * filters, kernel_regularizer=regularizer)
    x = keras.layers.Reshape((4, 4, filters))(conditional.maybe_spectral(dense, sn)(chunks[0]))
    x = attend_at(x, attention_resolution, sn, regularizer)
    for chunk in chunks[1:]:
        condition = chunk if shared is None else keras.layers.Concatenate()([chunk, shared])

        def normalize(h, condition=condition):
            return VectorConditionalBatchNormalization(sn, kernel_regularizer=regularizer)([h, condition])

        x = attend_at(generator_block(x, filters, normalize, sn, regularizer), attention_resolution, sn, regularizer)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    images = keras.layers.Activation("tanh")(convolution(channels, 3, sn, regularizer)(x))
    return keras.Model(conditional.model_inputs(z, labels), images, name=name)
