"""Glance v2 of the demo cloud: images with properties; snapshots made by Nova's createImage.

Images live in `world.images` shaped as Glance shows them: core fields plus custom properties
(os_distro, default_user, ...) at the top level. Private fields start "_" (uploaded bytes).
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

from aiohttp import web

from .common import ApiError, as_bool, iso_z, json_response, new_id, read_json
from .service import ctx_of, is_admin, service_app, world_of
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
    image_id = image_id or new_id(world)
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
    flavor_id = server.get("_flavor_id") or flavor.get("id", "")  # nova.py keeps the id private
    kept = server.get("_flavor_copies", {}).get(flavor_id, {})  # the flavor deleted since (nova.instance_flavor)
    return int(world.flavors.get(flavor_id, kept).get("disk", 0))


# --- the HTTP API ---------------------------------------------------------------------------

# the order Glance 33 lists them in (glance-268), CURRENT in the middle
GLANCE_VERSIONS = [("2.15", "SUPPORTED"), ("2.13", "SUPPORTED"), ("2.12", "SUPPORTED"), ("2.11", "SUPPORTED"),
                   ("2.10", "SUPPORTED"), ("2.9", "SUPPORTED"), ("2.8", "SUPPORTED"), ("2.17", "CURRENT"),
                   ("2.7", "SUPPORTED"), ("2.6", "SUPPORTED"), ("2.5", "SUPPORTED"), ("2.4", "SUPPORTED"),
                   ("2.3", "SUPPORTED"), ("2.2", "SUPPORTED"), ("2.1", "SUPPORTED"), ("2.0", "SUPPORTED")]

# GET /v2/schemas/image as Glance 33 answers it (glance-284)
IMAGE_SCHEMA = {"name": "image", "properties": json.loads("""{
    "id": {"type": "string", "description": "An identifier for the image", "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"},
    "name": {"type": ["null", "string"], "description": "Descriptive name for the image", "maxLength": 255},
    "status": {"type": "string", "readOnly": true, "description": "Status of the image", "enum": ["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"]},
    "visibility": {"type": "string", "description": "Scope of image accessibility", "enum": ["community", "public", "private", "shared"]},
    "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
    "os_hidden": {"type": "boolean", "description": "If true, image will not appear in default image list response."},
    "checksum": {"type": ["null", "string"], "readOnly": true, "description": "md5 hash of image contents.", "maxLength": 32},
    "os_hash_algo": {"type": ["null", "string"], "readOnly": true, "description": "Algorithm to calculate the os_hash_value", "maxLength": 64},
    "os_hash_value": {"type": ["null", "string"], "readOnly": true, "description": "Hexdigest of the image contents using the algorithm specified by the os_hash_algo", "maxLength": 128},
    "owner": {"type": ["null", "string"], "description": "Owner of the image", "maxLength": 255},
    "size": {"type": ["null", "integer"], "readOnly": true, "description": "Size of image file in bytes"},
    "virtual_size": {"type": ["null", "integer"], "readOnly": true, "description": "Virtual size of image in bytes"},
    "container_format": {"type": ["null", "string"], "description": "Format of the container", "enum": [null, "ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]},
    "disk_format": {"type": ["null", "string"], "description": "Format of the disk", "enum": [null, "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]},
    "created_at": {"type": "string", "readOnly": true, "description": "Date and time of image registration"},
    "updated_at": {"type": "string", "readOnly": true, "description": "Date and time of the last image modification"},
    "tags": {"type": "array", "description": "List of strings related to the image", "items": {"type": "string", "maxLength": 255}},
    "direct_url": {"type": "string", "readOnly": true, "description": "URL to access the image file kept in external store"},
    "min_ram": {"type": "integer", "description": "Amount of ram (in MB) required to boot image."},
    "min_disk": {"type": "integer", "description": "Amount of disk space (in GB) required to boot image."},
    "self": {"type": "string", "readOnly": true, "description": "An image self url"},
    "file": {"type": "string", "readOnly": true, "description": "An image file url"},
    "stores": {"type": "string", "readOnly": true, "description": "Store in which image data resides.  Only present when the operator has enabled multiple stores.  May be a comma-separated list of store identifiers."},
    "schema": {"type": "string", "readOnly": true, "description": "An image schema url"},
    "locations": {"type": "array", "items": {"type": "object", "properties": {"url": {"type": "string", "maxLength": 255}, "metadata": {"type": "object"}, "validation_data": {"description": "Values to be used to populate the corresponding image properties. If the image status is not 'queued', values must exactly match those already contained in the image properties.", "type": "object", "writeOnly": true, "additionalProperties": false, "properties": {"checksum": {"type": "string", "minLength": 32, "maxLength": 32}, "os_hash_algo": {"type": "string", "maxLength": 64}, "os_hash_value": {"type": "string", "maxLength": 128}}, "required": ["os_hash_algo", "os_hash_value"]}}, "required": ["url", "metadata"]}, "description": "A set of URLs to access the image file kept in external store"}
}"""), "additionalProperties": {"type": "string"},
    "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
              {"rel": "describedby", "href": "{schema}"}]}
READ_ONLY = {"status", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "created_at",
             "updated_at", "self", "file", "schema", "direct_url", "stores", "id"}
SORT_KEYS = ["name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at"]
PAGING = {"limit", "marker", "sort", "sort_key", "sort_dir", "member_status", "visibility", "os_hidden", "tag",
          "size_min", "size_max"}
DEFAULT_LIMIT, MAX_LIMIT = 25, 1000
MOUNT = "/image"  # where app.py mounts Glance
KEEP_BYTES = 16 * 1024 * 1024  # uploads up to this size can be downloaded again
PATCH_TYPES = ("application/openstack-images-v2.1-json-patch", "application/openstack-images-v2.0-json-patch")


def image_body(image: dict) -> dict:
    """The image as Glance shows it: custom properties first, then the core fields."""
    out = {k: v for k, v in image.items() if k not in CORE and k != "stores" and not k.startswith("_")}
    out.update({k: image[k] for k in CORE})
    if "stores" in image:
        out["stores"] = image["stores"]
    return out


def _visible(image: dict, project_id: str) -> bool:
    """Public and community images, the project's own, and shared ones it is a member of, whatever its member
    status (glance/db `is_image_visible`)."""
    return (image["visibility"] in ("public", "community") or image["owner"] == project_id
            or image["visibility"] == "shared" and project_id in image.get("_members", {}))


def _listed(image: dict, project_id: str, member_status: str) -> bool:
    """A list shows a shared image to a member only with this member status (`accepted` unless asked;
    `all` for any): glance/db `_select_images_query`."""
    member = image.get("_members", {}).get(project_id)
    if image["owner"] == project_id or image["visibility"] != "shared" or member is None:
        return _visible(image, project_id)
    return member_status == "all" or member["status"] == member_status


def _image(request: web.Request, image_id: str) -> dict:
    """The image as the caller finds it: an admin finds any (glance/db `is_image_visible`)."""
    image = world_of(request).images.get(image_id)
    if image is None or not (is_admin(request) or _visible(image, ctx_of(request)["project_id"])):
        raise ApiError(404, f"No image found with ID {image_id}")
    return image


def _owned(request: web.Request, image_id: str, action: str) -> dict:
    image = _image(request, image_id)
    if image["owner"] != ctx_of(request)["project_id"] and not is_admin(request):
        raise ApiError(403, f"You are not authorized to complete {action} action.")
    return image


def _schema_error(message: str) -> ApiError:
    return ApiError(400, f"Provided object does not match schema 'image': {message}")


def _check_value(key: str, value) -> None:
    """Validate one attribute against the image schema (custom properties must be strings)."""
    spec = IMAGE_SCHEMA["properties"].get(key, {"type": "string"})
    types = spec.get("type", "string")
    types = types if isinstance(types, list) else [types]
    python = {"string": str, "integer": int, "boolean": bool, "array": list, "null": type(None), "object": dict}
    if not any(isinstance(value, python[t]) and not (t == "integer" and isinstance(value, bool)) for t in types):
        raise _schema_error(f"{json.dumps(value)} is not of type {', '.join(repr(t) for t in types)}")
    if "maxLength" in spec and isinstance(value, str) and len(value) > spec["maxLength"]:
        raise _schema_error(f"{value!r} is too long")
    if "enum" in spec and value not in spec["enum"]:
        raise _schema_error(f"{value!r} is not one of {spec['enum']!r}")
    if key in ("min_ram", "min_disk") and value < 0:
        raise _schema_error(f"{value} is less than the minimum of 0")


def _set(request: web.Request, image: dict, key: str, value, *, creating: bool = False) -> None:
    if key in READ_ONLY and not (creating and key == "id"):
        raise ApiError(403, f"Attribute '{key}' is read-only.")
    # an admin may give an image to another project and make it public (glance/api/authorization.py's owner
    # check skips admins; policy publicize_image is role:admin)
    if key == "owner" and value != ctx_of(request)["project_id"] and not is_admin(request):
        raise ApiError(403, "You are not permitted to modify 'owner' on this image.")
    _check_value(key, value)
    if key == "visibility" and value == "public" and not is_admin(request):
        raise ApiError(403, "You are not authorized to complete publicize_image action.")
    image[key] = value


async def versions(request: web.Request) -> web.Response:
    base = world_of(request).base_url + "/image"
    values = [{"id": "v" + v, "status": status, "links": [{"rel": "self", "href": base + "/v2/"}]}
              for v, status in GLANCE_VERSIONS]
    return json_response({"versions": values}, 300 if request.path.rstrip("/") == MOUNT else 200)


async def list_images(request: web.Request) -> web.Response:
    world, q = world_of(request), request.query
    project, admin = ctx_of(request)["project_id"], is_admin(request)
    member_status = q.get("member_status", "accepted")
    images = [i for i in world.images.values() if admin or _listed(i, project, member_status)]  # an admin: all
    visibility = q.get("visibility")
    if visibility is None:  # community images show only when asked for, but to an admin, who lists every image
        images = [i for i in images if admin or i["visibility"] != "community" or i["owner"] == project]
    elif visibility != "all":
        images = [i for i in images if i["visibility"] == visibility]
    hidden = as_bool(q.get("os_hidden")) or False
    images = [i for i in images if i["os_hidden"] == hidden]
    for tag in q.getall("tag", []):
        images = [i for i in images if tag in i["tags"]]
    if "size_min" in q or "size_max" in q:
        low, high = int(q.get("size_min", 0)), int(q.get("size_max", 2 ** 63))
        images = [i for i in images if i["size"] is not None and low <= i["size"] <= high]
    for key, wanted in q.items():  # name, status, owner, ... and any custom property
        if key not in PAGING:
            choices = wanted[3:].split(",") if wanted.startswith("in:") else [wanted]
            images = [i for i in images if i.get(key) is not None and str(i.get(key)) in choices]
    images = _sorted(images, q)
    if "marker" in q:
        ids = [i["id"] for i in images]
        if q["marker"] not in ids:
            raise ApiError(400, f"marker {q['marker']} could not be found.")
        images = images[ids.index(q["marker"]) + 1:]
    try:
        limit = min(int(q.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
    except ValueError:
        raise ApiError(400, "limit param must be an integer") from None
    if limit < 0:
        raise ApiError(400, "limit param must be positive")
    page = images[:limit]
    query = request.query_string
    body: dict = {"images": [image_body(i) for i in page], "first": "/v2/images" + (f"?{query}" if query else ""),
                  "schema": "/v2/schemas/images"}
    if page and len(page) == limit:  # Glance offers a next page whenever this one is full
        rest = [(k, v) for k, v in q.items() if k != "marker"] + [("marker", page[-1]["id"])]
        body["next"] = "/v2/images?" + urlencode(rest)
    return json_response(body)


def _sorted(images: list[dict], q) -> list[dict]:
    if "sort" in q:
        sorts = [(s.split(":") + ["desc"])[:2] for s in q["sort"].split(",")]
    else:
        keys, dirs = q.getall("sort_key", ["created_at"]), q.getall("sort_dir", [])
        sorts = [[k, dirs[min(n, len(dirs) - 1)] if dirs else "desc"] for n, k in enumerate(keys)]
    for key, direction in reversed(sorts + [["id", "desc"]]):  # stable sorts, least significant first
        if key not in SORT_KEYS:
            raise ApiError(400, f"Invalid sort key: {key}. It must be one of the following: {', '.join(SORT_KEYS)}.")
        if direction not in ("asc", "desc"):
            raise ApiError(400, f"Invalid sort direction: {direction}")
        images.sort(key=lambda i: (i[key] is not None, i[key] if isinstance(i[key], int) else str(i[key] or "")),
                    reverse=direction == "desc")
    return images


async def show_image(request: web.Request) -> web.Response:
    return json_response(image_body(_image(request, request.match_info["image_id"])))


async def create_image(request: web.Request) -> web.Response:
    world = world_of(request)
    spec = await read_json(request, malformed="Malformed JSON in request body.")
    if not isinstance(spec, dict):
        raise ApiError(400, "Malformed JSON in request body.")
    image_id = spec.get("id")
    if image_id is not None:
        _check_value("id", image_id)
        if image_id in world.images:
            raise ApiError(409, f"Image with identifier {image_id} already exists!")
    image: dict = {}
    for key, value in spec.items():
        _set(request, image, key, value, creating=True)
    core = {k: image.pop(k) for k in ("name", "visibility", "min_disk", "min_ram", "disk_format",
                                       "container_format", "protected", "tags", "id", "os_hidden") if k in image}
    image.pop("owner", None)
    os_hidden = core.pop("os_hidden", False)
    created = _new_image(world, core.pop("name", None), ctx_of(request)["project_id"],
                         core.pop("visibility", "shared"), image, image_id=core.pop("id", None), **core)
    created["os_hidden"] = os_hidden
    location = f"{world.base_url}/image/v2/images/{created['id']}"
    return json_response(image_body(created), 201, headers={"Location": location})


async def patch_image(request: web.Request) -> web.Response:
    world = world_of(request)
    if request.content_type not in PATCH_TYPES:
        raise ApiError(415, "Unsupported Content-Type", headers={"Accept-Patch": ", ".join(PATCH_TYPES)})
    image = _owned(request, request.match_info["image_id"], "modify_image")
    changes = await read_json(request, malformed="Malformed JSON in request body.")
    if not isinstance(changes, list):
        raise ApiError(400, "Request body must be a JSON array of operation objects.")
    draft = dict(image)  # all or nothing: apply to a copy, keep it only if every change is valid
    for change in changes:
        change = change if isinstance(change, dict) else {}
        op, path = change.get("op"), change.get("path")
        if op not in ("add", "replace", "remove") or not isinstance(path, str) or not path.startswith("/"):
            raise ApiError(400, "Operation objects must contain exactly one member named \"add\", \"remove\", "
                                "or \"replace\".")
        key = path[1:].replace("~1", "/").replace("~0", "~")
        if key in READ_ONLY or key == "locations":
            raise ApiError(403, f"Attribute '{key}' is read-only.")
        is_core = key in CORE
        if op == "remove":
            if is_core:
                raise ApiError(403, f"Property {key} may not be removed.")
            if key not in draft:
                raise ApiError(409, f"Property {key} does not exist.")
            del draft[key]
            continue
        if op == "replace" and not is_core and key not in draft:
            raise ApiError(409, f"Property {key} does not exist.")
        if "value" not in change:
            raise ApiError(400, f"Operation \"{op}\" requires a member named \"value\".")
        _set(request, draft, key, change["value"])
    draft["updated_at"] = iso_z(world.now())
    image.clear()
    image.update(draft)
    return json_response(image_body(image))


async def delete_image(request: web.Request) -> web.Response:
    image = _owned(request, request.match_info["image_id"], "delete_image")
    if image["protected"]:
        raise ApiError(403, f"Image {image['id']} is protected and cannot be deleted.")
    world_of(request).images.pop(image["id"], None)
    return web.Response(status=204, content_type="text/html", charset="UTF-8")


async def upload(request: web.Request) -> web.Response:
    world = world_of(request)
    image = _owned(request, request.match_info["image_id"], "upload_image")
    if image["status"] != "queued":
        raise ApiError(409, f"Image status transition from {image['status']} to saving is not allowed")
    if not image["disk_format"] or not image["container_format"]:
        raise ApiError(400, "Properties disk_format, container_format must be set prior to saving data.")
    image["status"] = "saving"
    md5, sha512, size, kept = hashlib.md5(), hashlib.sha512(), 0, bytearray()
    async for chunk in request.content.iter_chunked(1 << 20):  # streamed: images may be large
        md5.update(chunk)
        sha512.update(chunk)
        size += len(chunk)
        if size <= KEEP_BYTES:
            kept += chunk
    if size <= KEEP_BYTES:
        image["_data"] = bytes(kept)
    _activate(world, image, size, md5.hexdigest(), sha512.hexdigest())
    return web.Response(status=204, content_type="text/html", charset="UTF-8")


async def download(request: web.Request) -> web.StreamResponse:
    image = _image(request, request.match_info["image_id"])
    data = image.get("_data")
    if data is None:  # queued, or a seeded image that never had bytes
        return web.Response(status=204)
    return web.Response(body=data, content_type="application/octet-stream",
                        headers={"Content-MD5": image["checksum"]})


async def tag(request: web.Request) -> web.Response:
    image = _owned(request, request.match_info["image_id"], "modify_image")
    value = request.match_info["tag"]
    if request.method == "PUT":
        if value not in image["tags"]:
            image["tags"].append(value)
    elif value in image["tags"]:
        image["tags"].remove(value)
    else:
        raise ApiError(404, f"Tag {value} not found.")
    image["updated_at"] = iso_z(world_of(request).now())
    return web.Response(status=204, content_type="text/html", charset="UTF-8")


async def image_schema(request: web.Request) -> web.Response:
    return json_response(IMAGE_SCHEMA)


async def images_schema(request: web.Request) -> web.Response:
    return json_response({
        "name": "images",
        "properties": {"images": {"type": "array", "items": IMAGE_SCHEMA},
                       "schema": {"type": "string"}, "first": {"type": "string"}, "next": {"type": "string"}},
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}]})


def make_app(world: World) -> web.Application:
    app = service_app(world, "glance", public={"/", "/versions"})
    app.router.add_get("/", versions)
    app.router.add_get("/versions", versions)
    app.router.add_get("/v2/images", list_images)
    app.router.add_post("/v2/images", create_image)
    app.router.add_get("/v2/images/{image_id}", show_image)
    app.router.add_patch("/v2/images/{image_id}", patch_image)
    app.router.add_delete("/v2/images/{image_id}", delete_image)
    app.router.add_put("/v2/images/{image_id}/file", upload)
    app.router.add_get("/v2/images/{image_id}/file", download)
    app.router.add_route("PUT", "/v2/images/{image_id}/tags/{tag}", tag)
    app.router.add_route("DELETE", "/v2/images/{image_id}/tags/{tag}", tag)
    from . import glance_info, glance_members, glance_metadefs  # they use this module's lookups

    for method, path, handler in (*glance_members.ROUTES, *glance_info.ROUTES, *glance_metadefs.ROUTES):
        app.router.add_route(method, path, handler)
    app.router.add_get("/v2/schemas/image", image_schema)
    app.router.add_get("/v2/schemas/images", images_schema)
    return app
