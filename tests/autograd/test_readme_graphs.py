"""The README's "Graphs: Tensor and Module" example runs as written and learns."""

from __future__ import annotations

import os
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_graph_example_runs(tmp_path, capsys) -> None:
    section = README.read_text().split("## Graphs: Tensor and Module", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    cwd = os.getcwd()
    os.chdir(tmp_path)  # net.save("net.npz") writes here
    try:
        namespace: dict = {}
        exec(compile(code, str(README), "exec"), namespace)
    finally:
        os.chdir(cwd)
    assert (tmp_path / "net.npz").is_file()
    assert "(3, 4) (4,)" in capsys.readouterr().out
    accuracy = ((namespace["p"][:, 0] > 0.5) == (namespace["x_test"][:, 0] + namespace["x_test"][:, 1] > 0)).mean()
    assert accuracy > 0.8
