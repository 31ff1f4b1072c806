"""The Azure CLI, for the suites that drive Rollwright through ``az`` (tests/azcli).

azure-cli pins its own versions of the Azure SDK (azure-mgmt-compute 34 where the project tests
with 39, msal, azure-core...), and weighs some 700 MB, so it lives in a virtualenv of its own,
``var/azcli/venv``, made on first use (about a minute and a half on the development machine)
and kept. ``ROLLWRIGHT_AZ`` names an ``az`` to use instead; ``ROLLWRIGHT_AZURE_CLI`` the pip
requirement (default ``azure-cli==2.91.*``, the version the shapes were checked against).
``ensure_azure_cli()`` raises ``AzureCliUnavailable``, saying why, when it cannot be had (no
package index reachable, say): the suite skips with that message.

``Az`` runs it as a user would, with a configuration directory of its own
(``AZURE_CONFIG_DIR``: clouds, logins and token cache), trusting the test server's certificate
authority through ``REQUESTS_CA_BUNDLE`` as the README tells users to.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.processes import ROOT

DEFAULT_REQUIREMENT = "azure-cli==2.91.*"
INSTALL_TIMEOUT = 900.0  # seconds; pip resolves and downloads some 150 packages
COMMAND_TIMEOUT = 180.0


class AzureCliUnavailable(RuntimeError):
    """azure-cli could not be installed or found; the message says why."""


def ensure_azure_cli(directory: Path | None = None) -> Path:
    """The ``az`` executable: ``ROLLWRIGHT_AZ``, or the one in ``var/azcli/venv`` (installed
    there first if needed, under a file lock so parallel runs install it once)."""
    given = os.environ.get("ROLLWRIGHT_AZ")
    if given:
        found = shutil.which(given)
        if found is None:
            raise AzureCliUnavailable(f"ROLLWRIGHT_AZ={given} is not an executable.")
        return Path(found)
    requirement = os.environ.get("ROLLWRIGHT_AZURE_CLI", DEFAULT_REQUIREMENT)
    home = directory or ROOT / "var" / "azcli"
    home.mkdir(parents=True, exist_ok=True)
    venv, stamp = home / "venv", home / "installed"
    az = venv / "bin" / "az"
    with open(home / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if az.exists() and stamp.exists() and stamp.read_text() == requirement:
            return az
        shutil.rmtree(venv, ignore_errors=True)
        stamp.unlink(missing_ok=True)
        _run_install([sys.executable, "-m", "venv", str(venv)], "create its virtualenv")
        _run_install(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                requirement,
            ],
            f"pip install {requirement}",
        )
        if not az.exists():
            raise AzureCliUnavailable(f"pip installed {requirement} but {az} is missing.")
        stamp.write_text(requirement)
    return az


def _run_install(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise AzureCliUnavailable(
            f"azure-cli: could not {what} within {INSTALL_TIMEOUT:.0f} s."
        ) from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        shown = "\n".join(line for line in lines if not line.startswith("WARNING: Location"))
        raise AzureCliUnavailable(f"azure-cli: could not {what}:\n{shown[-1500:]}")


class AzFailed(AssertionError):
    """``az`` exited non-zero; the message holds the command and its stderr."""

    def __init__(self, arguments: tuple[str, ...], done: subprocess.CompletedProcess[str]):
        self.returncode = done.returncode
        self.stderr = done.stderr
        super().__init__(f"az {' '.join(arguments)} exited {done.returncode}:\n{done.stderr}")


@dataclass
class Az:
    """``az`` with a configuration directory of its own, trusting ``ca_bundle``."""

    executable: Path
    config_dir: Path
    ca_bundle: Path
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AZURE_", "ARM_", "MSAL_"))
            and name not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")
        }
        return {
            **inherited,
            "AZURE_CONFIG_DIR": str(self.config_dir),
            "REQUESTS_CA_BUNDLE": str(self.ca_bundle),
            "AZURE_CORE_COLLECT_TELEMETRY": "false",
            "AZURE_CORE_NO_COLOR": "true",
            "AZURE_CORE_SURVEY_MESSAGE": "false",
            **self.extra_env,
        }

    def run(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.executable), *arguments],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if check and done.returncode != 0:
            raise AzFailed(arguments, done)
        return done

    def json(self, *arguments: str) -> Any:
        """The command's ``-o json`` answer (None when it prints nothing)."""
        out = self.run(*arguments, "-o", "json").stdout
        return json.loads(out) if out.strip() else None

    def fails(self, *arguments: str) -> AzFailed:
        """The failure of a command expected to fail."""
        done = self.run(*arguments, check=False)
        if done.returncode == 0:
            raise AssertionError(f"az {' '.join(arguments)} succeeded:\n{done.stdout[:2000]}")
        return AzFailed(arguments, done)
