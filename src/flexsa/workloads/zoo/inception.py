"""Inception v4 (Szegedy et al. 2016, as in timm's ``inception_v4``), 299x299."""

from __future__ import annotations

from flexsa.workloads.model import Model
from flexsa.workloads.zoo.builder import NetBuilder, Tensor


def _conv(net: NetBuilder, name: str, x: Tensor, cout: int, kernel: int | tuple[int, int],
          stride: int = 1, pad: int | tuple[int, int] = 0) -> Tensor:
    """timm's BasicConv2d: conv (no bias) + BN + ReLU, named ``<name>.conv``."""
    return net.conv(f"{name}.conv", x, cout, kernel, stride, pad)


def _inception_a(net: NetBuilder, x: Tensor, p: str) -> Tensor:
    b0 = _conv(net, f"{p}.branch0", x, 96, 1)
    b1 = _conv(net, f"{p}.branch1.0", x, 64, 1)
    b1 = _conv(net, f"{p}.branch1.1", b1, 96, 3, 1, 1)
    b2 = _conv(net, f"{p}.branch2.0", x, 64, 1)
    b2 = _conv(net, f"{p}.branch2.1", b2, 96, 3, 1, 1)
    b2 = _conv(net, f"{p}.branch2.2", b2, 96, 3, 1, 1)
    b3 = net.pool(f"{p}.branch3.0", x, 3, 1, 1, "avgpool")
    b3 = _conv(net, f"{p}.branch3.1", b3, 96, 1)
    return net.cat(b0, b1, b2, b3)


def _reduction_a(net: NetBuilder, x: Tensor, p: str) -> Tensor:
    b0 = _conv(net, f"{p}.branch0", x, 384, 3, 2)
    b1 = _conv(net, f"{p}.branch1.0", x, 192, 1)
    b1 = _conv(net, f"{p}.branch1.1", b1, 224, 3, 1, 1)
    b1 = _conv(net, f"{p}.branch1.2", b1, 256, 3, 2)
    b2 = net.pool(f"{p}.branch2", x, 3, 2)
    return net.cat(b0, b1, b2)


def _inception_b(net: NetBuilder, x: Tensor, p: str) -> Tensor:
    b0 = _conv(net, f"{p}.branch0", x, 384, 1)
    b1 = _conv(net, f"{p}.branch1.0", x, 192, 1)
    b1 = _conv(net, f"{p}.branch1.1", b1, 224, (1, 7), 1, (0, 3))
    b1 = _conv(net, f"{p}.branch1.2", b1, 256, (7, 1), 1, (3, 0))
    b2 = _conv(net, f"{p}.branch2.0", x, 192, 1)
    b2 = _conv(net, f"{p}.branch2.1", b2, 192, (7, 1), 1, (3, 0))
    b2 = _conv(net, f"{p}.branch2.2", b2, 224, (1, 7), 1, (0, 3))
    b2 = _conv(net, f"{p}.branch2.3", b2, 224, (7, 1), 1, (3, 0))
    b2 = _conv(net, f"{p}.branch2.4", b2, 256, (1, 7), 1, (0, 3))
    b3 = net.pool(f"{p}.branch3.0", x, 3, 1, 1, "avgpool")
    b3 = _conv(net, f"{p}.branch3.1", b3, 128, 1)
    return net.cat(b0, b1, b2, b3)


def _reduction_b(net: NetBuilder, x: Tensor, p: str) -> Tensor:
    b0 = _conv(net, f"{p}.branch0.0", x, 192, 1)
    b0 = _conv(net, f"{p}.branch0.1", b0, 192, 3, 2)
    b1 = _conv(net, f"{p}.branch1.0", x, 256, 1)
    b1 = _conv(net, f"{p}.branch1.1", b1, 256, (1, 7), 1, (0, 3))
    b1 = _conv(net, f"{p}.branch1.2", b1, 320, (7, 1), 1, (3, 0))
    b1 = _conv(net, f"{p}.branch1.3", b1, 320, 3, 2)
    b2 = net.pool(f"{p}.branch2", x, 3, 2)
    return net.cat(b0, b1, b2)


def _inception_c(net: NetBuilder, x: Tensor, p: str) -> Tensor:
    b0 = _conv(net, f"{p}.branch0", x, 256, 1)
    b1 = _conv(net, f"{p}.branch1_0", x, 384, 1)
    b1a = _conv(net, f"{p}.branch1_1a", b1, 256, (1, 3), 1, (0, 1))
    b1b = _conv(net, f"{p}.branch1_1b", b1, 256, (3, 1), 1, (1, 0))
    b2 = _conv(net, f"{p}.branch2_0", x, 384, 1)
    b2 = _conv(net, f"{p}.branch2_1", b2, 448, (3, 1), 1, (1, 0))
    b2 = _conv(net, f"{p}.branch2_2", b2, 512, (1, 3), 1, (0, 1))
    b2a = _conv(net, f"{p}.branch2_3a", b2, 256, (1, 3), 1, (0, 1))
    b2b = _conv(net, f"{p}.branch2_3b", b2, 256, (3, 1), 1, (1, 0))
    b3 = net.pool(f"{p}.branch3.0", x, 3, 1, 1, "avgpool")
    b3 = _conv(net, f"{p}.branch3.1", b3, 256, 1)
    return net.cat(b0, b1a, b1b, b2a, b2b, b3)


def inception_v4(width_mult: float = 1.0, resolution: int = 299,
                 num_classes: int = 1000) -> Model:
    def width(c: int) -> int:
        return max(1, round(c * width_mult))

    net = NetBuilder("inception_v4", 3, resolution, resolution, width)
    x = _conv(net, "features.0", net.input, 32, 3, 2)
    x = _conv(net, "features.1", x, 32, 3)
    x = _conv(net, "features.2", x, 64, 3, 1, 1)
    # Mixed_3a: max-pool branch, conv branch
    pooled = net.pool("features.3.maxpool", x, 3, 2)
    x = net.cat(pooled, _conv(net, "features.3.conv", x, 96, 3, 2))
    # Mixed_4a
    b0 = _conv(net, "features.4.branch0.0", x, 64, 1)
    b0 = _conv(net, "features.4.branch0.1", b0, 96, 3)
    b1 = _conv(net, "features.4.branch1.0", x, 64, 1)
    b1 = _conv(net, "features.4.branch1.1", b1, 64, (1, 7), 1, (0, 3))
    b1 = _conv(net, "features.4.branch1.2", b1, 64, (7, 1), 1, (3, 0))
    b1 = _conv(net, "features.4.branch1.3", b1, 96, 3)
    x = net.cat(b0, b1)
    # Mixed_5a: conv branch, max-pool branch
    conv = _conv(net, "features.5.conv", x, 192, 3, 2)
    x = net.cat(conv, net.pool("features.5.maxpool", x, 3, 2))
    index = 6
    for _ in range(4):
        x = _inception_a(net, x, f"features.{index}")
        index += 1
    x = _reduction_a(net, x, f"features.{index}")
    index += 1
    for _ in range(7):
        x = _inception_b(net, x, f"features.{index}")
        index += 1
    x = _reduction_b(net, x, f"features.{index}")
    index += 1
    for _ in range(3):
        x = _inception_c(net, x, f"features.{index}")
        index += 1
    x = net.global_pool("global_pool", x)
    net.linear("last_linear", x, num_classes, out_space="logits", prunable=False, scale=False)
    return net.build()
