"""Moved to tests/rollout/services/releases/fleet.py. This name stays only while
tests/rollout/test_admin.py (being split) imports ``add_release_rows`` from here; delete it
once the split imports from the new place."""

from __future__ import annotations

from tests.rollout.services.releases.fleet import add_release_rows

__all__ = ["add_release_rows"]
