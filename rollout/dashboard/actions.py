"""The operator's buttons: POSTs (CSRF-protected) that call the same services as the API.

Each view checks the user's role allows its action on the scale set (R1: 403
``AuthorizationFailed`` with Azure's message otherwise), parses a form, calls one service and
answers either JSON (``Accept: application/json``, what the page's scripts send) or a
redirect with a message (plain form posts). A refusal (``ServiceError``) changes nothing; its
message is shown next to the control that asked, with the property to fix when the service
names one (E2).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rollout.dashboard.forms import (
    AutoUpgradeForm,
    FaultRuleForm,
    ReasonForm,
    StartForm,
    first_error,
)
from rollout.dashboard.permissions import CONTROLS, grants_for
from rollout.models import ScaleSet, StartedBy, UpgradeKind
from rollout.services import disable_auto_upgrade, enable_auto_upgrade
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError
from rollout.services.scale_sets.fault_rules import add_fault_rule, remove_fault_rule
from rollout.services.upgrades.approvals import approve_rolling_upgrade
from rollout.services.upgrades.operations import (
    cancel_upgrade,
    pause_upgrade,
    resume_upgrade,
    start_os_upgrade,
)

View = Callable[..., HttpResponse]


def scale_set_action(control: str, target: str) -> Callable[[View], View]:
    """A logged-in user's POST (CSRF is checked by the middleware) whose role allows the
    control's action on the scale set (``permissions.CONTROLS``); else 403 with Azure's
    ``AuthorizationFailed`` message (in JSON, shown next to the control ``target``; on a page,
    for a plain form post), and nothing changed."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
            scale_set = get_object_or_404(
                ScaleSet.objects.select_related("resource_group__subscription"), pk=pk
            )
            try:
                grants_for(request).require(CONTROLS[control], Scope.of(scale_set))
            except ServiceError as error:
                if not _wants_json(request):
                    raise PermissionDenied(error.message) from None
                return _refused(request, scale_set, target, error)
            return view(request, pk, *args, **kwargs)

        return login_required(require_POST(checked))

    return decorate


@scale_set_action("change", "auto-upgrade")
def set_auto_upgrade(request: HttpRequest, pk: int) -> HttpResponse:
    """E1: the toggle. Enabling is refused with E2's message unless every condition holds."""
    scale_set = get_object_or_404(ScaleSet, pk=pk)
    form = AutoUpgradeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, scale_set, "auto-upgrade")
    verb = enable_auto_upgrade if form.cleaned_data["enable"] else disable_auto_upgrade
    return _call(
        request,
        scale_set,
        "auto-upgrade",
        lambda: verb(scale_set, actor=request.user, reason=_reason(form)),
        "Auto-upgrade is {}.".format("on" if form.cleaned_data["enable"] else "off"),
    )


@scale_set_action("start", "start")
def start_upgrade(request: HttpRequest, pk: int) -> HttpResponse:
    """M1 (a user's OS upgrade, no automatic rollback), or the automatic upgrade run now.

    The automatic kind is what the platform runs on a scale set with auto-upgrade on (U4
    rollback unless disableAutomaticRollback): offered only when auto-upgrade is on.
    """
    scale_set = get_object_or_404(ScaleSet, pk=pk)
    form = StartForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, scale_set, "start")
    automatic = form.cleaned_data["kind"] == UpgradeKind.AUTOMATIC
    started_by = StartedBy.PLATFORM if automatic else StartedBy.USER
    return _call(
        request,
        scale_set,
        "start",
        lambda: start_os_upgrade(
            scale_set, started_by=started_by, actor=request.user, reason=_reason(form)
        ),
        "The OS upgrade has started.",
    )


def _operation_verb(verb: Callable[..., Any], done: str, target: str) -> Callable[..., Any]:
    @scale_set_action(target, target)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        scale_set = get_object_or_404(ScaleSet, pk=pk)
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return _invalid(request, form, scale_set, target)
        return _call(
            request,
            scale_set,
            target,
            lambda: verb(scale_set, actor=request.user, reason=_reason(form)),
            done,
        )

    view.__name__ = f"{target}_upgrade"
    view.__doc__ = verb.__doc__
    return view


pause = _operation_verb(pause_upgrade, "Pausing: the current batch finishes first.", "pause")
resume = _operation_verb(resume_upgrade, "Resumed: U7 is checked before the next batch.", "resume")
cancel = _operation_verb(cancel_upgrade, "Cancelling: the current batch finishes first.", "cancel")


@scale_set_action("approve", "approve")
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    """S2: approve the deferred OS upgrade of the posted ``instance_ids`` (comma-separated;
    empty: every instance awaiting approval, a batch's approve-all)."""
    scale_set = get_object_or_404(ScaleSet, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, scale_set, "approve")
    raw = request.POST.get("instance_ids", "").strip()
    ids = [part.strip() for part in raw.split(",") if part.strip()] or None
    return _call(
        request,
        scale_set,
        "approve",
        lambda: approve_rolling_upgrade(scale_set, ids, actor=request.user, reason=_reason(form)),
        "Approved: the engine reimages them now.",
    )


@scale_set_action("rehearse", "fault-rule")
def add_rule(request: HttpRequest, pk: int) -> HttpResponse:
    """B2: a new fault rule for this scale set."""
    scale_set = get_object_or_404(ScaleSet, pk=pk)
    form = FaultRuleForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, scale_set, "fault-rule")
    arguments = form.service_arguments()
    return _call(
        request,
        scale_set,
        "fault-rule",
        lambda: add_fault_rule(scale_set, actor=request.user, **arguments),
        "Fault rule added.",
        default_next=reverse("dashboard:rehearsal", args=[scale_set.pk]),
    )


@scale_set_action("rehearse", "fault-rule")
def remove_rule(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    scale_set = get_object_or_404(ScaleSet, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form, scale_set, "fault-rule")
    return _call(
        request,
        scale_set,
        "fault-rule",
        lambda: remove_fault_rule(scale_set, rule_pk, actor=request.user, reason=_reason(form)),
        "Fault rule removed.",
        default_next=reverse("dashboard:rehearsal", args=[scale_set.pk]),
    )


# answering


def _reason(form: forms.Form) -> str:
    return str(form.cleaned_data.get("reason") or "")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _next(request: HttpRequest, scale_set: ScaleSet, default: str | None) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse("dashboard:scale_set", args=[scale_set.pk])


def _call(
    request: HttpRequest,
    scale_set: ScaleSet,
    control: str,
    action: Callable[[], object],
    done: str,
    *,
    default_next: str | None = None,
) -> HttpResponse:
    try:
        action()
    except ServiceError as error:
        return _refused(request, scale_set, control, error, default_next)
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": done, "control": control})
    messages.success(request, done, extra_tags=f"control-{control}-{scale_set.pk}")
    return HttpResponseRedirect(_next(request, scale_set, default_next))


def _refused(
    request: HttpRequest,
    scale_set: ScaleSet,
    control: str,
    error: ServiceError,
    default_next: str | None = None,
) -> HttpResponse:
    details = [problem.as_dict() for problem in error.details]
    if _wants_json(request):
        body = {
            "ok": False,
            "control": control,
            "code": error.code,
            "message": error.message,
            "target": error.target,
            "details": details,
        }
        return JsonResponse(body, status=error.status)
    text = error.message + (f" (property: {error.target})" if error.target else "")
    messages.error(request, text, extra_tags=f"control-{control}-{scale_set.pk}")
    return HttpResponseRedirect(_next(request, scale_set, default_next))


def _invalid(
    request: HttpRequest, form: forms.Form, scale_set: ScaleSet, control: str
) -> HttpResponse:
    message, field = first_error(form)
    return _refused(
        request, scale_set, control, ServiceError("InvalidParameter", message, field), None
    )
