"""A real PruneTrain run that needs no download: a small ResNet on scikit-learn's digits.

The 1,797 8x8 handwritten digits shipped with scikit-learn are upsampled (bilinear) to
12x12, standardised and split 75/25 (stratified, seeded). The network is a bottleneck
ResNet in the torchvision style: a 3x3 stem, three stages of two bottleneck blocks
(1x1a -> 3x3 -> 1x1b, expansion 4, stride 2 on the 3x3 of the first block of stages 2 and 3,
a 1x1 downsample conv where the shape changes), global average pooling and a linear
classifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flexsa.errors import FlexsaError, WorkloadError

try:
    import torch
    from torch import nn
except ImportError as err:  # pragma: no cover - torch is an optional extra
    raise FlexsaError("PruneTrain needs PyTorch: pip install 'flexsa[torch]'") from err

from flexsa.workloads.pruning.config import SMALL_MODELS, PruneTrainConfig, check_model_name
from flexsa.workloads.pruning.prunetrain import PruneTrain, PruneTrainResult

IMAGE_SIZE = 12


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int) -> None:
        super().__init__()
        cout = planes * self.expansion
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.downsample: nn.Module | None = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class SmallResNet(nn.Module):
    """Stem 12 channels; stages of planes (4, 8, 16) x 2 blocks; 10 classes."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, stem: int = 12,
                 planes: tuple[int, ...] = (4, 8, 16), blocks: int = 2) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, stem, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU()
        self.stage_names = tuple(f"layer{i + 1}" for i in range(len(planes)))
        cin = stem
        for index, width in enumerate(planes):
            layers = []
            for block in range(blocks):
                stride = 2 if index > 0 and block == 0 else 1
                layers.append(Bottleneck(cin, width, stride))
                cin = width * Bottleneck.expansion
            setattr(self, self.stage_names[index], nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        for name in self.stage_names:
            x = getattr(self, name)(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def load_digits_tensors(seed: int = 0, size: int = IMAGE_SIZE,
                        test_fraction: float = 0.25) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """((x_train, y_train), (x_test, y_test)): upsampled, standardised digits."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    images = nn.functional.interpolate(images, size=(size, size), mode="bilinear",
                                       align_corners=False)
    labels = torch.tensor(digits.target, dtype=torch.long)
    train_idx, test_idx = train_test_split(list(range(len(labels))), test_size=test_fraction,
                                           random_state=seed, stratify=digits.target)
    x_train, x_test = images[train_idx], images[test_idx]
    mean, std = x_train.mean(), x_train.std()
    return ((x_train - mean) / std, labels[train_idx]), ((x_test - mean) / std, labels[test_idx])


def build_small_model(name: str) -> nn.Module:
    """``small-resnet`` or ``FILE.py:CLASS`` (a module taking 1x12x12 images, 10 classes)."""
    check_model_name(name)
    if name.replace("_", "-").lower() in SMALL_MODELS:
        return SmallResNet()
    path, _, class_name = name.rpartition(":")
    return _load_user_model(Path(path), class_name)


def _load_user_model(path: Path, class_name: str) -> nn.Module:
    import importlib.util

    if not path.is_file():
        raise WorkloadError(f"--model file {str(path)!r} does not exist")
    spec = importlib.util.spec_from_file_location(f"flexsa_user_model_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise WorkloadError(f"--model file {str(path)!r} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the user's code: any failure is one line naming the file
        reason = " ".join(str(err).split()) or type(err).__name__
        raise WorkloadError(f"--model file {str(path)!r} failed to import "
                            f"({type(err).__name__}: {reason})") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise WorkloadError(f"--model: {str(path)!r} has no torch.nn.Module class {class_name!r}")
    return cls()


def run_digits(config: PruneTrainConfig, model: str = "small-resnet",
               on_interval: Any = None) -> PruneTrainResult:
    """PruneTrain the small ResNet on the digits (seeded; CPU, a few seconds)."""
    torch.manual_seed(config.seed)
    net = build_small_model(model)
    name = "small_resnet" if isinstance(net, SmallResNet) else type(net).__name__
    trainer = PruneTrain(net, (1, IMAGE_SIZE, IMAGE_SIZE), config, name=name)
    train, test = load_digits_tensors(config.seed)
    return trainer.fit(train, test, on_interval)
