"""The cells of the example notebooks, as (kind, source) pairs; examples/make_notebooks.py writes them."""

# The first code cell of every notebook. Jupyter (the notebook server, JupyterLab, VS Code, nbconvert or
# `jupyter execute` from any folder) runs a notebook's kernel in the notebook's own folder, examples/,
# where `import models` fails: models/ is part of the clone, not of the installed library.
REPOSITORY_CELL = (
    "code",
    """
# The cat example (models/) is part of this repository, not of the installed library: find the
# repository (the folder holding models/ and tinygrad_np/; Jupyter runs this notebook in examples/)
# and put it first on sys.path, so that both come from this clone.
import sys
from pathlib import Path

REPO = next((d for d in (Path.cwd(), *Path.cwd().parents)
             if (d / "models" / "cat").is_dir() and (d / "tinygrad_np").is_dir()), None)
if REPO is None:
    raise RuntimeError(f"open this notebook in a clone of tinygrad_np (its examples/ folder); the kernel runs in {Path.cwd()}")
sys.path.insert(0, str(REPO))
""",
)
