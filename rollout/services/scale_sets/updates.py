"""Operator verbs that change a scale set's model: E1 enable/disable, E4 model updates, E5.

Each verb validates first and writes nothing when it refuses (it raises ``ServiceError``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from orchestrator.scale_in import Candidate, ScaleInRule, choose_scale_in
from rollout import events
from rollout.models import (
    EventKind,
    Extension,
    ImageKind,
    Instance,
    PlatformImage,
    ScaleSet,
    UpgradeMode,
)
from rollout.services.errors import Problem, ServiceError, invalid_parameter
from rollout.services.gallery.images import model_image_version
from rollout.services.scale_sets.instances import manual_upgrade_instances
from rollout.services.scale_sets.placement import create_instances
from rollout.services.scale_sets.validation import (
    TARGET_ENABLE,
    TARGET_IMAGE_ID,
    TARGET_OFFER,
    TARGET_PUBLISHER,
    auto_upgrade_problems,
    model_problems,
)
from rollout.services.wire.scale_sets import SCALE_SET_FIELDS

# Changing these makes instances run an outdated model until they apply it (E5).
MODEL_FIELDS = frozenset(
    {
        "sku_name",
        "image_sku",
        "image_version",
        "gallery_image",
        "custom_image_id",
        "custom_data",
        "user_data",
        "admin_username",
        "enable_automatic_updates",
        "patch_mode",
        "health_probe",
    }
)
# Everything a model update may set; the rest of a scale set is fixed at creation.
UPDATABLE_FIELDS = SCALE_SET_FIELDS.updatable


@dataclass
class ExtensionSpec:
    """An extension of the model as a request describes it (wire names mapped to fields)."""

    name: str
    publisher: str
    extension_type: str
    type_handler_version: str = "1.0"
    auto_upgrade_minor_version: bool = True
    settings: dict[str, Any] = field(default_factory=dict)
    protected_settings: dict[str, Any] = field(default_factory=dict)
    provision_after_extensions: list[str] = field(default_factory=list)
    credential_expires_at: datetime | None = None

    def build(self, scale_set: ScaleSet, position: int) -> Extension:
        return Extension(
            scale_set=scale_set,
            name=self.name,
            publisher=self.publisher,
            extension_type=self.extension_type,
            type_handler_version=self.type_handler_version,
            auto_upgrade_minor_version=self.auto_upgrade_minor_version,
            settings=self.settings,
            protected_settings=self.protected_settings,
            provision_after_extensions=self.provision_after_extensions,
            credential_expires_at=self.credential_expires_at,
            position=position,
        )


def auto_upgrade_refusal(
    scale_set: ScaleSet, api_version: str | None = None
) -> ServiceError | None:
    """Why enabling auto-upgrade would be refused now (E2), or None: a read, for the dashboard."""
    problems = auto_upgrade_problems(scale_set, list(scale_set.extensions.all()), api_version)
    return ServiceError.from_problems(problems) if problems else None


def enable_auto_upgrade(
    scale_set: ScaleSet, *, actor: Any = None, reason: str = "", api_version: str | None = None
) -> ScaleSet:
    """E1: turn automatic OS upgrade on, if every E2 condition holds (else raise, write nothing)."""
    return update_scale_set_model(
        scale_set,
        {"enable_automatic_os_upgrade": True},
        actor=actor,
        reason=reason,
        api_version=api_version,
    )


def disable_auto_upgrade(
    scale_set: ScaleSet, *, actor: Any = None, reason: str = "", api_version: str | None = None
) -> ScaleSet:
    """E1: turn automatic OS upgrade off; always allowed."""
    return update_scale_set_model(
        scale_set,
        {"enable_automatic_os_upgrade": False},
        actor=actor,
        reason=reason,
        api_version=api_version,
    )


def update_scale_set_model(
    scale_set: ScaleSet,
    changes: dict[str, Any],
    *,
    extensions: list[ExtensionSpec] | None = None,
    actor: Any = None,
    reason: str = "",
    api_version: str | None = None,
) -> ScaleSet:
    """Apply a partial model update under E2 and E4; return the saved scale set.

    1. Lock the row and apply the changes to it in memory.
    2. Refuse (E4) a publisher or offer change, or a change of image kind.
    3. If automatic OS upgrade is (or stays) on, check every E2 condition on the result.
    4. Save; bump ``model_version`` when the VM model changed (E5); resize; record events.
    """
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise invalid_parameter(
            f"These properties cannot be updated: {', '.join(sorted(unknown))}."
        )
    with transaction.atomic():
        current = ScaleSet.objects.select_for_update(of=("self",)).get(pk=scale_set.pk)
        before = {name: getattr(current, name) for name in UPDATABLE_FIELDS}
        before_model = current.model_version
        _refuse_image_identity_change(current, changes)
        for name, value in changes.items():
            setattr(current, name, value)
        if extensions is not None:
            new_extensions = [spec.build(current, i) for i, spec in enumerate(extensions)]
            _refuse_duplicate_extensions(new_extensions)
        else:
            new_extensions = list(current.extensions.all())
        _refuse_missing_image(current, changes)
        problems = model_problems(
            current,
            new_extensions,
            was_single_placement_group=before["single_placement_group"],
        )
        if problems:
            raise ServiceError.from_problems(problems)
        if current.enable_automatic_os_upgrade:
            problems = auto_upgrade_problems(current, new_extensions, api_version)
            if problems:
                raise ServiceError.from_problems(problems)
        if current.capacity != before["capacity"] or changes.get("image_version"):
            model_image_version(current)  # refuse a version that does not exist, before writing
        changed = sorted(
            name for name in UPDATABLE_FIELDS if getattr(current, name) != before[name]
        )
        extensions_changed = extensions is not None and _extension_dicts(new_extensions) != (
            _extension_dicts(list(current.extensions.all()))
        )
        if (MODEL_FIELDS & set(changed)) or extensions_changed:
            current.model_version += 1
        now = timezone.now()
        turned_on = (
            current.enable_automatic_os_upgrade and not before["enable_automatic_os_upgrade"]
        )
        if turned_on and current.auto_upgrade_first_enabled_at is None:
            current.auto_upgrade_first_enabled_at = now  # T5: the first rollout waits from here
        current.save()
        if extensions_changed:
            current.extensions.all().delete()
            Extension.objects.bulk_create(new_extensions)
        if current.capacity != before["capacity"]:
            _resize(current, before["capacity"])
        _record_changes(current, before, changed, extensions_changed, actor, reason, now)
        if current.model_version != before_model and current.upgrade_mode == UpgradeMode.AUTOMATIC:
            # upgradePolicy.mode Automatic: a model change reaches every instance at once.
            outdated = list(
                current.instances.exclude(model_version=current.model_version).values_list(
                    "instance_id", flat=True
                )
            )
            if outdated:
                manual_upgrade_instances(
                    current, outdated, actor=actor, reason="upgradePolicy.mode Automatic"
                )
        elif current.model_version != before_model and current.upgrade_mode == UpgradeMode.ROLLING:
            _start_model_rollout(current, actor)
    return current


def _start_model_rollout(scale_set: ScaleSet, actor: Any) -> None:
    """upgradePolicy.mode Rolling: a model change reaches the instances in batches, under the
    rolling upgrade policy and with no automatic rollback (a user's change, as M1). While
    another upgrade runs, the change waits: instances keep latestModelApplied false until a
    manual upgrade or the next model change."""
    from rollout.services.upgrades.operations import active_operation, start_os_upgrade

    if active_operation(scale_set) is not None:
        return
    start_os_upgrade(
        scale_set,
        actor=actor,
        reason=f"upgradePolicy.mode Rolling: rolling out model {scale_set.model_version}",
        target_version=model_image_version(scale_set).version,
        target_model_version=scale_set.model_version,
    )


def _refuse_image_identity_change(current: ScaleSet, changes: dict[str, Any]) -> None:
    """E4: publisher and offer are fixed at creation; so is the kind of image."""
    if "image_kind" in changes and changes["image_kind"] != current.image_kind:
        raise ServiceError(
            "OperationNotAllowed",
            "The Image type for a Virtual Machine Scale Set may not be changed.",
            TARGET_IMAGE_ID,
        )
    for name, target in (("image_publisher", TARGET_PUBLISHER), ("image_offer", TARGET_OFFER)):
        if name in changes and str(changes[name]).lower() != str(getattr(current, name)).lower():
            label = "publisher" if name == "image_publisher" else "offer"
            raise ServiceError(
                "PropertyChangeNotAllowed",
                f"Changing property 'imageReference.{label}' is not allowed: the {label} of an "
                f"existing scale set is fixed ('{getattr(current, name)}'). Create a new scale "
                "set for another image.",
                target,
            )


def _refuse_missing_image(current: ScaleSet, changes: dict[str, Any]) -> None:
    """The image reference must keep naming an image that exists."""
    if current.image_kind == ImageKind.GALLERY and current.gallery_image is None:
        raise invalid_parameter(
            "A gallery scale set's imageReference.id must name a Compute Gallery image.",
            TARGET_IMAGE_ID,
        )
    if current.image_kind == ImageKind.PLATFORM and "image_sku" in changes:
        exists = PlatformImage.objects.filter(
            publisher__iexact=current.image_publisher,
            offer__iexact=current.image_offer,
            sku__iexact=current.image_sku,
        ).exists()
        if not exists:
            raise invalid_parameter(
                f"The platform image {current.image_publisher}:{current.image_offer}:"
                f"{current.image_sku} does not exist.",
                "properties.virtualMachineProfile.storageProfile.imageReference.sku",
            )


def _refuse_duplicate_extensions(extensions: list[Extension]) -> None:
    names = Counter(extension.name for extension in extensions)
    duplicates = sorted(name for name, count in names.items() if count > 1)
    if duplicates:
        raise invalid_parameter(
            f"Extension names must be unique; repeated: {', '.join(duplicates)}.",
            "properties.virtualMachineProfile.extensionProfile.extensions",
        )


def _extension_dicts(extensions: list[Extension]) -> list[dict[str, Any]]:
    return [
        {
            "name": e.name,
            "publisher": e.publisher,
            "type": e.extension_type,
            "version": e.type_handler_version,
            "minor": e.auto_upgrade_minor_version,
            "settings": e.settings,
            "protected": e.protected_settings,
            "after": list(e.provision_after_extensions),
            "expires": e.credential_expires_at,
        }
        for e in extensions
    ]


def _resize(scale_set: ScaleSet, old_capacity: int) -> None:
    if scale_set.capacity > old_capacity:
        version = model_image_version(scale_set).version
        create_instances(scale_set, scale_set.capacity - old_capacity, version)
        return
    # Scale in under scaleInPolicy.rules, never removing a protected VM.
    instances = list(scale_set.instances.all())
    count = len(instances) - scale_set.capacity
    remove = choose_scale_in(
        [
            Candidate(
                i.instance_id,
                i.zone,
                i.fault_domain,
                i.created_at,
                protected=i.is_protected_from_scale_in,
            )
            for i in instances
        ],
        count,
        ScaleInRule(scale_set.scale_in_rule),
    )
    if len(remove) < count:
        raise ServiceError(
            "OperationNotAllowed",
            f"sku.capacity cannot drop to {scale_set.capacity}: {len(instances) - len(remove)} "
            f"of the {len(instances)} VMs are protected from scale-in (protectionPolicy). "
            "Remove their protection, or delete chosen instances.",
            "sku.capacity",
            status=409,
        )
    Instance.objects.filter(scale_set=scale_set, instance_id__in=remove).delete()


def _record_changes(
    scale_set: ScaleSet,
    before: dict[str, Any],
    changed: list[str],
    extensions_changed: bool,
    actor: Any,
    reason: str,
    at: datetime,
) -> None:
    rows = []
    if "enable_automatic_os_upgrade" in changed:
        kind = EventKind.ENABLED if scale_set.enable_automatic_os_upgrade else EventKind.DISABLED
        rows.append(events.new_event(kind, scale_set=scale_set, actor=actor, reason=reason, at=at))
    others = [name for name in changed if name != "enable_automatic_os_upgrade"]
    if others or extensions_changed:
        rows.append(
            events.new_event(
                EventKind.MODEL_UPDATED,
                scale_set=scale_set,
                actor=actor,
                reason=reason,
                at=at,
                fields=others + (["extensions"] if extensions_changed else []),
                model_version=scale_set.model_version,
            )
        )
    events.record(rows)


__all__ = [
    "TARGET_ENABLE",
    "ExtensionSpec",
    "Problem",
    "auto_upgrade_refusal",
    "disable_auto_upgrade",
    "enable_auto_upgrade",
    "update_scale_set_model",
]
