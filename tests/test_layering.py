"""`forms` and `scoring` are usable without Flask: the web app depends on them, not back."""

import subprocess
import sys

import pytest

FORBIDDEN = ("flask", "intake", "sqlalchemy", "redis", "rq", "flask_wtf", "flask_babel")


@pytest.mark.parametrize("package", ["forms", "scoring"])
def test_package_imports_without_web_stack(package):
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "", f"{package} pulled in: {result.stdout.strip()}"
