"""The harness's azure-cli (``tests.support.azcli``): where it comes from, and the reason the
az suite gives when it cannot have it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import azcli
from tests.support.azcli import AzureCliUnavailable, ensure_azure_cli


def test_rollwright_az_names_the_az_to_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLWRIGHT_AZ", sys.executable)
    assert ensure_azure_cli() == Path(sys.executable)
    monkeypatch.setenv("ROLLWRIGHT_AZ", "/nonexistent/az")
    with pytest.raises(AzureCliUnavailable, match="ROLLWRIGHT_AZ=/nonexistent/az"):
        ensure_azure_cli()


def test_an_installed_az_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ROLLWRIGHT_AZ", raising=False)
    monkeypatch.delenv("ROLLWRIGHT_AZURE_CLI", raising=False)
    az = tmp_path / "venv" / "bin" / "az"
    az.parent.mkdir(parents=True)
    az.write_text("#!/bin/sh\n")
    (tmp_path / "installed").write_text(azcli.DEFAULT_REQUIREMENT)

    def no_install(command: list[str], what: str) -> None:
        raise AssertionError(f"installed again: {what}")

    monkeypatch.setattr(azcli, "_run_install", no_install)
    assert ensure_azure_cli(tmp_path) == az


def test_a_failed_install_says_why_without_pips_index_noise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ROLLWRIGHT_AZ", raising=False)
    monkeypatch.setenv("ROLLWRIGHT_AZURE_CLI", "azure-cli==2.91.*")  # not installed here yet
    failing = (
        "import sys; print('WARNING: Location x is ignored', file=sys.stderr); "
        "sys.exit('ERROR: No matching distribution found for azure-cli')"
    )
    real = azcli._run_install
    monkeypatch.setattr(
        azcli,
        "_run_install",
        lambda command, what: real([sys.executable, "-c", failing], what),
    )
    with pytest.raises(AzureCliUnavailable) as refused:
        ensure_azure_cli(tmp_path)
    message = str(refused.value)
    assert "could not create its virtualenv" in message
    assert "No matching distribution found for azure-cli" in message
    assert "WARNING: Location" not in message
    assert not (tmp_path / "installed").exists()
