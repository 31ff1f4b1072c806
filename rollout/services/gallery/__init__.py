"""Images: resolving a scale set's image reference (platform catalogue or Compute Gallery),
publishing gallery versions and their simulated replication region by region (T4)."""

from __future__ import annotations
