"""Faults: training that diverges, processes killed mid-write, full and read-only disks.

Divergence stops with TrainingDivergedError and keeps the last good checkpoint; a write is atomic
(the old file or the new one, never a mix) and the leftovers of a killed write are cleaned by the
next write to the same folder once stale; a full or read-only disk is an error naming the path.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tnp
from tinygrad_np import serialization
from tinygrad_np.train.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]


# -- divergence ---------------------------------------------------------------------------------------


def cat_like(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """209 random 'images' of 12288 features in [0, 1], about a third labelled 1 (the cat data's shape)."""
    rng = np.random.default_rng(seed)
    return rng.random((209, 12288)), (rng.random((209, 1)) < 0.35).astype(np.float64)


def deep_model() -> tnp.Sequential:
    """The course's four-layer model [12288, 20, 7, 5, 1]."""
    rng = np.random.default_rng(1)
    return tnp.Sequential(
        tnp.Linear(12288, 20, rng=rng), tnp.ReLU(),
        tnp.Linear(20, 7, rng=rng), tnp.ReLU(),
        tnp.Linear(7, 5, rng=rng), tnp.ReLU(),
        tnp.Linear(5, 1, rng=rng), tnp.Sigmoid(),
    )  # fmt: skip


@pytest.mark.parametrize("optimizer, lr", [("sgd", 1e3), ("sgd", 1e6), ("adam", 1e3)])
def test_an_exploding_loss_stops_with_training_diverged(tmp_path: Path, optimizer: str, lr: float) -> None:
    x, y = cat_like()
    model = deep_model()
    opt = tnp.optim.make_optimizer(optimizer, model.parameters(), lr=lr)
    ckpt = tmp_path / "last.npz"
    with pytest.raises(
        tnp.TrainingDivergedError, match=r"^fit: the .+ must .+, got .+ at epoch \d+/50.*; training diverged\. Checkpoints were left as they were: \S*last\.npz \(epoch \d+\)\."
    ) as info:
        tnp.fit(model, tnp.BCELoss(), opt, x, y, epochs=50, checkpoint=ckpt, progress="none")
    assert info.value.epoch < 50
    # The checkpoint holds the last good epoch, with finite weights, and still loads.
    saved = load_checkpoint(ckpt)
    assert 1 <= int(saved["epoch"]) < info.value.epoch
    assert all(np.all(np.isfinite(v)) for k, v in saved.items() if k.startswith("model/"))


def test_a_sane_learning_rate_completes() -> None:
    x, y = cat_like()
    model = deep_model()
    h = tnp.fit(
        model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.0075), x, y, epochs=20, progress="none"
    )
    assert h.stop_reason == "completed" and h["loss"][-1] < h["loss"][0]


def test_the_divergence_rule_can_be_switched_off() -> None:
    x, y = cat_like()
    model = deep_model()
    h = tnp.fit(
        model,
        tnp.BCELoss(),
        tnp.SGD(model.parameters(), lr=1e3),
        x,
        y,
        epochs=5,
        divergence_factor=None,
        progress="none",
    )
    assert h.stop_reason == "completed"


@pytest.mark.parametrize("lr", [1e3, 1e6])
def test_divergence_from_real_data(lr: float) -> None:
    data = pytest.importorskip("tinygrad_np.data.datasets")
    folder = os.environ.get("TINYGRAD_NP_DATA")
    if not folder or not (Path(folder) / "train_catvnoncat.h5").is_file():
        pytest.skip("real cat data absent: set TINYGRAD_NP_DATA to a folder with the two .h5 files")
    d = data.load_catvnoncat(folder)
    model = deep_model()
    with pytest.raises(tnp.TrainingDivergedError):
        tnp.fit(
            model,
            tnp.BCELoss(),
            tnp.SGD(model.parameters(), lr=lr),
            d.x_train,
            d.y_train,
            epochs=50,
            progress="none",
        )


# -- killed writes and stale temporary files ----------------------------------------------------------


def killed_mid_write(path: Path) -> None:
    """Start a process that opens an atomic write of ``path``, writes half a file, and kill -9 it."""
    code = textwrap.dedent(
        f"""
        import time
        from tinygrad_np.serialization import atomic_write
        with atomic_write({str(path)!r}) as f:
            f.write(b"half a file" * 1000)
            f.flush()
            print("writing", flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    finally:
        proc.kill()  # SIGKILL: no cleanup runs
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.startswith(".tmp-"))


def test_kill_9_during_a_write_leaves_the_old_file_and_the_next_write_cleans_up(
    tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "w.npz"
    model = tnp.Sequential(tnp.Linear(4, 2, rng=np.random.default_rng(0)))
    model.save(path)
    before = path.read_bytes()
    killed_mid_write(path)
    assert path.read_bytes() == before  # the old complete file
    assert len(leftovers(tmp_path)) == 1
    # A recent temporary file may belong to a writer that is still running: kept.
    model.save(tmp_path / "other.npz")
    assert len(leftovers(tmp_path)) == 1
    # Once older than STALE_SECONDS it is ours to clean, on the next write to the same folder.
    monkeypatch.setattr(serialization, "STALE_SECONDS", 0.0)
    time.sleep(0.01)
    model.save(path)
    assert leftovers(tmp_path) == []


def test_only_our_own_temporary_names_are_cleaned(tmp_path: Path, monkeypatch) -> None:
    names = [".tmp-abcd1234-w.npz", ".tmp-notes", "tmp-abcd1234-w.npz", ".tmp-ABCD1234-w.npz", "w.npz.tmp"]
    old = time.time() - 10 * serialization.STALE_SECONDS
    for name in names:
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (old, old))
    tnp.save({"a": np.zeros(2)}, tmp_path / "new.npz")
    assert sorted(os.listdir(tmp_path)) == sorted([*names[1:], "new.npz"])


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "w.npz"
    tnp.save({"a": np.zeros(2)}, path)
    before = path.read_bytes()

    def broken(f, **arrays):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(
        OSError,
        match=rf"^{re.escape(str(path))}: the file must be writable, got No space left on device \(nothing was changed\)$",
    ):
        tnp.save({"a": np.ones(2)}, path)
    assert path.read_bytes() == before and leftovers(tmp_path) == []


# -- full and read-only disks (a small tmpfs; needs root) -------------------------------------------


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_names_the_path_and_keeps_the_old_file(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "size=256k") as disk:
        path = disk / "w.npz"
        tnp.save({"a": np.zeros(10)}, path)
        before = path.read_bytes()
        big = tnp.Sequential(tnp.Linear(200, 200, rng=np.random.default_rng(0)))  # 320 KB of weights
        with pytest.raises(
            OSError,
            match=rf"^{re.escape(str(path))}: the file must be writable, got No space left on device "
            r"\(nothing was changed\)$",
        ):
            big.save(path)
        assert path.read_bytes() == before
        assert leftovers(disk) == []


def test_a_read_only_checkpoint_folder_is_refused_before_training(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "size=64k,ro") as disk:
        model = tnp.Sequential(tnp.Linear(4, 1, rng=np.random.default_rng(0)), tnp.Sigmoid())
        before = model.state_dict()
        x, y = np.ones((6, 4)), np.ones((6, 1))
        with pytest.raises(OSError, match=r"ck\.npz: its folder must be writable, got |ck\.npz: its folder must exist or be creatable, got "):
            tnp.fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1), x, y, epochs=3,
                    checkpoint=disk / "ck.npz", progress="none")  # fmt: skip
        for k, v in model.state_dict().items():
            np.testing.assert_array_equal(v, before[k])  # no training was spent
