"""Tests of the pure scoring package."""
