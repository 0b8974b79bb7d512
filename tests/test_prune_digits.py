"""The end-to-end PruneTrain run on scikit-learn's digits (short version) and its CLI."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from flexsa.workloads.pruning.checks import union_violations  # noqa: E402
from flexsa.workloads.pruning.config import PruneTrainConfig  # noqa: E402
from flexsa.workloads.pruning.digits import run_digits  # noqa: E402
from flexsa.workloads.pruning.export import model_from_dict, model_to_dict  # noqa: E402
from flexsa.workloads.pruning.flops import train_macs  # noqa: E402

UNSUPPORTED = '''
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.up = nn.Upsample(scale_factor=2)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.up(self.conv(x)).mean((2, 3), keepdim=True), 1))
'''


@pytest.mark.slow
def test_short_digits_run_prunes_and_stays_accurate() -> None:
    torch.set_num_threads(1)
    result = run_digits(PruneTrainConfig(epochs=8, interval=2, penalty_ratio=0.8))
    ratios = [i.train_flops_ratio for i in result.intervals]
    assert ratios[0] == 1.0
    assert all(b <= a for a, b in zip(ratios, ratios[1:], strict=False))   # never grows
    assert result.final_train_flops_ratio < 0.9                               # pruning happened
    assert result.final_accuracy > 0.6                                        # chance is 0.1
    assert train_macs(result.final) < train_macs(result.dense)
    for item in result.intervals:
        assert union_violations(item.model) == []
    assert union_violations(result.final) == []
    back = model_from_dict(json.loads(json.dumps(model_to_dict(result.final))))
    assert back.channel_table() == result.final.channel_table()


def test_cli_train_unsupported_module_is_one_line(cli, tmp_path) -> None:
    path = tmp_path / "net.py"
    path.write_text(UNSUPPORTED)
    result = cli("prune", "train", "--model", f"{path}:Net", "--epochs", "1", "--interval", "1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Upsample" in lines[0] and lines[0].startswith("error: ")


@pytest.mark.parametrize("args", [
    ("--epochs", "2", "--interval", "3"),
    ("--penalty-ratio", "1.5"),
    ("--model", "vgg-huge"),
])
def test_cli_train_bad_input(cli, args: tuple[str, ...]) -> None:
    result = cli("prune", "train", *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
