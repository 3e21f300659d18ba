"""Every python code block in README.md, docs/ and public docstrings runs."""

import inspect
import pathlib
import re
import textwrap

import pytest

import keras_lipschitz.constraints
import keras_lipschitz.layers
import keras_lipschitz.losses
import keras_lipschitz.penalties
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


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_code_blocks_run(page, tmp_path, monkeypatch):
    text = page.read_text()
    count = _run_blocks(text, tmp_path, monkeypatch)
    assert count == text.count("```python")


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
