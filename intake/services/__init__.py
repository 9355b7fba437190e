"""Business operations: plain functions with explicit arguments; they own the commit."""
