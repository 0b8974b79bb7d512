"""Energy and area models: the sourced table, per-run energy, area, Accelergy export."""

from flexsa.energy.table import EnergyTable, load_energy_table

__all__ = ["EnergyTable", "load_energy_table"]
