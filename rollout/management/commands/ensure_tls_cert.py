"""``python manage.py ensure_tls_cert [--host NAME]... [--dir DIR] [--days N] [--force]``: the
certificate ``make run`` serves HTTPS with (``rollout.tls``), made once.

It writes ``var/tls/cert.pem``, ``key.pem`` and ``ca.pem`` when they are missing, expire within
30 days, do not name every ``--host`` or do not match, and otherwise leaves them alone, so
clients that trust ``ca.pem`` keep trusting it run after run. ``--force`` makes new ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rollout.tls import (
    DEFAULT_DAYS,
    DEFAULT_HOSTS,
    TlsFiles,
    make_certificate,
    valid_host,
    why_renew,
)


class Command(BaseCommand):
    help = "Make the self-signed TLS certificate under var/tls/ once (HTTPS for make run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            action="append",
            default=[],
            help="a name or address the certificate must also cover (repeatable); "
            f"always: {', '.join(DEFAULT_HOSTS)}",
        )
        parser.add_argument("--dir", help="where to write (default: var/tls)")
        parser.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help="validity (default: %(default)s)"
        )
        parser.add_argument("--force", action="store_true", help="make a new one regardless")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 31 <= options["days"] <= 3650:
            raise CommandError("--days must be between 31 and 3650.")
        hosts = list(dict.fromkeys([*DEFAULT_HOSTS, *(h.strip() for h in options["host"])]))
        for host in hosts:
            if not valid_host(host):
                raise CommandError(f"--host {host[:60]!r} is neither a host name nor an address.")
        directory = Path(options["dir"]) if options["dir"] else settings.VAR_DIR / "tls"
        files = TlsFiles(directory)
        now = timezone.now()
        reason = "--force" if options["force"] else why_renew(files, hosts, now)
        if reason is None:
            self.stdout.write(
                f"TLS certificate {files.certificate} kept (valid, names {', '.join(hosts)})."
            )
            return
        make_certificate(files, hosts, now, options["days"])
        self.stdout.write(
            f"TLS certificate written ({reason}): {files.certificate} and {files.key}, "
            f"for {', '.join(hosts)}.\n"
            f"Clients trust it with REQUESTS_CA_BUNDLE={files.ca} (or add {files.ca} to the "
            "system's or browser's trusted authorities)."
        )
