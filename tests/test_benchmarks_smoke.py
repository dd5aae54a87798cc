"""Smoke test of the benchmarks: every workload runs at a tiny size and prints its rows.

Nothing here is about speed: timings on a shared machine prove nothing, so none is asserted.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from benchmarks import run  # noqa: E402

HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_JAX = importlib.util.find_spec("jax") is not None


def test_every_benchmark_runs_tiny(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("TINYGRAD_NP_DATA", raising=False)  # random data of the cat data's shape
    argv = ["--iterations", "2", "--samples", "128", "--overhead-steps", "3", "--startup-runs", "1"]
    argv += ["--gpt-steps", "2"]
    # float32 runs the same code; one dtype keeps the test short
    argv += ["--dtype", "float64", "--pause", "0"]
    results = run.main([*argv, "--json", str(tmp_path / "results.json")])
    out = capsys.readouterr().out

    assert set(results["timings"]) == {"cat/float64", "minibatch/float64", "overhead/float64", "gpt/float32"}
    gpt = results["timings"].pop("gpt/float32")  # the GPT: tinygrad_np against PyTorch only, float32 always
    assert set(gpt) == {"tinygrad_np"} | ({"PyTorch"} if HAS_TORCH else set())
    assert all(t > 0 for t in gpt.values())
    expected = {"tinygrad_np", "tinygrad_np (graph)", "course (NumPy)", "floor"} | ({"PyTorch"} if HAS_TORCH else set())
    expected |= {"JAX (jit)"} if HAS_JAX else set()
    for key, medians in results["timings"].items():
        # the fast path is full-batch only: a row of the cat workload alone
        assert set(medians) == expected | ({"tinygrad_np fast path"} if key.startswith("cat") else set()), key
        assert all(t > 0 for t in medians.values()), key
    for title in ("### cat:", "### minibatch:", "### overhead:", "### gpt:", "### start-up", "### targets"):
        assert title in out
    for name in expected:
        assert f"| {name} " in out
    if not HAS_TORCH:
        assert "PyTorch is not installed" in out
    if not HAS_JAX:
        assert "JAX is not installed" in out
    assert set(results["imports"]) >= {"numpy", "tinygrad_np"}
    assert results["memory"]["float64"]["tinygrad_np"]["peak_rss_mib"] > 0
    assert (tmp_path / "results.json").is_file()


def test_same_math_as_the_references() -> None:
    """From the same weights, tinygrad_np, the course's code (and PyTorch) reach the same loss."""
    import numpy as np

    w = run.cat_workload(np.dtype(np.float64), 3)
    factories, _ = run.trainers_for(w, np.dtype(np.float64))
    losses = {}
    for name, make in factories.items():
        if name == "floor":
            continue
        step = make()
        losses[name] = [step(i) for i in range(3)]
    ref = losses.pop("tinygrad_np")
    for name, other in losses.items():
        np.testing.assert_allclose(other, ref, rtol=1e-9, err_msg=name)


def test_conv_benchmark_runs_tiny(capsys) -> None:
    """benchmarks.conv (also ``benchmarks.run --only conv``) prints every table and the ratios."""
    from benchmarks import conv

    argv = ["--conv-iterations", "2", "--steps", "2", "--cases", "fashion1", "--cnn-batches", "4"]
    ratios = conv.main([*argv, "--repeats", "1", "--pause", "0", "--only", "conv,cnn"])
    out = capsys.readouterr().out
    assert "### Fashion CNN layer 1" in out and "### Fashion CNN training step, batch 4" in out
    assert "| floor (GEMMs) " in out
    if HAS_TORCH:
        assert set(ratios) == {"conv fashion1", "cnn batch 4"}
        assert all(r["wall"] > 0 and r["cpu"] > 0 for r in ratios.values())
        assert "### targets" in out


def test_fashion_epoch_benchmark_runs_tiny(capsys, monkeypatch) -> None:
    """benchmarks.fashion_epoch: one epoch per framework in fresh processes, a row each."""
    from benchmarks import fashion_epoch

    monkeypatch.chdir(ROOT)  # the children run ``python -m benchmarks.fashion_epoch``
    result = fashion_epoch.main(["--limit", "40", "--batch", "16", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "### One epoch of the Fashion CNN: 40 " in out and "| tinygrad_np " in out
    assert set(result["runs"]) == {"tinygrad_np"} | ({"PyTorch"} if HAS_TORCH else set())
    for runs in result["runs"].values():
        assert runs[0]["images"] == 40 and runs[0]["wall"] > 0 and runs[0]["peak_rss_mib"] > 0
