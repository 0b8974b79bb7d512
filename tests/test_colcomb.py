"""Joint optimisation (torch): masks, schedule, BN folding, int8 deploy, data loaders."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from flexsa.errors import FlexsaError  # noqa: E402
from flexsa.packing.joint.costing import Accounting, cost_network, positions_at  # noqa: E402
from flexsa.packing.joint.data import Split, load_dataset  # noqa: E402
from flexsa.packing.joint.deploy import (  # noqa: E402
    fold_batchnorm,
    quantise,
    refresh_packings,
)
from flexsa.packing.joint.models import build_network  # noqa: E402
from flexsa.packing.joint.nn import MaskedLinear, Shift, masked_layers  # noqa: E402
from flexsa.packing.joint.train import (  # noqa: E402
    TrainConfig,
    joint_optimise,
    magnitude_mask,
    prune_and_combine,
    prune_rate,
    train_epoch,
)
from flexsa.packing.plans import AlphaPlan  # noqa: E402
from flexsa.packing.systolic import shift_block  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _toy_split(n: int, channels: int, size: int, seed: int = 0) -> Split:
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (n,), generator=gen)
    images = torch.randn(n, channels, size, size, generator=gen) * 0.3
    images[:, :, 0, 0] += labels.float().view(-1, 1)  # learnable signal
    return Split(images, labels)


def test_prune_rate_is_cubic_ramp() -> None:
    assert prune_rate(0, 3, 0.7) == 0.0
    assert prune_rate(3, 3, 0.7) == pytest.approx(0.7)
    assert prune_rate(1, 3, 0.7) == pytest.approx(0.7 * (1 - (2 / 3) ** 3))
    # ten steps from iteration 0 to the half-way iteration (4 epochs x 23 batches = 92)
    steps = TrainConfig(epochs=4, prune_steps=10).prune_iterations(23)
    assert len(steps) == 10 and steps[0] == 0 and steps[-1] == 46
    assert TrainConfig(epochs=2, prune_steps=1).prune_iterations(5) == [5]
    assert TrainConfig(epochs=1, prune_steps=10).prune_iterations(4) == [0, 1, 2]
    assert TrainConfig(epochs=0).prune_iterations(4) == []


def test_magnitude_mask_keeps_largest() -> None:
    matrix = np.array([[0.1, -3.0, 0.0], [2.0, -0.2, 0.5]])
    np.testing.assert_array_equal(magnitude_mask(matrix, 0.5),
                                  [[False, True, False], [True, False, True]])


def test_masks_enforced_after_every_step_and_packing_invariants() -> None:
    torch.manual_seed(0)
    model = build_network("vgg_shift", 3, 10, AlphaPlan().resolve("vgg_shift", 4, "all"))
    config = TrainConfig(epochs=1, gamma=0.25, batch_size=16, l1=1e-4, section=0)
    packings = prune_and_combine(model, 1.0, config)
    split = _toy_split(48, 3, 8)
    train_epoch(model, split, torch.optim.Adam(model.parameters(), lr=1e-2), config,
                torch.Generator().manual_seed(0))
    for name, layer in masked_layers(model):
        matrix = layer.filter_matrix()
        weight = layer.masked_weight().detach().numpy().reshape(matrix.shape)
        assert not np.any(weight[~packings[name].mask])  # pruned weights stay exactly zero
        stored = layer.stored_matrix()
        assert not np.any(stored[layer.keep.numpy().reshape(stored.shape) == 0])
        packing = packings[name]
        if not layer.combinable:
            assert packing.nnz_after == matrix.size  # the stem stays dense (alpha = 1)
            continue
        rows = matrix.shape[0]
        for group in packing.groups:
            assert len(group) <= 4
            block = packing.mask[:, list(group)]
            assert (block.sum(axis=1) <= 1).all()
        density = packing.nnz_before / matrix.size
        assert density <= 1 - 0.8 * (1 - 1 / 4) + 1 / matrix.size
        assert rows == packing.rows


def test_shift_module_matches_numpy_shift_block() -> None:
    x = torch.randn(2, 18, 5, 5)
    shift = Shift(18)
    expected = np.stack([shift_block(sample, shift.shifts) for sample in x.numpy()])
    np.testing.assert_allclose(shift(x).numpy(), expected)
    # the hand-written backward is the adjoint: <shift(x), g> == <x, shift^T(g)>
    x = torch.randn(1, 18, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(shift, (x,))


def test_bn_folding_and_int8_deploy() -> None:
    torch.manual_seed(1)
    model = build_network("resnet20", 3, 10, AlphaPlan().resolve("resnet20", 8))
    prune_and_combine(model, 1.0, TrainConfig(gamma=0.5))
    model.train()
    with torch.no_grad():  # move BN running statistics away from identity
        for _ in range(3):
            model(torch.randn(8, 3, 8, 8))
    model.eval()
    x = torch.randn(4, 3, 8, 8)
    folded = fold_batchnorm(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    torch.testing.assert_close(folded(x), model(x), atol=1e-4, rtol=1e-4)
    deployed = quantise(folded, x)
    for name, layer in masked_layers(folded):
        ints = deployed.int_matrices[name]
        assert np.abs(ints).max() <= 127
        assert not np.any(ints[layer.filter_matrix() == 0])  # zeros and masks preserved
    logits = deployed.model(x)
    assert logits.shape == (4, 10)
    assert (logits.argmax(1) == model(x).argmax(1)).float().mean() >= 0.5


def test_joint_optimise_short_run_learns_and_costs() -> None:
    data = load_dataset("digits", resolution=28, channels=1)
    train = data.train.subset(0.5, 0)
    torch.manual_seed(0)
    model = build_network("lenet5", 1, 10, AlphaPlan().resolve("lenet5", 8, "all"))
    result = joint_optimise(model, train, data.test,
                            TrainConfig(epochs=4, prune_steps=3, gamma=0.5, lr=3e-3))
    assert result.accuracy > 0.6  # 10 classes: chance is 0.1
    # 12 batches per epoch: steps before iterations 0, 12 and 24 (the half-way point)
    assert [h["prune_steps"] for h in result.history] == [1, 1, 1, 0]
    assert [h["l1"] for h in result.history] == [1e-5, 1e-5, 0.0, 0.0]
    packings = refresh_packings(model, result.packings)
    positions = positions_at(model, "lenet5", 1, 28)
    cost = cost_network("lenet5", packings, positions, Accounting(scope="all"))
    assert [row["positions"] for row in cost["layers"]] == [784, 100, 1, 1, 1]
    fc1 = packings["fc1"]
    assert fc1.packed_cols < fc1.cols / 2


def _write_idx(path, array: np.ndarray, magic: int, compress: bool) -> None:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_local_mnist_idx_directory(tmp_path) -> None:
    rng = np.random.default_rng(0)
    for prefix, n, compress in (("train", 12, True), ("t10k", 5, False)):
        suffix = ".gz" if compress else ""
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte{suffix}",
                   rng.integers(0, 256, (n, 28, 28)), 0x803, compress)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte{suffix}",
                   rng.integers(0, 10, n), 0x801, compress)
    data = load_dataset("mnist", str(tmp_path), resolution=28, channels=1)
    assert data.train.images.shape == (12, 1, 28, 28) and len(data.test) == 5


def test_local_cifar10_directory(tmp_path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                 b"labels": list(rng.integers(0, 10, 4))}
        (folder / name).write_bytes(pickle.dumps(batch))
    data = load_dataset("cifar10", str(tmp_path), resolution=16, channels=3)
    assert data.train.images.shape == (20, 3, 16, 16) and len(data.test) == 4


@pytest.mark.parametrize(("name", "make"), [("mnist", False), ("mnist", True),
                                            ("cifar10", True), ("imagenet", False)])
def test_bad_data_dirs(tmp_path, name: str, make: bool) -> None:
    if make:
        (tmp_path / "train-images-idx3-ubyte").write_bytes(b"junk")
        (tmp_path / "data_batch_1").write_bytes(b"junk")
    with pytest.raises(FlexsaError):
        load_dataset(name, str(tmp_path) if make else "")


def test_masked_linear_forward_uses_mask() -> None:
    layer = MaskedLinear(3, 2, alpha=2)
    layer.set_matrix_mask(np.array([[True, False, False], [False, False, True]]))
    x = torch.ones(1, 3)
    expected = layer.weight.detach().sum(1) * 0 + layer.weight.detach()[[0, 1], [0, 2]] \
        + layer.bias.detach()
    torch.testing.assert_close(layer(x)[0], expected)


@pytest.mark.parametrize(("name", "channels", "size"), [("lenet5", 1, 28), ("vgg_shift", 3, 8),
                                                        ("vgg19_shift", 3, 8),
                                                        ("resnet20", 3, 32)])
def test_networks_as_workload_records(name: str, channels: int, size: int) -> None:
    from flexsa.packing.joint.deploy import layer_positions, workload_layers
    from flexsa.workloads.layers import ConvLayer

    model = build_network(name, channels, 10)
    sample = torch.zeros(1, channels, size, size)
    records = workload_layers(model, sample)
    positions = layer_positions(model, sample)
    for record, (layer_name, layer) in zip(records, masked_layers(model), strict=True):
        assert record.name == layer_name
        rows, cols = layer.filter_matrix().shape
        assert (record.cout, record.cin * getattr(record, "kh", 1) * getattr(record, "kw", 1)) \
            == (rows, cols)
        if isinstance(record, ConvLayer):
            assert record.hout * record.wout == positions[layer_name]
    if name == "resnet20":
        assert len(records) == 1 + 18 + 2 + 1
        assert records[-2].hout == 8 and records[-2].cout == 64


def test_recalibrate_batchnorm() -> None:
    from flexsa.packing.joint.train import recalibrate_batchnorm

    torch.manual_seed(0)
    model = build_network("vgg_shift", 3, 10)
    images = torch.randn(64, 3, 8, 8) + 2
    recalibrate_batchnorm(model, images, batch_size=64)
    assert model.stem_bn.momentum == 0.1 and not model.training
    with torch.no_grad():
        expected = model.stem(images).mean(dim=(0, 2, 3))
    torch.testing.assert_close(model.stem_bn.running_mean, expected, atol=1e-5, rtol=1e-4)
