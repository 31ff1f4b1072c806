"""VirtualMachineScaleSet (arm-shapes §1): the members its field table copies, plus those that
need code (the image reference's form, Windows or Linux settings, the probe, extensions)."""

from __future__ import annotations

from typing import Any

from rollout.api.etags import etag_of
from rollout.models import Extension, ImageKind, OsType, PatchMode, ScaleSet
from rollout.services.wire import arm_time
from rollout.services.wire.scale_sets import EXTENSION_FIELDS, SCALE_SET_FIELDS

SCALE_SET_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
# What every scale set read needs in one query (the ARM ids walk up to the subscription).
SCALE_SET_RELATED = (
    "resource_group__subscription",
    "location",
    "health_probe__load_balancer__resource_group__subscription",
    "gallery_image__gallery__resource_group__subscription",
)


def image_reference(scale_set: ScaleSet) -> dict[str, Any]:
    """The model's ``imageReference``: platform names, or a gallery / custom image id."""
    if scale_set.image_kind == ImageKind.PLATFORM:
        return {
            "publisher": scale_set.image_publisher,
            "offer": scale_set.image_offer,
            "sku": scale_set.image_sku,
            "version": scale_set.image_version,
        }
    if scale_set.image_kind == ImageKind.GALLERY and scale_set.gallery_image is not None:
        image_id = scale_set.gallery_image.arm_id
        if scale_set.image_version.lower() != "latest":
            image_id += f"/versions/{scale_set.image_version}"
        return {"id": image_id}
    return {"id": scale_set.custom_image_id}


def os_configuration(scale_set: ScaleSet, profile: dict[str, Any]) -> None:
    """Add ``windowsConfiguration`` (always, for Windows) or ``linuxConfiguration`` (when it
    has a patch mode) to the ``osProfile``."""
    patch = {"patchMode": scale_set.patch_mode} if scale_set.patch_mode != PatchMode.NOT_SET else {}
    if scale_set.os_type == OsType.WINDOWS:
        windows: dict[str, Any] = {"enableAutomaticUpdates": scale_set.enable_automatic_updates}
        if patch:
            windows["patchSettings"] = patch
        profile["windowsConfiguration"] = windows
    elif patch:
        profile["linuxConfiguration"] = {"patchSettings": patch}


def extension_wire(scale_set: ScaleSet, extension: Extension) -> dict[str, Any]:
    """Protected settings are write-only, as in Azure.

    Inside the model's ``extensionProfile`` Azure sends no resource ``type`` beside the
    handler's ``properties.type``: the az CLI flattens ``properties`` into the extension and
    fails on the two (``KeyError: Conflict key when apply client flatten: type``; azure-cli
    2.91, ``aaz/latest/vmss/_list.py`` and ``core/aaz/_command.py``)."""
    body: dict[str, Any] = {"id": f"{scale_set.arm_id}/extensions/{extension.name}"}
    EXTENSION_FIELDS.write(extension, body)
    body["properties"]["provisioningState"] = "Succeeded"
    return body


def scale_set_wire(
    scale_set: ScaleSet, *, provisioning_state: str | None = None, user_data: bool = False
) -> dict[str, Any]:
    """GET, list item and the body of a PUT/PATCH answer (``provisioning_state`` overrides
    the stored state there, e.g. ``Creating``, as Azure's first answer says). ``userData``
    only when asked (``$expand=userData``); the etag covers it either way."""
    body: dict[str, Any] = {
        "id": scale_set.arm_id,
        "name": scale_set.name,
        "type": SCALE_SET_TYPE,
        "location": scale_set.location.name,
    }
    SCALE_SET_FIELDS.write(scale_set, body)  # tags, sku, zones, policies, osProfile names...
    properties = body["properties"]
    properties["orchestrationMode"] = "Uniform"
    profile = properties["virtualMachineProfile"]
    os_configuration(scale_set, profile["osProfile"])
    profile["storageProfile"] = {"imageReference": image_reference(scale_set)}
    network: dict[str, Any] = {}
    if scale_set.health_probe is not None:
        network["healthProbe"] = {"id": scale_set.health_probe.arm_id}
    profile["networkProfile"] = network
    extensions = sorted(scale_set.extensions.all(), key=lambda e: (e.position, e.name))
    profile["extensionProfile"] = {
        "extensions": [extension_wire(scale_set, extension) for extension in extensions]
    }
    properties.setdefault("scaleInPolicy", {})["rules"] = [scale_set.scale_in_rule]
    properties["provisioningState"] = scale_set.provisioning_state
    properties["uniqueId"] = str(scale_set.unique_id)
    properties["timeCreated"] = arm_time(scale_set.time_created)
    body["etag"] = etag_of(body, scale_set.user_data)
    if provisioning_state:
        properties["provisioningState"] = provisioning_state
    if user_data and scale_set.user_data:
        profile["userData"] = scale_set.user_data
    return body
