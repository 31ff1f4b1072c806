"""Rollwright's rows in Azure's wire shapes, one module per resource family."""

from __future__ import annotations
