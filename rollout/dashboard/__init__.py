"""The live dashboard: pages, actions, websocket consumers and the read models behind them.

Pages and consumers only read (``live``, ``fleet``, ``history``) and act through
``rollout.services``; they hold no rule of their own.
"""

from __future__ import annotations
