"""An action is one declaration (issue 17): cloud/action_table.py is the only place each action is described,
and the rules, the follow-up, the requests and the oracle all agree with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exotui.cloud import rules
from exotui.cloud.action_table import MENU, SERVER_ACTION, SERVER_ACTIONS
from exotui.cloud.actions import ServerFollower
from exotui.cloud.models import Server
from exotui.cloud.rules import allowed_actions

ORACLE = json.loads((Path(__file__).resolve().parents[1] / "oracle" / "nova-action-matrix.json").read_text())
OWNER_ROWS = {state: row for state, row in ORACLE["states"].items() if "admin" not in row["actor"]}
BY_API = {a.api: a for a in SERVER_ACTIONS}


def test_names_and_nova_names_are_unique():
    assert len(SERVER_ACTION) == len(SERVER_ACTIONS)
    assert len(BY_API) == len(SERVER_ACTIONS)


def test_every_action_the_oracle_tried_is_declared_once():
    tried = {action for row in ORACLE["states"].values() for action in row["actions"]}
    assert tried <= set(BY_API), f"not declared: {sorted(tried - set(BY_API))}"


def test_the_rules_are_the_tables():
    """rules.py keeps no list of its own: Nova's rule of each action is the one declared with it."""
    assert rules.ACTIONS == tuple(a.name for a in SERVER_ACTIONS)
    for action in SERVER_ACTIONS:
        assert rules.NOVA_RULES[action.name] is action.nova
    assert set(allowed_actions(Server("s", "web", "ACTIVE"))) == set(SERVER_ACTION)


@pytest.mark.parametrize("state,api", [(s, a) for s, row in OWNER_ROWS.items() for a in row["actions"]])
def test_each_entry_settles_where_real_nova_ended(state, api):
    """For every action real Nova accepted, the status it ended in is one the entry declares as settled
    (none declared: the status the instance had)."""
    cell = OWNER_ROWS[state]["actions"][api]
    declared = BY_API[api]
    if not 200 <= cell["status"] < 300 or declared.name == "delete" or cell.get("final", "").startswith("404"):
        return
    before, final = cell["before"].split("/")[0], cell["final"].split("/")[0]
    assert final in (declared.settles or {before}), f"{declared.name} from {state} ended {final}"


@pytest.mark.parametrize("declared", SERVER_ACTIONS, ids=lambda a: a.name)
def test_each_request_is_the_one_nova_names(declared):
    """The request an entry sends is the action its `api` names (as the oracle and the demo's tests use it)."""
    params = {"flavor_id": "f1", "name": "snap", "volume_id": "v1", "reason": None, "length": 5}
    method, path, body = declared.request("s1", params, "2.104")
    if declared.api == "delete":
        assert (method, path, body) == ("DELETE", "/servers/s1", None)
    elif declared.api.startswith("os-volume_attachments"):
        assert path.startswith("/servers/s1/os-volume_attachments")
        assert method == ("DELETE" if declared.api.endswith("DELETE") else "POST")
    else:
        key, *kind = declared.api.split()
        assert (method, path, list(body)) == ("POST", "/servers/s1/action", [key])
        if kind:
            assert body[key] == {"type": kind[0]}


@pytest.mark.parametrize("declared", SERVER_ACTIONS, ids=lambda a: a.name)
def test_the_follow_up_reads_the_table(declared):
    before = Server("s", "web", "ACTIVE", updated="2026-01-01T00:00:00Z")
    follower = ServerFollower(before, declared.name, None)
    assert follower.targets == (declared.settles or {"ACTIVE"})
    assert follower.done == declared.done


def test_the_menu_is_the_table_in_its_order():
    assert [a.name for a in MENU] == [a.name for a in SERVER_ACTIONS if a.label]
    # the order users learned (issue 15: the same keys reach the same action): kept by the table
    assert [a.name for a in MENU][:7] == ["start", "stop", "reboot_soft", "reboot_hard", "confirm_resize",
                                         "revert_resize", "resize"]
    for action in MENU:
        assert action.label and action.label.endswith("…") == (action.dialog or action.name == "delete"), \
            f"{action.name}: '…' on the label says a dialog follows"


def test_undoing_and_repeating_read_as_such():
    """`needs` and `already`, declared with the action, make the refusals' words."""
    active = Server("s", "web", "ACTIVE", vm_state="active")
    verdicts = allowed_actions(active)
    for action in SERVER_ACTIONS:
        verdict = verdicts[action.name]
        if not verdict and action.needs and not action.nova.admin_only:
            assert verdict.reason.startswith(action.needs)
        if not verdict and "active" in action.already:
            assert verdict.reason == "the instance is already running"
