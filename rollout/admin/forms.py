"""Admin forms that let the services judge every change before anything is saved.

``validate`` runs a service verb inside a savepoint that is always rolled back, so the form
learns exactly what the real call would refuse (and why), with no copy of the rules here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.db import transaction
from django.forms.models import construct_instance

from rollout.admin.base import problems_of
from rollout.models import Extension, ImageKind, OsType, ScaleSet
from rollout.services import ExtensionSpec, Problem, ServiceError, update_scale_set_model
from rollout.services.scale_sets.creation import add_scale_set
from rollout.services.scale_sets.updates import UPDATABLE_FIELDS
from rollout.services.scale_sets.validation import (
    TARGET_AUTO_UPDATES,
    TARGET_ENABLE,
    TARGET_EXTENSIONS,
    TARGET_HEALTH_PROBE,
    TARGET_IMAGE_ID,
    TARGET_OFFER,
    TARGET_PUBLISHER,
    TARGET_SINGLE_PLACEMENT_GROUP,
    TARGET_SKU,
    TARGET_VERSION,
    patch_mode_target,
)

# Where a refusal's target property lives in the scale set form.
SCALE_SET_FIELD_OF_TARGET = {
    TARGET_VERSION: "image_version",
    TARGET_SKU: "image_sku",
    TARGET_PUBLISHER: "image_publisher",
    TARGET_OFFER: "image_offer",
    TARGET_HEALTH_PROBE: "health_probe",
    TARGET_AUTO_UPDATES: "enable_automatic_updates",
    TARGET_SINGLE_PLACEMENT_GROUP: "single_placement_group",
    TARGET_ENABLE: "enable_automatic_os_upgrade",
    patch_mode_target(OsType.LINUX): "patch_mode",
    patch_mode_target(OsType.WINDOWS): "patch_mode",
    f"{TARGET_EXTENSIONS}.settings.durabilityLevel": "service_fabric_cluster_durability",
}
EXTENSION_FIELD_OF_TARGET = {
    f"{TARGET_EXTENSIONS}.settings.durabilityLevel": "settings",
    f"{TARGET_EXTENSIONS}.typeHandlerVersion": "type_handler_version",
}


class _DryRun(Exception):
    """Raised to roll back a call made only to learn whether it would be refused."""


def validate(call: Callable[[], object]) -> ServiceError | None:
    """The refusal ``call`` raises, or None; whatever it wrote is rolled back either way."""
    try:
        with transaction.atomic():
            call()
            raise _DryRun
    except _DryRun:
        return None
    except ServiceError as error:
        return error


def extension_spec(extension: Extension) -> ExtensionSpec:
    return ExtensionSpec(
        name=extension.name,
        publisher=extension.publisher,
        extension_type=extension.extension_type,
        type_handler_version=extension.type_handler_version,
        auto_upgrade_minor_version=extension.auto_upgrade_minor_version,
        settings=extension.settings,
        protected_settings=extension.protected_settings,
        provision_after_extensions=list(extension.provision_after_extensions),
        credential_expires_at=extension.credential_expires_at,
    )


class ProblemsForm(forms.ModelForm):  # type: ignore[type-arg]
    """Shows each problem on the field that fixes it, or above the form when there is none."""

    def add_problems(
        self, problems: Sequence[Problem], field_of: Callable[[str], str | None]
    ) -> None:
        for problem in problems:
            field = field_of(problem.target) if problem.target else None
            if field is not None and field in self.fields:
                self.add_error(field, problem.message)
            else:
                where = f" ({problem.target})" if problem.target else ""
                self.add_error(None, f"{problem.message}{where}")


class ScaleSetForm(ProblemsForm):
    """A new scale set is judged by a dry run of ``add_scale_set``; a change by a dry run of
    ``update_scale_set_model``, and ``changes`` keeps what the admin then saves through it."""

    changes: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changes = {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned  # judge the model once every field parses
        if self.instance.pk is None:
            self._check_new_scale_set()
        else:
            self.changes = {
                name: cleaned[name]
                for name in self.changed_data
                if name in UPDATABLE_FIELDS and name in cleaned
            }
            refusal = validate(lambda: update_scale_set_model(self.instance, self.changes))
            if refusal is not None:
                self.add_problems(problems_of(refusal), self._field_of)
        return cleaned

    def _check_new_scale_set(self) -> None:
        candidate = construct_instance(self, ScaleSet())  # a throwaway: the dry run saves it
        if candidate.image_kind == ImageKind.GALLERY and candidate.gallery_image is None:
            self.add_error("gallery_image", "A Compute Gallery image reference needs an image.")
            return
        refusal = validate(lambda: add_scale_set(candidate))
        if refusal is not None:
            self.add_problems(problems_of(refusal), self._field_of)

    def _field_of(self, target: str) -> str | None:
        if target == TARGET_IMAGE_ID:
            kind = self.cleaned_data.get("image_kind", self.instance.image_kind)
            if "image_kind" in self.changes or kind == ImageKind.CUSTOM:
                return "image_kind"  # E4, or E2 on a custom image: the kind is what is wrong
            return "image_version"  # a gallery image's version is part of its id
        return SCALE_SET_FIELD_OF_TARGET.get(target)


class ExtensionForm(ProblemsForm):
    """One extension of a scale set's extension profile; saving it replaces the profile
    through ``update_scale_set_model`` (E2 on the result, E5 model version, events)."""

    specs: list[ExtensionSpec]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        scale_set = cleaned.get("scale_set") or getattr(self.instance, "scale_set", None)
        if self.errors or scale_set is None:
            return cleaned
        edited = construct_instance(self, copy.copy(self.instance))
        edited.scale_set = scale_set
        others = list(scale_set.extensions.exclude(pk=self.instance.pk))
        profile = sorted([*others, edited], key=lambda e: (e.position, e.name))
        self.specs = [extension_spec(extension) for extension in profile]
        refusal = validate(lambda: update_scale_set_model(scale_set, {}, extensions=self.specs))
        if refusal is not None:
            self.add_problems(problems_of(refusal), EXTENSION_FIELD_OF_TARGET.get)
        return cleaned


def profile_without(extension: Extension) -> list[ExtensionSpec]:
    """The scale set's extension profile once ``extension`` is removed from it."""
    return [
        extension_spec(other)
        for other in extension.scale_set.extensions.exclude(pk=extension.pk).order_by(
            "position", "name"
        )
    ]
