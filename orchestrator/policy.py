"""Upgrade policies with Azure's names and defaults, and the policy one operation runs under.

`RollingUpgradePolicy` and `AutomaticOSUpgradePolicy` mirror the scale set's
`properties.upgradePolicy` (wire names in snake_case). `effective_policy` turns them, plus the
kind of upgrade, into the `EffectivePolicy` the engine reads: thresholds, whether an unhealthy
instance is rolled back (U4, M1), Azure's nominal durations and the time scale.

Durations are nominal (Azure's); `EffectivePolicy.scaled` divides them by the time scale for
deadlines, while reason texts keep the nominal figure ("not healthy within 5 minutes").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

# U4: how long an upgraded instance has to become healthy.
HEALTH_WAIT = timedelta(minutes=5)
# Ours: a reimage or an OS disk restore still running after this long has failed
# (RollingUpgradeTimeoutError); Azure documents no figure.
INSTANCE_TIMEOUT = timedelta(minutes=30)
# Ours: how soon to look again when the provider gives no hint of its next change.
POLL_INTERVAL = timedelta(seconds=30)


class UpgradeKind(StrEnum):
    """Who started the upgrade: the platform (automatic) or a user (POST osRollingUpgrade)."""

    AUTOMATIC = "automatic"
    MANUAL = "manual"

    @property
    def started_by(self) -> str:
        """Azure's `startedBy` value (UpgradeOperationInvoker)."""
        return "Platform" if self is UpgradeKind.AUTOMATIC else "User"


def _check_percent(wire_name: str, value: int, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 100:
        raise ValueError(f"{wire_name} must be an integer from {low} to 100, got {value!r}")


@dataclass(frozen=True)
class RollingUpgradePolicy:
    """`upgradePolicy.rollingUpgradePolicy`: Azure's names in snake_case, Azure's defaults."""

    max_batch_instance_percent: int = 20
    max_unhealthy_instance_percent: int = 20
    max_unhealthy_upgraded_instance_percent: int = 20
    pause_time_between_batches: timedelta = timedelta(0)
    prioritize_unhealthy_instances: bool = False
    enable_cross_zone_upgrade: bool = False
    rollback_failed_instances_on_policy_breach: bool = False
    max_surge: bool = False

    def __post_init__(self) -> None:
        _check_percent("maxBatchInstancePercent", self.max_batch_instance_percent, 5)
        _check_percent("maxUnhealthyInstancePercent", self.max_unhealthy_instance_percent, 5)
        _check_percent(
            "maxUnhealthyUpgradedInstancePercent", self.max_unhealthy_upgraded_instance_percent, 0
        )
        if self.pause_time_between_batches < timedelta(0):
            pause = self.pause_time_between_batches
            raise ValueError(f"pauseTimeBetweenBatches must not be negative, got {pause}")

    @classmethod
    def from_wire(cls, data: Mapping[str, object]) -> RollingUpgradePolicy:
        """Build from the wire's camelCase mapping; absent keys take Azure's defaults."""
        values: dict[str, object] = {}
        for name, wire_name in _WIRE_NAMES.items():
            if wire_name in data and data[wire_name] is not None:
                values[name] = data[wire_name]
        pause = values.get("pause_time_between_batches")
        if isinstance(pause, str):
            values["pause_time_between_batches"] = parse_duration(pause)
        return cls(**values)  # type: ignore[arg-type]  # __post_init__ checks the values

    def to_wire(self) -> dict[str, object]:
        """The wire's camelCase mapping, with the pause as an ISO 8601 duration."""
        data: dict[str, object] = {wire: getattr(self, name) for name, wire in _WIRE_NAMES.items()}
        data["pauseTimeBetweenBatches"] = format_duration(self.pause_time_between_batches)
        return data


_WIRE_NAMES = {
    "max_batch_instance_percent": "maxBatchInstancePercent",
    "max_unhealthy_instance_percent": "maxUnhealthyInstancePercent",
    "max_unhealthy_upgraded_instance_percent": "maxUnhealthyUpgradedInstancePercent",
    "pause_time_between_batches": "pauseTimeBetweenBatches",
    "prioritize_unhealthy_instances": "prioritizeUnhealthyInstances",
    "enable_cross_zone_upgrade": "enableCrossZoneUpgrade",
    "rollback_failed_instances_on_policy_breach": "rollbackFailedInstancesOnPolicyBreach",
    "max_surge": "maxSurge",
}

_DURATION = re.compile(
    r"^P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration of days, hours, minutes and seconds.

    >>> parse_duration("PT0S"), parse_duration("PT1M30S")
    (datetime.timedelta(0), datetime.timedelta(seconds=90))
    >>> parse_duration("P1DT2H")
    datetime.timedelta(days=1, seconds=7200)
    """
    match = _DURATION.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"pauseTimeBetweenBatches must be an ISO 8601 duration, got {text!r}")
    parts = {name: float(value) for name, value in match.groupdict().items() if value}
    return timedelta(**parts)


def format_duration(duration: timedelta) -> str:
    """Format as an ISO 8601 duration: `format_duration(timedelta(seconds=90)) == "PT1M30S"`."""
    seconds = duration.total_seconds()
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{int(hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    if seconds or text == "PT":
        text += f"{seconds:g}S"
    return text


@dataclass(frozen=True)
class AutomaticOSUpgradePolicy:
    """`upgradePolicy.automaticOSUpgradePolicy`."""

    enable_automatic_os_upgrade: bool = False
    disable_automatic_rollback: bool = False
    use_rolling_upgrade_policy: bool = False


@dataclass(frozen=True)
class EffectivePolicy:
    """What one operation runs under; `scaled` turns Azure's durations into engine time."""

    kind: UpgradeKind
    rolling: RollingUpgradePolicy = field(default_factory=RollingUpgradePolicy)
    automatic_rollback: bool = True
    health_wait: timedelta = HEALTH_WAIT
    instance_timeout: timedelta = INSTANCE_TIMEOUT
    poll_interval: timedelta = POLL_INTERVAL
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if not self.time_scale > 0:
            raise ValueError(f"time_scale must be positive, got {self.time_scale}")
        if self.kind is UpgradeKind.MANUAL and self.automatic_rollback:
            raise ValueError("M1: a manual upgrade has no automatic rollback")

    def scaled(self, duration: timedelta) -> timedelta:
        """`duration` in engine time: 5 minutes at time scale 60 is 5 seconds."""
        return duration / self.time_scale


def effective_policy(
    kind: UpgradeKind,
    rolling: RollingUpgradePolicy | None,
    automatic: AutomaticOSUpgradePolicy | None,
    *,
    time_scale: float = 1.0,
) -> EffectivePolicy:
    """The policy an operation of `kind` runs under, given the scale set's upgrade policy.

    An automatic upgrade uses the scale set's rolling policy only when
    `useRollingUpgradePolicy` is set (and a policy exists), else Azure's defaults; it rolls back
    unless `disableAutomaticRollback`. A manual upgrade (M1) uses the scale set's rolling policy
    when it has one, else the defaults, and never rolls back an unhealthy instance.
    """
    if kind is UpgradeKind.AUTOMATIC:
        automatic = automatic or AutomaticOSUpgradePolicy()
        use_rolling = automatic.use_rolling_upgrade_policy and rolling is not None
        return EffectivePolicy(
            kind=kind,
            rolling=rolling if use_rolling and rolling is not None else RollingUpgradePolicy(),
            automatic_rollback=not automatic.disable_automatic_rollback,
            time_scale=time_scale,
        )
    return EffectivePolicy(
        kind=kind,
        rolling=rolling or RollingUpgradePolicy(),
        automatic_rollback=False,
        time_scale=time_scale,
    )
