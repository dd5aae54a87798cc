"""Photos on disk as 64×64 RGB arrays, and a dataset of labelled image folders.

A dataset folder holds ``DIR/train/`` and ``DIR/test/``; each split is labelled by one rule
(``label_by``, :data:`LABEL_RULES`):

- ``"folder"``: images in the sub-folders ``cat/`` and ``non-cat/`` (nothing else in the split);
- ``"name"``: loose images labelled by the words of their file name (:func:`label_from_name`):
  ``cat12.jpg``, ``my_cat.png``, ``Kitten-3.jpg`` are cats; ``caterpillar.jpg``, ``noncat3.png``,
  ``non-cat_7.jpg``, ``dog.png`` are not;
- ``"extension"``: loose images labelled by file format, the convention of a well-known variant of
  the course's project: ``.png`` files are cats, ``.jpg`` / ``.jpeg`` files are non-cats
  (``cat_extensions`` / ``noncat_extensions`` change the lists); any other format is an error;
- ``"auto"`` (the default): ``folder`` for the images in ``cat/`` and ``non-cat/`` and ``name``
  for loose images, so both layouts (and a mix) work.

Order: each split is read in sorted path order (Python's ``sorted`` of the paths, i.e. by Unicode
code point: ``cat10.png`` before ``cat2.png``; with folders, ``cat/`` before ``non-cat/``).
Folders nested deeper (``cat/2019/x.jpg``, or a sub-folder of a split in the name and extension
rules) are an error naming the folder, never silently skipped. Hidden files are skipped; other
files that are not read (not images by extension, broken links, symlink loops) are listed in
:attr:`Listing.skipped`, and one :class:`SkippedFilesWarning` per split says how many and why.

Resizing: Pillow's bicubic filter (``Image.Resampling.BICUBIC``), the default of
``Image.resize`` that the course's own ``np.array(Image.open(f).resize((64, 64)))`` uses with
Pillow >= 7; the whole picture is squeezed to 64×64 without cropping, as the course does.
"""

from __future__ import annotations

import errno
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...validation import fail
from .catvnoncat import CatData, make_split
from .extras import require

SIZE = 64
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
CAT_DIR, NONCAT_DIR = "cat", "non-cat"
LABEL_RULES = ("auto", "name", "folder", "extension")
CAT_EXTENSIONS, NONCAT_EXTENSIONS = (".png",), (".jpg", ".jpeg")
CAT_WORDS = frozenset({"cat", "cats", "kitten", "kittens", "kitty", "kitties"})
NEGATIONS = frozenset({"non", "not", "no"})


class ImageLoadError(ValueError):
    """A file that is missing or is not a readable image."""


class SkippedFilesWarning(UserWarning):
    """Files of an image folder that were not read: not images by extension, broken links, link loops."""


def load_image(path: str | os.PathLike[str], size: int = SIZE) -> np.ndarray:
    """Read any photo as a (size, size, 3) uint8 RGB array.

    EXIF orientation is applied; transparent images (RGBA, LA, palette with transparency) are
    composited on white; grayscale, palette, CMYK and other modes are converted to RGB.
    Raises ImageLoadError naming the file for a missing, unreadable or non-image file.
    """
    require("PIL", "Pillow")
    from PIL import Image, ImageOps, UnidentifiedImageError

    who = os.fspath(path)
    try:
        with Image.open(path) as im:
            im.load()
            rgb = _to_rgb(ImageOps.exif_transpose(im), who)
    except ImageLoadError:
        raise
    except FileNotFoundError:
        raise fail(who, "the file", "exist", "nothing at that path", error=ImageLoadError) from None
    except IsADirectoryError:
        raise fail(who, "the path", "be an image file", "a folder", error=ImageLoadError) from None
    except Image.DecompressionBombError as exc:
        got = f"one too large ({exc})"
        raise fail(who, "the image", "be small enough to decode safely", got, error=ImageLoadError) from None
    except UnidentifiedImageError:
        got = "a format it does not recognise"
        raise fail(who, "the file", "be an image Pillow can read", got, error=ImageLoadError) from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt image data
        got = f"a truncated or corrupt one ({exc})"
        raise fail(who, "the image data", "be intact", got, error=ImageLoadError) from None
    resized = rgb.resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(resized, dtype=np.uint8)


def _to_rgb(im, who: str):
    """Any Pillow image -> RGB; transparency composited on a white background (``who``: the file)."""
    from PIL import Image

    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if im.mode.startswith("I;16"):  # 16-bit grayscale: keep the top 8 bits
        arr = (np.asarray(im, dtype=np.uint32) >> 8).astype(np.uint8)
        return Image.fromarray(arr, mode="L").convert("RGB")
    if im.mode in ("F", "I"):  # 32-bit float or integer grayscale: Pillow's convert would clip
        return Image.fromarray(_scale_to_uint8(np.asarray(im), im.mode, who)).convert("RGB")
    return im.convert("RGB")


def _scale_to_uint8(arr: np.ndarray, mode: str, who: str) -> np.ndarray:
    """A float image in [0, 1] is scaled by 255; one in [0, 255] (or integers up to 65535, shifted
    down 8 bits) kept; anything else is an ImageLoadError naming the file ``who``."""
    what = f"the {mode}-mode image's values"
    if not np.all(np.isfinite(arr)):
        raise fail(who, what, "be finite", "NaN or infinite values", error=ImageLoadError)
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
    if lo < 0:
        raise fail(who, what, "be >= 0", f"the range [{lo:g}, {hi:g}]", error=ImageLoadError)
    if mode == "F" and hi <= 1.0:
        return np.rint(arr * 255.0).astype(np.uint8)
    if hi <= 255:
        return np.rint(arr).astype(np.uint8)
    if mode == "I" and hi <= 65535:
        return (arr.astype(np.uint32) >> 8).astype(np.uint8)
    rule = "lie in [0, 1] or [0, 255]" if mode == "F" else "lie in [0, 65535]"
    fix = "convert it to 8-bit RGB first"
    raise fail(who, what, rule, f"the range [{lo:g}, {hi:g}]", fix, ImageLoadError)


def _is_image_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and (path.suffix.lower() in IMAGE_EXTENSIONS)


def label_from_name(path: str | os.PathLike[str]) -> int:
    """1 when a word of the file name is a cat word and is not negated, else 0.

    Words are the runs of letters of the name without its extension, lower-cased, camelCase
    split (``my_cat.png`` -> my, cat; ``noncat3`` -> noncat; ``non-cat_7`` -> non, cat;
    ``BigCat`` -> big, cat). Cat words: :data:`CAT_WORDS` (cat, cats, kitten, kitty, ...); a cat
    word right after non / not / no does not count. ``caterpillar`` and ``noncat`` are single words
    that are not cat words.
    """
    stem = Path(path).stem
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)
    words = re.findall(r"[a-z]+", spaced.lower())
    return int(any(w in CAT_WORDS and (i == 0 or words[i - 1] not in NEGATIONS) for i, w in enumerate(words)))


def label_from_extension(
    path: str | os.PathLike[str],
    cat_extensions: Sequence[str] = CAT_EXTENSIONS,
    noncat_extensions: Sequence[str] = NONCAT_EXTENSIONS,
) -> int:
    """1 for a cat extension (default ``.png``), 0 for a non-cat one (``.jpg``, ``.jpeg``); any case."""
    suffix = Path(path).suffix.lower()
    cats, noncats = _extensions(cat_extensions), _extensions(noncat_extensions)
    if suffix in cats:
        return 1
    if suffix in noncats:
        return 0
    rule = (
        f"be a cat one ({', '.join(cats)}) or a non-cat one ({', '.join(noncats)}) to label it by extension"
    )
    raise fail(os.fspath(path), "the file's extension", rule, suffix or "none")


def _extensions(exts: Sequence[str]) -> tuple[str, ...]:
    return tuple(e.lower() if e.startswith(".") else f".{e.lower()}" for e in exts)


def skip_reason(path: Path) -> str:
    """Why ``path`` (a file of an image folder that is not read) is skipped, in a few words."""
    if path.is_symlink():
        try:
            path.stat()
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "a symlink loop"
            return "a broken link: its target does not exist"
    if not path.is_file():
        return "not a regular file"
    return "not an image by its extension"


def describe_skipped(split_dir: Path, skipped: Sequence[Path], most: int = 10) -> str:
    """ "DIR: 2 files skipped (not read as images): a.jpg (a symlink loop), notes.txt (not an image ...)"."""
    names = [f"{p.relative_to(split_dir)} ({skip_reason(p)})" for p in skipped[:most]]
    more = f", and {len(skipped) - most} more" if len(skipped) > most else ""
    files = "1 file" if len(skipped) == 1 else f"{len(skipped)} files"
    return f"{split_dir}: {files} skipped (not read as images): {', '.join(names)}{more}"


@dataclass(frozen=True)
class Listing:
    """One split folder: ``items`` sorted (path, label) pairs; ``skipped`` files not read (see
    :func:`skip_reason`), which :func:`list_images` reports in a :class:`SkippedFilesWarning`."""

    items: list[tuple[Path, int]]
    skipped: list[Path] = field(default_factory=list)


def list_images(
    split_dir: str | os.PathLike[str],
    label_by: str = "auto",
    *,
    cat_extensions: Sequence[str] = CAT_EXTENSIONS,
    noncat_extensions: Sequence[str] = NONCAT_EXTENSIONS,
) -> Listing:
    """Sorted (path, label) pairs of one split folder, labelled by ``label_by`` (module docstring).

    Files that are not read (not images, broken links, symlink loops) are in ``Listing.skipped`` and
    reported in one :class:`SkippedFilesWarning` saying how many and why."""
    if label_by not in LABEL_RULES:
        raise ValueError(f"list_images: label_by must be one of {LABEL_RULES}, got {label_by!r}")
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        got = "a file" if split_dir.exists() else "nothing at that path"
        raise fail(str(split_dir), "the folder", "exist", got, error=FileNotFoundError)
    items: list[tuple[Path, int]] = []
    skipped: list[Path] = []
    for entry in sorted(split_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if entry.name in (CAT_DIR, NONCAT_DIR) and label_by in ("auto", "folder"):
                items += _class_folder(entry, int(entry.name == CAT_DIR), skipped)
                continue
            rule = (
                f"be {CAT_DIR}/ and {NONCAT_DIR}/ only"
                if label_by in ("auto", "folder")
                else f"not exist with --label-by {label_by}, which labels the images directly in the folder"
            )
            what = "its sub-folders (nested images are never skipped)"
            raise fail(str(split_dir), what, rule, f"{entry.name}/")
        if not _is_image_file(entry):
            skipped.append(entry)
        elif label_by == "folder":
            rule = f"be in {CAT_DIR}/ or {NONCAT_DIR}/ with --label-by folder"
            fix = "move it into one of them or use --label-by name or extension"
            raise fail(str(entry), "the image", rule, f"one directly in {split_dir.name}/", fix)
        elif label_by == "extension":
            items.append((entry, label_from_extension(entry, cat_extensions, noncat_extensions)))
        else:
            items.append((entry, label_from_name(entry)))
    if not items:
        rule = f"hold images ({', '.join(sorted(IMAGE_EXTENSIONS))})"
        got = f"none ({len(skipped)} other files skipped)" if skipped else "none"
        raise fail(str(split_dir), "the folder", rule, got)
    if skipped:
        warnings.warn(describe_skipped(split_dir, skipped), SkippedFilesWarning, stacklevel=2)
    return Listing(items, skipped)


def _class_folder(folder: Path, label: int, skipped: list[Path]) -> list[tuple[Path, int]]:
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_dir():
            what = "its images (nested images are never skipped)"
            raise fail(str(folder), what, "sit directly in it", f"the sub-folder {p.name}/", "move them up")
        if _is_image_file(p):
            out.append((p, label))
        else:
            skipped.append(p)
    return out


def _load_split(
    split_dir: Path, label_by: str, **exts: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    items = list_images(split_dir, label_by, **exts).items
    images = np.stack([load_image(p) for p, _ in items])
    labels = np.array([label for _, label in items], dtype=np.int64)
    names = tuple(str(p.relative_to(split_dir.parent)) for p, _ in items)
    return images, labels, names


def is_image_folder(root: str | os.PathLike[str]) -> bool:
    """True when ``root`` has ``train/`` and ``test/`` sub-folders."""
    root = Path(root)
    return (root / "train").is_dir() and (root / "test").is_dir()


def load_image_folder(
    root: str | os.PathLike[str],
    *,
    dtype: np.dtype | type = np.float64,
    label_by: str = "auto",
    cat_extensions: Sequence[str] = CAT_EXTENSIONS,
    noncat_extensions: Sequence[str] = NONCAT_EXTENSIONS,
) -> CatData:
    """Load ``root/train`` and ``root/test`` as a :class:`CatData` (x: (m, 12288) in [0, 1]), labelled
    by ``label_by`` (module docstring); names are paths relative to ``root`` (``train/cat1.png``)."""
    root = Path(root)
    exts = {"cat_extensions": cat_extensions, "noncat_extensions": noncat_extensions}
    images_train, labels_train, names_train = _load_split(root / "train", label_by, **exts)
    images_test, labels_test, names_test = _load_split(root / "test", label_by, **exts)
    return make_split(
        images_train,
        labels_train,
        images_test,
        labels_test,
        dtype=dtype,
        source=str(root),
        names_train=names_train,
        names_test=names_test,
    )
