"""Accelerator configurations: presets, YAML configs, overrides."""

from flexsa.arch.config import (
    PRESETS,
    ArchConfig,
    MemoryConfig,
    arch_from_dict,
    default_lbuf_sizes,
    load_arch,
    preset_names,
    with_overrides,
)

__all__ = ["PRESETS", "ArchConfig", "MemoryConfig", "arch_from_dict", "default_lbuf_sizes",
           "load_arch", "preset_names", "with_overrides"]
