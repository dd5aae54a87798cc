"""The cat / non-cat HDF5 loader, the image-folder dataset and load_image."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="h5py missing: pip install -e '.[cat]'")
Image = pytest.importorskip("PIL.Image", reason="Pillow missing: pip install -e '.[cat]'")

from datafiles import DATA as REAL  # noqa: E402
from datafiles import needs_cat_data as needs_real_data  # noqa: E402

from tinygrad_np.data.datasets import (  # noqa: E402
    ImageLoadError,
    load_catvnoncat,
    load_dataset,
    load_image,
    load_image_folder,
    read_h5,
)


def write_h5(path: Path, split: str, m: int = 4, **override) -> Path:
    """A small synthetic file in the course's format; ``override`` replaces datasets."""
    rng = np.random.default_rng(0)
    data = {
        f"{split}_set_x": rng.integers(0, 256, (m, 64, 64, 3), dtype=np.uint8),
        f"{split}_set_y": np.arange(m, dtype=np.int64) % 2,
        "list_classes": np.array([b"non-cat", b"cat"]),
    }
    data.update(override)
    with h5py.File(path, "w") as f:
        for key, value in data.items():
            if value is not None:
                f[key] = value
    return path


@pytest.fixture
def h5_dir(tmp_path: Path) -> Path:
    write_h5(tmp_path / "train_catvnoncat.h5", "train", m=6)
    write_h5(tmp_path / "test_catvnoncat.h5", "test", m=3)
    return tmp_path


# --- real data ---------------------------------------------------------------------------------


@needs_real_data
def test_real_data_shapes_and_counts() -> None:
    d = load_catvnoncat(REAL)
    assert d.x_train.shape == (209, 12288) and d.x_test.shape == (50, 12288)
    assert d.y_train.shape == (209, 1) and d.y_test.shape == (50, 1)
    assert d.x_train.dtype == np.float64 and d.y_train.dtype == np.float64
    assert d.images_train.shape == (209, 64, 64, 3) and d.images_train.dtype == np.uint8
    assert d.classes == ("non-cat", "cat")
    assert d.y_train.sum() == 72 and d.y_test.sum() == 33
    assert 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    # Same flattening as the course: image.reshape(-1) / 255.
    np.testing.assert_array_equal(d.x_test[7], d.images_test[7].reshape(-1) / 255.0)


@needs_real_data
def test_real_data_float32_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYGRAD_NP_DATA", str(REAL))
    d = load_dataset(dtype=np.float32)
    assert d.x_train.dtype == np.float32 and d.y_test.dtype == np.float32
    assert d.source == str(REAL)


# --- HDF5 validation on synthetic files --------------------------------------------------------


def test_synthetic_h5_loads(h5_dir: Path) -> None:
    d = load_dataset(h5_dir)
    assert d.x_train.shape == (6, 12288) and d.y_test.shape == (3, 1)
    np.testing.assert_array_equal(d.y_train[:, 0], [0, 1, 0, 1, 0, 1])


def test_missing_file_names_it(tmp_path: Path) -> None:
    write_h5(tmp_path / "train_catvnoncat.h5", "train")
    with pytest.raises(FileNotFoundError, match=r"test_catvnoncat\.h5"):
        load_catvnoncat(tmp_path)


def test_truncated_file(h5_dir: Path) -> None:
    path = h5_dir / "train_catvnoncat.h5"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        ValueError,
        match=r"train_catvnoncat\.h5: the file must be a readable HDF5 file, got one h5py cannot read \(",
    ):
        load_catvnoncat(h5_dir)


def test_not_hdf5(tmp_path: Path) -> None:
    path = tmp_path / "train_catvnoncat.h5"
    path.write_text("<html>404 not found</html>")
    with pytest.raises(
        ValueError,
        match=r"train_catvnoncat\.h5: the file must be a readable HDF5 file, got one h5py cannot read \(",
    ):
        read_h5(path, "train")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"train_set_x": None},
            r"the file must hold the key 'train_set_x', got the keys \['list_classes', 'train_set_y'\]",
        ),
        ({"list_classes": None}, "the file must hold the key 'list_classes', got the keys"),
        (
            {"train_set_x": np.zeros((4, 64, 64, 3), np.float32)},
            "train_set_x must have dtype uint8, got float32",
        ),
        (
            {"train_set_x": np.zeros((4, 32, 32, 3), np.uint8)},
            r"train_set_x must have shape \(m, 64, 64, 3\), got \(4, 32, 32, 3\)",
        ),
        (
            {"train_set_y": np.zeros(5, np.int64)},
            r"train_set_y must have shape \(4,\) to match train_set_x, got \(5,\)",
        ),
        (
            {"train_set_y": np.array([0, 1, 2, 1])},
            r"train_set_y must hold only the labels 0 and 1, got also \[2\]",
        ),
        ({"train_set_y": np.zeros(4, np.float64)}, "train_set_y must have an integer dtype, got float64"),
        ({"list_classes": np.array([b"a", b"b", b"c"])}, r"list_classes must have shape \(2,\), got \(3,\)"),
    ],
)
def test_wrong_contents_named(tmp_path: Path, override: dict, message: str) -> None:
    path = write_h5(tmp_path / "train_catvnoncat.h5", "train", **override)
    with pytest.raises(ValueError, match=message) as info:
        read_h5(path, "train")
    assert str(path) in str(info.value)


def test_labels_as_row_vector_accepted(tmp_path: Path) -> None:
    path = write_h5(tmp_path / "t.h5", "train", train_set_y=np.array([[1, 0, 0, 1]]))
    _, labels, _ = read_h5(path, "train")
    np.testing.assert_array_equal(labels, [1, 0, 0, 1])


def test_env_folder_without_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYGRAD_NP_DATA", str(tmp_path))
    with pytest.raises(
        FileNotFoundError,
        match=r": the folder must hold the cat data: train_catvnoncat\.h5 and test_catvnoncat\.h5, or train/ "
        r"and test/ folders of images, got neither$",
    ):
        load_dataset()


def test_non_float_dtype_rejected(h5_dir: Path) -> None:
    with pytest.raises(
        TypeError, match="to_features: dtype must be a float type such as float64 or float32, got int32"
    ):
        load_dataset(h5_dir, dtype=np.int32)


# --- images --------------------------------------------------------------------------------


def save(path: Path, mode: str = "RGB", size: tuple[int, int] = (80, 50), color=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(path.name))
    if color is None:
        channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode if mode != "P" else "RGB"]
        arr = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
        im = Image.fromarray(arr.squeeze(-1) if channels == 1 else arr)
        if mode == "P":
            im = im.convert("P")
    else:
        im = Image.new(mode, size, color)
    im.save(path)
    return path


def test_load_image_modes(tmp_path: Path) -> None:
    for mode, name in [("RGB", "a.jpg"), ("RGBA", "b.png"), ("L", "c.png"), ("P", "d.png")]:
        arr = load_image(save(tmp_path / name, mode))
        assert arr.shape == (64, 64, 3) and arr.dtype == np.uint8, mode


def test_load_image_uses_bicubic_resize_of_rgb(tmp_path: Path) -> None:
    path = save(tmp_path / "x.png", "RGB", size=(120, 90))
    expected = np.asarray(Image.open(path).resize((64, 64), Image.Resampling.BICUBIC))
    np.testing.assert_array_equal(load_image(path), expected)


def test_transparent_pixels_become_white(tmp_path: Path) -> None:
    arr = load_image(save(tmp_path / "t.png", "RGBA", color=(0, 0, 0, 0)))
    assert (arr == 255).all()
    gray = load_image(save(tmp_path / "g.png", "L", color=100))
    assert (gray == 100).all()


def test_load_image_errors_name_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    with pytest.raises(ImageLoadError, match=r"notes\.jpg"):
        load_image(text)
    jpg = save(tmp_path / "cut.jpg")
    jpg.write_bytes(jpg.read_bytes()[:200])
    with pytest.raises(ImageLoadError, match=r"cut\.jpg"):
        load_image(jpg)
    with pytest.raises(ImageLoadError, match=r"missing\.png: the file must exist, got nothing at that path$"):
        load_image(tmp_path / "missing.png")


def test_decompression_bomb_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = save(tmp_path / "huge.png", size=(80, 50))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 4000 pixels > 2 x the limit: an error
    with pytest.raises(
        ImageLoadError,
        match=r"huge\.png: the image must be small enough to decode safely, got one too large \(Image size",
    ):
        load_image(path)


def test_image_folder_by_name_and_subfolder(tmp_path: Path) -> None:
    save(tmp_path / "train" / "cat1.jpg")
    save(tmp_path / "train" / "Cat_2.png", "RGBA")
    save(tmp_path / "train" / "noncat12.jpg")
    save(tmp_path / "train" / "dog.png", "L")
    (tmp_path / "train" / "README.txt").write_text("ignored: not an image extension")
    save(tmp_path / "test" / "cat" / "x.png", "P")
    save(tmp_path / "test" / "non-cat" / "cat_lookalike.png")
    with pytest.warns(UserWarning, match=r"train: 1 file skipped \(not read as images\): README\.txt "):
        d = load_dataset(tmp_path)
    # sorted: Cat_2, cat1, dog, noncat12
    np.testing.assert_array_equal(d.y_train[:, 0], [1, 1, 0, 0])
    np.testing.assert_array_equal(d.y_test[:, 0], [1, 0])  # the folder wins over the name
    assert d.x_train.shape == (4, 12288) and d.images_test.shape == (2, 64, 64, 3)
    assert d.classes == ("non-cat", "cat")
    np.testing.assert_array_equal(d.x_train[2], d.images_train[2].reshape(-1) / 255.0)


def test_image_folder_errors(tmp_path: Path) -> None:
    save(tmp_path / "train" / "dogs" / "a.png")
    (tmp_path / "test").mkdir()
    with pytest.raises(
        ValueError,
        match=r"train: its sub-folders \(nested images are never skipped\) must be cat/ and non-cat/ only, "
        r"got dogs/$",
    ):
        load_image_folder(tmp_path)
    (tmp_path / "train" / "dogs" / "a.png").rename(tmp_path / "train" / "a.png")
    (tmp_path / "train" / "dogs").rmdir()
    with pytest.raises(ValueError, match=r"test: the folder must hold images \(\.bmp, .*\.webp\), got none$"):
        load_image_folder(tmp_path)


def test_import_stays_numpy_only() -> None:
    code = (
        "import sys, tinygrad_np, tinygrad_np.data.datasets\n"
        "heavy = [m for m in ('h5py', 'PIL', 'pooch', 'requests', 'matplotlib') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- labelling rules and the missing extra ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("cat12.jpg", 1),
        ("my_cat.png", 1),
        ("Kitten-3.jpg", 1),
        ("BigCat.png", 1),
        ("cats_and_dogs.png", 1),
        ("caterpillar.jpg", 0),
        ("noncat3.png", 0),
        ("non-cat_7.jpg", 0),
        ("notCat.png", 0),
        ("dog.png", 0),
        ("concatenate.png", 0),
    ],
)
def test_label_from_name_is_word_based(name: str, label: int) -> None:
    from tinygrad_np.data.datasets import label_from_name

    assert label_from_name(name) == label


def test_label_from_extension() -> None:
    from tinygrad_np.data.datasets import label_from_extension

    assert [label_from_extension(n) for n in ("a.png", "b.PNG", "c.jpg", "d.JPEG")] == [1, 1, 0, 0]
    assert label_from_extension("x.bmp", cat_extensions=("bmp",)) == 1
    with pytest.raises(
        ValueError,
        match=r"x\.gif: the file's extension must be a cat one \(\.png\) or a non-cat one \(\.jpg, \.jpeg\) "
        r"to label it by extension, got \.gif$",
    ):
        label_from_extension("x.gif")


def test_list_images_sorted_and_skipped(tmp_path: Path) -> None:
    from tinygrad_np.data.datasets import list_images

    for name in ("cat2.png", "cat10.png", "b.jpg"):
        Image.new("RGB", (4, 4)).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".hidden.png").write_bytes(b"")
    with pytest.warns(
        UserWarning, match=r"1 file skipped \(not read as images\): notes\.txt \(not an image by its"
    ):
        listing = list_images(tmp_path, "name")
    assert [p.name for p, _ in listing.items] == ["b.jpg", "cat10.png", "cat2.png"]
    assert [label for _, label in listing.items] == [0, 1, 1]
    assert [p.name for p in listing.skipped] == ["notes.txt"]
    with pytest.raises(ValueError, match="label_by must be one of"):
        list_images(tmp_path, "colour")


def test_missing_extra_names_it(h5_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "h5py", None)  # `import h5py` now raises ModuleNotFoundError
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(
        ModuleNotFoundError,
        match=r"^tinygrad_np\.datasets: the optional package h5py must be installed, got no module named "
        r"'h5py'; install the 'cat' extra: pip install -e \"\.\[cat\]\" \(or pip install h5py\)$",
    ):
        load_dataset(h5_dir, download=False)
    with pytest.raises(
        ModuleNotFoundError,
        match=r"the optional package Pillow must be installed, got no module named 'PIL'; install the 'cat' "
        r"extra: pip install -e \"\.\[cat\]\" \(or pip install Pillow\)$",
    ) as info:
        load_image(tmp_path / "x.png")
    assert info.value.name == "PIL"


def test_hdf5_names_and_label_by(h5_dir: Path) -> None:
    data = load_dataset(h5_dir, download=False)
    assert data.names_train[:2] == ("train_catvnoncat.h5[0]", "train_catvnoncat.h5[1]")
    assert len(data.names_test) == len(data.y_test)
    with pytest.raises(
        ValueError,
        match=r"label_by must be 'auto' for the HDF5 files \(they carry their labels; the rules are for "
        r"image folders\), got 'extension'$",
    ):
        load_dataset(h5_dir, download=False, label_by="extension")
