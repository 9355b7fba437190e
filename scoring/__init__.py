"""Pure scoring of KPI values against benchmark targets (no Flask, no database)."""
