"""The demo fleet (``seed_demo``): Azure's regions and image catalogue, and scale sets that
show off every rule."""

from __future__ import annotations
