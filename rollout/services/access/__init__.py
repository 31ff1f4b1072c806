"""Who may use the API and the dashboard: bearer tokens, issued and revoked here."""

from __future__ import annotations
