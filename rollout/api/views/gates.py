"""Rollwright's extension resources under a scale set (G1, G4): gates, the checkpoint policy,
and promoting a held upgrade. Every write goes through ``rollout.services.gates``."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from rollout.api.dispatch import ApiCall
from rollout.api.envelope import empty_response, json_response
from rollout.api.views.common import scale_set_of
from rollout.models import CheckpointPolicy, Gate
from rollout.services.errors import not_found
from rollout.services.gates.config import (
    GATE_FIELDS,
    delete_gate,
    promote,
    save_gate,
    set_checkpoints,
)

GATE_TYPE = "Rollwright/gates"
POLICY_TYPE = "Rollwright/checkpointPolicies"
WIRE_TO_FIELD = {wire: field for field, wire in GATE_FIELDS.items()}


def gate_defaults() -> dict[str, Any]:
    blank = Gate()
    return {field: getattr(blank, field) for field in GATE_FIELDS if field not in ("kind", "url")}


def gate_body(gate: Gate) -> dict[str, Any]:
    properties = {wire: getattr(gate, field) for field, wire in GATE_FIELDS.items()}
    return {
        "id": f"{gate.scale_set.arm_id}/providers/{GATE_TYPE}/{gate.name}",
        "name": gate.name,
        "type": GATE_TYPE,
        "properties": properties,
    }


def list_gates(call: ApiCall) -> HttpResponse:
    scale_set = scale_set_of(call)
    gates = Gate.objects.filter(scale_set=scale_set).select_related(
        "scale_set__resource_group__subscription"
    )
    return json_response({"value": [gate_body(gate) for gate in gates]})


def get_gate(call: ApiCall) -> HttpResponse:
    scale_set = scale_set_of(call)
    gate = Gate.objects.filter(scale_set=scale_set, name=call.args["gate"]).first()
    if gate is None:
        raise not_found(f"The gate '{call.args['gate']}' of '{scale_set.name}' was not found.")
    return json_response(gate_body(gate))


def put_gate(call: ApiCall) -> HttpResponse:
    """201 when created, 200 when replaced; members left out take their defaults."""
    scale_set = scale_set_of(call)
    properties = call.body()["properties"]
    values = {WIRE_TO_FIELD[wire]: value for wire, value in properties.items()}
    if Gate.objects.filter(scale_set=scale_set, name=call.args["gate"]).exists():
        # PUT replaces: what the body leaves out goes back to its default.
        values = {**gate_defaults(), **values}
    gate, created = save_gate(
        scale_set, call.args["gate"], values, actor=call.user, reason=f"{call.request.method} gate"
    )
    return json_response(gate_body(gate), status=201 if created else 200)


def delete_gate_view(call: ApiCall) -> HttpResponse:
    scale_set = scale_set_of(call)
    if not Gate.objects.filter(scale_set=scale_set, name=call.args["gate"]).exists():
        return empty_response(204)
    delete_gate(scale_set, call.args["gate"], actor=call.user, reason="DELETE gate")
    return empty_response(200)


def policy_body(scale_set: Any, policy: CheckpointPolicy | None) -> dict[str, Any]:
    return {
        "id": f"{scale_set.arm_id}/providers/{POLICY_TYPE}/default",
        "name": "default",
        "type": POLICY_TYPE,
        "properties": {
            "checkpoints": list(policy.checkpoints) if policy else [],
            "bakeSeconds": policy.bake_seconds if policy else 0.0,
        },
    }


def get_checkpoint_policy(call: ApiCall) -> HttpResponse:
    scale_set = scale_set_of(call)
    policy = CheckpointPolicy.objects.filter(scale_set=scale_set).first()
    return json_response(policy_body(scale_set, policy))


def put_checkpoint_policy(call: ApiCall) -> HttpResponse:
    scale_set = scale_set_of(call)
    properties = call.body()["properties"]
    policy = set_checkpoints(
        scale_set,
        properties.get("checkpoints", []),
        properties.get("bakeSeconds", 0.0),
        actor=call.user,
        reason="PUT checkpointPolicies/default",
    )
    return json_response(policy_body(scale_set, policy))


def promote_view(call: ApiCall) -> HttpResponse:
    """G4: the running upgrade goes on past the checkpoint it holds at (409 when none)."""
    scale_set = scale_set_of(call)
    hold = promote(scale_set, actor=call.user, reason="POST rollingUpgrades/promote")
    return json_response({"percent": hold.percent, "promotedBy": hold.promoted_by_name})
