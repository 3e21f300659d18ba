"""A recipe: a GAN system's settings, with per-data settings and the reason for each.

Settings resolve in order: the recipe's own, then those for the kind of data
(`"points"` for the 2-D mixtures, `"images"`), then those for the dataset by
name (`"ring8"`), then the caller's overrides (the command's flags). Pure
data: importing it imports no TensorFlow, so `keras-lipschitz-train
--list_recipes` answers at once.
"""

import dataclasses

# Every setting a recipe resolves to, with what it means.
SETTINGS = {
    "architecture": "mlp, dcgan (SNGAN's standard CNN), radford (DCGAN's own critic, N(0, 0.02) init), resnet "
                    "(SNGAN's ResNet; SAGAN's with attention), biggan (BigGAN's G, the ResNet critic) or progressive "
                    "(PGGAN's growing networks)",
    "conditional": "train on the dataset's labels (the --conditional flag overrides it)",
    "conditioning": "how a conditional model takes labels: projection (conditional BN in G, projection D), concat "
                    "(label embedding concatenated to G's and D's inputs) or auxiliary (AC-GAN classifier head)",
    "classifier_loss": "none, or the auxiliary classifier's loss: acgan (D on real and generated samples) or "
                       "acgan_mod (D on real samples only)",
    "spectral_normalization": "wrap the critic's layers in SpectralNormalization",
    "critic_normalization": "the radford critic's normalization after each convolution but the first: batch (DCGAN), "
                            "layer (per sample) or none (WGAN-GP's critics); the other critics have their own",
    "packing": "PacGAN: the critic scores packs of this many samples, concatenated (1: no packing)",
    "minibatch_kernels": "minibatch discrimination: B closeness features before the critic's logit (Salimans et al. "
                         "2016; 0: none; mlp, dcgan and radford critics)",
    "virtual_batch_reference": "virtual batch normalization in the mlp generator with a fixed reference batch of "
                               "this many latents (Salimans et al. 2016; 0: none)",
    "autoencoder_code_dim": "EBGAN: an autoencoder critic whose energy is the reconstruction error, with codes of "
                            "this size (0: the architecture's critic)",
    "energy_margin": "m of EBGAN's margin loss (loss energy_margin)",
    "pulling_away_weight": "lambda_PT of EBGAN's pulling-away term on the generated samples' codes (0: none)",
    "num_generators": "MAD-GAN: k generators sharing all but their first layer, and a critic with k + 1 logits "
                      "(loss multi_generator; 1: one generator)",
    "geometric_weight": "MRGAN: lambda_1 of the geometric regularizer E_x[d(x, G(E(x)))] with an encoder E (0 and "
                        "mode_weight 0: no encoder)",
    "mode_weight": "MRGAN: lambda_2 of the mode regularizer E_x[-log D(G(E(x)))]",
    "generator_spectral_normalization": "wrap the generator's layers in SpectralNormalization (SAGAN, BigGAN)",
    "attention_divisor": "self-attention in G and D at the feature maps of image_size / divisor (0: none)",
    "orthogonal_regularization": "beta of BigGAN's orthogonal regularization of G's weights (0: none)",
    "weight_clipping": "clip every critic weight to [-c, c] after each update (0: no clipping)",
    "loss": "a keras_lipschitz.losses name",
    "label_smoothing": "one-sided label smoothing of the real samples' target (minimax and non-saturating losses)",
    "penalty": "none or a keras_lipschitz.trainers.PENALTIES name",
    "penalty_weight": "lambda of the penalty (gamma for R1/R2)",
    "drift_weight": "epsilon_drift of PGGAN's drift penalty on the critic's real scores (0: none)",
    "fade_images": "progressive architecture: real images per fade-in phase (0: no growth, the final resolution "
                   "from the first step)",
    "stable_images": "progressive architecture: real images per stable phase before the next resolution",
    "level_batch_sizes": "progressive architecture: real images per step at each resolution from 4x4 up, e.g. "
                         "64,64,32,16, each dividing batch_size (empty: batch_size at every resolution)",
    "diffaugment": "DiffAugment policies the critic's inputs go through, e.g. color,translation,cutout (empty: none; "
                   "images only)",
    "unrolled_steps": "unrolled GAN: the generator's loss is taken through this many differentiable updates of the "
                      "critic (Metz et al. 2017; 0: none)",
    "unrolled_optimizer": "the unrolled critic updates: adam (continuing the critic's Adam) or sgd",
    "d_steps": "critic steps per generator step",
    "optimizer": "adam or rmsprop, for both networks",
    "beta_1": "Adam's beta_1",
    "beta_2": "Adam's beta_2",
    "adam_epsilon": "Adam's epsilon",
    "d_learning_rate": "the critic's learning rate",
    "g_learning_rate": "the generator's learning rate (TTUR when it differs)",
    "learning_rate_schedule": "constant, or cosine (decayed to 0 over the run's steps)",
    "ema_decay": "EMA of the generator's weights (0: none)",
    "ema_start": "generator step from which the EMA averages",
    "truncation": "sample latents from the normal truncated to [-t, t] (0: no truncation)",
    "latent_dim": "size of z",
    "shared_embedding_dim": "size of BigGAN's shared class embedding",
    "units": "width of the MLPs' hidden layers",
    "critic_depth": "hidden layers of the MLP critic",
    "g_filters": "channels of the ResNet and BigGAN generators' blocks",
    "d_filters": "channels of the ResNet critic's blocks",
    "batch_size": "critic batch size (a generator step reads d_steps of them)",
    "steps": "generator steps",
    "steps_per_execution": "generator steps per compiled call (fewer calls for tiny models)",
    "threads": "CPU threads of the runtime: TensorFlow's intra- and inter-op threads, XLA's on JAX (0: its default)",
}
DATA_KINDS = ("points", "images")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A GAN system: its settings, per-data settings, and where each comes from.

    Attributes:
        name: the name the command and `recipes.get` take.
        title: the system's usual name (e.g. "SNGAN").
        paper: the reference (authors, venue, the equation or table used).
        constraint: how the critic's Lipschitz constant is bounded (for the table).
        base: the recipe's settings (every key of `SETTINGS`).
        by_data: settings for a kind of data (`"points"`, `"images"`) or a
            dataset by name (`"ring8"`), each overriding the ones before.
        reasons: why each `by_data` entry differs (measured or published).
        kinds: the kinds of data the system applies to (`"points"`,
            `"images"`).
    """

    name: str
    title: str
    paper: str
    constraint: str
    base: dict
    by_data: dict = dataclasses.field(default_factory=dict)
    reasons: dict = dataclasses.field(default_factory=dict)
    kinds: tuple = DATA_KINDS

    def __post_init__(self):
        unknown = set(self.base) ^ set(SETTINGS)
        if unknown:
            raise ValueError(f"Recipe {self.name!r}: settings {sorted(unknown)} missing or unknown.")
        for key, settings in self.by_data.items():
            extra = set(settings) - set(SETTINGS)
            if extra:
                raise ValueError(f"Recipe {self.name!r}: unknown settings {sorted(extra)} for {key!r}.")

    def settings(self, dataset=None, **overrides):
        """The resolved settings for `dataset` (a spec such as "grid25" or "tfds:mnist").

        Args:
            dataset: None for the recipe's own settings, or a dataset spec.
            **overrides: settings that win over the recipe's (None values are ignored).

        Returns:
            A dict with every key of `SETTINGS`.
        """
        resolved = dict(self.base)
        if dataset is not None:
            kind = data_kind(dataset)
            if kind not in self.kinds:
                raise ValueError(f"The {self.name} recipe ({self.title}) applies to {' and '.join(self.kinds)}, not to "
                                 f"{dataset} ({kind}). Use an image dataset (e.g. --dataset=digits), or a recipe for "
                                 f"{kind} such as sngan.")
            resolved.update(self.by_data.get(kind, {}))
            resolved.update(self.by_data.get(dataset, {}))
        unknown = set(overrides) - set(SETTINGS)
        if unknown:
            raise ValueError(f"Unknown recipe settings {sorted(unknown)}; known: {', '.join(SETTINGS)}.")
        resolved.update({key: value for key, value in overrides.items() if value is not None})
        return resolved


def data_kind(dataset):
    """"points" for the 2-D mixtures, "images" for everything else."""
    from keras_lipschitz.data import mixtures

    return "points" if dataset in mixtures.STANDARD_DEVIATIONS else "images"


def get(name):
    """The recipe called `name` (see `names()`)."""
    from keras_lipschitz.recipes.catalog import RECIPES

    if name not in RECIPES:
        raise ValueError(f"Unknown recipe {name!r}. Known recipes: {', '.join(RECIPES)}.")
    return RECIPES[name]


def names():
    from keras_lipschitz.recipes.catalog import RECIPES

    return tuple(RECIPES)


def table():
    """The recipes as a text table: name, system, paper, loss, constraint, architecture, defaults."""
    from keras_lipschitz.recipes.catalog import RECIPES

    lines = []
    for recipe in RECIPES.values():
        base = recipe.base
        optimizer = (f"{base['optimizer']}(D {base['d_learning_rate']:g}, G {base['g_learning_rate']:g}"
                     + (f", betas {base['beta_1']:g}/{base['beta_2']:g})" if base["optimizer"] == "adam" else ")"))
        penalty = "" if base["penalty"] == "none" else f" + {base['penalty']} {base['penalty_weight']:g}"
        lines.append(f"{recipe.name}: {recipe.title} ({recipe.paper})")
        conditional = (f"conditional ({base['conditioning']}" + (f", {base['classifier_loss']}" if
                       base["classifier_loss"] != "none" else "") + ")") if base["conditional"] else "unconditional"
        lines.append(f"    loss {base['loss']}{penalty}; constraint: {recipe.constraint}; "
                     f"architecture {base['architecture']}"
                     + (f" (2-D data: {recipe.settings('ring8')['architecture']}); " if "points" in recipe.kinds
                        else " (images only); ")
                     + conditional)
        lines.append(f"    {optimizer}, d_steps {base['d_steps']}, batch {base['batch_size']}, "
                     f"{base['steps']} steps, EMA {base['ema_decay']:g} from step {base['ema_start']}"
                     + (f", sampling truncated at {base['truncation']:g}" if base["truncation"] else ""))
        for key, reason in recipe.reasons.items():
            changed = ", ".join(f"{name}={value}" for name, value in recipe.by_data[key].items())
            lines.append(f"    on {key}: {changed} ({reason})")
    return "\n".join(lines)
