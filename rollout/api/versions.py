"""api-version: required on every request, and one of the versions Azure has for the resource.

Azure answers a missing one with ``MissingApiVersionParameter`` and a malformed or unknown one
with ``InvalidApiVersionParameter`` listing the supported versions, newest first.
"""

from __future__ import annotations

from rollout.services.errors import ServiceError

# Microsoft.Compute (scale sets, VMs, rolling upgrades, images) from the first version with
# the automatic OS upgrade policy (E2) to the one azure-mgmt-compute 39 sends.
COMPUTE_VERSIONS: tuple[str, ...] = (
    "2018-10-01",
    "2019-03-01",
    "2019-07-01",
    "2019-12-01",
    "2020-06-01",
    "2020-12-01",
    "2021-03-01",
    "2021-04-01",
    "2021-07-01",
    "2021-11-01",
    "2022-03-01",
    "2022-08-01",
    "2022-11-01",
    "2023-03-01",
    "2023-07-01",
    "2023-09-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-04-01",
    "2026-04-01",
)
# Microsoft.Compute galleries (azure-mgmt-compute 39 sends 2026-03-03).
GALLERY_VERSIONS: tuple[str, ...] = (
    "2018-06-01",
    "2019-03-01",
    "2019-07-01",
    "2019-12-01",
    "2020-09-30",
    "2021-07-01",
    "2021-10-01",
    "2022-01-03",
    "2022-03-03",
    "2022-08-03",
    "2023-07-03",
    "2024-03-03",
    "2025-03-03",
    "2026-03-03",
)
# Microsoft.Resources resource groups, as azure-mgmt-resource sends them.
RESOURCE_VERSIONS: tuple[str, ...] = (
    "2016-09-01",
    "2017-05-10",
    "2018-02-01",
    "2018-05-01",
    "2019-03-01",
    "2019-05-01",
    "2019-05-10",
    "2019-07-01",
    "2019-08-01",
    "2019-10-01",
    "2020-06-01",
    "2020-08-01",
    "2020-10-01",
    "2021-01-01",
    "2021-04-01",
    "2022-09-01",
    "2023-07-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-03-01",
    "2025-04-01",
)
# Microsoft.Resources subscriptions and tenants (the az CLI and azure-mgmt-resource send
# 2022-12-01; specification/resources/.../stable/2022-12-01/subscriptions.json).
SUBSCRIPTION_VERSIONS: tuple[str, ...] = (
    "2016-06-01",
    "2018-06-01",
    "2019-06-01",
    "2019-11-01",
    "2020-01-01",
    "2021-01-01",
    "2022-12-01",
)
# The async operation status resource answers for whichever request created it.
OPERATION_VERSIONS: tuple[str, ...] = tuple(sorted(set(COMPUTE_VERSIONS + GALLERY_VERSIONS)))
# A route's api-version family (OpenAPI names its parameter ``{family}ApiVersion``).
API_VERSIONS: dict[str, tuple[str, ...]] = {
    "Compute": COMPUTE_VERSIONS,
    "Gallery": GALLERY_VERSIONS,
    "Resource": RESOURCE_VERSIONS,
    "Operation": OPERATION_VERSIONS,
    "Subscriptions": SUBSCRIPTION_VERSIONS,
}


def missing_api_version() -> ServiceError:
    return ServiceError(
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
        "api-version",
    )


def check_api_version(values: list[str], supported: tuple[str, ...]) -> str:
    """The request's api-version, or the error Azure gives for it."""
    given = [value for value in values if value != ""]
    if not given:
        raise missing_api_version()
    version = given[-1]
    if len(set(given)) > 1 or version not in supported:
        shown = version if len(version) <= 40 else version[:40] + "…"
        newest_first = ",".join(sorted(supported, reverse=True))
        raise ServiceError(
            "InvalidApiVersionParameter",
            f"The api-version '{shown}' is invalid. The supported versions are '{newest_first}'.",
            "api-version",
        )
    return version
