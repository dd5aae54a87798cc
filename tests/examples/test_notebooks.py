"""examples/*.ipynb are what examples/make_notebooks.py writes, and run top to bottom (nbclient + ipykernel,
the ``test`` extra) as a learner runs them: no PYTHONPATH, the kernel in the notebook's folder (examples/:
where Jupyter, JupyterLab and nbconvert put it, wherever they were started) or at the repository root (an
editor set to run notebooks there). The notebook's first cell finds the clone. The cat notebook needs the
real data (TINYGRAD_NP_DATA) and trains 300 iterations when CI is set, as it says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
nbformat = pytest.importorskip("nbformat", reason="nbformat missing: pip install -e '.[test]'")
nbclient = pytest.importorskip("nbclient", reason="nbclient missing: pip install -e '.[test]'")
pytest.importorskip("ipykernel", reason="ipykernel missing: pip install -e '.[test]'")
pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")


def test_notebooks_match_their_generator() -> None:
    from examples.make_notebooks import NOTEBOOKS, render

    for name, cells in NOTEBOOKS.items():
        assert (EXAMPLES / name).read_text() == render(cells), (
            f"run python examples/make_notebooks.py ({name})"
        )


def execute(name: str, monkeypatch, kernel_folder: Path = EXAMPLES) -> nbformat.NotebookNode:
    monkeypatch.setenv("CI", os.environ.get("CI", "true"))  # the short run the notebook describes
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.delenv("PYTHONPATH", raising=False)  # as a learner's Jupyter: nothing points at the clone
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(kernel_folder)}}
    )
    client.execute()
    return nb


def outputs(nb) -> str:
    return "\n".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )


def images(nb) -> int:
    return sum(
        "image/png" in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )


@pytest.mark.slow
@pytest.mark.parametrize("kernel_folder", [EXAMPLES, ROOT], ids=["examples", "root"])
def test_step_by_step_runs(monkeypatch, kernel_folder: Path) -> None:
    nb = execute("step_by_step.ipynb", monkeypatch, kernel_folder)
    text = outputs(nb)
    assert (
        text.count("✓ the course's printed value") >= 17
        and text.count("✓ NumPy reference") >= 9
        and "Z = [[ 3.26295337 -1.23429987]]" in text
    )
    assert "relative error" in text and images(nb) >= 1


@pytest.mark.slow
def test_cat_classifier_runs(monkeypatch) -> None:
    data = os.environ.get("TINYGRAD_NP_DATA")
    if not data or not (Path(data) / "train_catvnoncat.h5").is_file():
        pytest.skip("real cat data absent: set TINYGRAD_NP_DATA to a folder with the two .h5 files")
    nb = execute("cat_classifier.ipynb", monkeypatch)
    text = outputs(nb)
    assert "test accuracy:" in text and "mislabelled" in text and images(nb) >= 4
