"""T1: the availability-first plan of a platform release's phases (pure, no database).

1. Only regions holding at least one target (an auto-upgrade scale set on the image's SKU,
   not already on the version) get a phase.
2. Regions go least exposed first: fewest targeted instances, then name. A fault in the first
   phase therefore touches as few VMs as possible.
3. Phases grow: 1 region, then 2, then 4, ... (``first_size`` doubled each time), so confidence
   is earned on small phases before large ones.
4. Geo pairs never share a phase: a region whose pair is already in the phase waits for the
   next one (and keeps its place at the head of the queue). As phases run one after another,
   paired regions are never upgraded at the same time by the release.

Worked example (the demo fleet, 22_04-LTS): westeurope 1 instance, japanwest 4, northeurope 5,
eastus 6, westus 100, japaneast 1,000 give

    phase 1: westeurope
    phase 2: japanwest, northeurope
    phase 3: eastus, japaneast          (westus is eastus's pair: it waits)
    phase 4: westus
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RegionLoad:
    """A region of the release: its geo pair and how many targeted instances it holds."""

    name: str
    pair: str | None
    instances: int


def plan_phases(loads: Sequence[RegionLoad], *, first_size: int = 1) -> list[tuple[str, ...]]:
    """The phases, each a tuple of region names (see the module docstring).

    >>> plan_phases([RegionLoad("a", "b", 1), RegionLoad("b", "a", 2), RegionLoad("c", None, 3)])
    [('a',), ('b', 'c')]
    """
    queue = sorted(loads, key=lambda load: (load.instances, load.name))
    phases: list[tuple[str, ...]] = []
    size = max(1, first_size)
    while queue:
        chosen: list[RegionLoad] = []
        waiting: list[RegionLoad] = []
        for load in queue:
            if len(chosen) < size and not any(is_pair(load, other) for other in chosen):
                chosen.append(load)
            else:
                waiting.append(load)
        phases.append(tuple(sorted(load.name for load in chosen)))
        queue = waiting
        size *= 2
    return phases


def is_pair(one: RegionLoad, other: RegionLoad) -> bool:
    """Geo pairs, read both ways (a catalogue may name the pair on one side only)."""
    return one.pair == other.name or other.pair == one.name


def next_phase_size(phase_count: int, first_size: int = 1) -> int:
    """The size the phase after ``phase_count`` phases gets: ``next_phase_size(2) == 4``."""
    return max(1, first_size) << phase_count
