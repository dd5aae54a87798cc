"""The course's published numbers, reproduced to 1e-9 on the real cat data (float64, course init).

Each model trains for 2500 full-batch iterations once per module (about 10-60 s each).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("h5py", reason="h5py missing: pip install -e '.[cat]'")
pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")

from datafiles import DATA as REAL
from datafiles import needs_cat_data

from models.cat import load_model, predict_proba
from models.cat.cli import main
from tinygrad_np.data.datasets import load_catvnoncat

# The course reproductions: the slowest tests (a developer's quick run is `pytest -m "not slow"`).
pytestmark = [needs_cat_data, pytest.mark.slow]

COURSE = {
    "deep": {
        "costs": {0: 0.7717493284237686, 100: 0.6720534400822914, 2400: 0.09287821526472395},
        "train": (206, 209),
        "test": (40, 50),
    },
    "two-layer": {
        "costs": {0: 0.693049735659989, 100: 0.6464320953428849, 2400: 0.04855478562877017},
        "train": (209, 209),
        "test": (36, 50),
    },
}


@pytest.fixture(scope="module", params=sorted(COURSE))
def run(request, tmp_path_factory) -> tuple[str, Path, str]:
    """Train one model with the defaults through the CLI; (model, out dir, printed output)."""
    out = tmp_path_factory.mktemp(request.param)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["train", "--model", request.param, "--data", str(REAL), "--out", str(out)])
    assert code == 0, buf.getvalue()
    return request.param, out, buf.getvalue()


def test_costs_match_the_course(run) -> None:
    model, out, printed = run
    costs = json.loads((out / "metrics.json").read_text())["costs"]
    assert len(costs) == 2500
    for i, expected in COURSE[model]["costs"].items():
        assert costs[i] == pytest.approx(expected, abs=1e-9, rel=0), f"iteration {i}"
        line = re.search(rf"^Cost after iteration {i}: (\S+)$", printed, re.M)
        assert line and float(line.group(1)) == pytest.approx(expected, abs=1e-9, rel=0)
    # Printed like the course: every 100 iterations, and the last one.
    printed_at = [int(i) for i in re.findall(r"^Cost after iteration (\d+):", printed, re.M)]
    assert printed_at == [*range(0, 2500, 100), 2499]


def test_accuracies_match_the_course(run) -> None:
    model, out, printed = run
    metrics = json.loads((out / "metrics.json").read_text())
    for split in ("train", "test"):
        correct, total = COURSE[model][split]
        assert (metrics[split]["correct"], metrics[split]["total"]) == (correct, total)
        assert f"{split.capitalize()} accuracy: {correct / total:.4f} ({correct}/{total})" in printed


def test_saved_weights_give_the_same_predictions(run, tmp_path: Path) -> None:
    """Weights reload; a test picture saved as PNG and run through predict gets the same P(cat)."""
    from PIL import Image

    model_name, out, _ = run
    data = load_catvnoncat(REAL)
    model = load_model(str(out / "weights.npz"))
    prob = predict_proba(model, data.x_test)
    correct, _ = COURSE[model_name]["test"]
    assert int(np.sum((prob > 0.5) == (data.y_test == 1))) == correct
    Image.fromarray(data.images_test[3]).save(tmp_path / "three.png")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["predict", "--weights", str(out / "weights.npz"), str(tmp_path / "three.png")]) == 0
    expected_label = "cat" if prob[3, 0] > 0.5 else "non-cat"
    assert buf.getvalue().strip() == f"{tmp_path / 'three.png'}: {expected_label} (P(cat) = {prob[3, 0]:.4f})"
