"""Adversarial files: .npz weights, checkpoints and HDF5 data that are broken, hostile or huge.

Each is rejected with an error naming the file, before anything large is allocated, and leaves the
model (and optimiser) exactly as it was.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from builders import tiny_model, with_changes

import tinygrad_np as tnp
from tinygrad_np import serialization
from tinygrad_np.train.checkpoint import CheckpointError, load_checkpoint, load_weights

h5py = pytest.importorskip("h5py")
from tinygrad_np.data.datasets.catvnoncat import MAX_IMAGES, read_h5  # noqa: E402


def assert_unchanged(model: tnp.Layer, before: dict[str, np.ndarray]) -> None:
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def write_npz_member(
    path: Path, name: str, header: dict, payload: bytes = b"", deflate: bool = False
) -> None:
    """A zip holding one member ``name`` whose .npy header is ``header`` (possibly lying)."""
    head = bytearray(b"\x93NUMPY\x01\x00")
    text = repr(header).encode("latin1")
    text += b" " * (-(len(text) + 10 + 1) % 64) + b"\n"
    head += len(text).to_bytes(2, "little") + text
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=method) as z:
        z.writestr(name, bytes(head) + payload)


# -- .npz weights --------------------------------------------------------------------------------------


def test_a_npy_renamed_npz_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "w.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(
        ValueError,
        match=r"w\.npz: the file must be a tinygrad_np \.npz weights file \(a zip archive of \.npy arrays\), "
        r"got a single array \(\.npy\); save named arrays with tnp\.save$",
    ):
        tiny_model().load(path)


@pytest.mark.parametrize("content", [bytes(range(256)) * 8, b"just some text\n" * 20, b""])
def test_random_bytes_or_text_give_a_clear_error_without_pickle_advice(tmp_path: Path, content) -> None:
    path = tmp_path / "junk.npz"
    path.write_bytes(content)
    model = tiny_model()
    before = model.state_dict()
    got = "an empty file" if not content else "a file that is not a zip archive"
    with pytest.raises(
        ValueError,
        match=r"junk\.npz: the file must be a tinygrad_np \.npz weights file \(a zip archive of \.npy arrays\), "
        rf"got {got}$",
    ) as info:
        model.load(path)
    assert "pickle" not in str(info.value)
    assert_unchanged(model, before)


def test_a_pickled_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pickled.npz"
    with zipfile.ZipFile(path, "w") as z, z.open("0.weight.npy", "w") as f:
        np.lib.format.write_array(f, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(
        ValueError,
        match=r"pickled\.npz: its member '0\.weight\.npy' must hold plain data \(numbers or strings; anything "
        r"else would need pickle\), got dtype object$",
    ):
        tnp.load(path)


def test_a_header_claiming_8_tib_is_refused_before_allocating(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "huge.npz"
    write_npz_member(path, "0.weight.npy", {"descr": "<f8", "fortran_order": False, "shape": (1 << 40,)})
    monkeypatch.setattr(np, "load", _no_array_reads)
    with pytest.raises(
        ValueError,
        match=r"huge\.npz: its member '0\.weight\.npy' must hold the 8,796,093,022,208 bytes its header claims "
        r"\(shape \(1099511627776,\) of float64\), got 0 bytes$",
    ):
        tnp.load(path)


def test_a_consistent_file_beyond_max_bytes_is_refused(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "big.npz"
    tnp.save({"a": np.zeros(1000)}, path)
    monkeypatch.setattr(np, "load", _no_array_reads)
    with pytest.raises(
        ValueError,
        match=r"big\.npz: its arrays must take at most 100 bytes of memory, got 8,000 bytes; pass max_bytes to "
        r"load a file this large$",
    ):
        tnp.load(path, max_bytes=100)


def _no_array_reads(*args, **kwargs):
    raise AssertionError("an array was read before the headers were checked")


def test_a_deflated_file_of_another_model_is_rejected_from_its_headers(tmp_path: Path, monkeypatch) -> None:
    """The issue's case: a small deflated file whose arrays would take GiBs, with the wrong names."""
    path = tmp_path / "bomb.npz"
    n = 1 << 23  # 64 MiB of float64 zeros, deflated to about 64 KiB
    header = {"descr": "<f8", "fortran_order": False, "shape": (n,)}
    write_npz_member(path, "huge.npy", header, bytes(8 * n), deflate=True)
    assert path.stat().st_size < 1 << 20
    model = tiny_model()
    monkeypatch.setattr(np, "load", _no_array_reads)
    with pytest.raises(KeyError, match=r"bomb\.npz: .*unexpected keys \['huge'\]"):
        model.load(path)


def test_wrong_shapes_are_rejected_from_the_headers(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "other.npz"
    tiny_model(hidden=5).save(path)
    monkeypatch.setattr(np, "load", _no_array_reads)
    with pytest.raises(ValueError, match=r"other\.npz: .*'0\.weight' must have shape \(3, 4\), got \(5, 4\)"):
        tiny_model().load(path)


def test_memory_error_names_the_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "w.npz"
    tiny_model().save(path)

    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(np, "load", out_of_memory)
    with pytest.raises(
        MemoryError,
        match=r"w\.npz: its arrays must fit in memory, got [\d,]+ bytes, more than could be allocated$",
    ):
        tnp.load(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        FileNotFoundError, match=r"nope\.npz: the weights file must exist, got nothing at that path$"
    ):
        tiny_model().load(tmp_path / "nope.npz")


def test_a_good_file_still_round_trips(tmp_path: Path) -> None:
    a, b = tiny_model(0), tiny_model(1)
    a.save(tmp_path / "w.npz")
    b.load(tmp_path / "w.npz")
    assert_unchanged(b, a.state_dict())
    assert set(serialization.read_header(tmp_path / "w.npz")) == set(a.state_dict())


# -- checkpoints -------------------------------------------------------------------------------------


def make_checkpoint(tmp_path: Path, **fit_kwargs) -> tuple[Path, dict[str, np.ndarray]]:
    """A real checkpoint from fit() (a Dropout layer and Adam, so every part is present)."""
    rng = np.random.default_rng(0)
    model = tnp.Sequential(
        tnp.Linear(4, 3, rng=rng), tnp.Dropout(0.2, rng=1), tnp.Linear(3, 1, rng=rng), tnp.Sigmoid()
    )
    x, y = rng.standard_normal((10, 4)), (rng.random((10, 1)) < 0.5).astype(float)
    path = tmp_path / "ck.npz"
    opt = tnp.Adam(model.parameters(), lr=0.01)
    tnp.fit(
        model, tnp.BCELoss(), opt, x, y, epochs=2, batch_size=5, rng=rng, checkpoint=path, progress="none"
    )
    return path, load_checkpoint(path)


def fresh_run() -> tuple[tnp.Sequential, dict[str, np.ndarray], tnp.Adam]:
    rng = np.random.default_rng(5)
    model = tnp.Sequential(
        tnp.Linear(4, 3, rng=rng), tnp.Dropout(0.2, rng=1), tnp.Linear(3, 1, rng=rng), tnp.Sigmoid()
    )
    return model, model.state_dict(), tnp.Adam(model.parameters(), lr=0.01)


def tampered(tmp_path: Path, arrays: dict[str, np.ndarray], **changes) -> Path:
    out = with_changes(arrays, **changes)
    path = tmp_path / "bad.npz"
    serialization.save(out, path)
    return path


def _rng_json(name: str) -> np.ndarray:
    return np.array(json.dumps({"bit_generator": name, "state": {"state": 1, "inc": 1}}))


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"epoch": None}, r"'epoch' must be in the checkpoint, got a file without it; the file was not written by fit\(\)"),
        ({"epoch": np.array("two")}, r"'epoch' must be an integer >= 0"),
        ({"epoch": np.array(-7)}, r"'epoch' must be an integer >= 0"),
        ({"epoch": np.array(2.0)}, r"'epoch' must be an integer >= 0"),
        ({"epoch": np.array(99)}, r"'epoch' \(epochs completed\) must be at most the 4 epochs asked for, got 99; ask for epochs >= 99"),
        ({"rng__fit": np.array("{not json")}, r"rng/fit: the entry must be a valid random generator state, got one that does not load \(Expecting"),
        ({"rng__fit": _rng_json("seed")}, r"rng/fit: bit_generator must be one of .*got 'seed'"),
        ({"rng__fit": _rng_json("RandomState")}, r"got 'RandomState'"),
        ({"rng__fit": _rng_json("__import__")}, r"got '__import__'"),
        ({"rng__model__1": _rng_json("seed")}, r"rng/model/1: bit_generator must be one of"),
        ({"step_in_epoch": np.array(1)}, r"a mid-epoch checkpoint must have partial/loss_sum, correct, seen, seconds, got none of them"),
        ({"step_in_epoch": np.array(7)}, r"step_in_epoch must be <= 2 \(the batches in an epoch\), got 7"),
        ({"epoch_order": np.array([0, 0, 1, 2, 3, 4, 5, 6, 7, 8])}, r"epoch_order must be a permutation of the 10 sample indices, got int64 array of shape \(10,\) with 9"),
        ({"reference_loss": np.array(np.nan)}, r"reference_loss must be a finite number"),
        ({"optimizer__hparams__lr": np.array(-5.0)}, r"hparams/lr must be a finite number"),
        ({"format": np.array("something/else")}, r"the format must be 'tinygrad_np.checkpoint/1'"),
    ],
)
def test_a_bad_checkpoint_is_a_clear_error_and_changes_nothing(
    tmp_path: Path, monkeypatch, changes, match
) -> None:
    _, arrays = make_checkpoint(tmp_path)
    bad = tampered(tmp_path, arrays, **changes)
    called = []
    monkeypatch.setattr(np.random, "seed", lambda *a: called.append(a))
    model, before, opt = fresh_run()
    x, y = np.zeros((10, 4)), np.zeros((10, 1))
    with pytest.raises((CheckpointError, ValueError, TypeError, KeyError), match=match) as info:
        tnp.fit(
            model,
            tnp.BCELoss(),
            opt,
            x,
            y,
            epochs=4,
            batch_size=5,
            rng=np.random.default_rng(0),
            resume_from=bad,
            progress="none",
        )
    assert "bad.npz" in str(info.value)
    assert_unchanged(model, before)
    assert opt.state == {} and opt.lr == 0.01
    assert called == []  # data from the file never chose a function to call


def test_a_checkpoint_of_another_model_is_rejected_from_its_headers(tmp_path: Path, monkeypatch) -> None:
    path, _ = make_checkpoint(tmp_path)
    other = tnp.Sequential(tnp.Linear(4, 1, rng=np.random.default_rng(0)), tnp.Sigmoid())
    before = other.state_dict()
    monkeypatch.setattr(np, "load", _no_array_reads)
    with pytest.raises(KeyError, match=r"ck\.npz: .*unexpected keys \[.2\.weight., .2\.bias.\]"):
        load_weights(other, path)
    assert_unchanged(other, before)


def test_a_good_checkpoint_still_resumes(tmp_path: Path) -> None:
    path, _arrays = make_checkpoint(tmp_path)
    model, _, opt = fresh_run()
    x, y = np.zeros((10, 4)), np.zeros((10, 1))
    h = tnp.fit(
        model,
        tnp.BCELoss(),
        opt,
        x,
        y,
        epochs=3,
        batch_size=5,
        rng=np.random.default_rng(0),
        resume_from=path,
        progress="none",
    )
    assert len(h["loss"]) == 3 and h.stop_reason == "completed"


# -- HDF5 cat files ----------------------------------------------------------------------------------


def write_h5(path: Path, n: int = 3, **override) -> Path:
    with h5py.File(path, "w") as f:
        if "train_set_x" not in override:
            f["train_set_x"] = np.zeros((n, 64, 64, 3), np.uint8)
        if "train_set_y" not in override:
            f["train_set_y"] = np.zeros(n, np.int64)
        f["list_classes"] = np.array([b"non-cat", b"cat"])
        for key, make in override.items():
            make(f, key)
    return path


def test_a_valid_small_file_reads(tmp_path: Path) -> None:
    images, _labels, classes = read_h5(write_h5(tmp_path / "ok.h5"), "train")
    assert images.shape == (3, 64, 64, 3) and classes == ("non-cat", "cat")


def test_zero_images(tmp_path: Path) -> None:
    path = write_h5(tmp_path / "empty.h5", n=0)
    with pytest.raises(
        ValueError,
        match=rf"empty\.h5: train_set_x must hold between 1 and {MAX_IMAGES} images, got 0 \(its declared shape "
        r"is \(0, 64, 64, 3\)\)$",
    ):
        read_h5(path, "train")


def test_train_set_x_being_a_group(tmp_path: Path) -> None:
    path = write_h5(tmp_path / "group.h5", train_set_x=lambda f, k: f.create_group(k))
    with pytest.raises(ValueError, match=r"group\.h5: 'train_set_x' must be a dataset, got a Group"):
        read_h5(path, "train")


def test_an_external_link(tmp_path: Path) -> None:
    write_h5(tmp_path / "elsewhere.h5")
    link = lambda f, k: f.__setitem__(k, h5py.ExternalLink(str(tmp_path / "elsewhere.h5"), "/train_set_x"))  # noqa: E731
    path = write_h5(tmp_path / "linked.h5", train_set_x=link)
    with pytest.raises(
        ValueError,
        match=r"linked\.h5: 'train_set_x' must be a dataset stored in the file, got a ExternalLink",
    ):
        read_h5(path, "train")


def test_an_external_link_to_a_missing_file(tmp_path: Path) -> None:
    link = lambda f, k: f.__setitem__(k, h5py.ExternalLink("/nonexistent.h5", "/x"))  # noqa: E731
    path = write_h5(tmp_path / "dangling.h5", train_set_x=link)
    with pytest.raises(ValueError, match=r"dangling\.h5: 'train_set_x' must be a dataset stored in the file"):
        read_h5(path, "train")


def test_a_small_compressed_file_declaring_200000_images(tmp_path: Path, monkeypatch) -> None:
    def huge(f, key):
        f.create_dataset(
            key, shape=(200_000, 64, 64, 3), dtype=np.uint8, chunks=(1, 64, 64, 3), compression="gzip"
        )

    path = write_h5(tmp_path / "bomb.h5", n=3, train_set_x=huge)
    assert path.stat().st_size < 1 << 20
    monkeypatch.setattr(h5py.Dataset, "__getitem__", _no_array_reads)
    with pytest.raises(
        ValueError,
        match=rf"bomb\.h5: train_set_x must hold between 1 and {MAX_IMAGES} images, got 200000 \(its declared "
        r"shape is \(200000, 64, 64, 3\)\)$",
    ):
        read_h5(path, "train")


@pytest.mark.parametrize(
    "override, match",
    [
        (
            {"train_set_x": lambda f, k: f.__setitem__(k, np.zeros((3, 64, 64, 3), np.float32))},
            r"train_set_x must have dtype uint8, got float32$",
        ),
        (
            {"train_set_x": lambda f, k: f.__setitem__(k, np.zeros((3, 32, 32, 3), np.uint8))},
            r"train_set_x must have shape \(m, 64, 64, 3\), got \(3, 32, 32, 3\)$",
        ),
        (
            {"train_set_y": lambda f, k: f.__setitem__(k, np.zeros(5, np.int64))},
            r"train_set_y must have shape \(3,\) to match train_set_x, got \(5,\)$",
        ),
        (
            {"train_set_y": lambda f, k: f.__setitem__(k, np.zeros(3, np.float64))},
            r"train_set_y must have an integer dtype, got float64$",
        ),
        (
            {"train_set_y": lambda f, k: f.__setitem__(k, np.full(3, 7))},
            r"train_set_y must hold only the labels 0 and 1, got also \[7\]$",
        ),
    ],
)
def test_wrong_dtypes_and_shapes(tmp_path: Path, override, match) -> None:
    path = write_h5(tmp_path / "bad.h5", **override)
    with pytest.raises(ValueError, match=r"bad\.h5: " + match):
        read_h5(path, "train")


@pytest.mark.parametrize("content", [b"", b"\x89HDF\r\n\x1a\n" + b"\x00" * 100, b"plain text"])
def test_not_hdf5_or_truncated(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.h5"
    path.write_bytes(content)
    with pytest.raises(
        ValueError,
        match=r"broken\.h5: the file must be a readable HDF5 file, got one h5py cannot read \(.+\)$",
    ):
        read_h5(path, "train")
