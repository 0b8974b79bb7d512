"""Small torch networks shared by the ONNX / torch import tests (torchvision-free)."""

from __future__ import annotations

import torch
from torch import nn

RESNET50_BLOCKS = (3, 4, 6, 3)


class Bottleneck(nn.Module):
    """torchvision's ResNet v1.5 bottleneck (stride on the 3x3 conv)."""

    def __init__(self, cin: int, planes: int, stride: int, downsample: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU()
        self.downsample = (nn.Sequential(nn.Conv2d(cin, planes * 4, 1, stride, bias=False),
                                         nn.BatchNorm2d(planes * 4)) if downsample else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        identity = self.downsample(x) if self.downsample is not None else x
        return self.relu(y + identity)


class ResNet50(nn.Module):
    """ResNet50 with a width multiplier, built like flexsa's zoo definition."""

    def __init__(self, width_mult: float = 0.125, num_classes: int = 1000) -> None:
        super().__init__()

        def width(c: int) -> int:
            return max(1, round(c * width_mult))

        self.conv1 = nn.Conv2d(3, width(64), 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width(64))
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        blocks, cin = [], width(64)
        for stage, (count, planes) in enumerate(zip(RESNET50_BLOCKS, (64, 128, 256, 512),
                                                    strict=True)):
            for index in range(count):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(Bottleneck(cin, width(planes), stride, index == 0))
                cin = width(planes) * 4
        self.blocks = nn.Sequential(*blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.blocks(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Attention(nn.Module):
    """One self-attention layer: projections (Linear on tokens) and batched matmuls."""

    def __init__(self, seq: int = 16, dim: int = 32, heads: int = 4) -> None:
        super().__init__()
        self.seq, self.dim, self.heads = seq, dim, heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, d = self.seq, self.dim
        qkv = self.qkv(x).reshape(-1, s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
        y = (attn @ v).transpose(1, 2).reshape(-1, s, d)
        return self.proj(y)


def gemm_shapes(gemms: list) -> list[tuple]:
    """Name-free comparison key of a GEMM list."""
    return [(g.phase.value, g.m, g.n, g.k, g.groups, g.macs) for g in gemms]
