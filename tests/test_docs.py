"""Every python code block in README.md, docs/ and public docstrings runs."""

import inspect
import pathlib
import re
import textwrap

import pytest

import keras_lipschitz.constraints
import keras_lipschitz.layers

ROOT = pathlib.Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^([ \t]*)```python\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
DOCSTRING_OBJECTS = [
    keras_lipschitz.layers.SpectralNormalization,
    keras_lipschitz.constraints.ClipConstraint,
]


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
    assert "Reference" in docstring and "Args:" in docstring
    assert _run_blocks(docstring, tmp_path, monkeypatch) >= 1
