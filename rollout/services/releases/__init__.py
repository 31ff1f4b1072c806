"""Automatic upgrades across the fleet: publishing a platform version (T1), the release
controller, who it targets, when a scale set's next upgrade may start (T1-T7) and maintenance
windows (T7). The pure arithmetic is orchestrator.releases'."""

from __future__ import annotations
