"""torchvision ResNet50 (v1.5: stride on the 3x3 conv), 224x224."""

from __future__ import annotations

from flexsa.workloads.model import Model
from flexsa.workloads.zoo.builder import NetBuilder, Tensor

RESNET50_BLOCKS = (3, 4, 6, 3)


def _bottleneck(net: NetBuilder, x: Tensor, stage: int, index: int, planes: int,
                stride: int) -> Tensor:
    prefix = f"layer{stage}.{index}"
    residual = f"layer{stage}"
    block = prefix
    y = net.conv(f"{prefix}.conv1", x, planes, 1, block=block)
    y = net.conv(f"{prefix}.conv2", y, planes, 3, stride, 1, block=block)
    y = net.conv(f"{prefix}.conv3", y, planes * 4, 1, out_space=residual, act=None, block=block)
    if index == 0:
        net.conv(f"{prefix}.downsample.0", x, planes * 4, 1, stride, out_space=residual, act=None)
    net.eltwise(f"{prefix}.add", y, "add", 1, inputs=2)
    net.eltwise(f"{prefix}.relu", y, "relu", 1)
    return y


def resnet50(width_mult: float = 1.0, resolution: int = 224, num_classes: int = 1000) -> Model:
    def width(c: int) -> int:
        return max(1, round(c * width_mult))

    net = NetBuilder("resnet50", 3, resolution, resolution, width)
    x = net.conv("conv1", net.input, 64, 7, 2, 3)
    x = net.pool("maxpool", x, 3, 2, 1)
    for stage, (blocks, planes) in enumerate(zip(RESNET50_BLOCKS, (64, 128, 256, 512),
                                                 strict=True), start=1):
        for index in range(blocks):
            stride = 2 if stage > 1 and index == 0 else 1
            x = _bottleneck(net, x, stage, index, planes, stride)
    x = net.global_pool("avgpool", x)
    net.linear("fc", x, num_classes, out_space="logits", prunable=False, scale=False)
    return net.build()
