"""Logging filters (settings.LOGGING).

An expected refusal (PermissionDenied: a viewer asking for what their role does not allow) is
one line in the server log, "Forbidden (Permission denied): /path", without the traceback
Django attaches to it: the 403 page tells the user why, and nothing failed (issue 10.9).
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class QuietRefusals(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
