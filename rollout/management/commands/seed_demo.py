"""``python manage.py seed_demo [--reset]``: build the demo fleet (idempotent)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rollout.demo import fleet as demo
from rollout.demo.signals import seed_signals


class Command(BaseCommand):
    help = "Build the demo fleet: six regions, the E3 catalogue, a gallery and twelve scale sets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo fleet and the catalogue first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        created = demo.seed(reset=options["reset"])
        signals = seed_signals(demo.DEMO_RESOURCE_GROUP)  # G1, G2: a gate and a webhook
        elapsed = time.perf_counter() - started
        if created:
            summary = ", ".join(f"{count} {kind}" for kind, count in created.items())
            self.stdout.write(
                self.style.SUCCESS(f"Demo fleet seeded in {elapsed:.1f} s: {summary}.")
            )
        else:
            self.stdout.write("Demo fleet already seeded (use --reset to start over).")
        if signals:
            summary = ", ".join(f"{count} {kind}" for kind, count in signals.items())
            self.stdout.write(
                f"Demo gate and webhook: {summary} (the demo's own Prometheus and receiver)."
            )
