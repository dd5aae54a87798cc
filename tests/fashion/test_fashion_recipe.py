"""experiments/fashion_recipe.py on tiny data: the search never reads the test set and writes its table and
the final command; --final scores the test set once per seed and reports the mean ± std."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from idxfiles import write_fashion_folder

pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")

import models.fashion.train_cmd as train_cmd
from experiments import fashion_recipe

QUICK = ["--epochs", "1", "--limit", "120", "--val-size", "40", "--budget", "60"]


@pytest.fixture(autouse=True)
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PNGs, and tiny CNNs (the candidates' options with 2,4 channels)."""
    monkeypatch.setattr(train_cmd, "_pictures", lambda *args: ["weights.npz"])
    tiny = {
        name: fashion_recipe._with(opts, "--channels", "2,4")
        for name, opts in fashion_recipe.CANDIDATES.items()
    }
    monkeypatch.setattr(fashion_recipe, "CANDIDATES", tiny)


def test_search_on_validation_then_final_on_three_seeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(write_fashion_folder(tmp_path / "fm", n_train=120, n_test=20))
    out = tmp_path / "search"
    result = fashion_recipe.main(["--recipes", "base,crop-flip", "--data", data, "--out", str(out), *QUICK])
    table = result["table"]
    assert {r["recipe"] for r in table} == {"base", "crop-flip"}
    assert table[0]["val_accuracy"] >= table[1]["val_accuracy"]
    for name in ("base", "crop-flip"):
        m = json.loads((out / f"search-{name}" / "metrics.json").read_text())
        assert "test" not in m and m["settings"]["time_budget"] == 60.0  # the test set is never scored
    assert (out / "search.md").read_text().startswith("| recipe | val_accuracy |")
    command = result["final_command"]
    assert command.startswith(f"python -m experiments.fashion_recipe --final --recipe {table[0]['recipe']} ")
    assert command in capsys.readouterr().out
    final = fashion_recipe.main(["--final", "--recipe", "crop-flip", "--data", data,
                                 "--out", str(tmp_path / "final"), *QUICK])  # fmt: skip
    assert [r["seed"] for r in final["runs"]] == [0, 1, 2]
    accs = [r["test_accuracy"] for r in final["runs"]]
    assert final["test_accuracy_mean"] == pytest.approx(sum(accs) / 3)
    assert "test accuracy" in capsys.readouterr().out
    assert json.loads((tmp_path / "final" / "final.json").read_text())["recipe"] == "crop-flip"


def test_final_needs_a_recipe(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        fashion_recipe.parse(["--final"])
    assert "--final needs --recipe" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        fashion_recipe.parse(["--recipes", "nope"])
    assert "--recipes must name candidates" in capsys.readouterr().err
