"""scale_sets."""

from __future__ import annotations
