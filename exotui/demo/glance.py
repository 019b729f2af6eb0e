"""Glance v2 of the demo cloud: images with properties; snapshots made by Nova's createImage.

Images live in `world.images` shaped as Glance shows them: core fields plus custom properties
(os_distro, default_user, ...) at the top level. Private fields start "_" (uploaded bytes).
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from .common import ApiError, iso_z, json_response, new_id
from .service import service_app, world_of
from .world import World

ADMIN_PROJECT = hashlib.md5(b"admin").hexdigest()  # owns the cloud's public images
SAVING_SECONDS, ACTIVE_SECONDS = 1.0, 4.0  # createImage: queued -> saving -> active

CORE = ("name", "disk_format", "container_format", "visibility", "size", "virtual_size", "status", "checksum",
        "protected", "min_ram", "min_disk", "owner", "os_hidden", "os_hash_algo", "os_hash_value", "id",
        "created_at", "updated_at", "tags", "self", "file", "schema")


# --- functions other services and the seed call (the contract) ---------------------------------

def add_image(world: World, name: str, *, owner: str | None = None, visibility: str = "public",
              properties: dict | None = None, status: str = "active", min_disk: int = 0, min_ram: int = 0,
              size: int | None = None, disk_format: str = "qcow2", container_format: str = "bare",
              protected: bool = False, tags: list[str] | None = None, image_id: str | None = None) -> dict:
    """Add an image (dict as Glance shows it, custom properties at top level) and return it."""
    image = _new_image(world, name, owner or ADMIN_PROJECT, visibility, properties or {},
                       min_disk=min_disk, min_ram=min_ram, disk_format=disk_format,
                       container_format=container_format, protected=protected, tags=tags, image_id=image_id)
    if status == "active":
        size = 1024 ** 3 if size is None else size
        # seeded images carry no bytes; their hashes stand for content nobody will download
        _activate(world, image, size, hashlib.md5(image["id"].encode()).hexdigest(),
                  hashlib.sha512(image["id"].encode()).hexdigest(), virtual_size=max(size, min_disk * 1024 ** 3))
    else:
        image["status"] = status
    return image


def create_server_snapshot(world: World, server: dict, name: str, metadata: dict | None = None) -> dict:
    """The image Nova's createImage makes: queued -> saving -> active (world.later), with
    image_type=snapshot, instance_uuid, base_image_ref, owner = the server's project."""
    project_id, user_id = server.get("tenant_id", ""), server.get("user_id", "")
    image_ref = server.get("image")
    base_id = image_ref.get("id", "") if isinstance(image_ref, dict) else (image_ref or "")
    base = world.images.get(base_id, {})
    # Nova copies the base image's own properties into the snapshot, then adds its bookkeeping
    properties = {k: v for k, v in base.items() if k not in CORE and k != "stores" and not k.startswith("_")}
    rank = {"reader": 0, "member": 1, "admin": 2}
    roles = sorted({world.roles[r]["name"] for (u, p, r) in world.assignments
                    if u == user_id and p == project_id and r in world.roles}, key=lambda n: (rank.get(n, 3), n))
    properties.update({
        "base_image_ref": base_id,
        "owner_user_name": world.users.get(user_id, {}).get("name", ""),
        "owner_project_name": world.projects.get(project_id, {}).get("name", ""),
        "boot_roles": ",".join(roles),
        "instance_uuid": server["id"],
        "user_id": user_id,
        "image_type": "snapshot",
    })
    properties.update(metadata or {})
    image = _new_image(world, name, project_id, "private", properties, min_disk=_root_disk(world, server),
                       min_ram=int(base.get("min_ram") or 0), disk_format=None, container_format=None)
    size = int(base.get("size") or 1024 ** 3)

    def saving() -> None:
        if image["status"] == "queued":
            image["status"], image["updated_at"] = "saving", iso_z(world.now())
            world.later(ACTIVE_SECONDS, active)

    def active() -> None:
        if image["status"] == "saving":
            digest = (image["id"] + "snapshot").encode()
            image.update(disk_format=base.get("disk_format") or "qcow2", container_format="bare")
            _activate(world, image, size, hashlib.md5(digest).hexdigest(), hashlib.sha512(digest).hexdigest())

    world.later(SAVING_SECONDS, saving)
    return image


def _new_image(world: World, name: str | None, owner: str, visibility: str, properties: dict, *,
               min_disk: int = 0, min_ram: int = 0, disk_format: str | None = None,
               container_format: str | None = None, protected: bool = False, tags: list[str] | None = None,
               image_id: str | None = None) -> dict:
    image_id = image_id or new_id()
    now = iso_z(world.now())
    image = dict(properties)
    image.update({
        "name": name, "disk_format": disk_format, "container_format": container_format, "visibility": visibility,
        "size": None, "virtual_size": None, "status": "queued", "checksum": None, "protected": protected,
        "min_ram": min_ram, "min_disk": min_disk, "owner": owner, "os_hidden": False, "os_hash_algo": None,
        "os_hash_value": None, "id": image_id, "created_at": now, "updated_at": now, "tags": list(tags or []),
        "self": f"/v2/images/{image_id}", "file": f"/v2/images/{image_id}/file", "schema": "/v2/schemas/image",
    })
    world.images[image_id] = image
    return image


def _activate(world: World, image: dict, size: int, md5: str, sha512: str, *, virtual_size: int | None = None) -> None:
    image.update(status="active", size=size, virtual_size=virtual_size or size, checksum=md5,
                 os_hash_algo="sha512", os_hash_value=sha512, updated_at=iso_z(world.now()), stores="fs")


def _root_disk(world: World, server: dict) -> int:
    """The snapshot's min_disk: the server flavor's root disk (GB)."""
    flavor = server.get("flavor") or {}
    if "disk" in flavor:
        return int(flavor["disk"])
    return int(world.flavors.get(flavor.get("id", ""), {}).get("disk", 0))


# --- the HTTP API ---------------------------------------------------------------------------

GLANCE_VERSIONS = ["2.17", "2.15", "2.13", "2.12", "2.11", "2.10", "2.9", "2.8", "2.7", "2.6", "2.5", "2.4",
                   "2.3", "2.2", "2.1", "2.0"]


async def versions(request: web.Request) -> web.Response:
    base = world_of(request).base_url + "/image"
    values = [{"id": "v" + v, "status": "CURRENT" if v == GLANCE_VERSIONS[0] else "SUPPORTED",
               "links": [{"rel": "self", "href": base + "/v2/"}]} for v in GLANCE_VERSIONS]
    return json_response({"versions": values}, 300)


def make_app(world: World) -> web.Application:
    app = service_app(world, "glance", public={"/", "/versions"})
    app.router.add_get("/", versions)
    app.router.add_get("/versions", versions)
    return app
