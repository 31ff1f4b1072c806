"""Make sure a Redis answers at ``REDIS_URL``, starting a private ``redis-server`` if need be.

``make run`` calls this before starting the web server, the worker and beat. The private
server lives under ``var/redis/`` (pidfile, log), listens on the URL's port, keeps nothing on
disk, and ``--stop`` shuts it down again (and only it: a Redis someone else runs is left alone).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from redis.backoff import NoBackoff
from redis.retry import Retry

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
REMEDIES = (
    "install Redis (apt-get install redis-server, or brew install redis) so that "
    "`make run` can start one under var/redis/, or run the whole stack with `docker compose up`"
)


def connect(url: str) -> redis.Redis:
    """A client that tries once, for half a second, instead of retrying with backoff."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )


def redis_answers(url: str) -> bool:
    """Whether a Redis answers PING at ``url``."""
    client = connect(url)
    try:
        return bool(client.ping())
    except redis.AuthenticationError as error:
        # AuthenticationError is a ConnectionError: something answers, so starting
        # a server of our own on that port would only fail.
        raise CommandError(f"The Redis at {url} refuses the credentials: {error}") from None
    except (redis.ConnectionError, redis.TimeoutError):
        return False
    except redis.RedisError as error:
        raise CommandError(f"Something answers at {url}, but not as Redis: {error}") from None
    finally:
        client.close()


class Command(BaseCommand):
    help = (
        "Check that Redis answers at REDIS_URL; if not, start a private redis-server under "
        "var/redis/ when the binary exists and the URL is local."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--var-dir",
            type=Path,
            default=None,
            help="directory for the private server's pidfile and log (default: var/redis)",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=5.0,
            help="seconds to wait for a started server to answer (default: 5)",
        )
        parser.add_argument(
            "--stop",
            action="store_true",
            help="shut down the redis-server this command started, if it still runs",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url: str = settings.REDIS_URL
        var_dir: Path = options["var_dir"] or Path(settings.VAR_DIR) / "redis"
        if url.startswith("memory"):
            self.stdout.write(f"REDIS_URL is {url}: no Redis needed.")
        elif options["stop"]:
            self.stop_own_server(url, var_dir)
        elif redis_answers(url):
            self.stdout.write(f"Redis answers at {url}.")
        else:
            self.start_own_server(url, var_dir, options["wait"])

    def start_own_server(self, url: str, var_dir: Path, wait: float) -> None:
        parsed = urlparse(url)
        host = parsed.hostname or "127.0.0.1"
        binary = shutil.which("redis-server")
        if binary is None or host not in LOCAL_HOSTS:
            where = "redis-server is not installed" if binary is None else f"{host} is not local"
            raise CommandError(f"No Redis answers at {url} and {where}. Either {REMEDIES}.")
        var_dir.mkdir(parents=True, exist_ok=True)
        command = [
            binary,
            *("--port", str(parsed.port or 6379)),
            *("--bind", "::1" if host == "::1" else "127.0.0.1"),
            *("--daemonize", "yes"),
            *("--pidfile", str(var_dir / "redis.pid")),
            *("--logfile", str(var_dir / "redis.log")),
            *("--dir", str(var_dir)),
            *("--save", "", "--appendonly", "no"),
        ]
        started = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if started.returncode != 0:
            output = (started.stderr or started.stdout).strip()
            raise CommandError(f"{binary} did not start for {url}: {output or 'see the log'}.")
        deadline = time.monotonic() + wait
        while not redis_answers(url):
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Started {binary} for {url}, but it does not answer after {wait:g} s: "
                    f"see {var_dir / 'redis.log'}."
                )
            time.sleep(0.1)
        self.stdout.write(f"Started redis-server at {url} (pidfile and log in {var_dir}).")

    def stop_own_server(self, url: str, var_dir: Path) -> None:
        pidfile = var_dir / "redis.pid"
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            self.stdout.write(f"No redis-server of ours to stop (no pidfile in {var_dir}).")
            return
        client = connect(url)
        try:
            # Compare pids so that a stale pidfile never stops somebody else's server.
            if client.info("server").get("process_id") != pid:
                self.stdout.write(f"The Redis at {url} is not the one we started; left running.")
                return
            client.shutdown(nosave=True)
        except (redis.ConnectionError, redis.TimeoutError):
            self.stdout.write(f"Our redis-server at {url} had already stopped.")
            pidfile.unlink(missing_ok=True)
            return
        finally:
            client.close()
        self.stdout.write(f"Stopped our redis-server at {url}.")
