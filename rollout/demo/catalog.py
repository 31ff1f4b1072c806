"""The demo fleet's catalogue: Azure's regions and geo pairs, and the platform image SKUs of E3.

The supported SKUs are the seed's list (SPEC E3) and today's list
(reference/azure/behaviour.md); a few unsupported SKUs show E2's refusal.
"""

from __future__ import annotations

from typing import NamedTuple

# (name, display name, geo pair) — Azure's own names and pairings.
REGIONS: list[tuple[str, str, str]] = [
    ("westeurope", "West Europe", "northeurope"),
    ("northeurope", "North Europe", "westeurope"),
    ("eastus", "East US", "westus"),
    ("westus", "West US", "eastus"),
    ("japaneast", "Japan East", "japanwest"),
    ("japanwest", "Japan West", "japaneast"),
]
ZONES = ["1", "2", "3"]


class Sku(NamedTuple):
    publisher: str
    offer: str
    sku: str
    os_type: str
    supported: bool
    version_prefix: str


def _windows(sku: str) -> Sku:
    return Sku("MicrosoftWindowsServer", "WindowsServer", sku, "Windows", True, "windows")


_SEED_WINDOWS = [
    "2012-R2-Datacenter",
    "2016-Datacenter",
    "2016-Datacenter-smalldisk",
    "2016-Datacenter-with-Containers",
    "2019-Datacenter",
    "2019-Datacenter-smalldisk",
    "2019-Datacenter-with-Containers",
    "2019-Datacenter-Core",
    "2019-Datacenter-Core-with-Containers",
    "2019-Datacenter-gensecond",
]
_TODAY_WINDOWS = [
    "2016-Datacenter-gensecond",
    "2016-Datacenter-gs",
    "2016-Datacenter-with-containers-gs",
    "2019-Datacenter-Core-smalldisk",
    "2019-Datacenter-gs",
    "2019-Datacenter-with-Containers-gs",
    "2022-Datacenter",
    "2022-Datacenter-smalldisk",
    "2022-Datacenter-azure-edition",
    "2022-Datacenter-azure-edition-core",
    "2022-Datacenter-azure-edition-core-smalldisk",
    "2022-Datacenter-core",
    "2022-Datacenter-core-smalldisk",
    "2022-Datacenter-g2",
    "2022-Datacenter-smalldisk-g2",
    "Datacenter-core-20h2-with-containers-smalldisk-gs",
]

SKUS: list[Sku] = [
    # SPEC E3, the seed's list
    Sku("Canonical", "UbuntuServer", "16.04-LTS", "Linux", True, "16.04"),
    Sku("Canonical", "UbuntuServer", "18.04-LTS", "Linux", True, "18.04"),
    Sku("OpenLogic", "CentOS", "7.5", "Linux", True, "7.5"),
    *[_windows(sku) for sku in _SEED_WINDOWS],
    # today's list (reference/azure/behaviour.md §1)
    *[
        Sku("Canonical", "0001-com-ubuntu-server-focal", sku, "Linux", True, "20.04")
        for sku in ("20_04-LTS", "20_04-LTS-Gen2", "20_04-LTS-arm64")
    ],
    Sku("Canonical", "ubuntu-24_04-lts", "server-arm64", "Linux", True, "24.04"),
    *[
        Sku("Canonical", "0001-com-ubuntu-server-jammy", sku, "Linux", True, "22.04")
        for sku in ("22_04-LTS", "22_04-LTS-arm64", "22_04-LTS-Gen2")
    ],
    Sku(
        "Canonical", "0001-com-ubuntu-pro-microsoft", "pro-fips-20_04-Gen2", "Linux", True, "20.04"
    ),
    *[
        Sku("MicrosoftCblMariner", "Cbl-Mariner", sku, "Linux", True, "2.0")
        for sku in (
            "cbl-mariner-2",
            "cbl-mariner-2-arm64",
            "cbl-mariner-2-Gen2",
            "cbl-mariner-2-fips",
            "cbl-mariner-2-Gen2-fips",
        )
    ],
    *[
        Sku("MicrosoftCblMariner", "Azure-Linux", sku, "Linux", True, "3.0")
        for sku in ("azure-linux-Gen2", "azure-linux-3", "azure-linux-arm64")
    ],
    Sku("MicrosoftSqlServer", "SQL2017-ws2019", "enterprise", "Windows", True, "14.0"),
    Sku("MicrosoftSqlServer", "SQL2019-ws2022", "enterprise", "Windows", True, "15.0"),
    Sku("MicrosoftSqlServer", "SQL2022-ws2022", "enterprise-Gen2", "Windows", True, "16.0"),
    *[_windows(sku) for sku in _TODAY_WINDOWS],
    # not supported: enabling auto-upgrade on these is refused (E2, E3)
    Sku("Canonical", "UbuntuServer", "14.04.5-LTS", "Linux", False, "14.04"),
    Sku("OpenLogic", "CentOS", "6.10", "Linux", False, "6.10"),
    Sku("Debian", "debian-11", "11", "Linux", False, "0.20"),
    Sku("MicrosoftWindowsServer", "WindowsServer", "2008-R2-SP1", "Windows", False, "windows"),
]

# Monthly releases: the version strings follow each publisher's style.
RELEASE_DATES = ["2026-07-08", "2026-08-12", "2026-09-09", "2026-10-14", "2026-11-11"]


def version_string(sku: Sku, release: str) -> str:
    """Azure-style version for a release date, e.g. ``18.04.202610140`` or ``17763.6414.261014``.

    >>> version_string(SKUS[1], "2026-10-14")
    '18.04.202610140'
    """
    year, month, day = release.split("-")
    if sku.version_prefix == "windows":
        build = {"2012": 9600, "2016": 14393, "2019": 17763, "2022": 20348}.get(sku.sku[:4], 20348)
        return f"{build}.{6000 + int(month) * 31 + int(day)}.{year[2:]}{month}{day}"
    return f"{sku.version_prefix}.{year}{month}{day}0"
