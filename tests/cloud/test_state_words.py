"""The Instances view's STATUS and TASK words (issue 18: `SHUTOFF powering…` did not say on or off): one word
per Nova value, no two alike, each within its column, for every status and task state real Nova sends."""

from __future__ import annotations

import json
from pathlib import Path

from exotui.cloud.state_words import STATUS_WORDS, TASK_WORDS, WIDTH, full, status_word, task_word
from exotui.demo.nova_rules import _STATUS as STATE_MAP

ORACLE = Path(__file__).parents[1] / "oracle" / "corpus-state-sequences.json"


def test_no_two_values_share_a_word_and_every_word_fits():
    for table in (STATUS_WORDS, TASK_WORDS):
        words = list(table.values())
        assert len(set(words)) == len(words), [w for w in words if words.count(w) > 1]
        assert all(0 < len(w) <= WIDTH for w in words), [w for w in words if len(w) > WIDTH]


def test_every_status_and_task_real_nova_sent_has_its_word():
    """What real Nova answered in the oracle's recorded sequences, and every pair of the API's state map."""
    sequences = json.loads(ORACLE.read_text())["nova_action_sequences_server_a"]
    seen = {tuple(step.split("/")[:2]) for steps in sequences.values() for step in steps}
    for tasks in STATE_MAP.values():
        seen |= {(status, str(task)) for task, status in tasks.items()}
    for status, task in seen:
        assert status in STATUS_WORDS, status
        assert task == "None" or task in TASK_WORDS, task


def test_on_and_off_are_told_apart_and_the_detail_says_novas_names():
    assert task_word("powering-on") == "starting" and task_word("powering-off") == "stopping"
    assert status_word("SHELVED_OFFLOADED") == "shelved" != status_word("SHELVED")
    assert full("SHUTOFF", "powering-on") == "SHUTOFF · powering-on (starting)"
    assert full("SHELVED_OFFLOADED", None) == "SHELVED_OFFLOADED (shelved)"
    assert task_word(None) == "" and task_word("a_new_task") == "a_new_task"  # a newer Nova's, as it is
