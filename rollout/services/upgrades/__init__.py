"""OS upgrades of one scale set: the operator's verbs (start, cancel, pause, resume), one
engine step (stepping), the preview (B1) and Azure-shaped reads (M2, H1)."""

from __future__ import annotations
