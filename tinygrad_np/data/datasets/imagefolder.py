"""Photos on disk as 64×64 RGB arrays, and a dataset of labelled image folders.

Folder layout (``DIR/train/`` and ``DIR/test/``), either or both of:
- images labelled by file name: names starting with ``cat`` (any case) are cats, all others
  (``noncat12.jpg``, ``dog.png``) are not;
- images in sub-folders ``cat/`` and ``non-cat/``.

Resizing: Pillow's bicubic filter (``Image.Resampling.BICUBIC``), the default of
``Image.resize`` that the course's own ``np.array(Image.open(f).resize((64, 64)))`` uses with
Pillow >= 7; the whole picture is squeezed to 64×64 without cropping, as the course does.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .catvnoncat import CatData, make_split

SIZE = 64
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
CAT_DIR, NONCAT_DIR = "cat", "non-cat"


class ImageLoadError(ValueError):
    """A file that is missing or is not a readable image."""


def load_image(path: str | os.PathLike[str], size: int = SIZE) -> np.ndarray:
    """Read any photo as a (size, size, 3) uint8 RGB array.

    EXIF orientation is applied; transparent images (RGBA, LA, palette with transparency) are
    composited on white; grayscale, palette, CMYK and other modes are converted to RGB.
    Raises ImageLoadError naming the file for a missing, unreadable or non-image file.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im)
            rgb = _to_rgb(im)
    except FileNotFoundError:
        raise ImageLoadError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ImageLoadError(f"{path}: is a directory, not an image") from None
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(f"{path}: image too large ({exc})") from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{path}: not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt image data
        raise ImageLoadError(f"{path}: unreadable image ({exc})") from None
    resized = rgb.resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(resized, dtype=np.uint8)


def _to_rgb(im):
    """Any Pillow image -> RGB; transparency composited on a white background."""
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
    return im.convert("RGB")


def _is_image_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".") and (path.suffix.lower() in IMAGE_EXTENSIONS)


def label_from_name(path: str | os.PathLike[str]) -> int:
    """1 when the file name starts with ``cat`` (any case), else 0."""
    return int(Path(path).name.lower().startswith("cat"))


def list_images(split_dir: str | os.PathLike[str]) -> list[tuple[Path, int]]:
    """Sorted (path, label) pairs of one split folder; labels from sub-folder or file name."""
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise FileNotFoundError(f"{split_dir}: folder not found")
    items: list[tuple[Path, int]] = []
    for entry in sorted(split_dir.iterdir()):
        if entry.is_dir() and entry.name in (CAT_DIR, NONCAT_DIR):
            label = int(entry.name == CAT_DIR)
            items += [(p, label) for p in sorted(entry.iterdir()) if _is_image_file(p)]
        elif entry.is_dir() and not entry.name.startswith("."):
            raise ValueError(
                f"{entry}: unexpected sub-folder; use {CAT_DIR}/ and {NONCAT_DIR}/, "
                "or label images by file name"
            )
        elif _is_image_file(entry):
            items.append((entry, label_from_name(entry)))
    if not items:
        raise ValueError(f"{split_dir}: no images found (extensions: {', '.join(sorted(IMAGE_EXTENSIONS))})")
    return items


def _load_split(split_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    items = list_images(split_dir)
    images = np.stack([load_image(p) for p, _ in items])
    labels = np.array([label for _, label in items], dtype=np.int64)
    return images, labels


def is_image_folder(root: str | os.PathLike[str]) -> bool:
    """True when ``root`` has ``train/`` and ``test/`` sub-folders."""
    root = Path(root)
    return (root / "train").is_dir() and (root / "test").is_dir()


def load_image_folder(root: str | os.PathLike[str], *, dtype: np.dtype | type = np.float64) -> CatData:
    """Load ``root/train`` and ``root/test`` as a :class:`CatData` (x: (m, 12288) in [0, 1])."""
    root = Path(root)
    images_train, labels_train = _load_split(root / "train")
    images_test, labels_test = _load_split(root / "test")
    return make_split(images_train, labels_train, images_test, labels_test, dtype=dtype, source=str(root))
