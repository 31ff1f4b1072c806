"""The dashboard's pages: fleet, live scale set, preview (B1), history (H1), replay (B3) and
rehearsal (B2). Each reads a read model and renders; the live parts are drawn by the page's
ES module from the embedded snapshot and kept current over the websocket."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from orchestrator.wording import describe_duration
from rollout.dashboard.display import (
    INSTANCE_VERBS,
    control_messages,
    progress_of,
    vocabulary,
)
from rollout.dashboard.fleet import (
    STATE_FILTERS,
    attention,
    fleet_rows,
    fleet_snapshot,
    next_upgrade_of,
)
from rollout.dashboard.forms import FaultRuleForm
from rollout.dashboard.history import history_rows, replay_data
from rollout.dashboard.live import scale_set_snapshot
from rollout.dashboard.permissions import may, require_read, visible, writable_ids
from rollout.dashboard.whatif import whatif_context
from rollout.models import FaultKind, Region, ScaleSet, UpgradeKind, UpgradeOperation
from rollout.services import auto_upgrade_refusal
from rollout.services.errors import ServiceError
from rollout.services.gallery.images import latest_available_version
from rollout.services.scale_sets.fault_rules import describe_fault_rule
from rollout.services.upgrades.operations import active_operation
from rollout.services.upgrades.preview import preview_upgrade


def _scale_set(request: HttpRequest, pk: int) -> ScaleSet:
    """The scale set, if the user may see it (403 with the reason otherwise: R1)."""
    scale_set = get_object_or_404(
        ScaleSet.objects.select_related("location", "resource_group__subscription", "health_probe"),
        pk=pk,
    )
    require_read(request, scale_set)
    return scale_set


@login_required
def fleet(request: HttpRequest) -> HttpResponse:
    region = request.GET.get("region", "")
    state = request.GET.get("state", "")
    if state not in STATE_FILTERS:
        state = ""
    seen = visible(request)
    snapshot = fleet_snapshot(region=region, state=state, visible=seen)
    everything = snapshot["rows"] if not (region or state) else fleet_rows(visible=seen)
    refusals = control_messages(request, "auto-upgrade")
    writable = writable_ids(request, [row["id"] for row in snapshot["rows"]])
    rows = [
        (
            row,
            progress_of(row["operation"]) if row["operation"] else None,
            refusals.get(row["id"], ""),
            row["id"] in writable,
        )
        for row in snapshot["rows"]
    ]
    shown = ScaleSet.objects.filter(seen)
    regions = Region.objects.filter(scale_sets__in=shown).distinct().order_by("name")
    return render(
        request,
        "dashboard/fleet.html",
        {
            "last_event_id": snapshot["last_event_id"],
            "platform": snapshot["platform"],
            "rows": rows,
            "upgrading": sum(1 for _, progress, _, _ in rows if progress and progress.is_running),
            "attention": attention(everything),
            "regions": regions,
            "states": STATE_FILTERS,
            "region": region,
            "state": state,
            "total": len(everything),
        },
    )


@login_required
def fleet_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One row of the fleet table, as the fleet page renders it (``_fleet_row.html``): the page
    fetches it again when an event concerns the scale set, and swaps it in.

    ``next``: the page's own address, where the row's switch returns without JavaScript.
    """
    rows = fleet_rows(ids=[pk], visible=visible(request))
    if not rows:
        raise Http404("No such scale set, or not one you may see.")
    (row,) = rows
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("dashboard:fleet")
    return render(
        request,
        "dashboard/_fleet_row.html",
        {
            "row": row,
            "progress": progress_of(row["operation"]) if row["operation"] else None,
            "refusal_shown": "",
            "next_url": next_url,
            "can_change": bool(writable_ids(request, [pk])),
        },
    )


@login_required
def scale_set_live(request: HttpRequest, pk: int) -> HttpResponse:
    scale_set = _scale_set(request, pk)
    snapshot = scale_set_snapshot(scale_set)
    refusal = None
    if not scale_set.enable_automatic_os_upgrade:
        error = auto_upgrade_refusal(scale_set)
        refusal = error.message if error is not None else None
    return render(
        request,
        "dashboard/scale_set.html",
        {
            "scale_set": scale_set,
            "snapshot": snapshot,
            "vocabulary": vocabulary(),
            "refusal": refusal,
            "may": may(request, scale_set),
            "active": active_operation(scale_set) is not None,
            "next_upgrade": next_upgrade_of(scale_set),
            "refusal_shown": control_messages(request, "auto-upgrade").get(scale_set.pk, ""),
            "instance_verbs": INSTANCE_VERBS,
        },
    )


@login_required
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """B1: the batch plan the engine would make now, and how long it should take."""
    scale_set = _scale_set(request, pk)
    kind = request.GET.get("kind", UpgradeKind.MANUAL)
    if kind not in {member.value for member in UpgradeKind}:
        kind = UpgradeKind.MANUAL
    started_by = "Platform" if kind == UpgradeKind.AUTOMATIC else "User"
    problem = None
    plan = None
    try:
        plan = preview_upgrade(scale_set, started_by=started_by)
    except ServiceError as error:
        problem = error.message
    template = (
        "dashboard/_preview.html" if request.GET.get("fragment") else "dashboard/preview.html"
    )
    batches = []
    if plan is not None:
        instances = plan.instances
        for batch in plan.plan.batches:
            batches.append(
                {
                    "number": batch.index + 1,
                    "zones": ", ".join(batch.zones) or "regional",
                    "update_domain": batch.update_domain,
                    "instance_ids": batch.instance_ids,
                    "versions": sorted({instances[i].image_version for i in batch.instance_ids}),
                }
            )
    return render(
        request,
        template,
        {
            "scale_set": scale_set,
            "preview": plan,
            "batches": batches,
            "problem": problem,
            "kind": kind,
            "expected": describe_duration(plan.expected_duration) if plan else "",
            "nominal": describe_duration(plan.nominal_duration) if plan else "",
            "automatic_allowed": scale_set.enable_automatic_os_upgrade,
            "may": may(request, scale_set),
            "active": active_operation(scale_set) is not None,
            "next_upgrade": next_upgrade_of(scale_set),
            # W1 on the page itself (not in its live fragment).
            **(
                whatif_context(request, scale_set, kind)
                if plan is not None and not request.GET.get("fragment")
                else {}
            ),
        },
    )


@login_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    scale_set = _scale_set(request, pk)
    return render(
        request,
        "dashboard/history.html",
        {"scale_set": scale_set, "rows": history_rows(scale_set)},
    )


@login_required
def replay(request: HttpRequest, pk: int, operation_pk: int) -> HttpResponse:
    scale_set = _scale_set(request, pk)
    operation = get_object_or_404(
        UpgradeOperation.objects.select_related("scale_set", "started_by_user"),
        pk=operation_pk,
        scale_set=scale_set,
    )
    return render(
        request,
        "dashboard/replay.html",
        {
            "scale_set": scale_set,
            "operation": operation,
            "replay": replay_data(operation),
            "vocabulary": vocabulary(),
        },
    )


@login_required
def rehearsal(request: HttpRequest, pk: int) -> HttpResponse:
    scale_set = _scale_set(request, pk)
    target = latest_available_version(scale_set)
    kind = request.GET.get(
        "kind", "automatic" if scale_set.enable_automatic_os_upgrade else "manual"
    )
    kind = kind if kind in {member.value for member in UpgradeKind} else UpgradeKind.MANUAL
    rules = [
        {"rule": rule, "description": describe_fault_rule(rule)}
        for rule in scale_set.fault_rules.select_related("created_by").order_by("id")
    ]
    return render(
        request,
        "dashboard/rehearsal.html",
        {
            "scale_set": scale_set,
            "rules": rules,
            "form": FaultRuleForm(initial={"kind": FaultKind.NEVER_HEALTHY}),
            "kinds": FaultKind.choices,
            "may": may(request, scale_set),
            "instance_count": scale_set.instances.count(),
            "target_version": target.version if target is not None else "",
            "refusal_shown": control_messages(request, "fault-rule").get(scale_set.pk, ""),
            "kind": kind,
            **whatif_context(request, scale_set, kind),
        },
    )
