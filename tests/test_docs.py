"""Every python code block in README.md, docs/ and public docstrings runs."""

import inspect
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

import keras_lipschitz.architectures
import keras_lipschitz.constraints
import keras_lipschitz.layers
import keras_lipschitz.losses
import keras_lipschitz.penalties
import keras_lipschitz.recipes.build
import keras_lipschitz.data
import keras_lipschitz.export
import keras_lipschitz.latents
import keras_lipschitz.metrics
import keras_lipschitz.trainers
import keras_lipschitz.visualization
from keras_lipschitz import _tfgan

ROOT = pathlib.Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^([ \t]*)```python\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
DOCSTRING_OBJECTS = [
    keras_lipschitz.layers.SpectralNormalization,
    keras_lipschitz.layers.SelfAttention2D,
    keras_lipschitz.constraints.ClipConstraint,
    keras_lipschitz.losses.MinimaxLoss,
    keras_lipschitz.losses.NonSaturatingLoss,
    keras_lipschitz.losses.WassersteinLoss,
    keras_lipschitz.losses.HingeLoss,
    keras_lipschitz.losses.LeastSquaresLoss,
    keras_lipschitz.losses.RelativisticAverageLoss,
    keras_lipschitz.penalties.gradient_penalty,
    keras_lipschitz.penalties.r1_penalty,
    keras_lipschitz.penalties.r2_penalty,
    keras_lipschitz.penalties.dragan_penalty,
    keras_lipschitz.penalties.lazy_penalty,
    keras_lipschitz.penalties.OrthogonalRegularizer,
    keras_lipschitz.trainers.GAN,
    keras_lipschitz.layers.ConditionalBatchNormalization,
    keras_lipschitz.layers.ClassProjection,
    keras_lipschitz.latents.normal_latents,
    keras_lipschitz.export.fold_spectral_normalization,
    keras_lipschitz.export.export_generator,
    keras_lipschitz.data.sample_mixture,
    keras_lipschitz.metrics.mixture_quality,
    keras_lipschitz.architectures.radford_discriminator,
    keras_lipschitz.architectures.resnet_generator,
    keras_lipschitz.architectures.biggan_generator,
    keras_lipschitz.layers.VectorConditionalBatchNormalization,
    keras_lipschitz.layers.LatentChunks,
    keras_lipschitz.losses.AuxiliaryClassifierLoss,
    keras_lipschitz.layers.DiffAugment,
    keras_lipschitz.metrics.density_coverage,
    keras_lipschitz.metrics.membership_auc,
    keras_lipschitz.data.DataSource.fraction,
    keras_lipschitz.layers.EqualizedDense,
    keras_lipschitz.layers.EqualizedConv2D,
    keras_lipschitz.layers.PixelNormalization,
    keras_lipschitz.layers.MinibatchStandardDeviation,
    keras_lipschitz.layers.FadeIn,
    keras_lipschitz.architectures.ProgressiveGenerator,
    keras_lipschitz.architectures.ProgressiveDiscriminator,
    keras_lipschitz.trainers.ProgressiveGAN,
    keras_lipschitz.penalties.drift_penalty,
    keras_lipschitz.layers.Packing,
    keras_lipschitz.layers.MinibatchDiscrimination,
    keras_lipschitz.layers.VirtualBatchNormalization,
    keras_lipschitz.layers.ReconstructionEnergy,
    keras_lipschitz.losses.EnergyMarginLoss,
    keras_lipschitz.penalties.pulling_away_term,
    keras_lipschitz.architectures.autoencoder_discriminator,
    keras_lipschitz.trainers.unrolling.unrolled_parameters,
    keras_lipschitz.layers.MultiGeneratorDense,
    keras_lipschitz.losses.MultiGeneratorLoss,
    keras_lipschitz.trainers.ModeRegularizedGAN,
]
# Tools with no paper behind them: their examples must run all the same.
EXAMPLE_OBJECTS = [
    keras_lipschitz.trainers.callbacks.SampleImages,
    keras_lipschitz.visualization.image_grid,
    keras_lipschitz.visualization.scatter_plot,
    keras_lipschitz.layers.NearestUpsampling2D,
    keras_lipschitz.data.load,
    keras_lipschitz.metrics.DigitsClassifier,
    keras_lipschitz.trainers.checkpoint.GANCheckpoint,
    keras_lipschitz.trainers.non_finite.TerminateOnNonFinite,
    keras_lipschitz.trainers.step_log.StepLogger,
    keras_lipschitz.visualization.plot_curves,
    keras_lipschitz.load_model,
    keras_lipschitz.recipes.build.build,
    keras_lipschitz.data.read_idx,
    keras_lipschitz.metrics.DatasetClassifier,
    keras_lipschitz.trainers.GrowthSchedule,
    keras_lipschitz.layers.PrependReferenceBatch,
]
MODULE_DOCSTRINGS = [_tfgan]


def _run_blocks(text, tmp_path, monkeypatch):
    blocks = BLOCK.findall(text)
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs__"}
    for _, block in blocks:
        exec(compile(textwrap.dedent(block), "<doc>", "exec"), namespace)
    return len(blocks)


def test_every_page_is_listed_in_the_index():
    index = (ROOT / "docs" / "index.md").read_text()
    for page in PAGES[1:]:
        if page.name != "index.md":
            assert f"({page.name})" in index, page.name


PAGE_BLOCKS = [(page, index, textwrap.dedent(block))
               for page in PAGES for index, (_, block) in enumerate(BLOCK.findall(page.read_text()))]


def test_every_python_block_of_the_pages_is_found():
    for page in PAGES:
        found = sum(1 for block_page, _, _ in PAGE_BLOCKS if block_page == page)
        assert found == page.read_text().count("```python"), page.name


@pytest.mark.parametrize("page, index, block", PAGE_BLOCKS, ids=[f"{p.name}-{i}" for p, i, _ in PAGE_BLOCKS])
def test_page_code_block_runs_as_a_standalone_script(page, index, block, tmp_path):
    # What a reader does: paste the block into a file and run it, in a fresh process, anywhere.
    script = tmp_path / f"{page.stem}_{index}.py"
    script.write_text(block)
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=environment, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, f"{page.name} block {index}:\n{result.stderr[-3000:]}"


@pytest.mark.parametrize("obj", DOCSTRING_OBJECTS, ids=lambda o: o.__name__)
def test_docstring_examples_run(obj, tmp_path, monkeypatch):
    docstring = inspect.getdoc(obj)
    assert "Reference" in docstring and "Args:" in docstring and "Returns:" in docstring
    assert _run_blocks(docstring, tmp_path, monkeypatch) >= 1


@pytest.mark.parametrize("obj", EXAMPLE_OBJECTS, ids=lambda o: o.__name__)
def test_tool_docstring_examples_run(obj, tmp_path, monkeypatch):
    assert _run_blocks(inspect.getdoc(obj), tmp_path, monkeypatch) >= 1


@pytest.mark.parametrize("module", MODULE_DOCSTRINGS, ids=lambda m: m.__name__)
def test_module_docstring_examples_run(module, tmp_path, monkeypatch):
    assert _run_blocks(inspect.getdoc(module), tmp_path, monkeypatch) >= 1
