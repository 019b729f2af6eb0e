"""`y`'s raw fields: every string (keys too) printable, an instance's passphrase hidden, YAML unfolded."""

from __future__ import annotations

import yaml

from exotui.cloud.models import Router
from exotui.cloud.raw import HIDDEN, as_yaml, model_fields, printable_tree, without_secrets

HOSTILE = "r\x1b[2J\u202egpj.exe" + "L" * 5000


def test_every_string_in_the_tree_is_made_printable_keys_too():
    tree = printable_tree({"name\x1b]0;x\x07": [HOSTILE, {"k": "\x9b31m"}], "n": 3, "b": None})
    text = as_yaml(tree)
    assert "\x1b" not in text and "\u202e" not in text and "\x9b" not in text
    assert "\\u202e" in text and "␛" in text and "L" * 5000 in text, "shown whole, made visible"
    assert yaml.safe_load(text)["n"] == 3


def test_an_instances_passphrase_is_hidden_wherever_exosphere_put_it():
    server = {"id": "s", "tags": ["exoPw:secret-one", "other"], "metadata": {"exouserPassword": "secret-two", "a": "b"},
              "adminPass": "secret-three"}
    shown = as_yaml(without_secrets("servers", server))
    assert "secret" not in shown and HIDDEN in shown and "other" in shown and "a: b" in shown
    assert server["tags"][0] == "exoPw:secret-one", "the answer itself is left as it was"
    assert without_secrets("volumes", {"metadata": {"exouserPassword": "x"}}) == {"metadata": {"exouserPassword": "x"}}


def test_a_model_without_a_get_of_its_own_shows_its_fields():
    router = Router.from_api({"id": "r", "name": HOSTILE, "external_gateway_info": {
        "network_id": "n", "external_fixed_ips": [{"ip_address": "1.2.3.4"}]}})
    fields = model_fields(router)
    assert fields["external_ips"] == ["1.2.3.4"] and "\x1b" not in as_yaml(fields)
