"""The harness's processes never outlive their owner, and show what they printed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.support.processes import Process, ProcessFailed, unwind_on_termination, wait_until


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead, only not collected yet
        return stat.read().split(") ", 1)[1][0] != "Z"


def shell(tmp_path: Path, script: str, name: str = "sh") -> Process:
    return Process(name, ["sh", "-c", script], log=tmp_path / f"{name}.log")


def child_pid(process: Process) -> int:
    wait_until(lambda: "child " in process.output(), 10, "the child's pid")
    return int(process.output().split("child ", 1)[1].split()[0])


class NeverReady(Process):
    ready_timeout = 5.0

    def is_ready(self) -> bool:
        return False


def test_stop_ends_the_whole_process_group_children_included(tmp_path: Path) -> None:
    process = shell(tmp_path, "sleep 300 & echo child $!; wait").start()
    child = child_pid(process)
    assert is_alive(child)
    process.stop()
    assert not process.running
    wait_until(lambda: not is_alive(child), 10, "the child to end")


def test_kill_is_kill_9_of_the_group(tmp_path: Path) -> None:
    process = shell(tmp_path, "sleep 300 & echo child $!; wait").start()
    child = child_pid(process)
    process.kill()
    assert process.returncode == -signal.SIGKILL
    wait_until(lambda: not is_alive(child), 10, "the child to end")


def test_stop_kills_a_group_that_ignores_sigterm_after_the_grace_period(tmp_path: Path) -> None:
    process = shell(tmp_path, "trap '' TERM; echo child $$; sleep 300").start()
    child_pid(process)
    process.stop(grace=0.5)
    assert process.returncode == -signal.SIGKILL


def test_a_restart_appends_to_the_log_and_output_reads_this_start(tmp_path: Path) -> None:
    process = shell(tmp_path, "echo started; sleep 300", name="echo").start()
    wait_until(lambda: "started" in process.output(), 10, "the first start's line")
    process.restart()
    wait_until(lambda: "started" in process.output(), 10, "the second start's line")
    assert process.output().count("started") == 1
    assert process.log.read_text().count("started") == 2
    assert process.starts == 2
    process.stop()


def test_a_process_that_exits_before_it_is_ready_fails_with_its_log(tmp_path: Path) -> None:
    process = NeverReady(
        "boom", ["sh", "-c", "echo cannot bind >&2; exit 3"], log=tmp_path / "b.log"
    )
    with pytest.raises(ProcessFailed, match=r"boom exited with 3 before it was ready") as failure:
        process.start()
    assert "cannot bind" in str(failure.value)


def test_a_process_not_ready_in_time_is_stopped(tmp_path: Path) -> None:
    process = NeverReady("slow", ["sleep", "300"], log=tmp_path / "slow.log")
    with pytest.raises(ProcessFailed, match=r"slow was not ready within 0\.2 s"):
        process.start(wait=False).wait_ready(timeout=0.2)
    assert not process.running


def test_the_context_manager_starts_and_stops(tmp_path: Path) -> None:
    with shell(tmp_path, "sleep 300") as process:
        assert process.running
        pid = process.pid
    assert pid is not None and not is_alive(pid)


def test_termination_unwinds_like_ctrl_c_and_puts_the_handlers_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt, match="signal 15"), unwind_on_termination():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before
