"""Names the command line validates before importing torch."""

from __future__ import annotations

from flexsa.packing.grouping import PackingError

NETWORKS = ("lenet5", "vgg_shift", "resnet20")
DATASETS = ("digits", "mnist", "cifar10")


def check_network(name: str, option: str = "--model") -> str:
    if name not in NETWORKS:
        raise PackingError(f"{option}: unknown network {name!r}; choose from "
                           f"{', '.join(NETWORKS)}")
    return name


def check_data(name: str, data_dir: str) -> str:
    if name not in DATASETS:
        raise PackingError(f"--data must be one of {', '.join(DATASETS)}, got {name!r}")
    if name != "digits" and not data_dir:
        raise PackingError(f"--data {name} needs --data-dir DIR with the local files "
                           "(nothing is downloaded); or use --data digits")
    return name
