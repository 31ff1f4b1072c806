"""``make run``'s supervisor (supervisord.conf), for real: a worker killed with -9 is started
again and the console says so, while the web server goes on serving (issue 11, item 1); the
web server serves HTTPS beside HTTP (A1)."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.support import ROOT, Process, database_url, environment, free_port, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
BIN = Path(sys.executable).parent  # supervisor is a dependency: installed beside Python


def serves(url: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2, context=context) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def test_a_killed_worker_is_restarted_and_the_console_says_so(tmp_path: Path) -> None:
    assert (BIN / "supervisord").exists(), "supervisor is a dependency (pyproject.toml)"
    port, https_port = free_port(), free_port()
    call_command("ensure_tls_cert", "--dir", str(tmp_path / "tls"), stdout=StringIO())
    env = environment(
        settings="tests.settings",
        database_url=database_url(),
        redis_url=settings.CELERY_BROKER_URL,
        extra={
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "HTTPS_PORT": str(https_port),
            "ROLLWRIGHT_TLS_DIR": str(tmp_path / "tls"),
            "ROLLWRIGHT_RUN_DIR": str(tmp_path),
            "WORKERS": "1",
            "WEB_PROCESSES": "1",
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        },
    )
    command = [str(BIN / "supervisord"), "-c", str(ROOT / "supervisord.conf")]
    with Process("supervisord", command, log=tmp_path / "console.log", env=env) as supervisor:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: "success: worker-0 entered RUNNING" in supervisor.output(), 60, "worker")
        wait_until(lambda: serves(url), 30, "the web server")
        # HTTPS beside HTTP, with the certificate ensure_tls_cert made.
        trusted = ssl.create_default_context(cafile=str(tmp_path / "tls" / "ca.pem"))
        https = f"https://127.0.0.1:{https_port}"
        wait_until(lambda: serves(https, trusted), 30, "the HTTPS server")

        def ctl(*arguments: str) -> str:
            run = subprocess.run(
                [str(BIN / "supervisorctl"), "-c", str(ROOT / "supervisord.conf"), *arguments],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                timeout=30,
            )
            return run.stdout.strip()

        first = int(ctl("pid", "worker:worker-0"))
        os.kill(first, 9)
        wait_until(lambda: "exited: worker-0 (terminated by SIGKILL; not expected)"
                   in supervisor.output(), 20, "the console to report the exit")  # fmt: skip
        wait_until(
            lambda: ctl("pid", "worker:worker-0") not in ("", "0", str(first)), 30, "a new worker"
        )
        wait_until(lambda: supervisor.output().count("success: worker-0 entered RUNNING") == 2,
                   30, "the new worker running")  # fmt: skip
        assert serves(url)
        status = ctl("status")
        assert status.count("RUNNING") == 4, status  # web, web-tls, worker, beat
