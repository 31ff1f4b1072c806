"""From a parsed scale set body (PUT or PATCH) to the services' ``ModelInput``.

The field table copies most members to their model fields; the code here reads the rest: the
Windows or Linux settings, the image reference's form, the probe's id and the extensions. Only
what the request states becomes a field: absent members leave the model as it is, and a
creation fills Azure's defaults in (the model's field defaults).
"""

from __future__ import annotations

from typing import Any

from rollout.models import ImageKind
from rollout.services.scale_sets.creation import ModelInput
from rollout.services.scale_sets.references import credential_expiry
from rollout.services.scale_sets.updates import ExtensionSpec
from rollout.services.wire.scale_sets import (
    EXTENSION_FIELDS,
    IMAGE_REFERENCE,
    SCALE_SET_FIELDS,
)

# imageReference's platform members → model fields (its ``id`` names a gallery or custom image).
PLATFORM_IMAGE_FIELDS = {
    row.member: row.model
    for row in SCALE_SET_FIELDS
    if row.parent == IMAGE_REFERENCE and row.member != "id"
}


def model_input(body: dict[str, Any]) -> ModelInput:
    """The model a parsed ``VirtualMachineScaleSet`` or ``...Update`` body states."""
    model = ModelInput(fields=SCALE_SET_FIELDS.read(body))
    profile = body.get("properties", {}).get("virtualMachineProfile", {})
    _read_os_configuration(profile.get("osProfile", {}), model)
    _read_image_reference(profile.get("storageProfile", {}).get("imageReference"), model)
    network = profile.get("networkProfile", {})
    if "healthProbe" in network:
        model.health_probe_given = True
        probe = network["healthProbe"]
        model.health_probe_id = probe["id"] if probe is not None else None
    rules = body.get("properties", {}).get("scaleInPolicy", {}).get("rules")
    if rules:
        model.fields["scale_in_rule"] = rules[0]
    extension_profile = profile.get("extensionProfile", {})
    if "extensions" in extension_profile:
        model.extensions = [_extension_spec(item) for item in extension_profile["extensions"]]
    return model


def _read_os_configuration(os_profile: dict[str, Any], model: ModelInput) -> None:
    """Windows or Linux settings: stating ``windowsConfiguration`` says the OS is Windows."""
    fields = model.fields
    windows = os_profile.get("windowsConfiguration")
    if windows is not None:
        model.windows_configuration_given = True
        if "enableAutomaticUpdates" in windows:
            fields["enable_automatic_updates"] = windows["enableAutomaticUpdates"]
        if "patchMode" in windows.get("patchSettings", {}):
            fields["patch_mode"] = windows["patchSettings"]["patchMode"]
    linux = os_profile.get("linuxConfiguration")
    if linux is not None and "patchMode" in linux.get("patchSettings", {}):
        fields["patch_mode"] = linux["patchSettings"]["patchMode"]


def _read_image_reference(reference: dict[str, Any] | None, model: ModelInput) -> None:
    if reference is None:
        return
    if "id" in reference:
        # A gallery image is pinned in its id (…/versions/x), never with `version`; the
        # service refuses the pair with Azure's words.
        model.image_id = reference["id"]
        model.image_id_with = tuple(name for name in PLATFORM_IMAGE_FIELDS if name in reference)
        return
    if any(name in reference for name in PLATFORM_IMAGE_FIELDS):
        model.fields["image_kind"] = ImageKind.PLATFORM
        for name, field in PLATFORM_IMAGE_FIELDS.items():
            if name in reference:
                model.fields[field] = reference[name]


def _extension_spec(item: dict[str, Any]) -> ExtensionSpec:
    """Absent members take the model's defaults (``ExtensionSpec``'s)."""
    spec = ExtensionSpec(**EXTENSION_FIELDS.read(item))
    spec.credential_expires_at = credential_expiry([spec.settings, spec.protected_settings])
    return spec
