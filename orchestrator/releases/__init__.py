"""Pure rules of automatic upgrades across the fleet: release phases (T1), trigger delays
(T5) and maintenance window arithmetic (T7). No Django, as the rest of the engine."""

from __future__ import annotations
