"""Upgrade policies with Azure's names and defaults, and the policy one operation runs under.

`RollingUpgradePolicy` and `AutomaticOSUpgradePolicy` mirror the scale set's
`properties.upgradePolicy` (wire names in snake_case); each field carries its wire name and
Azure's range (`wire_members`), the pure part of the scale set's field table that the API's
parser, serializer and schema and the model's updatable fields derive from.
`effective_policy` turns them, plus the kind of upgrade, into the `EffectivePolicy` the engine
reads: thresholds, whether an unhealthy instance is rolled back (U4, M1), Azure's nominal
durations and the time scale.

Durations are nominal (Azure's); `EffectivePolicy.scaled` divides them by the time scale for
deadlines, while reason texts keep the nominal figure ("not healthy within 5 minutes").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from enum import StrEnum
from typing import Any, get_type_hints

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


@dataclass(frozen=True)
class WireMember:
    """One member of a policy on Azure's wire: the pure part of the scale set's field table.

    The Django side derives from it the model field (named ``attribute``), the request schema
    (type and range), the serializer and the updatable fields, so a new policy member is a new
    dataclass field here plus its model field.
    """

    attribute: str
    wire: str
    type: type
    default: Any
    minimum: Any = None
    maximum: Any = None


def member(wire: str, default: object, *, minimum: object = None, maximum: object = None) -> Any:
    """A policy field: its default, with its wire name and Azure's range as metadata."""
    return field(default=default, metadata={"wire": wire, "minimum": minimum, "maximum": maximum})


def wire_members(policy: type) -> tuple[WireMember, ...]:
    """The members of a policy dataclass, in order: `maxBatchInstancePercent`, ..."""
    found = _MEMBERS.get(policy)
    if found is None:
        found = _MEMBERS[policy] = _read_members(policy)
    return found


_MEMBERS: dict[type, tuple[WireMember, ...]] = {}


def _read_members(policy: type) -> tuple[WireMember, ...]:
    types = get_type_hints(policy)
    return tuple(
        WireMember(
            attribute=item.name,
            wire=item.metadata["wire"],
            type=types[item.name],
            default=item.default,
            minimum=item.metadata["minimum"],
            maximum=item.metadata["maximum"],
        )
        for item in fields(policy)
    )


def _check_members(policy: object) -> None:
    """Refuse a value of the wrong type or out of its member's range."""
    for item in wire_members(type(policy)):
        value = getattr(policy, item.attribute)
        low, high = item.minimum, item.maximum
        if item.type is int:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(
                    f"{item.wire} must be an integer from {low} to {high}, got {value!r}"
                )
        elif item.type is timedelta and low is not None and value < low:
            raise ValueError(f"{item.wire} must not be less than {low}, got {value}")


@dataclass(frozen=True)
class RollingUpgradePolicy:
    """`upgradePolicy.rollingUpgradePolicy`: Azure's names in snake_case, Azure's defaults."""

    max_batch_instance_percent: int = member("maxBatchInstancePercent", 20, minimum=5, maximum=100)
    max_unhealthy_instance_percent: int = member(
        "maxUnhealthyInstancePercent", 20, minimum=5, maximum=100
    )
    max_unhealthy_upgraded_instance_percent: int = member(
        "maxUnhealthyUpgradedInstancePercent", 20, minimum=0, maximum=100
    )
    # member() returns a dataclasses.field, as the other members'; ruff knows only field().
    pause_time_between_batches: timedelta = member(  # noqa: RUF009
        "pauseTimeBetweenBatches", timedelta(0), minimum=timedelta(0)
    )
    prioritize_unhealthy_instances: bool = member("prioritizeUnhealthyInstances", False)
    enable_cross_zone_upgrade: bool = member("enableCrossZoneUpgrade", False)
    rollback_failed_instances_on_policy_breach: bool = member(
        "rollbackFailedInstancesOnPolicyBreach", False
    )
    max_surge: bool = member("maxSurge", False)

    def __post_init__(self) -> None:
        _check_members(self)

    @classmethod
    def from_wire(cls, data: Mapping[str, object]) -> RollingUpgradePolicy:
        """Build from the wire's camelCase mapping; absent keys take Azure's defaults."""
        values: dict[str, object] = {}
        for item in wire_members(cls):
            value = data.get(item.wire)
            if item.type is timedelta and isinstance(value, str):
                value = parse_duration(value)
            if value is not None:
                values[item.attribute] = value
        return cls(**values)  # type: ignore[arg-type]  # __post_init__ checks the values

    def to_wire(self) -> dict[str, object]:
        """The wire's camelCase mapping, with the pause as an ISO 8601 duration."""
        data: dict[str, object] = {}
        for item in wire_members(type(self)):
            value = getattr(self, item.attribute)
            data[item.wire] = format_duration(value) if item.type is timedelta else value
        return data


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
    """`upgradePolicy.automaticOSUpgradePolicy`; `os_rolling_upgrade_deferral` (S2): an
    automatic upgrade notifies each VM and waits for its approval before reimaging it."""

    enable_automatic_os_upgrade: bool = member("enableAutomaticOSUpgrade", False)
    disable_automatic_rollback: bool = member("disableAutomaticRollback", False)
    use_rolling_upgrade_policy: bool = member("useRollingUpgradePolicy", False)
    os_rolling_upgrade_deferral: bool = member("osRollingUpgradeDeferral", False)


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
    # S2: each instance of a batch is notified and reimaged only once approved (automatic only).
    os_rolling_upgrade_deferral: bool = False

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
            os_rolling_upgrade_deferral=automatic.os_rolling_upgrade_deferral,
        )
    return EffectivePolicy(
        kind=kind,
        rolling=rolling or RollingUpgradePolicy(),
        automatic_rollback=False,
        time_scale=time_scale,
    )
