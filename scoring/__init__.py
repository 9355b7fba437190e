"""Pure scoring of KPI values against benchmark targets (no Flask, no database)."""

from scoring.aggregate import category_percent
from scoring.bands import band_for, percent_of_target

__all__ = ["band_for", "category_percent", "percent_of_target"]
