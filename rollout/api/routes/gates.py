"""Rollwright's extension resources under a scale set (G1, G4), as ARM serves a resource
provider's extension types (``{scaleSet}/providers/{namespace}/{type}/{name}``)."""

from __future__ import annotations

from rollout.api.bodies import gates as bodies
from rollout.api.routes.paths import SCALE_SET
from rollout.api.routing import Operation, Route
from rollout.api.views import gates
from rollout.services.access.roles import DELETE_GATE, PROMOTE_UPGRADE, WRITE_GATE

GATE_TYPE = "Microsoft.Compute/virtualMachineScaleSets/providers/Rollwright/gates"

ROUTES = (
    Route(
        "gates",
        f"{SCALE_SET}/providers/Rollwright/gates",
        "Compute",
        GATE_TYPE,
        get=Operation(gates.list_gates, "RollwrightGates_List", "G1: the scale set's gates"),
    ),
    Route(
        "gate",
        f"{SCALE_SET}/providers/Rollwright/gates/{{gateName}}",
        "Compute",
        GATE_TYPE,
        get=Operation(gates.get_gate, "RollwrightGates_Get", "G1: one gate"),
        put=Operation(
            gates.put_gate,
            "RollwrightGates_CreateOrUpdate",
            "G1: create (201) or replace (200) a Prometheus query or HTTP check gate",
            (200, 201),
            bodies.GATE,
            action=WRITE_GATE,
        ),
        delete=Operation(
            gates.delete_gate_view,
            "RollwrightGates_Delete",
            "G1: delete a gate",
            (200, 204),
            action=DELETE_GATE,
        ),
    ),
    Route(
        "checkpoint_policy",
        f"{SCALE_SET}/providers/Rollwright/checkpointPolicies/default",
        "Compute",
        GATE_TYPE,
        get=Operation(
            gates.get_checkpoint_policy,
            "RollwrightCheckpointPolicies_Get",
            "G4: checkpoints and bake time",
        ),
        put=Operation(
            gates.put_checkpoint_policy,
            "RollwrightCheckpointPolicies_CreateOrUpdate",
            "G4: set checkpoints (percent, delaySeconds or a hold) and the bake time",
            (200,),
            bodies.CHECKPOINT_POLICY,
            action=WRITE_GATE,
        ),
    ),
    Route(
        "promote_rolling_upgrade",
        f"{SCALE_SET}/rollingUpgrades/promote",
        "Compute",
        GATE_TYPE,
        post=Operation(
            gates.promote_view,
            "RollwrightRollingUpgrades_Promote",
            "G4: go on past the checkpoint the running upgrade holds at",
            (200,),
            action=PROMOTE_UPGRADE,
        ),
    ),
)
