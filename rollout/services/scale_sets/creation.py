"""Creating, replacing and deleting ARM resources: scale sets, resource groups and the Compute
Gallery objects a publisher needs to publish an image version.

Like every verb, these validate first and write nothing when they refuse (``ServiceError``).
References in a request (a region name, an image id, a probe id) are resolved here and in
``references``, so the API, the admin and the commands get the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from rollout import events
from rollout.models import (
    EventKind,
    Extension,
    ImageKind,
    OsType,
    PlatformImage,
    ScaleSet,
)
from rollout.services.errors import (
    Problem,
    ServiceError,
    conflict,
    invalid_parameter,
)
from rollout.services.gallery.images import model_image_version
from rollout.services.resource_groups import (
    TARGET_LOCATION,
    check_name,
    ensure_subscription,
    refuse_while_upgrading,
    resolve_region,
    resource_group_for_new_resource,
)
from rollout.services.scale_sets.placement import create_instances
from rollout.services.scale_sets.references import resolve_health_probe, resolve_image_id
from rollout.services.scale_sets.updates import (
    ExtensionSpec,
    update_scale_set_model,
)
from rollout.services.scale_sets.validation import (
    IMAGE,
    TARGET_EXTENSIONS,
    auto_upgrade_problems,
    model_problems,
)
from rollout.services.wire.scale_sets import SCALE_SET_FIELDS

# Fields only a creation sets (model field → wire path); a later PUT may repeat them unchanged.
CREATE_ONLY_FIELDS = SCALE_SET_FIELDS.create_only


@dataclass
class ModelInput:
    """A scale set model as a request states it: model field names, references unresolved.

    ``fields`` holds only what the request said. ``image_id`` is ``imageReference.id`` and
    ``image_id_with`` the publisher/offer/sku/version members wrongly given beside it;
    ``health_probe_id`` is the probe's ARM id, ``None`` to remove it, absent when unsaid.
    """

    fields: dict[str, Any] = field(default_factory=dict)
    image_id: str | None = None
    health_probe_given: bool = False
    image_id_with: tuple[str, ...] = ()
    health_probe_id: str | None = None
    extensions: list[ExtensionSpec] | None = None
    windows_configuration_given: bool = False


def model_changes(model: ModelInput) -> dict[str, Any]:
    """The request's fields with its references resolved to rows."""
    changes = dict(model.fields)
    if model.image_id is not None and model.image_id_with:
        other = model.image_id_with[0]
        raise invalid_parameter(
            f"The property 'imageReference.id' cannot be used together with property "
            f"'imageReference.{other}'.",
            f"{IMAGE}.{other}",
        )
    if model.image_id is not None:
        changes.update(resolve_image_id(model.image_id))
    if model.health_probe_given:
        changes["health_probe"] = (
            resolve_health_probe(model.health_probe_id) if model.health_probe_id else None
        )
    return changes


def _os_type_of(candidate: ScaleSet, windows_configuration_given: bool) -> str:
    if candidate.image_kind == ImageKind.GALLERY and candidate.gallery_image is not None:
        return candidate.gallery_image.os_type
    if candidate.image_kind == ImageKind.PLATFORM:
        image = PlatformImage.objects.filter(
            publisher__iexact=candidate.image_publisher,
            offer__iexact=candidate.image_offer,
            sku__iexact=candidate.image_sku,
        ).first()
        if image is not None:
            return image.os_type
    return OsType.WINDOWS if windows_configuration_given else OsType.LINUX


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise ServiceError.from_problems(problems)


def _check_platform_reference(candidate: ScaleSet) -> None:
    if candidate.image_kind != ImageKind.PLATFORM:
        return
    missing = [
        name
        for name in ("publisher", "offer", "sku")
        if not getattr(candidate, f"image_{name}").strip()
    ]
    if missing:
        raise invalid_parameter(
            f"The image reference needs {', '.join(missing)} (or an id).", f"{IMAGE}.{missing[0]}"
        )
    known = PlatformImage.objects.filter(
        publisher__iexact=candidate.image_publisher,
        offer__iexact=candidate.image_offer,
        sku__iexact=candidate.image_sku,
    ).exists()
    if not known:
        raise ServiceError(
            "PlatformImageNotFound",
            f"The platform image '{candidate.image_publisher}:{candidate.image_offer}:"
            f"{candidate.image_sku}:{candidate.image_version}' is not available.",
            IMAGE,
        )


def find_scale_set(subscription_id: str, resource_group: str, name: str) -> ScaleSet | None:
    return (
        ScaleSet.objects.select_related(
            "resource_group__subscription", "location", "health_probe__load_balancer"
        )
        .filter(
            resource_group__subscription__subscription_id__iexact=subscription_id,
            resource_group__name__iexact=resource_group,
            name__iexact=name,
        )
        .first()
    )


def create_scale_set(
    subscription_id: str,
    resource_group_name: str,
    name: str,
    location: str,
    model: ModelInput,
    *,
    actor: Any = None,
    api_version: str | None = None,
    reason: str = "",
) -> ScaleSet:
    """Create a scale set, its extensions and its instances (and its resource group).

    1. Resolve the region, the image reference and the probe; build the model unsaved.
    2. Refuse what breaks a rule: capacity, placement, zones, Rolling without health, an
       image that does not resolve, and (when the request enables it) any E2 condition.
    3. Write the subscription, resource group, scale set, extensions and instances at once.
    """
    check_name("virtualMachineScaleSet", name)
    region = resolve_region(location)
    changes = model_changes(model)
    candidate = ScaleSet(name=name, location=region)
    candidate.computer_name_prefix = re.sub(r"[^A-Za-z0-9]", "", name)[:9] or "vm"
    for attribute, value in changes.items():
        setattr(candidate, attribute, value)
    candidate.os_type = _os_type_of(candidate, model.windows_configuration_given)
    if "enable_automatic_updates" not in changes and candidate.os_type == OsType.WINDOWS:
        # Azure: with automatic OS upgrade on, enableAutomaticUpdates defaults to false.
        candidate.enable_automatic_updates = not candidate.enable_automatic_os_upgrade
    specs = model.extensions or []
    extensions = [spec.build(candidate, position) for position, spec in enumerate(specs)]
    return _create(
        candidate,
        extensions,
        sorted(changes),
        subscription_id,
        resource_group_name,
        actor=actor,
        api_version=api_version,
        reason=reason,
    )


def add_scale_set(candidate: ScaleSet, *, actor: Any = None, reason: str = "") -> ScaleSet:
    """Create a scale set built field by field (the admin's form), in its resource group.

    The same checks, writes and events as ``create_scale_set``: placement and model rules,
    E2 when it asks for automatic OS upgrade, the instances from the model's image.
    """
    check_name("virtualMachineScaleSet", candidate.name)
    if not candidate.computer_name_prefix:
        candidate.computer_name_prefix = re.sub(r"[^A-Za-z0-9]", "", candidate.name)[:9] or "vm"
    defaults = ScaleSet()
    stated = sorted(
        field.attname
        for field in ScaleSet._meta.concrete_fields
        if not field.primary_key
        and getattr(candidate, field.attname) != getattr(defaults, field.attname)
    )
    group = candidate.resource_group
    return _create(
        candidate,
        [],
        stated,
        group.subscription.subscription_id,
        group.name,
        actor=actor,
        reason=reason,
    )


def _create(
    candidate: ScaleSet,
    extensions: list[Extension],
    stated: list[str],
    subscription_id: str,
    resource_group_name: str,
    *,
    actor: Any,
    reason: str,
    api_version: str | None = None,
) -> ScaleSet:
    names = [extension.name for extension in extensions]
    if len(set(names)) != len(names):
        raise invalid_parameter("Extension names must be unique.", TARGET_EXTENSIONS)
    if candidate.enable_automatic_os_upgrade:
        _refuse(auto_upgrade_problems(candidate, extensions, api_version))
    _check_platform_reference(candidate)
    _refuse(model_problems(candidate, extensions))
    image_version = model_image_version(candidate).version
    try:
        _write_new_scale_set(
            candidate, extensions, image_version, subscription_id, resource_group_name
        )
    except IntegrityError:  # another request created the same name meanwhile
        raise conflict(
            f"The scale set '{candidate.name}' is being created by another request."
        ) from None
    rows = [
        events.new_event(
            EventKind.MODEL_UPDATED,
            scale_set=candidate,
            actor=actor,
            reason=reason or "created",
            fields=stated,
            model_version=candidate.model_version,
        )
    ]
    if candidate.enable_automatic_os_upgrade:
        rows.append(
            events.new_event(
                EventKind.ENABLED, scale_set=candidate, actor=actor, reason=reason or "created"
            )
        )
    events.record(rows)
    return candidate


def _write_new_scale_set(
    candidate: ScaleSet,
    extensions: list[Extension],
    image_version: str,
    subscription_id: str,
    resource_group_name: str,
) -> None:
    with transaction.atomic():
        subscription = ensure_subscription(subscription_id)
        candidate.resource_group = resource_group_for_new_resource(
            subscription, resource_group_name, candidate.location.name
        )
        if candidate.enable_automatic_os_upgrade:
            candidate.auto_upgrade_first_enabled_at = timezone.now()  # T5
        candidate.save()
        for extension in extensions:
            extension.scale_set = candidate
        Extension.objects.bulk_create(extensions)
        names = [extension.name for extension in extensions]
        create_instances(candidate, candidate.capacity, image_version, extension_names=names)


def update_scale_set(
    scale_set: ScaleSet,
    model: ModelInput,
    *,
    location: str | None = None,
    actor: Any = None,
    api_version: str | None = None,
    reason: str = "",
) -> ScaleSet:
    """A PUT on an existing scale set, or a PATCH: change what the request states.

    Fields fixed at creation may be repeated unchanged; E2 and E4 are the model update's.
    The model update applies the rest: placement and zone rules, E2, E4, and how the upgrade
    policy mode carries a model change to the instances.
    """
    if location is not None and resolve_region(location).pk != scale_set.location_id:
        raise ServiceError(
            "PropertyChangeNotAllowed",
            f"Changing property 'location' is not allowed: the scale set is in "
            f"'{scale_set.location.name}'.",
            TARGET_LOCATION,
        )
    changes = model_changes(model)
    for name, target in CREATE_ONLY_FIELDS.items():
        if name in changes and changes.pop(name) != getattr(scale_set, name):
            raise ServiceError(
                "PropertyChangeNotAllowed",
                f"Changing property '{target.rsplit('.', 1)[-1]}' is not allowed after creation.",
                target,
            )
    candidate = ScaleSet.objects.select_related("location").get(pk=scale_set.pk)
    same_image = all(
        str(changes.get(name, getattr(candidate, name))).lower()
        == str(getattr(candidate, name)).lower()
        for name in ("image_kind", "image_publisher", "image_offer")
    )
    for attribute, value in changes.items():
        setattr(candidate, attribute, value)
    if same_image:  # otherwise E4 refuses it in the model update, with its own words
        _check_platform_reference(candidate)
        model_image_version(candidate)
    return update_scale_set_model(
        scale_set,
        changes,
        extensions=model.extensions,
        actor=actor,
        reason=reason,
        api_version=api_version,
    )


def delete_scale_set(scale_set: ScaleSet, *, actor: Any = None) -> None:
    """Delete a scale set with its instances; refused while an OS upgrade runs."""
    with transaction.atomic():
        rows = ScaleSet.objects.select_for_update(of=("self",)).filter(pk=scale_set.pk)
        refuse_while_upgrading(rows, f"The scale set {scale_set.name}")
        rows.delete()
