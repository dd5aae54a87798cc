"""Adversarial files, second round (issue 18): an IDX file that inflates far beyond its header, a write
to a place that cannot hold a file, image folders holding broken links.

Each gives one error (or warning) naming the file the user gave, and reads no more than it must.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import textwrap
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from idxfiles import idx_bytes

from tinygrad_np.data.datasets import IDXError, read_idx

ROOT = Path(__file__).resolve().parents[2]
IMAGES_MAGIC = 0x00000803
MB = 1 << 20


# -- §3 the IDX loader inflates no more than the header declares -------------------------------------


def gzip_bomb(path: Path, head: bytes, zeros: int) -> Path:
    """A gzip file of ``head`` followed by ``zeros`` zero bytes, compressed chunk by chunk (small on disk)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    with open(path, "wb") as f:
        f.write(deflate.compress(head))
        block = bytes(MB)
        for _ in range(zeros // MB):
            f.write(deflate.compress(block))
        f.write(deflate.flush())
    return path


def peak_bytes(fn) -> tuple[int, BaseException | None]:
    """The most memory Python allocated while ``fn`` ran, and what it raised."""
    tracemalloc.start()
    try:
        fn()
        raised = None
    except Exception as exc:  # returned for the caller to check
        raised = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, raised


def test_a_gzip_declaring_two_images_that_inflates_to_64_mb_is_refused_after_reading_its_header(
    tmp_path: Path,
) -> None:
    two = idx_bytes(np.ones((2, 28, 28)))  # 16-byte header + 1568 bytes
    bomb = gzip_bomb(tmp_path / "t10k-images-idx3-ubyte.gz", two, 64 * MB)
    assert bomb.stat().st_size < 200_000  # small on disk, 64 MB inflated
    peak, raised = peak_bytes(lambda: read_idx(bomb, IMAGES_MAGIC, (28, 28)))
    assert isinstance(raised, IDXError), raised
    assert str(raised) == (
        f"{bomb}: the file must be 1584 bytes uncompressed as its header (2, 28, 28) promises, "
        "got more (trailing bytes)"
    )
    assert peak < 2 * MB, f"inflated {peak:,} bytes for a 1,584-byte file"


def test_a_raw_idx_file_much_longer_than_its_header_says_is_refused_without_reading_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t10k-images-idx3-ubyte"
    with open(path, "wb") as f:
        f.write(idx_bytes(np.ones((2, 28, 28))))
        f.truncate(64 * MB)  # sparse: nothing on disk
    peak, raised = peak_bytes(lambda: read_idx(path, IMAGES_MAGIC, (28, 28)))
    assert isinstance(raised, IDXError), raised
    assert str(raised) == (
        f"{path}: the file must be 1584 bytes as its header (2, 28, 28) promises, "
        f"got {64 * MB} bytes (trailing bytes)"
    )
    assert peak < 2 * MB, f"read {peak:,} bytes of a file whose header declares 1,584"


def test_a_header_declaring_more_than_the_gzip_file_can_inflate_to_is_truncated_before_any_allocation(
    tmp_path: Path,
) -> None:
    head = IMAGES_MAGIC.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (4_000_000, 28, 28))
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(head + bytes(2 * 28 * 28), mtime=0))
    size = path.stat().st_size
    peak, raised = peak_bytes(lambda: read_idx(path, IMAGES_MAGIC, (28, 28)))
    assert isinstance(raised, IDXError), raised
    assert str(raised) == (
        f"{path}: the file must be 3136000016 bytes uncompressed as its header (4000000, 28, 28) promises, "
        f"got a {size}-byte gzip file, which inflates to at most {1032 * size} bytes (truncated)"
    )
    assert peak < 2 * MB


def test_out_of_memory_names_the_file(tmp_path: Path) -> None:
    """A raw file whose size matches a 2 GB header, read under a 1.5 GB address-space limit."""
    resource = pytest.importorskip("resource")
    n = 2_800_000  # 2.2 GB of pixels
    path = tmp_path / "big-images-idx3-ubyte"
    with open(path, "wb") as f:
        f.write(IMAGES_MAGIC.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (n, 28, 28)))
        f.truncate(16 + n * 28 * 28)  # sparse
    code = textwrap.dedent(
        f"""
        import resource, sys
        import numpy
        from tinygrad_np.data.datasets import read_idx
        resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, resource.getrlimit(resource.RLIMIT_AS)[1]))
        try:
            read_idx({str(path)!r}, {IMAGES_MAGIC})
        except MemoryError as exc:
            print(type(exc).__name__, exc)
        """
    )
    del resource
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.stdout.strip() == (
        f"MemoryError {path}: the data its header declares must fit in memory, "
        f"got {n * 28 * 28:,} bytes, more than could be allocated"
    ), out.stderr[-2000:]


# -- §6 a write to an impossible place names the target, never the temporary file ---------------------

needs_proc = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")


def small_model():
    import tinygrad_np as tnp

    return tnp.Sequential(tnp.Linear(3, 2, rng=np.random.default_rng(0)), tnp.ReLU(), tnp.Linear(2, 1))


@needs_proc
def test_saving_into_proc_names_the_target() -> None:
    import tinygrad_np as tnp

    with pytest.raises(OSError) as info:
        tnp.save(small_model(), "/proc/x.npz")
    assert str(info.value) == (
        "/proc/x.npz: the file must be writable, got No such file or directory when creating a file in "
        "/proc (nothing was written)"
    )


@needs_proc
def test_to_onnx_into_proc_names_the_target() -> None:
    pytest.importorskip("onnx", reason="onnx missing: pip install -e '.[onnx]'")
    from tinygrad_np.export import to_onnx

    with pytest.raises(OSError, match=r"^/proc/x\.onnx: the file must be writable, got ") as info:
        to_onnx(small_model(), "/proc/x.onnx", (3,))
    assert ".tmp-" not in str(info.value)


def test_saving_onto_a_folder_names_the_target(tmp_path: Path) -> None:
    import tinygrad_np as tnp

    with pytest.raises(IsADirectoryError) as info:
        tnp.save(small_model(), tmp_path)
    assert (
        str(info.value) == f"{tmp_path}: the file must be writable, got Is a directory (nothing was changed)"
    )
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


@needs_proc
def test_cat_export_into_proc_is_one_error_line_naming_the_target(tmp_path: Path) -> None:
    pytest.importorskip("onnx", reason="onnx missing: pip install -e '.[onnx]'")
    import tinygrad_np as tnp
    from models.cat.model import deep_model

    tnp.save(deep_model(init="he", seed=3), tmp_path / "weights.npz")
    command = [sys.executable, "-m", "models.cat", "export", "--weights", str(tmp_path / "weights.npz")]
    out = subprocess.run([*command, "--onnx", "/proc/r.onnx"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "error: /proc/r.onnx: the file must be writable, got No such file or directory when creating a file "
        "in /proc (nothing was written)"
    ]


# -- §6 image folders: files skipped are reported, once per folder, with the reason ------------------


def photo_folder(root: Path) -> Path:
    """train/ and test/ with one cat and one non-cat each, and in train/: a dangling link, a self-loop,
    an a <-> b loop and a text file."""
    image = pytest.importorskip("PIL.Image", reason="Pillow missing: pip install -e '.[cat]'")
    for split in ("train", "test"):
        (root / split).mkdir(parents=True)
        for name, colour in (("cat1.png", (200, 40, 40)), ("dog1.jpg", (40, 40, 200))):
            image.new("RGB", (8, 8), colour).save(root / split / name)
    train = root / "train"
    (train / "cat2.jpg").symlink_to(train / "gone.jpg")  # dangling
    (train / "cat3.png").symlink_to(train / "cat3.png")  # a self-loop
    (train / "a.jpg").symlink_to(train / "b.jpg")
    (train / "b.jpg").symlink_to(train / "a.jpg")  # a <-> b
    (train / "notes.txt").write_text("not a picture")
    return root


SKIPPED = (
    "{train}: 5 files skipped (not read as images): a.jpg (a symlink loop), b.jpg (a symlink loop), "
    "cat2.jpg (a broken link: its target does not exist), cat3.png (a symlink loop), "
    "notes.txt (not an image by its extension)"
)


def test_list_images_warns_once_with_what_it_skipped_and_why(tmp_path: Path) -> None:
    from tinygrad_np.data.datasets import list_images

    train = photo_folder(tmp_path / "photos") / "train"
    with pytest.warns(UserWarning) as caught:
        listing = list_images(train)
    assert [str(w.message) for w in caught] == [SKIPPED.format(train=train)]
    assert [p.name for p, _ in listing.items] == ["cat1.png", "dog1.jpg"]
    assert [p.name for p in listing.skipped] == ["a.jpg", "b.jpg", "cat2.jpg", "cat3.png", "notes.txt"]


def test_load_dataset_warns_for_the_split_with_skipped_files_only(tmp_path: Path) -> None:
    from tinygrad_np.data.datasets import load_dataset

    root = photo_folder(tmp_path / "photos")
    with pytest.warns(UserWarning) as caught:
        data = load_dataset(root)
    assert [str(w.message) for w in caught] == [SKIPPED.format(train=root / "train")]
    assert data.x_train.shape == (2, 12288)


def test_the_cat_command_line_prints_what_it_skipped(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")
    root = photo_folder(tmp_path / "photos")
    argv = [
        "train",
        "--data",
        str(root),
        "--model",
        "two-layer",
        "--iterations",
        "1",
        "--out",
        str(tmp_path / "o"),
    ]
    out = subprocess.run(
        [sys.executable, "-m", "models.cat", *argv], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == ["warning: " + SKIPPED.format(train=root / "train")]


# -- §7 what a new user trips over: notebooks outside the root, plots, the README --------------------

README = ROOT / "README.md"


def learner_env() -> dict[str, str]:
    """The environment without PYTHONPATH: nothing but the notebook itself may point at the clone."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["CI"] = env.get("CI", "true")
    return env


@pytest.mark.slow
def test_the_step_by_step_notebook_runs_from_another_folder_without_pythonpath(tmp_path: Path) -> None:
    """`jupyter execute` (nbclient's nbconvert --execute) from a folder outside the clone."""
    pytest.importorskip("nbclient", reason="nbclient missing: pip install -e '.[test]'")
    pytest.importorskip("ipykernel", reason="ipykernel missing: pip install -e '.[test]'")
    code = "import sys; from nbclient.cli import main; sys.exit(main())"  # = the jupyter-execute script
    command = [sys.executable, "-c", code, str(ROOT / "examples" / "step_by_step.ipynb")]
    out = subprocess.run(command, cwd=tmp_path, env=learner_env(), capture_output=True, text=True)
    assert "Executing notebook with kernel" in out.stderr, out.stderr[-3000:]
    assert out.returncode == 0, out.stderr[-3000:]
    assert "ModuleNotFoundError" not in out.stderr


def notebook_namespace(name: str, monkeypatch) -> dict:
    """Run a notebook's code cells here (matplotlib's Agg, plt.show a no-op) from examples/, as its kernel
    would; returns the variables they leave."""
    nbformat = pytest.importorskip("nbformat", reason="nbformat missing: pip install -e '.[test]'")
    plt = pytest.importorskip("matplotlib.pyplot", reason="matplotlib missing: pip install -e '.[cat]'")
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the notebook's first cell edits it
    monkeypatch.chdir(ROOT / "examples")
    namespace: dict = {"__name__": "__notebook__"}
    for cell in nbformat.read(ROOT / "examples" / name, as_version=4).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, name, "exec"), namespace)
    return namespace


def test_the_decision_boundary_draws_the_two_classes_in_bright_distinct_colours(monkeypatch) -> None:
    from matplotlib.collections import PathCollection

    ns = notebook_namespace("step_by_step.ipynb", monkeypatch)
    ax = ns["ax2"]
    ax.figure.canvas.draw()  # maps colormapped scatter colours
    label_of = {tuple(p): int(k) for p, k in zip(ns["points"], ns["labels"][:, 0], strict=True)}
    colours: dict[int, set] = {0: set(), 1: set()}
    for c in ax.collections:
        if isinstance(c, PathCollection) and len(c.get_offsets()):
            faces = c.get_facecolors()
            for i, xy in enumerate(np.asarray(c.get_offsets())):
                colours[label_of[tuple(xy)]].add(tuple(np.round(faces[i % len(faces)][:3], 3)))
    assert all(len(v) == 1 for v in colours.values()), colours  # one colour per class, every point drawn
    (c0,), (c1,) = colours[0], colours[1]
    assert c0 != c1
    assert max(c0) >= 0.6 and max(c1) >= 0.6, f"classes drawn near-black: {c0}, {c1}"
    import matplotlib.pyplot as plt

    plt.close("all")


def captured_figure(module, monkeypatch) -> list:
    figures: list = []
    monkeypatch.setattr(module, "_save", lambda fig, path: figures.append(fig))
    return figures


def visible_xticks(ax) -> list[float]:
    ax.figure.canvas.draw()
    lo, hi = ax.get_xlim()
    return [t for t in ax.get_xticks() if lo <= t <= hi]


def test_a_one_epoch_curves_plot_has_whole_epoch_ticks(monkeypatch, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")
    import models.fashion.plots as fashion_plots

    figures = captured_figure(fashion_plots, monkeypatch)
    history = {"loss": [0.9], "accuracy": [0.6], "val_loss": [0.8], "val_accuracy": [0.65]}
    fashion_plots.save_curves(history, tmp_path / "curves.png")
    for ax in figures[0].axes:
        ticks = visible_xticks(ax)
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_a_one_epoch_cost_curve_has_whole_epoch_ticks(monkeypatch, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")
    import models.cat.plots as cat_plots

    figures = captured_figure(cat_plots, monkeypatch)
    cat_plots.save_cost_curve([0.69, 0.68], tmp_path / "cost.png", unit="epoch")
    ticks = visible_xticks(figures[0].axes[0])
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_the_readme_sample_outputs_show_no_path_of_a_development_machine() -> None:
    data_lines = [line for line in README.read_text().splitlines() if line.startswith("Data: ")]
    assert data_lines, "the README's sample outputs print their data folder"
    assert all(line.startswith("Data: /path/to/data") for line in data_lines), data_lines


def readme_block(containing: str) -> tuple[str, str]:
    """The first ```python block containing ``containing``, and the plain ``` block right after it."""
    import re

    text = README.read_text()
    for match in re.finditer(r"^```python\n(.*?)^```\n", text, flags=re.S | re.M):
        if containing in match.group(1):
            rest = text[match.end() :]
            after = re.search(r"^```\n(.*?)^```", rest, flags=re.S | re.M)
            return match.group(1), after.group(1) if after and "```python" not in rest[
                : after.start()
            ] else ""
    raise AssertionError(f"no README block contains {containing!r}")


def needs_cat_data() -> None:
    import os

    data = os.environ.get("TINYGRAD_NP_DATA")
    if not data or not (Path(data) / "train_catvnoncat.h5").is_file():
        pytest.skip("real cat data absent: set TINYGRAD_NP_DATA to a folder with the two .h5 files")


@pytest.mark.slow
def test_the_readme_fit_example_learns_and_prints_what_the_readme_shows(tmp_path: Path) -> None:
    needs_cat_data()
    code, shown = readme_block("tnp.fit(")
    assert shown, "the README shows the fit() example's output"
    (tmp_path / "fit_example.py").write_text(code)
    env = {**learner_env(), "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "fit_example.py"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-3000:]

    def without_seconds(text: str) -> list[str]:
        import re

        return [re.sub(r"  [0-9.]+s$", "", line) for line in text.strip().splitlines()]

    assert without_seconds(out.stdout) == without_seconds(shown)
    last = out.stdout.strip().splitlines()[-1]
    f1 = float(last.split("F1 ")[1].split(";")[0])
    first, final = (
        float(line.split("  accuracy ")[1].split()[0])
        for line in (shown.splitlines()[0], shown.splitlines()[-2])
    )
    assert f1 > 0 and final > first + 0.3, "the example learns"
