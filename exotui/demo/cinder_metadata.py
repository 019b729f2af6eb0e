"""Cinder's metadata routes for volumes and snapshots, and a volume's image metadata actions.

Held against cinder/api/v3/volume_metadata.py, snapshot_metadata.py, api/contrib/volume_image_metadata.py,
their schemas and cinder/exception.py: POST merges, PUT replaces, PUT /{key} sets one (`meta`), DELETE /{key}
removes one (200); answers carry the whole metadata after the change. Keys are 1-255 characters, values
strings of up to 255.
"""

from __future__ import annotations

from typing import Callable

from aiohttp import web

from .common import ApiError, json_response, read_json
from .common import schema_error as _invalid

Finder = Callable[[web.Request, str], dict]


def pairs(container: str, value) -> dict[str, str]:
    """parameter_types.metadata_allows_null / extra_specs: an object of short string keys and values."""
    if not isinstance(value, dict):
        raise _invalid(container, value, f"{value!r} is not of type 'object'")
    for key, item in value.items():
        if not key or len(key) > 255:
            raise _invalid(container, value, f"Additional properties are not allowed ({key!r} was unexpected)")
        if not isinstance(item, str) or len(item) > 255:
            raise _invalid(key, item, f"{item!r} is not of type 'string'" if not isinstance(item, str)
                           else f"{item!r} is too long")
    return dict(value)


def _wrapped(body, key: str) -> dict[str, str]:
    if not isinstance(body, dict) or key not in body:
        raise _invalid("body", body, f"'{key}' is a required property")
    return pairs(key, body[key])


def routes(kind: str, find: Finder, id_key: str, label: str) -> list[tuple[str, str, Callable]]:
    """The five metadata routes of `/{kind}/{id_key}/metadata` over the items `find` returns (the caller's own);
    `label` names the item in Cinder's not-found line (Volume, Snapshot)."""

    def item(request: web.Request) -> dict:
        return find(request, request.match_info[id_key])

    def missing(owner: dict, key: str) -> ApiError:
        return ApiError(404, f"{label} {owner['id']} has no metadata with key {key}.")

    async def index(request: web.Request) -> web.Response:
        return json_response({"metadata": dict(item(request)["metadata"])})

    async def create(request: web.Request) -> web.Response:
        metadata = _wrapped(await read_json(request), "metadata")
        owner = item(request)
        owner["metadata"].update(metadata)
        return json_response({"metadata": dict(owner["metadata"])})

    async def update_all(request: web.Request) -> web.Response:
        metadata = _wrapped(await read_json(request), "metadata")
        owner = item(request)
        owner["metadata"] = dict(metadata)
        return json_response({"metadata": dict(owner["metadata"])})

    async def show(request: web.Request) -> web.Response:
        owner, key = item(request), request.match_info["key"]
        if key not in owner["metadata"]:
            raise missing(owner, key)
        return json_response({"meta": {key: owner["metadata"][key]}})

    async def update(request: web.Request) -> web.Response:
        meta = _wrapped(await read_json(request), "meta")
        key = request.match_info["key"]
        if key not in meta:
            raise ApiError(400, "Request body and URI mismatch")
        if len(meta) > 1:
            raise ApiError(400, "Request body contains too many items")
        owner = item(request)
        owner["metadata"][key] = meta[key]
        return json_response({"meta": meta})

    async def delete(request: web.Request) -> web.Response:
        owner, key = item(request), request.match_info["key"]
        if key not in owner["metadata"]:
            raise missing(owner, key)
        del owner["metadata"][key]
        return web.Response(status=200)

    base = f"/{kind}/{{{id_key}}}/metadata"
    return [("GET", base, index), ("POST", base, create), ("PUT", base, update_all),
            ("GET", base + "/{key}", show), ("PUT", base + "/{key}", update), ("DELETE", base + "/{key}", delete)]


def set_image_metadata(volume: dict, args) -> web.Response:
    """os-set_image_metadata: merged into the volume's volume_image_metadata; the answer is all of it."""
    if not isinstance(args, dict) or "metadata" not in args:
        raise _invalid("os-set_image_metadata", args, "'metadata' is a required property")
    metadata = pairs("metadata", args["metadata"])
    volume.setdefault("volume_image_metadata", {}).update(metadata)
    return json_response({"metadata": dict(volume["volume_image_metadata"])})


def unset_image_metadata(volume: dict, args) -> web.Response:
    if not isinstance(args, dict) or "key" not in args:
        raise _invalid("os-unset_image_metadata", args, "'key' is a required property")
    key = args["key"]
    image_metadata = volume.get("volume_image_metadata") or {}
    if key not in image_metadata:
        raise ApiError(404, f"Glance metadata for volume/snapshot {volume['id']} cannot be found.")
    del image_metadata[key]
    return web.Response(status=200)


def show_image_metadata(volume: dict) -> web.Response:
    return json_response({"metadata": dict(volume.get("volume_image_metadata") or {})})
