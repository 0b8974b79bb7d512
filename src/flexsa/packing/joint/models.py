"""The three evaluation networks, built from masked layers.

- ``lenet5``: LeNet-5 for 28x28 MNIST-like input (conv 6@5x5 pad 2, pool, conv 16@5x5,
  pool, FC 400-120-84-classes).
- ``vgg_shift``: a VGG-style network of shift + 1x1-conv blocks (the authors' design: the
  parameter-free shift replaces 3x3 kernels, so filter-matrix columns are channels):
  stem 3x3 conv 32, blocks 64 | pool | 128, 128 | pool | 256, 256, global pool, FC.
- ``resnet20``: the CIFAR ResNet-20 (16/32/64 channels, 3 x 3 basic blocks; 1x1 conv
  shortcuts where the shape changes).

``alpha`` applies to every masked layer except the stem (and, for ResNet-20, the first
stage), which keep alpha = 1 as the authors do.
"""

from __future__ import annotations

import torch
from torch import nn

from flexsa.packing.joint.nn import MaskedConv2d, MaskedLinear, Shift
from flexsa.packing.names import NETWORKS

__all__ = ["NETWORKS", "build_network"]



class LeNet5(nn.Module):
    def __init__(self, in_channels: int = 1, classes: int = 10, alpha: int = 8) -> None:
        super().__init__()
        self.conv1 = MaskedConv2d(in_channels, 6, 5, padding=2, alpha=1)
        self.conv2 = MaskedConv2d(6, 16, 5, alpha=alpha)
        self.fc1 = MaskedLinear(16 * 5 * 5, 120, alpha=alpha)
        self.fc2 = MaskedLinear(120, 84, alpha=alpha)
        self.fc3 = MaskedLinear(84, classes, alpha=alpha)
        self.pool = nn.MaxPool2d(2)
        self.pool_to = nn.AdaptiveMaxPool2d(5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool_to(torch.relu(self.conv2(x)))
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc3(torch.relu(self.fc2(x)))


class ShiftBlock(nn.Module):
    """Shift -> 1x1 conv -> BN -> ReLU."""

    def __init__(self, cin: int, cout: int, alpha: int) -> None:
        super().__init__()
        self.shift = Shift(cin)
        self.conv = MaskedConv2d(cin, cout, 1, bias=False, alpha=alpha)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(self.shift(x))))


class VGGShift(nn.Module):
    PLAN = (64, "pool", 128, 128, "pool", 256, 256)

    def __init__(self, in_channels: int = 3, classes: int = 10, alpha: int = 8) -> None:
        super().__init__()
        self.stem = MaskedConv2d(in_channels, 32, 3, padding=1, bias=False, alpha=1)
        self.stem_bn = nn.BatchNorm2d(32)
        layers: list[nn.Module] = []
        cin = 32
        for item in self.PLAN:
            if item == "pool":
                layers.append(nn.MaxPool2d(2))
            else:
                assert isinstance(item, int)
                layers.append(ShiftBlock(cin, item, alpha))
                cin = item
        self.features = nn.Sequential(*layers)
        self.fc = MaskedLinear(cin, classes, alpha=alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(torch.relu(self.stem_bn(self.stem(x))))
        return self.fc(x.mean(dim=(2, 3)))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, alpha: int) -> None:
        super().__init__()
        self.conv1 = MaskedConv2d(cin, cout, 3, stride, 1, bias=False, alpha=alpha)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = MaskedConv2d(cout, cout, 3, 1, 1, bias=False, alpha=alpha)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample: nn.Module | None = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                MaskedConv2d(cin, cout, 1, stride, bias=False, alpha=alpha),
                nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return torch.relu(out + shortcut)


class ResNet20(nn.Module):
    def __init__(self, in_channels: int = 3, classes: int = 10, alpha: int = 8) -> None:
        super().__init__()
        self.stem = MaskedConv2d(in_channels, 16, 3, padding=1, bias=False, alpha=1)
        self.stem_bn = nn.BatchNorm2d(16)
        blocks: list[nn.Module] = []
        cin = 16
        for stage, width in enumerate((16, 32, 64)):
            for index in range(3):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(BasicBlock(cin, width, stride, 1 if stage == 0 else alpha))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = MaskedLinear(64, classes, alpha=alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(torch.relu(self.stem_bn(self.stem(x))))
        return self.fc(x.mean(dim=(2, 3)))


def build_network(name: str, in_channels: int, classes: int, alpha: int) -> nn.Module:
    """One of :data:`NETWORKS` with ``alpha`` on its combinable layers."""
    from flexsa.packing.grouping import PackingError

    builders = {"lenet5": LeNet5, "vgg_shift": VGGShift, "resnet20": ResNet20}
    if name not in builders:
        raise PackingError(f"--model must be one of {', '.join(NETWORKS)}, got {name!r}")
    return builders[name](in_channels=in_channels, classes=classes, alpha=alpha)
