"""The words and enums the pages' scripts read from Python (``display.vocabulary``): complete,
derived from the engine where the engine decides, and spelled nowhere in the scripts."""

from __future__ import annotations

import json
import re
import typing
from dataclasses import asdict
from pathlib import Path

import pytest

from orchestrator.model import InstanceProgress, InstanceUpgradeState, count_progress
from rollout.dashboard.display import status_of, vocabulary
from rollout.dashboard.messages import CellState
from rollout.models import ACTIVE_STATUSES, EventKind, RunningStatus, UpgradeKind
from rollout.services.upgrades.operations import start_os_upgrade
from tests.rollout.dashboard.test_dashboard_pages import embedded, page, run_to_end

SCRIPTS = Path(__file__).resolve().parents[3] / "static" / "rollwright" / "js"
WORDS = vocabulary()


def browser_counts(states: list[str]) -> dict[str, int]:
    """What words.js's countStates does with the vocabulary."""
    counts = dict.fromkeys({b for words in WORDS["states"].values() for b in words["counts"]}, 0)
    for state in states:
        for bucket in WORDS["states"][state]["counts"]:
            counts[bucket] += 1
    return counts


def test_every_cell_state_has_words_in_the_legends_order():
    assert set(WORDS["states"]) == set(typing.get_args(CellState))
    assert list(WORDS["states"])[:3] == ["pending", "reimaging", "waiting_for_health"]
    assert list(WORDS["states"])[-1] == "idle"
    assert all(words["label"] and words["description"] for words in WORDS["states"].values())


@pytest.mark.parametrize("state", list(InstanceUpgradeState))
def test_the_browser_counts_a_planned_instance_as_the_engine_does(state):
    engine = asdict(count_progress([InstanceProgress(state, batch_index=0)]))
    assert browser_counts([state]) == engine


def test_the_browser_counts_a_mixed_batch_as_the_engine_does():
    states = ["succeeded", "rolled_back", "rollback_failed", "failed", "reimaging", "pending"]
    progress = [InstanceProgress(InstanceUpgradeState(s), batch_index=0) for s in states]
    assert browser_counts([*states, "idle"]) == asdict(count_progress(progress))


def test_every_counted_state_has_its_part_of_the_progress_bar():
    segments = {segment["key"] for segment in WORDS["segments"]}
    for key, words in WORDS["states"].items():
        if key in ("idle", "skipped"):
            assert words["segment"] is None
        else:
            assert words["segment"] in segments, key
    assert WORDS["states"]["waiting_for_health"]["segment"] == "in_progress"


def test_statuses_kinds_and_events_are_the_enums():
    assert set(WORDS["statuses"]) == set(RunningStatus)
    assert WORDS["active_statuses"] == list(ACTIVE_STATUSES)
    assert set(WORDS["upgrade_kinds"]) == set(UpgradeKind)
    assert set(WORDS["event_kinds"]) == set(EventKind)
    assert WORDS["event_kinds"]["auto_upgrade_enabled"] == "Auto-upgrade enabled"
    assert set(WORDS["audit_kinds"]) <= set(EventKind)
    assert {state for state, words in WORDS["states"].items() if words["logged"]} == {
        "failed",
        "rolled_back",
        "rollback_failed",
        "rolling_back",
    }


def test_a_running_status_gives_way_to_what_the_operator_asked_in_order():
    running = {
        "status": "RollingForward",
        "is_paused": True,
        "cancel_requested": True,
        "pause_requested": True,
    }
    assert status_of(running) == ("paused", "Paused")  # type: ignore[arg-type]
    assert [c["hook"] for c in WORDS["conditions"]] == ["paused", "cancelling", "pausing"]
    done = {**running, "status": "Completed"}
    assert status_of(done) == ("completed", "Completed")  # type: ignore[arg-type]


def test_the_scripts_spell_none_of_the_words():
    """A label in a script's string would be a second copy (a value such as "Faulted" or
    "pending" is the enum itself, the wire's word, and may be compared with)."""
    values = {*WORDS["states"], *WORDS["statuses"], *WORDS["event_kinds"], *WORDS["upgrade_kinds"]}
    labels = {
        *(words["label"] for words in WORDS["states"].values()),
        *WORDS["statuses"].values(),
        *(condition["label"] for condition in WORDS["conditions"]),
        *WORDS["upgrade_kinds"].values(),
        *WORDS["event_kinds"].values(),
    } - values
    code = {
        path.name: "\n".join(
            line
            for line in path.read_text().splitlines()
            if not line.lstrip().startswith(("//", "*", "/**"))
        )
        for path in SCRIPTS.glob("*.js")
    }
    spelled = {
        (name, label)
        for name, text in code.items()
        for label in labels
        if re.search(rf"[\"'`]{re.escape(label)}[\"'`]", text)
    }
    assert spelled == set()


@pytest.mark.django_db
def test_the_live_and_replay_pages_embed_the_vocabulary(operator_client, web10, settings):
    settings.ROLLWRIGHT_TIME_SCALE = 600.0
    words = json.loads(json.dumps(WORDS))
    assert embedded(page(operator_client, "scale_set", web10.pk), "vocabulary") == words
    operation = start_os_upgrade(web10)
    run_to_end(operation.pk)
    replay = page(operator_client, "replay", web10.pk, operation.pk)
    assert embedded(replay, "vocabulary") == words
