"""``gates list|set|delete|checkpoints|promote|runs -g GROUP -n NAME``: gates (G1) and
checkpoints (G4) from the command line, through the same services as the API and the pages."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rollout.management.commands._upgrade_cli import (
    actor_from,
    add_scale_set_arguments,
    scale_set_from,
    service_error,
)
from rollout.models import CheckpointPolicy, Gate, GateRun, UpgradeOperation
from rollout.services.access.roles import DELETE_GATE, PROMOTE_UPGRADE, WRITE_GATE
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError
from rollout.services.gates.config import (
    delete_gate,
    describe_gate,
    promote,
    save_gate,
    set_checkpoints,
)

VERBS = ("list", "set", "delete", "checkpoints", "promote", "runs")
OPTIONS = {
    "kind": "kind",
    "url": "url",
    "query": "query",
    "success": "success_condition",
    "failure": "failure_condition",
    "timeout": "timeout_seconds",
    "interval": "interval_seconds",
    "count": "count",
    "failure_limit": "failure_limit",
    "inconclusive_limit": "inconclusive_limit",
    "error_limit": "consecutive_error_limit",
    "force_verdict": "forced_verdict",
}


class Command(BaseCommand):
    help = "List, set or delete a scale set's gates; set checkpoints and bake time; promote."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", choices=VERBS)
        parser.add_argument("gate", nargs="?", help="set/delete: the gate's name.")
        add_scale_set_arguments(parser)
        parser.add_argument("--kind", choices=("prometheus", "http"))
        parser.add_argument("--url", help="Prometheus' base URL, or the URL an HTTP check GETs.")
        parser.add_argument("--query", help="Prometheus: the PromQL expression.")
        parser.add_argument("--success", help='Success condition, e.g. "result < 0.01".')
        parser.add_argument("--failure", help="Failure condition (optional).")
        parser.add_argument("--timeout", type=float, help="Seconds (default 10).")
        parser.add_argument("--interval", type=float, help="Seconds between measurements (60).")
        parser.add_argument("--count", type=int, help="Measurements before each batch (1).")
        parser.add_argument("--failure-limit", type=int, help="Failures tolerated (0).")
        parser.add_argument("--inconclusive-limit", type=int, help="Inconclusive tolerated (0).")
        parser.add_argument("--error-limit", type=int, help="Errors in a row tolerated (4).")
        parser.add_argument("--force-verdict", help="Rehearsal: force this verdict ('' clears).")
        parser.add_argument("--disable", action="store_true", help="set: keep it, unused.")
        parser.add_argument("--enable", action="store_true", help="set: use it again.")
        parser.add_argument(
            "--at",
            action="append",
            default=[],
            help="checkpoints: PERCENT (hold until promoted) or PERCENT:DELAY_SECONDS; repeat.",
        )
        parser.add_argument("--bake", type=float, help="checkpoints: bake seconds after a batch.")
        parser.add_argument("--json", action="store_true", help="list/runs: as JSON.")
        parser.add_argument("--reason", default="", help="Why: recorded in the audit log (B7).")
        parser.add_argument("--user", help="Act as this user (default: 'command line').")

    def handle(self, *args: Any, **options: Any) -> None:
        scale_set = scale_set_from(options)
        verb, scope, reason = options["verb"], Scope.of(scale_set), options["reason"]
        try:
            if verb == "list":
                self._list(scale_set, options["json"])
            elif verb == "runs":
                self._runs(scale_set, options["json"])
            elif verb == "set":
                actor = actor_from(options, WRITE_GATE, scope)
                values = {
                    field: options[option]
                    for option, field in OPTIONS.items()
                    if options.get(option) is not None
                }
                if options["disable"] or options["enable"]:
                    values["enabled"] = bool(options["enable"])
                gate, created = save_gate(
                    scale_set, self._name(options), values, actor=actor, reason=reason
                )
                self.stdout.write(f"{'Created' if created else 'Changed'} {describe_gate(gate)}")
            elif verb == "delete":
                actor = actor_from(options, DELETE_GATE, scope)
                delete_gate(scale_set, self._name(options), actor=actor, reason=reason)
                self.stdout.write(f"Deleted the gate {options['gate']}.")
            elif verb == "checkpoints":
                actor = actor_from(options, WRITE_GATE, scope)
                current = CheckpointPolicy.objects.filter(scale_set=scale_set).first()
                bake = options["bake"]
                if bake is None:
                    bake = current.bake_seconds if current else 0.0
                checkpoints = [self._checkpoint(text) for text in options["at"]]
                if not options["at"] and current is not None:
                    checkpoints = list(current.checkpoints)
                policy = set_checkpoints(scale_set, checkpoints, bake, actor=actor, reason=reason)
                self.stdout.write(describe_checkpoints(policy))
            else:
                actor = actor_from(options, PROMOTE_UPGRADE, scope)
                hold = promote(scale_set, actor=actor, reason=reason)
                self.stdout.write(f"Promoted past the {hold.percent}% checkpoint.")
        except ServiceError as error:
            raise service_error(error) from None

    def _name(self, options: dict[str, Any]) -> str:
        if not options.get("gate"):
            raise CommandError(f"{options['verb']} needs the gate's name.")
        return str(options["gate"])

    def _checkpoint(self, text: str) -> dict[str, Any]:
        percent, _, delay = text.partition(":")
        try:
            item: dict[str, Any] = {"percent": int(percent)}
            if delay:
                item["delaySeconds"] = float(delay)
        except ValueError:
            raise CommandError(f"--at {text!r}: PERCENT or PERCENT:DELAY_SECONDS.") from None
        return item

    def _list(self, scale_set: Any, as_json: bool) -> None:
        gates = list(Gate.objects.filter(scale_set=scale_set))
        policy = CheckpointPolicy.objects.filter(scale_set=scale_set).first()
        if as_json:
            from rollout.api.views.gates import gate_body

            self.stdout.write(json.dumps([gate_body(g) for g in gates], indent=2))
            return
        for gate in gates:
            self.stdout.write(describe_gate(gate))
        if not gates:
            self.stdout.write("No gate.")
        self.stdout.write(describe_checkpoints(policy))

    def _runs(self, scale_set: Any, as_json: bool) -> None:
        operation = UpgradeOperation.objects.filter(scale_set=scale_set).first()
        runs = GateRun.objects.filter(operation=operation).prefetch_related("measurements")
        rows = [
            {
                "batch": run.batch_index + 1,
                "phase": run.phase,
                "verdict": run.verdict or "measuring",
                "message": run.message,
                "measurements": [
                    {
                        "gate": m.gate_name,
                        "at": m.at.isoformat(),
                        "value": m.value,
                        "verdict": m.verdict,
                        "message": m.message,
                    }
                    for m in run.measurements.all()
                ],
            }
            for run in runs
        ]
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"batch {row['batch']} {row['phase']}: {row['verdict']} {row['message']}"
            )
        if not rows:
            self.stdout.write("No gate run in the last upgrade.")


def describe_checkpoints(policy: CheckpointPolicy | None) -> str:
    if policy is None or (not policy.checkpoints and not policy.bake_seconds):
        return "No checkpoint, no bake time."
    points = ", ".join(
        f"{c['percent']}% (wait {c['delaySeconds']:g} s)"
        if "delaySeconds" in c
        else f"{c['percent']}% (hold until promoted)"
        for c in policy.checkpoints
    )
    return f"Checkpoints: {points or 'none'}; bake time {policy.bake_seconds:g} s after each batch."
