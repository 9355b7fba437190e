"""Tests for the forms package (no Flask)."""
