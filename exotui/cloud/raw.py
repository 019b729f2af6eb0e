"""One item as the cloud sends it (k9s' `y`): its own JSON fields, fetched fresh, secrets taken out and every
string made printable, then written as YAML for the screen."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

import yaml

from .models import PASSPHRASE_METADATA, PASSPHRASE_TAG, printable
from .session import CloudSession

HIDDEN = "<hidden: a passphrase>"

# kind -> (service, path of one item, the key the item is under in the answer, or None for the whole body)
RAW_PATHS: dict[str, tuple[str, str, str | None]] = {
    "servers": ("compute", "/servers/{}", "server"),
    "volumes": ("block_storage", "/volumes/{}", "volume"),
    "networks": ("network", "/networks/{}", "network"),
    "subnets": ("network", "/subnets/{}", "subnet"),
    "routers": ("network", "/routers/{}", "router"),
    "ports": ("network", "/ports/{}", "port"),
    "floating_ips": ("network", "/floatingips/{}", "floatingip"),
    "security_groups": ("network", "/security-groups/{}", "security_group"),
    "images": ("image", "/images/{}", None),
    "keypairs": ("compute", "/os-keypairs/{}", "keypair"),
    "volume_snapshots": ("block_storage", "/snapshots/{}", "snapshot"),
    "server_groups": ("compute", "/os-server-groups/{}", "server_group"),
}


def printable_tree(value: Any) -> Any:
    """`value` (decoded JSON) with every string in it, keys too, made printable: nothing from a cloud reaches the
    terminal raw."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(k)): printable_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable_tree(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return printable(str(value))


def without_secrets(kind: str, item: dict) -> dict:
    """An instance's exouser passphrase (an `exoPw:` tag, `exouserPassword` metadata) hidden: `y` shows fields,
    never a secret (the detail reveals it on its own key, after asking)."""
    if kind != "servers":
        return item
    item = dict(item)
    tags = item.get("tags")
    if isinstance(tags, list):
        item["tags"] = [PASSPHRASE_TAG + HIDDEN if isinstance(t, str) and t.startswith(PASSPHRASE_TAG) else t
                        for t in tags]
    metadata = item.get("metadata")
    if isinstance(metadata, dict) and PASSPHRASE_METADATA in metadata:
        item["metadata"] = {**metadata, PASSPHRASE_METADATA: HIDDEN}
    item.pop("adminPass", None)
    return item


async def fetch_raw(session: CloudSession, kind: str, ident: str) -> dict:
    """The item's own fields, as the cloud answers a GET of it now (CloudError if it does not; KeyError for a
    kind with no such GET). Read with keystoneauth's logging off: an instance's answer may hold a passphrase."""
    service, path, key = RAW_PATHS[kind]
    await session.connection()
    body = await session.get_json(service, path.format(quote(ident, safe="")),
                                  microversion=session.compute_mv if service == "compute" else None, secret=True)
    item = body.get(key) if key else body
    return without_secrets(kind, item if isinstance(item, dict) else {})


def model_fields(item: Any) -> dict:
    """A stored model's fields (what `y` shows for what has no GET of its own, or when the GET fails)."""
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return {f.name: _plain(getattr(item, f.name)) for f in dataclasses.fields(item)
                if not f.name.startswith("raw_")}
    return {"value": _plain(item)}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return model_fields(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        return [_plain(v) for v in value]
    return value


def as_yaml(item: dict) -> str:
    """`item` as block YAML, in the cloud's order of fields, every string printable (long lines not folded)."""
    return yaml.safe_dump(printable_tree(item), allow_unicode=True, sort_keys=False, width=1 << 16,
                          default_flow_style=False)
