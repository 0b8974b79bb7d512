"""The evaluation networks, built from masked layers (every layer at alpha 1; an alpha plan,
:func:`apply_alphas`, decides which combine).

- ``lenet5``: LeNet-5 for 28x28 MNIST-like input (conv 6@5x5 pad 2, pool, conv 16@5x5,
  pool, FC 400-120-84-classes).
- ``vgg_shift``: a narrow VGG-style network of shift + 1x1-conv blocks: stem 3x3 conv 32,
  blocks 64 | pool | 128, 128 | pool | 256, 256, global pool, FC.
- ``vgg19_shift``: the authors' wide shift network, VGG-19 shaped (their ``net.py``
  ``ShiftMobile`` with ``--filters 128 256 512 --layers 6 6 6``): a 1x1 stem of 128, then
  six shift + 1x1-conv blocks each of 128, 256 and 512 channels, the first block of the
  second and third stages with stride 2 (our assumption: the strides are a command-line
  argument of their script), global average pool, FC.
- ``resnet20``: the CIFAR ResNet-20 (16/32/64 channels, 3 x 3 basic blocks; 1x1 conv
  shortcuts where the shape changes).

The masked layers of each network, in order, are listed in
:data:`flexsa.packing.plans.LAYERS` (a test checks they match).
"""

from __future__ import annotations

import torch
from torch import nn

from flexsa.packing.joint.nn import MaskedConv2d, MaskedLinear, Shift, masked_layers
from flexsa.packing.plans import NETWORKS

__all__ = ["NETWORKS", "apply_alphas", "build_network"]


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

    def __init__(self, cin: int, cout: int, alpha: int, stride: int = 1) -> None:
        super().__init__()
        self.shift = Shift(cin)
        self.conv = MaskedConv2d(cin, cout, 1, stride, bias=False, alpha=alpha)
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


class VGG19Shift(nn.Module):
    STAGES = ((128, 1), (256, 2), (512, 2))  # (channels, stride of the stage's first block)
    BLOCKS = 6

    def __init__(self, in_channels: int = 3, classes: int = 10, alpha: int = 8) -> None:
        super().__init__()
        self.stem = MaskedConv2d(in_channels, 128, 1, bias=False, alpha=1)
        self.stem_bn = nn.BatchNorm2d(128)
        blocks: list[nn.Module] = []
        cin = 128
        for width, stride in self.STAGES:
            for index in range(self.BLOCKS):
                blocks.append(ShiftBlock(cin, width, alpha, stride if index == 0 else 1))
                cin = width
        self.features = nn.Sequential(*blocks)
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
                blocks.append(BasicBlock(cin, width, stride, alpha))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = MaskedLinear(64, classes, alpha=alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(torch.relu(self.stem_bn(self.stem(x))))
        return self.fc(x.mean(dim=(2, 3)))


def build_network(name: str, in_channels: int, classes: int,
                  alphas: dict[str, int] | None = None) -> nn.Module:
    """One of :data:`NETWORKS`, every layer at alpha 1 unless ``alphas`` (layer name ->
    alpha, e.g. from :meth:`flexsa.packing.plans.AlphaPlan.resolve`) says otherwise."""
    from flexsa.packing.grouping import PackingError

    builders: dict[str, type[nn.Module]] = {"lenet5": LeNet5, "vgg_shift": VGGShift,
                                            "vgg19_shift": VGG19Shift, "resnet20": ResNet20}
    if name not in builders:
        raise PackingError(f"--model must be one of {', '.join(NETWORKS)}, got {name!r}")
    model = builders[name](in_channels=in_channels, classes=classes, alpha=1)
    apply_alphas(model, alphas or {})
    return model


def apply_alphas(model: nn.Module, alphas: dict[str, int]) -> None:
    """Set every masked layer's alpha from ``alphas`` (missing layers: 1)."""
    for name, layer in masked_layers(model):
        layer.alpha = int(alphas.get(name, 1))
