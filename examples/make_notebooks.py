"""Write examples/*.ipynb from the cells in examples/nbgen/ (no outputs):
``python examples/make_notebooks.py``.

The notebooks are generated so that they stay reviewable as Python; tests/test_notebooks.py checks that the
committed files match this script and runs them top to bottom.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from examples.nbgen import cat_classifier, char_gpt, step_by_step  # noqa: E402

NOTEBOOKS = {
    "step_by_step.ipynb": step_by_step.CELLS,
    "cat_classifier.ipynb": cat_classifier.CELLS,
    "char_gpt.ipynb": char_gpt.CELLS,
}


def build(cells: list[tuple[str, str]]):
    """An nbformat v4 notebook of markdown ("md") and code ("code") cells, without outputs."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    make = {"md": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb.cells = [make[kind](source.strip("\n")) for kind, source in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # stable ids: regenerating gives the same file
    return nb


def render(cells: list[tuple[str, str]]) -> str:
    import nbformat

    return nbformat.writes(build(cells)) + "\n"


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        (HERE / name).write_text(render(cells))
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
