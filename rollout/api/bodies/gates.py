"""Request bodies of Rollwright's extension resources under a scale set (G1, G4): gates and
the checkpoint policy. Their members' meanings are the models' (rollout/models/gates.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rollout.services.wire.schema import (
    Arr,
    Bool,
    Enum,
    Int,
    Node,
    Obj,
    Str,
    out_of_range,
    wrong_type,
)


@dataclass(frozen=True)
class Num(Node):
    """A JSON number (seconds) within bounds."""

    minimum: float
    maximum: float

    def parse(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong_type(value, "System.Double", path)
        if not self.minimum <= value <= self.maximum:
            raise out_of_range(
                path,
                f"is out of range: {value}. It must be between {self.minimum:g} and "
                f"{self.maximum:g}.",
            )
        return float(value)

    def openapi(self, components: dict[str, Any]) -> dict[str, Any]:
        return {"type": "number", "minimum": self.minimum, "maximum": self.maximum}


CONDITION = Str(500, description="a condition on result (and status for HTTP checks).")
GATE_PROPERTIES = Obj(
    "RollwrightGateProperties",
    {
        "kind": Enum(("prometheus", "http")),
        "url": Str(2000, min_length=1),
        "query": Str(4000),
        "successCondition": CONDITION,
        "failureCondition": CONDITION,
        "timeoutSeconds": Num(0.1, 300),
        "intervalSeconds": Num(1, 86400),
        "count": Int(1, 1000),
        "failureLimit": Int(0, 1000),
        "inconclusiveLimit": Int(0, 1000),
        "consecutiveErrorLimit": Int(0, 1000),
        "enabled": Bool(),
        "forcedVerdict": Enum(("", "successful", "failed", "inconclusive", "error")),
    },
    required=("kind", "url"),
)
GATE = Obj(
    "RollwrightGate",
    {"properties": GATE_PROPERTIES},
    required=("properties",),
    tolerated=frozenset({"id", "name", "type"}),
)
CHECKPOINT = Obj(
    "RollwrightCheckpoint",
    {"percent": Int(1, 100), "delaySeconds": Num(0, 30 * 86400)},
    required=("percent",),
)
CHECKPOINT_POLICY = Obj(
    "RollwrightCheckpointPolicy",
    {
        "properties": Obj(
            "RollwrightCheckpointPolicyProperties",
            {"checkpoints": Arr(CHECKPOINT, 20), "bakeSeconds": Num(0, 30 * 86400)},
        )
    },
    required=("properties",),
    tolerated=frozenset({"id", "name", "type"}),
)
