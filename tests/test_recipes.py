"""The recipe registry: resolution order, the command's use of it, the models and optimizers it builds."""

import subprocess
import sys
import warnings

import keras
import pytest

from keras_lipschitz import recipes
from keras_lipschitz.constraints import ClipConstraint
from keras_lipschitz.layers import SpectralNormalization
from keras_lipschitz.recipes import build
from keras_lipschitz.trainers import presets
from keras_lipschitz.trainers import train


def _run_settings(*flags):
    train.FLAGS(["keras-lipschitz-train", *flags])
    try:
        return train._run_settings(train._checked_settings())
    finally:
        train.FLAGS.unparse_flags()


def test_settings_resolve_recipe_then_kind_then_dataset_then_overrides():
    sngan = recipes.get("sngan")
    assert sngan.settings() == sngan.base
    assert sngan.settings("digits") == sngan.base  # images: the recipe's own settings
    grid = sngan.settings("grid25")  # points: the 2-D mixture settings
    assert (grid["architecture"], grid["steps"], grid["batch_size"], grid["d_learning_rate"]) == ("mlp", 12000, 256,
                                                                                                  1e-3)
    ring = sngan.settings("ring8")  # then ring8's own
    assert (ring["steps"], ring["critic_depth"], ring["d_learning_rate"], ring["units"]) == (20000, 2, 5e-4, 256)
    overridden = sngan.settings("ring8", steps=10, critic_depth=None)
    assert overridden["steps"] == 10 and overridden["critic_depth"] == 2  # None leaves the recipe's value
    assert set(overridden) == set(recipes.SETTINGS)
    with pytest.raises(ValueError, match="Unknown recipe 'biggn'. Known recipes: sngan"):
        recipes.get("biggn")
    with pytest.raises(ValueError, match=r"Unknown recipe settings \['stepz'\]"):
        sngan.settings(stepz=3)


@pytest.mark.parametrize("name", recipes.names())
def test_every_recipe_has_a_paper_and_complete_settings_and_reasons_for_its_data_settings(name):
    recipe = recipes.get(name)
    assert recipe.paper and recipe.title and recipe.constraint
    assert set(recipe.base) == set(recipes.SETTINGS)
    assert set(recipe.reasons) == set(recipe.by_data)  # every per-data setting says why
    assert f"{name}: {recipe.title}" in recipes.table()


def test_the_papers_presets_are_the_recipes_compile_settings():
    sngan, wgan_gp, wgan = presets.sngan(), presets.wgan_gp(), presets.wgan()
    assert (sngan["loss"], sngan["penalty"], sngan["d_steps"]) == ("hinge", None, 1)
    assert isinstance(sngan["d_optimizer"], keras.optimizers.Adam)
    assert (float(sngan["d_optimizer"].learning_rate), sngan["d_optimizer"].beta_1, sngan["d_optimizer"].beta_2) \
        == (pytest.approx(2e-4), 0.0, 0.9)
    assert (wgan_gp["penalty"], wgan_gp["penalty_weight"], wgan_gp["d_steps"]) == ("gradient_penalty", 10.0, 5)
    assert isinstance(wgan["d_optimizer"], keras.optimizers.RMSprop)
    assert float(wgan["d_optimizer"].learning_rate) == pytest.approx(5e-5)


def test_build_makes_what_the_settings_say():
    settings = recipes.get("sngan").settings("ring8")
    gan, arguments = build.build(settings, (2,), seed=0)
    dense = [layer for layer in gan.discriminator.layers if isinstance(layer, SpectralNormalization)]
    assert len(dense) == settings["critic_depth"] + 1  # hidden layers and the logit, all normalized
    assert gan.generator.layers[1].units == 256 and gan.latent_dim == 2 and gan.ema_decay == 0.999
    schedule = arguments["d_optimizer"]._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    assert (schedule.initial_learning_rate, schedule.decay_steps) == (5e-4, 20000)
    wgan, _ = build.build(recipes.get("wgan").settings("digits"), (8, 8, 1), seed=0)
    assert all(isinstance(variable.constraint, ClipConstraint) and variable.constraint.clip_value == 0.01
               for variable in wgan.discriminator.trainable_variables)
    assert not any(isinstance(layer, SpectralNormalization) for layer in wgan.discriminator._flatten_layers())
    gan_gp, arguments = build.build(recipes.get("wgan_gp").settings("grid25"), (2,), seed=0)
    assert gan_gp.ema_decay is None and arguments["d_optimizer"]._learning_rate.decay_steps == 3000 * 5


def test_the_command_reads_the_recipe_and_flags_override_it():
    grid = _run_settings("--dataset=grid25")
    assert grid == {**grid, **recipes.get("sngan").settings("grid25")}
    overridden = _run_settings("--dataset=grid25", "--steps=10", "--batch_size=32", "--architecture=auto")
    assert (overridden["steps"], overridden["batch_size"], overridden["architecture"]) == (10, 32, "mlp")
    digits = _run_settings("--gan=wgan_gp", "--ema_decay=0")
    assert (digits["architecture"], digits["ema_decay"], digits["d_steps"]) == ("dcgan", 0.0, 5)
    # Callbacks act between compiled calls: every step they act on ends a call.
    assert train._steps_per_execution(grid, log_every=100, done=0) == 25
    assert train._steps_per_execution(grid, log_every=20, done=0) == 5
    assert train._steps_per_execution(grid, log_every=100, done=284) == 1


def test_list_recipes_prints_the_table_without_importing_tensorflow(tmp_path):
    script = ("import atexit, sys; sys.argv = ['keras-lipschitz-train', '--list_recipes']\n"
              "atexit.register(lambda: print('tensorflow imported:', 'tensorflow' in sys.modules))\n"
              "from keras_lipschitz.trainers.train import run\nrun()\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert recipes.table() in result.stdout and "tensorflow imported: False" in result.stdout


def test_the_dcgan_recipe_builds_radfords_models():
    settings = recipes.get("dcgan").settings("digits")
    assert (settings["architecture"], settings["loss"], settings["beta_1"], settings["d_learning_rate"]) == \
        ("radford", "non_saturating", 0.5, 2e-4)
    gan, _ = build.build(recipes.get("dcgan").settings("tfds:cifar10"), (32, 32, 3), seed=0)
    critic_layers = [layer for layer in gan.discriminator.layers if not isinstance(layer, keras.layers.InputLayer)]
    kinds = [type(layer).__name__ for layer in critic_layers]
    # Strided 4x4 convolutions 32 -> 16 -> 8 -> 4; BN after each but the input layer's; LeakyReLU 0.2.
    assert kinds == ["Conv2D", "LeakyReLU", "Conv2D", "BatchNormalization", "LeakyReLU", "Conv2D",
                     "BatchNormalization", "LeakyReLU", "Flatten", "Dense"]
    assert all(layer.strides == (2, 2) and layer.kernel_size == (4, 4) for layer in critic_layers
               if isinstance(layer, keras.layers.Conv2D))
    assert all(layer.negative_slope == pytest.approx(0.2) for layer in critic_layers
               if isinstance(layer, keras.layers.LeakyReLU))
    # The generator: BN and ReLU after every hidden layer, a tanh output with no BN after it.
    generator_layers = gan.generator.layers
    assert generator_layers[-1].activation.__name__ == "tanh"
    assert not any(isinstance(layer, keras.layers.BatchNormalization)
                   for layer in generator_layers[generator_layers.index(generator_layers[-1]):])
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in generator_layers) == 4
    assert sum(isinstance(layer, keras.layers.ReLU) for layer in generator_layers) == 4
    # N(0, 0.02) weights in every convolution of both networks.
    kernels = [layer.kernel.numpy() for layer in [*generator_layers, *critic_layers]
               if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
    assert len(kernels) == 7
    assert all(abs(kernel.std() - 0.02) < 0.004 and abs(kernel.mean()) < 0.003 for kernel in kernels)


@pytest.mark.parametrize("dataset", ["fashion_mnist", "mnist"])
def test_wgan_gp_on_28_pixel_grayscale_sets_uses_the_authors_unnormalized_critic(dataset):
    """Gulrajani et al. 2017, sec. 4 and their MNIST code: no batch normalization under a gradient penalty."""
    settings = recipes.get("wgan_gp").settings(dataset)
    assert (settings["architecture"], settings["critic_normalization"], settings["d_steps"]) == ("radford", "none", 5)
    gan, compile_arguments = build.build(settings, (32, 32, 1), seed=0)
    assert not any(isinstance(layer, (keras.layers.BatchNormalization, keras.layers.LayerNormalization))
                   for layer in gan.discriminator.layers)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the trainer warns when a penalized critic has batch normalization
        gan.compile(**compile_arguments)
    assert recipes.get("wgan_gp").settings("digits")["architecture"] == "dcgan"  # other data keep the SNGAN CNN


def test_another_architecture_for_wgan_gp_on_fashion_mnist_keeps_its_own_critic():
    """--architecture=dcgan over the recipe's radford: the setting that only the radford critic reads stays unread."""
    settings = recipes.get("wgan_gp").settings("fashion_mnist", architecture="dcgan")
    gan, _ = build.build(settings, (32, 32, 1), seed=0)
    assert gan.discriminator.name == "dcgan_discriminator"
    with pytest.raises(ValueError, match="normalization must be one of batch, layer, none, got 'group'"):
        build.build(recipes.get("dcgan").settings("digits", critic_normalization="group"), (8, 8, 1), seed=0)
