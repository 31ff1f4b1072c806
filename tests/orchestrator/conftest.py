"""The orchestrator's tests: plain pytest, no Django, no database.

They run alone (`pytest tests/orchestrator -p no:django`) and inside the project's
pytest-django run alike. Two path entries make that hold whatever pytest's import mode:

* the project root, so `import orchestrator` finds the package: once `tests/` is on sys.path
  (pytest puts it there for tests/conftest.py), the directory `tests/orchestrator` would
  otherwise pass for a namespace package named `orchestrator`;
* this directory, so `import builders` works.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _entry in (str(_HERE), str(_HERE.parents[1])):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

_loaded = sys.modules.get("orchestrator")
if _loaded is not None and getattr(_loaded, "__file__", None) is None:
    del sys.modules["orchestrator"]  # a namespace stand-in imported before this file ran
