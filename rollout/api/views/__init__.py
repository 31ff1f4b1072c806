"""ARM views, one module per resource family: parse, call a service, serialise."""

from __future__ import annotations
