"""Shared parts of the upgrade commands: scale set arguments, actors, errors, the wait loop."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from rollout.models import ACTIVE_STATUSES, RunningStatus, ScaleSet, UpgradeOperation
from rollout.services.access.grants import grants_of
from rollout.services.access.scopes import Scope
from rollout.services.errors import ServiceError
from rollout.services.lookup import get_scale_set

EXIT_CODES = {RunningStatus.COMPLETED: 0, RunningStatus.FAULTED: 1, RunningStatus.CANCELLED: 2}


def add_scale_set_arguments(parser: CommandParser) -> None:
    parser.add_argument("--resource-group", "-g", required=True, help="Resource group name.")
    parser.add_argument("--name", "-n", required=True, help="Scale set name.")


def scale_set_from(options: dict[str, Any]) -> ScaleSet:
    try:
        return get_scale_set(options["resource_group"], options["name"])
    except ServiceError as error:
        raise CommandError(f"{error.code}: {error.message}") from None


def actor_from(options: dict[str, Any], action: str = "", scope: Scope | None = None) -> Any:
    """``--user``: act as that user, and only as far as their roles allow ``action`` at
    ``scope`` (R1); without it, the command line (whoever holds the database) acts."""
    username = options.get("user")
    if not username:
        return "command line"
    try:
        user = get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No user named '{username}'.") from None
    if action:
        try:
            grants_of(user).require(action, scope or Scope())
        except ServiceError as error:
            raise service_error(error) from None
    return user


def service_error(error: ServiceError) -> CommandError:
    return CommandError(f"{error.code}: {error.message}")


def progress_line(operation: UpgradeOperation) -> str:
    if operation.planned_at is None and operation.status in ACTIVE_STATUSES:
        return f"{operation.status}: planning the batches"
    done = operation.successful_instance_count + operation.failed_instance_count
    total = done + operation.in_progress_instance_count + operation.pending_instance_count
    batch = (
        f"batch {operation.current_batch_index + 1}/{operation.batch_count}"
        if operation.current_batch_index is not None
        else f"{operation.batch_count} batches"
    )
    paused = " (paused)" if operation.is_paused else ""
    return (
        f"{operation.status}{paused}: {batch}, {done}/{total} instances done, "
        f"{operation.successful_instance_count} succeeded, "
        f"{operation.failed_instance_count} failed, "
        f"{operation.rolled_back_instance_count} rolled back"
    )


def bar(operation: UpgradeOperation, width: int = 30) -> str:
    done = operation.successful_instance_count + operation.failed_instance_count
    total = done + operation.in_progress_instance_count + operation.pending_instance_count
    filled = width if total == 0 else round(width * done / total)
    return "[" + "#" * filled + "-" * (width - filled) + "] " + progress_line(operation)


def wait_for(
    operation: UpgradeOperation, out: TextIO, *, interval: float = 0.5, timeout: float | None = None
) -> int:
    """B6: block until the upgrade ends, drawing a live bar on a terminal, plain lines otherwise.

    Returns the exit code: 0 Completed, 1 Faulted, 2 Cancelled, 3 timed out.
    """
    terminal = out.isatty() if hasattr(out, "isatty") else False
    started = time.monotonic()
    last = ""
    while True:
        operation.refresh_from_db()
        line = bar(operation) if terminal else progress_line(operation)
        if terminal:
            out.write("\r\033[K" + line)
            out.flush()
        elif line != last:
            out.write(line + "\n")
            out.flush()
        last = line
        if operation.status not in ACTIVE_STATUSES:
            if terminal:
                out.write("\n")
            if operation.error_code:
                out.write(f"{operation.error_code}: {operation.error_message}\n")
            return EXIT_CODES.get(RunningStatus(operation.status), 1)
        if timeout is not None and time.monotonic() - started > timeout:
            out.write("\nStill running; stopped waiting.\n")
            return 3
        time.sleep(interval)


def stdout_of(command: Any) -> TextIO:
    stream = getattr(command.stdout, "_out", None)
    return stream if stream is not None else sys.stdout
