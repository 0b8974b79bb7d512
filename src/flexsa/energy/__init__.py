"""Energy and area models: the sourced table, per-run energy, area, Accelergy export."""

from flexsa.energy.table import EnergyTable, load_energy_table

__all__ = ["EnergyTable", "load_energy_table", "energy_of"]


def __getattr__(name: str) -> object:
    if name == "energy_of":
        from flexsa.energy.model import energy_of

        return energy_of
    raise AttributeError(name)
