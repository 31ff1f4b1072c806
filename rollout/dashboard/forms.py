"""The dashboard's inputs. Forms parse; the services decide (and refuse)."""

from __future__ import annotations

from typing import Any

from django import forms

from rollout.models import UPGRADE_KIND_CHOICES, FaultKind, UpgradeKind


class ReasonForm(forms.Form):
    """Every operator action may say why (B7: the audit trail shows it)."""

    reason = forms.CharField(max_length=500, required=False, strip=True)


class AutoUpgradeForm(ReasonForm):
    enable = forms.TypedChoiceField(
        choices=[("on", "on"), ("off", "off")], coerce=lambda value: value == "on"
    )


class StartForm(ReasonForm):
    kind = forms.ChoiceField(choices=UPGRADE_KIND_CHOICES, initial=UpgradeKind.MANUAL)


class FaultRuleForm(ReasonForm):
    kind = forms.ChoiceField(choices=FaultKind.choices)
    instance_ids = forms.CharField(
        required=False, help_text="Instance ids, e.g. 3, 7. Leave empty for a share or all."
    )
    share_percent = forms.FloatField(
        required=False, min_value=0, max_value=100, help_text="A share of the instances, in %."
    )
    zone = forms.CharField(required=False, max_length=5)
    seconds = forms.FloatField(required=False, min_value=0)
    image_version = forms.CharField(required=False, max_length=64)

    def clean_instance_ids(self) -> list[int]:
        text = self.cleaned_data.get("instance_ids") or ""
        ids = []
        for part in text.replace(";", ",").replace(" ", ",").split(","):
            if not part:
                continue
            if not part.isdigit():
                raise forms.ValidationError(f"'{part}' is not an instance id (0, 1, 2…).")
            ids.append(int(part))
        return ids

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        share = data.get("share_percent")
        return {
            "kind": data["kind"],
            "instance_ids": data["instance_ids"],
            "share": None if share is None else share / 100,
            "zone": data.get("zone") or "",
            "seconds": data.get("seconds"),
            "image_version": data.get("image_version") or "",
            "reason": data.get("reason") or "",
        }


def first_error(form: forms.Form) -> tuple[str, str | None]:
    """The first problem of an invalid form, as (message, field name)."""
    for name, errors in form.errors.items():
        label = name if name != "__all__" else None
        return f"{name.replace('_', ' ')}: {errors[0]}" if label else str(errors[0]), label
    return "The request is not valid.", None
