"""The portal requests the benchmark loads, each prepared like a real user would make it."""

from __future__ import annotations


def build(base: str, browser_class) -> list:
    from bench.run import Request, Scenario

    scenarios = [
        Scenario("home page", "GET", 0.5, Request("GET", "/?lang=en")),
    ]
    return scenarios
