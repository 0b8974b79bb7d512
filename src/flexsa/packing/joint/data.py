"""Data sets that need no download: scikit-learn's digits, or the user's local MNIST /
CIFAR-10 in their standard on-disk formats.

- ``digits``: sklearn.datasets.load_digits (1,797 8x8 images, shipped with scikit-learn),
  upsampled bilinearly to ``resolution`` and repeated to ``channels``; a seeded
  stratified 80/20 train/test split.
- ``mnist``: ``DIR/{train,t10k}-images-idx3-ubyte[.gz]`` and ``-labels-idx1-ubyte[.gz]``
  (the IDX files from the MNIST site, also torchvision's ``MNIST/raw``).
- ``cifar10``: ``DIR/data_batch_{1..5}`` and ``DIR/test_batch`` (the "python version",
  also ``cifar-10-batches-py`` as torchvision extracts it).
"""

from __future__ import annotations

import gzip
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from flexsa.packing.grouping import PackingError
from flexsa.packing.plans import DATASETS


@dataclass(frozen=True)
class Split:
    images: torch.Tensor  # [N, C, H, W] float, normalised
    labels: torch.Tensor  # [N] int64

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, fraction: float, seed: int) -> Split:
        """A seeded random ``fraction`` of the samples (at least one)."""
        count = max(1, round(fraction * len(self)))
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
        keep = order[:count]
        return Split(self.images[keep], self.labels[keep])


@dataclass(frozen=True)
class Dataset:
    name: str
    train: Split
    test: Split
    classes: int

    @property
    def channels(self) -> int:
        return int(self.train.images.shape[1])


def load_dataset(name: str, data_dir: str = "", resolution: int = 0, channels: int = 0,
                 seed: int = 0) -> Dataset:
    """Load ``digits`` (no files needed), or ``mnist`` / ``cifar10`` from ``data_dir``.

    ``resolution`` resizes (0 keeps the native size, 8 for digits); ``channels`` repeats a
    grey image to 3 channels or averages colour to 1 (0 keeps the native count)."""
    if name not in DATASETS:
        raise PackingError(f"--data must be one of {', '.join(DATASETS)}, got {name!r}")
    if name == "digits":
        train, test = _digits(seed)
    else:
        if not data_dir:
            raise PackingError(f"--data {name} needs --data-dir DIR with the local files "
                               "(nothing is downloaded); or use --data digits")
        root = Path(data_dir)
        if not root.is_dir():
            raise PackingError(f"--data-dir: {data_dir!r} is not a directory")
        train, test = _mnist(root) if name == "mnist" else _cifar10(root)
    return Dataset(name, _prepare(train, resolution, channels),
                   _prepare(test, resolution, channels), 10)


def _prepare(split: tuple[np.ndarray, np.ndarray], resolution: int, channels: int) -> Split:
    images = torch.from_numpy(split[0].astype(np.float32))
    if resolution and images.shape[-1] != resolution:
        images = F.interpolate(images, size=(resolution, resolution), mode="bilinear",
                               align_corners=False)
    if channels and images.shape[1] != channels:
        images = images.mean(dim=1, keepdim=True).expand(-1, channels, -1, -1).contiguous()
    mean, std = images.mean(), images.std().clamp_min(1e-6)
    return Split((images - mean) / std, torch.from_numpy(split[1].astype(np.int64)))


def _digits(seed: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0).reshape(-1, 1, 8, 8)
    x_tr, x_te, y_tr, y_te = train_test_split(images, bunch.target, test_size=0.2,
                                              random_state=seed, stratify=bunch.target)
    return (x_tr, y_tr), (x_te, y_te)


def _find(root: Path, stem: str) -> Path:
    for candidate in (root / stem, root / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise PackingError(f"--data-dir: {stem}[.gz] not found in {str(root)!r}")


def _read_idx(path: Path, magic: int) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except OSError as err:
        raise PackingError(f"--data-dir: cannot read {str(path)!r} ({err})") from None
    dims = magic & 0xFF
    if len(raw) < 4 + 4 * dims or int.from_bytes(raw[:4], "big") != magic:
        raise PackingError(f"--data-dir: {str(path)!r} is not an IDX file (magic {magic:#x})")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims)
    if data.size != int(np.prod(shape)):
        raise PackingError(f"--data-dir: {str(path)!r} is truncated")
    return data.reshape(shape)


def _mnist(root: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    if (root / "MNIST" / "raw").is_dir():
        root = root / "MNIST" / "raw"
    splits = []
    for prefix in ("train", "t10k"):
        images = _read_idx(_find(root, f"{prefix}-images-idx3-ubyte"), 0x803)
        labels = _read_idx(_find(root, f"{prefix}-labels-idx1-ubyte"), 0x801)
        splits.append((images[:, None].astype(np.float32) / 255.0, labels))
    return splits[0], splits[1]


def _unpickle(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="bytes")  # noqa: S301 - user's local data
        data = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (OSError, pickle.UnpicklingError, KeyError, ValueError, TypeError, EOFError):
        raise PackingError(f"--data-dir: {str(path)!r} is not a CIFAR-10 python batch") \
            from None
    return data.astype(np.float32) / 255.0, labels


def _cifar10(root: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    if (root / "cifar-10-batches-py").is_dir():
        root = root / "cifar-10-batches-py"
    parts = [_unpickle(_find(root, f"data_batch_{i}")) for i in range(1, 6)]
    train = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    return train, _unpickle(_find(root, "test_batch"))
