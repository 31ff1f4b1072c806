"""The engine stays pure: no Django, no wall clock, no global randomness (STYLE 2.1, 2.2)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import orchestrator

PACKAGE = Path(orchestrator.__file__).parent
MODULES = sorted(
    info.name for info in pkgutil.walk_packages([str(PACKAGE)], prefix="orchestrator.")
)
SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_orchestrator_imports_no_django_rollout_celery_or_channels() -> None:
    forbidden = ("django", "rollout", "celery", "channels")
    script = "\n".join(
        [
            "import sys",
            *(f"sys.modules[{name!r}] = None" for name in forbidden),
            "import importlib",
            *(f"importlib.import_module({module!r})" for module in ["orchestrator", *MODULES]),
            f"loaded = [m for m in sys.modules if m.split('.')[0] in {forbidden!r} "
            "and sys.modules[m] is not None]",
            "assert not loaded, loaded",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PACKAGE.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_every_module_starts_with_future_annotations(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    body = re.sub(r'^"""(.|\n)*?"""\n', "", source, count=1).lstrip("\n")
    assert body.startswith("from __future__ import annotations")


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_wall_clock_reads(path: Path) -> None:
    """The edge reads the clock and passes ``now`` in; the simulation moves a ManualClock."""
    source = path.read_text(encoding="utf-8")
    reads = re.findall(
        r"\b(?:datetime\.now|datetime\.utcnow|date\.today|time\.time|time\.monotonic)\(", source
    )
    assert reads == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_module_level_randomness(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    calls = re.findall(r"\brandom\.(\w+)\(", source)
    assert set(calls) <= {"Random"}


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_hold(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
