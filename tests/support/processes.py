"""Subprocesses that never outlive their owner.

A ``Process`` runs one command in a session (process group) of its own, with its stdout and
stderr in a log file, so that:

* ``stop()`` and ``kill()`` reach the whole group (a prefork pool's children too), and the
  group is signalled while its leader is still an unreaped zombie, so the number cannot have
  been handed to another process in between;
* a failure can show what the process printed (``tail()``), instead of /dev/null;
* ``start()`` after ``stop()`` or ``kill()`` runs it again with the same command, port and log
  (appended), which is how a test restarts a server or a worker.

Every process still running when the interpreter exits is stopped (``atexit``), and
``unwind_on_termination()`` turns SIGTERM and SIGHUP into ``KeyboardInterrupt`` so the
``finally`` blocks of a script run when it is killed politely.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# Started and not reaped yet: stopped at exit whatever their owner forgot.
_running: set[Process] = set()


class ProcessFailed(RuntimeError):
    """A process exited, or was not ready in time; the message ends with its log's tail."""


def wait_until(
    predicate: Callable[[], object], timeout: float, what: str, *, interval: float = 0.05
) -> None:
    """Return once ``predicate()`` is true; raise ``TimeoutError`` naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


class Process:
    """One command as a subprocess in its own process group, its output in ``log``.

    ``env`` holds the variables that differ from this process's environment (it is read at
    each start). Subclasses say when they are ready (``is_ready``) and how long that may take
    (``ready_timeout``); ``start()`` waits for it unless ``wait=False``.
    """

    ready_timeout = 30.0

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        log: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.log = log
        self.env = dict(env or {})
        self.cwd = cwd
        self.starts = 0
        self._popen: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"<{type(self).__name__} {self.name} {state}>"

    # -- life cycle

    def start(self, *, wait: bool = True) -> Self:
        """Spawn the command (again, after a stop or a kill); wait until it is ready."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self._reap()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as output:
            self._log_offset = output.tell()
            self._popen = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        _running.add(self)
        if wait:
            self.wait_ready()
        return self

    def is_ready(self) -> bool:
        """True once the process serves; a plain process is ready when it runs."""
        return True

    def wait_ready(self, timeout: float | None = None) -> Self:
        """Wait until ``is_ready()``; a process that exits or takes too long is stopped and
        raises ``ProcessFailed`` with the end of its log."""
        limit = self.ready_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while not self.is_ready():
            if not self.running:
                raise ProcessFailed(
                    f"{self.name} exited with {self.returncode} before it was ready\n{self.tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ProcessFailed(f"{self.name} was not ready within {limit:g} s\n{self.tail()}")
            time.sleep(0.05)
        return self

    def terminate(self) -> None:
        """Send SIGTERM to the group and return at once (``stop()`` finishes the job)."""
        if self.running:
            self.signal(signal.SIGTERM)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to the group; SIGKILL when it has not exited after ``grace`` seconds; then
        SIGKILL to whatever the leader left behind in its group."""
        if self._popen is None:
            return
        if self.running:
            self.signal(signal.SIGTERM)
            if not self._wait_exited(grace):
                self.signal(signal.SIGKILL)
                self._wait_exited(10.0)
        self._reap()

    def kill(self) -> None:
        """kill -9 of the whole group at once: no shutdown handler runs."""
        if self._popen is None:
            return
        if self.running:
            self.signal(signal.SIGKILL)
            self._wait_exited(10.0)
        self._reap()

    def restart(self, *, down_for: float = 0.0, wait: bool = True) -> Self:
        """Stop, stay down ``down_for`` seconds, start again with the same command and log."""
        self.stop()
        time.sleep(down_for)
        return self.start(wait=wait)

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process group (SIGSTOP and SIGCONT freeze and thaw it)."""
        if self._popen is not None and self._popen.returncode is None:  # not reaped yet
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._popen.pid, signum)

    # -- state

    @property
    def pid(self) -> int | None:
        return None if self._popen is None else self._popen.pid

    @property
    def running(self) -> bool:
        """Started and not exited (an exited leader stays unreaped until stop or kill)."""
        return self._popen is not None and self._popen.returncode is None and not self._exited()

    @property
    def returncode(self) -> int | None:
        """The exit status (negative: killed by that signal), None while it runs."""
        if self._popen is None:
            return None
        return self._exit_status()

    # -- output

    def log_size(self) -> int:
        """The log's size in bytes: an offset for ``output(since=...)``."""
        return self.log.stat().st_size if self.log.exists() else 0

    def output(self, *, since: int | None = None) -> str:
        """The log from byte ``since`` (default: this start's first byte)."""
        if not self.log.exists():
            return ""
        with self.log.open("rb") as log:
            log.seek(self._log_offset if since is None else since)
            return log.read().decode(errors="replace")

    def tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the whole log, headed by the process's name."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log})\n" + "\n".join(text.splitlines()[-lines:])

    # -- context manager: started on entry (unless running), stopped on exit

    def __enter__(self) -> Self:
        return self if self.running else self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals: the leader is reaped only after its group got its last signal

    def _exit_status(self) -> int | None:
        assert self._popen is not None
        if self._popen.returncode is not None:  # reaped already
            return self._popen.returncode
        # WNOWAIT: look without reaping, so the number stays ours until _reap.
        info = os.waitid(os.P_PID, self._popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is None:
            return None
        if info.si_code == os.CLD_EXITED:
            return info.si_status
        return -info.si_status

    def _exited(self) -> bool:
        return self._exit_status() is not None

    def _wait_exited(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._exited():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def _reap(self) -> None:
        """Kill any straggler of the group while the exited leader still holds the number,
        then collect the leader."""
        if self._popen is None or self._popen.returncode is not None:
            return
        if self._exited():
            self.signal(signal.SIGKILL)
            self._popen.wait()
            _running.discard(self)


def python_module(module: str, *arguments: str) -> list[str]:
    """``python -m module arguments...`` with this interpreter."""
    return [PYTHON, "-m", module, *arguments]


def stop_all(processes: Sequence[Process], grace: float = 10.0) -> None:
    """Stop several processes at once: SIGTERM to every group first, then wait for each."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop(grace)


@atexit.register
def _stop_leftovers() -> None:
    stop_all(list(_running), grace=5.0)


@contextlib.contextmanager
def unwind_on_termination() -> Iterator[None]:
    """SIGTERM and SIGHUP raise ``KeyboardInterrupt`` in the main thread while inside, so every
    ``finally`` (and ``with`` block) stops its processes before the script exits."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
