"""torchvision MobileNet v2, 224x224, with torchvision's width multiplier rule."""

from __future__ import annotations

from flexsa.workloads.model import Model
from flexsa.workloads.zoo.builder import NetBuilder, Tensor, make_divisible

# expansion t, output channels c, repeats n, first stride s
INVERTED_RESIDUAL_SETTING = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)


def _inverted_residual(net: NetBuilder, x: Tensor, index: int, stage: int, cout: int,
                       stride: int, expand: int) -> Tensor:
    prefix = f"features.{index}.conv"
    cin = net.width_of(x)
    use_res = stride == 1 and cin == cout
    out_space = f"stage{stage}"
    block = f"features.{index}" if use_res else ""
    y = x
    part = 0
    if expand != 1:
        y = net.conv(f"{prefix}.0.0", y, int(round(cin * expand)), 1, act="relu6", block=block,
                     scale=False)
        part = 1
    y = net.depthwise(f"{prefix}.{part}.0", y, 3, stride, 1, act="relu6", block=block)
    y = net.conv(f"{prefix}.{part + 1}", y, cout, 1, out_space=out_space, act=None, block=block,
                 scale=False)
    if use_res:
        net.eltwise(f"features.{index}.add", y, "add", 1, inputs=2)
    return y


def mobilenet_v2(width_mult: float = 1.0, resolution: int = 224,
                 num_classes: int = 1000) -> Model:
    name = "mobilenet_v2" if width_mult == 1.0 else f"mobilenet_v2_w{width_mult:g}"
    net = NetBuilder(name, 3, resolution, resolution)
    x = net.conv("features.0.0", net.input, make_divisible(32 * width_mult), 3, 2, 1,
                 act="relu6", scale=False)
    index = 1
    for stage, (expand, channels, repeats, first_stride) in enumerate(
            INVERTED_RESIDUAL_SETTING, start=1):
        cout = make_divisible(channels * width_mult)
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            x = _inverted_residual(net, x, index, stage, cout, stride, expand)
            index += 1
    last = make_divisible(1280 * max(1.0, width_mult))
    x = net.conv(f"features.{index}.0", x, last, 1, act="relu6", scale=False)
    x = net.global_pool("avgpool", x)
    net.linear("classifier.1", x, num_classes, out_space="logits", prunable=False, scale=False)
    return net.build()
