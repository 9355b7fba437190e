"""The dependency lock files pin, with hashes, every dependency pyproject.toml names."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)")


def pins(lock: str) -> dict[str, str]:
    found = {}
    text = (ROOT / lock).read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match:
            assert "--hash=sha256:" in block, f"{match.group(1)} has no hash in {lock}"
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = list(project["dependencies"])
    if extra:
        names += project["optional-dependencies"][extra]
    return [Requirement(name) for name in names]


@pytest.mark.parametrize(("lock", "extra"), [("requirements.lock", None),
                                             ("requirements-test.lock", "test")])
def test_every_dependency_is_pinned_within_its_range(lock, extra):
    pinned = pins(lock)
    for requirement in declared(extra):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is missing from {lock}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), \
            f"{lock} pins {name}=={pinned[name]} outside {requirement.specifier}: make lock"


def test_make_installs_from_the_locks():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--require-hashes -r requirements-test.lock" in makefile
    assert "\nlock:" in makefile
