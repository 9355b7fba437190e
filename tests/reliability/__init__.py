"""Fault injection, races, hostile input and fuzzing (issue 8, CI tier)."""
