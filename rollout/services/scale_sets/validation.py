"""E2: the conditions under which automatic OS upgrade may be enabled, checked on a model.

The checks read a scale set's model as it *would* be (an unsaved ``ScaleSet`` and its
extensions), so the API can validate a PUT before writing anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from rollout.models import (
    Extension,
    ImageKind,
    LoadBalancerSku,
    OsType,
    PatchMode,
    PlatformImage,
    ScaleSet,
    ServiceFabricDurability,
    UpgradeMode,
)
from rollout.services.errors import Problem

VMP = "properties.virtualMachineProfile"
IMAGE = f"{VMP}.storageProfile.imageReference"
TARGET_VERSION = f"{IMAGE}.version"
TARGET_SKU = f"{IMAGE}.sku"
TARGET_IMAGE_ID = f"{IMAGE}.id"
TARGET_PUBLISHER = f"{IMAGE}.publisher"
TARGET_OFFER = f"{IMAGE}.offer"
TARGET_HEALTH_PROBE = f"{VMP}.networkProfile.healthProbe.id"
TARGET_EXTENSIONS = f"{VMP}.extensionProfile.extensions"
TARGET_AUTO_UPDATES = f"{VMP}.osProfile.windowsConfiguration.enableAutomaticUpdates"
TARGET_SINGLE_PLACEMENT_GROUP = "properties.singlePlacementGroup"
TARGET_ENABLE = "properties.upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade"

MAX_CAPACITY = 1000
# A single placement group holds at most 100 VMs (arm-shapes §1, singlePlacementGroup).
SINGLE_PLACEMENT_GROUP_MAX = 100
TARGET_CAPACITY = "sku.capacity"
TARGET_ZONES = "zones"
TARGET_MODE = "properties.upgradePolicy.mode"

# E2: the automatic OS upgrade policy exists from this api-version; the Windows rule from the next.
AUTO_UPGRADE_MIN_API_VERSION = "2018-10-01"
WINDOWS_RULE_MIN_API_VERSION = "2019-03-01"


def patch_mode_target(os_type: str) -> str:
    config = "windowsConfiguration" if os_type == OsType.WINDOWS else "linuxConfiguration"
    return f"{VMP}.osProfile.{config}.patchSettings.patchMode"


def _bad(message: str, target: str) -> Problem:
    # Azure answers these refusals with code BadRequest (reference/azure/behaviour.md §6).
    return Problem("BadRequest", message, target)


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


def auto_upgrade_problems(
    scale_set: ScaleSet,
    extensions: Sequence[Extension],
    api_version: str | None = None,
) -> list[Problem]:
    """Every E2 condition the model breaks, in the order a user would fix them.

    ``api_version`` is the request's; ``None`` (dashboard, admin, commands) means the newest.
    """
    problems: list[Problem] = []
    if api_version is not None and api_version < AUTO_UPGRADE_MIN_API_VERSION:
        problems.append(
            _bad(
                f"Automatic OS upgrade needs api-version {AUTO_UPGRADE_MIN_API_VERSION} or later; "
                f"the request used {api_version}.",
                "api-version",
            )
        )
    problems += _image_problems(scale_set)
    service_fabric = next((e for e in extensions if e.is_service_fabric), None)
    if service_fabric is None:
        problems += _health_problems(scale_set, extensions)
    else:
        problems += _service_fabric_problems(scale_set, extensions, service_fabric)
    if scale_set.patch_mode == PatchMode.AUTOMATIC_BY_PLATFORM:
        problems.append(
            _bad(
                "Automatic OS upgrade cannot be enabled while the patch orchestration mode is "
                "AutomaticByPlatform: set patchSettings.patchMode to another mode.",
                patch_mode_target(scale_set.os_type),
            )
        )
    windows_rule_applies = api_version is None or api_version >= WINDOWS_RULE_MIN_API_VERSION
    if (
        scale_set.os_type == OsType.WINDOWS
        and scale_set.enable_automatic_updates
        and windows_rule_applies
    ):
        problems.append(
            _bad(
                "windowsConfiguration.enableAutomaticUpdates cannot be set to true if "
                "upgradePolicy.automaticOSUpgradePolicy.enableAutomaticOSUpgrade is true, "
                "starting from APIversion 2019-03-01: set enableAutomaticUpdates to false.",
                TARGET_AUTO_UPDATES,
            )
        )
    return problems


def _image_problems(scale_set: ScaleSet) -> list[Problem]:
    problems: list[Problem] = []
    if scale_set.image_kind == ImageKind.CUSTOM:
        problems.append(
            _bad(
                "Automatic OS upgrade supports platform images and Azure Compute Gallery images "
                "only: imageReference.id names another kind of custom image.",
                TARGET_IMAGE_ID,
            )
        )
        return problems
    if scale_set.image_version.lower() != "latest":
        target = TARGET_VERSION if scale_set.image_kind == ImageKind.PLATFORM else TARGET_IMAGE_ID
        problems.append(
            _bad(
                "virtualMachineScaleSets with Automatic OS Upgrade enabled must use Platform or "
                f"Gallery Image with version set to 'latest' (it is '{scale_set.image_version}').",
                target,
            )
        )
    if scale_set.image_kind == ImageKind.PLATFORM:
        image = PlatformImage.objects.filter(
            publisher__iexact=scale_set.image_publisher,
            offer__iexact=scale_set.image_offer,
            sku__iexact=scale_set.image_sku,
        ).first()
        if image is None or not image.automatic_os_upgrade_supported:
            problems.append(
                _bad(
                    "Automatic OS Upgrade cannot be enabled on virtualMachineScaleSets configured "
                    f"with the Platform Image {scale_set.image_publisher}:{scale_set.image_offer}:"
                    f"{scale_set.image_sku}: this SKU does not support automatic OS upgrade "
                    "(E3); choose a supported imageReference.sku.",
                    TARGET_SKU,
                )
            )
    return problems


def _health_problems(scale_set: ScaleSet, extensions: Sequence[Extension]) -> list[Problem]:
    has_extension = any(e.is_application_health for e in extensions)
    probe = scale_set.health_probe
    if probe is None and not has_extension:
        return [
            _bad(
                "Automatic OS Upgrade is not supported for this Virtual Machine Scale Set because "
                "a health probe or health extension was not specified: set "
                "networkProfile.healthProbe.id or add the Application Health extension.",
                TARGET_HEALTH_PROBE,
            )
        ]
    if probe is not None and has_extension:
        return [
            _bad(
                "Automatic OS Upgrade is not supported for this Virtual Machine Scale Set because "
                "both a health probe and a health extension were provided. Remove the health "
                "probe or health extension prior to enabling automatic OS upgrade.",
                TARGET_HEALTH_PROBE,
            )
        ]
    if (
        probe is not None
        and not scale_set.single_placement_group
        and probe.load_balancer.sku != LoadBalancerSku.STANDARD
    ):
        return [
            _bad(
                "A scale set with several placement groups (singlePlacementGroup = false) needs "
                f"a Standard load balancer health probe; '{probe.load_balancer.name}' is Basic.",
                TARGET_HEALTH_PROBE,
            )
        ]
    return []


def _service_fabric_problems(
    scale_set: ScaleSet, extensions: Sequence[Extension], extension: Extension
) -> list[Problem]:
    problems: list[Problem] = []
    cluster = scale_set.service_fabric_cluster_durability
    in_extension = str((extension.settings or {}).get("durabilityLevel", ""))
    if scale_set.health_probe is not None:
        problems.append(
            _bad(
                "Load balancer health probes are not supported for Service Fabric scale sets: "
                "remove networkProfile.healthProbe.",
                TARGET_HEALTH_PROBE,
            )
        )
    if cluster == ServiceFabricDurability.BRONZE:
        if not scale_set.service_fabric_stateless:
            problems.append(
                _bad(
                    "Service Fabric durability Bronze supports automatic OS upgrade only on a "
                    "stateless-only node type: use Silver or Gold durability.",
                    f"{TARGET_EXTENSIONS}.settings.durabilityLevel",
                )
            )
        elif not any(e.is_application_health for e in extensions):
            problems.append(
                _bad(
                    "A stateless Bronze Service Fabric node type needs a health probe: add the "
                    "Application Health extension.",
                    TARGET_EXTENSIONS,
                )
            )
    elif cluster not in (ServiceFabricDurability.SILVER, ServiceFabricDurability.GOLD):
        problems.append(
            _bad(
                "The Service Fabric node type has no durability level: set Silver or Gold.",
                f"{TARGET_EXTENSIONS}.settings.durabilityLevel",
            )
        )
    if in_extension.lower() != str(cluster).lower():
        problems.append(
            _bad(
                f"Service Fabric durability differs between the cluster ({cluster or 'none'}) "
                f"and the extension '{extension.name}' ({in_extension or 'none'}): "
                "make them agree.",
                f"{TARGET_EXTENSIONS}.settings.durabilityLevel",
            )
        )
    if _version_tuple(extension.type_handler_version) < (1, 1):
        problems.append(
            _bad(
                f"The Service Fabric extension '{extension.name}' has typeHandlerVersion "
                f"{extension.type_handler_version}; automatic OS upgrade needs 1.1 or later.",
                f"{TARGET_EXTENSIONS}.typeHandlerVersion",
            )
        )
    return problems


def model_problems(
    candidate: ScaleSet,
    extensions: Sequence[Extension],
    was_single_placement_group: bool | None = None,
) -> list[Problem]:
    """Rules of a scale set model beyond E2 and E4: capacity, placement, zones, Rolling mode."""
    problems: list[Problem] = []
    if not 0 <= candidate.capacity <= MAX_CAPACITY:
        problems.append(
            Problem(
                "InvalidParameter",
                f"sku.capacity must be between 0 and {MAX_CAPACITY}; it is {candidate.capacity}.",
                TARGET_CAPACITY,
            )
        )
    if candidate.single_placement_group and candidate.capacity > SINGLE_PLACEMENT_GROUP_MAX:
        problems.append(
            Problem(
                "InvalidParameter",
                f"A scale set in a single placement group holds at most "
                f"{SINGLE_PLACEMENT_GROUP_MAX} instances ({candidate.capacity} asked): set "
                "properties.singlePlacementGroup to false.",
                TARGET_CAPACITY,
            )
        )
    if was_single_placement_group is False and candidate.single_placement_group:
        problems.append(
            Problem(
                "PropertyChangeNotAllowed",
                "singlePlacementGroup can change from true to false only, never back to true.",
                TARGET_SINGLE_PLACEMENT_GROUP,
            )
        )
    available = set(candidate.location.availability_zones or [])
    unknown_zones = [zone for zone in candidate.zones if zone not in available]
    if unknown_zones:
        problems.append(
            Problem(
                "InvalidParameter",
                f"The zones {unknown_zones} are not available in location "
                f"'{candidate.location.name}' (available: {sorted(available) or 'none'}).",
                TARGET_ZONES,
            )
        )
    if len(set(candidate.zones)) != len(candidate.zones):
        problems.append(Problem("InvalidParameter", "zones lists a zone twice.", TARGET_ZONES))
    has_extension = any(extension.is_application_health for extension in extensions)
    if candidate.upgrade_mode == UpgradeMode.ROLLING and not (
        candidate.health_probe_id is not None or has_extension
    ):
        problems.append(
            Problem(
                "BadRequest",
                "Rolling Upgrade mode is not supported for this Virtual Machine Scale Set "
                "because a health probe or health extension was not provided.",
                TARGET_MODE,
            )
        )
    return problems
