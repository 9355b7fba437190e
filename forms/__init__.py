"""The declarative KPI catalog and the engine that turns it into forms (no Flask here)."""
