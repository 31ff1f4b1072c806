"""`Decision`: what one engine step asks for, when to look again, and why.

`recheck_at` is None only when the operation finished or is paused (B5); the edge then waits
for an operator. After a decision with actions it is `now`: the world changed, so the edge
looks again at once (with fresh provider hints). Without actions it is the earliest moment
something can change: a provider's `next_change_at` hint, a health deadline (U4), an instance
timeout, or the end of pauseTimeBetweenBatches. A rollout so adds no time of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from orchestrator.actions import Action, Finish
from orchestrator.health import UnhealthyShare
from orchestrator.policy import EffectivePolicy


@dataclass(frozen=True)
class Decision:
    """The output of `engine.step`: actions in order, the next look, reasons with rule ids,
    and, as data for the edges: the figures the reasons give (U1 U5 U7's shares), and which
    reasons (their indexes) tell routine progress: an instance reimaged, waiting for health,
    healthy, as planned (U3, U4). The others are milestones: plans, batches, stops, failures."""

    actions: tuple[Action, ...]
    recheck_at: datetime | None
    reasons: tuple[str, ...]
    figures: tuple[UnhealthyShare, ...] = ()
    routine: tuple[int, ...] = ()

    @property
    def finish(self) -> Finish | None:
        """The Finish action, when the decision ends the operation."""
        return next((action for action in self.actions if isinstance(action, Finish)), None)


@dataclass
class Draft:
    """The decision being built by one step (internal to the engine)."""

    now: datetime
    policy: EffectivePolicy
    actions: list[Action] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    figures: list[UnhealthyShare] = field(default_factory=list)
    routine: list[int] = field(default_factory=list)
    wake_times: list[datetime] = field(default_factory=list)
    idle: bool = False

    def add(self, action: Action, reason: str | None = None, *, routine: bool = False) -> None:
        self.actions.append(action)
        if reason is not None:
            self.note(reason, routine=routine)

    def note(self, reason: str, *, routine: bool = False) -> None:
        if routine:
            self.routine.append(len(self.reasons))
        self.reasons.append(reason)

    def measure(self, share: UnhealthyShare, action: Action | None, reason: str) -> None:
        """A reason that gives `share`'s figures: the figures travel with it, as numbers."""
        if action is None:
            self.note(reason)
        else:
            self.add(action, reason)
        self.figures.append(share)

    def wake_at(self, when: datetime | None) -> None:
        """Look again at `when`; a missing or stale hint means the poll interval."""
        if when is None or when <= self.now:
            when = self.now + self.policy.scaled(self.policy.poll_interval)
        self.wake_times.append(when)

    def decision(self) -> Decision:
        recheck_at: datetime | None
        if self.idle or any(isinstance(action, Finish) for action in self.actions):
            recheck_at = None
        elif self.actions:
            recheck_at = self.now
        elif self.wake_times:
            recheck_at = min(self.wake_times)
        else:
            recheck_at = self.now + self.policy.scaled(self.policy.poll_interval)
        return Decision(
            tuple(self.actions),
            recheck_at,
            tuple(self.reasons),
            tuple(self.figures),
            tuple(self.routine),
        )
