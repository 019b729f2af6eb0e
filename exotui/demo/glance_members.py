"""Glance's image members (`/v2/images/{id}/members`): the owner shares a `shared` image with a project, the
project accepts or rejects it, the owner lists and removes members.

Held against Glance 33's code: glance/api/v2/image_members.py (controller, deserializer, serializer),
glance/domain ImageMembership (statuses pending, accepted, rejected; a new member is pending),
glance/db/__init__.py ImageMemberRepo and glance/policies/image.py with `enforce_new_defaults` on: add and
delete are the owner's project members' (or an admin's), modify is the member project's own (or an admin's:
an owner may not accept its own image), get the owner's readers' or the member's. A member project finds the
image whatever its status; lists show it once accepted (glance.py `_listed`).
Members live on their image, in `image["_members"]` (member project id -> membership).
"""

from __future__ import annotations

from aiohttp import web

from .common import ApiError, iso_z, json_response, read_json
from .glance import _visible
from .service import ctx_of, is_admin, world_of

STATUSES = ("pending", "accepted", "rejected")
MEMBER_QUOTA = 128  # glance-api.conf image_member_quota


def _lookup(request: web.Request) -> dict:
    image_id = request.match_info["image_id"]
    image = world_of(request).images.get(image_id)
    if image is None or not (is_admin(request) or _visible(image, ctx_of(request)["project_id"])):
        raise ApiError(404, f"Image {image_id} not found.")
    return image


def _member_of(image: dict, request: web.Request) -> str | None:
    """ImageTarget's member_id: the caller's project when it found a shared image it does not own."""
    project = ctx_of(request)["project_id"]
    return project if image["visibility"] == "shared" and image["owner"] != project else None


def _owner_member(request: web.Request, image: dict) -> bool:
    return is_admin(request) or image["owner"] == ctx_of(request)["project_id"]


def _view(membership: dict) -> dict:
    return {"member_id": membership["member_id"], "image_id": membership["image_id"], "status": membership["status"],
            "created_at": membership["created_at"], "updated_at": membership["updated_at"],
            "schema": "/v2/schemas/member"}


def _readable(request: web.Request, image: dict) -> list[dict]:
    """image_member_find: an admin and the owner see every membership, a member its own."""
    memberships = list(image.get("_members", {}).values())
    if _owner_member(request, image):
        return memberships
    return [m for m in memberships if m["member_id"] == ctx_of(request)["project_id"]]


def _find_member(request: web.Request, image: dict) -> dict:
    member_id = request.match_info["member_id"]
    found = next((m for m in _readable(request, image) if m["member_id"] == member_id), None)
    if found is None:
        raise ApiError(404, f"{member_id} not found in the member list of the image {image['id']}.")
    return found


async def add_member(request: web.Request) -> web.Response:
    world, image_id = world_of(request), request.match_info["image_id"]
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a member in the form: {\"member\": \"image_id\"}")
    if "member" not in body:
        raise ApiError(400, "Member to be added not specified")
    member_id = body["member"]
    if not member_id:
        raise ApiError(400, "Member can't be empty")
    image = _lookup(request)
    if image["visibility"] != "shared" or not _owner_member(request, image):
        raise ApiError(403, f"Not allowed to create members for image {image_id}.")
    members = image.setdefault("_members", {})
    if member_id in members:
        raise ApiError(409, f"Member {member_id} is duplicated for image {image_id}")
    if len(members) >= MEMBER_QUOTA:
        raise ApiError(413, f"Image member limit exceeded for image {image_id}: The limit has been exceeded on the "
                            f"number of allowed image members for this image. Attempted: {len(members) + 1}, "
                            f"Maximum: {MEMBER_QUOTA}:")
    now = iso_z(world.now())
    members[str(member_id)] = {"member_id": str(member_id), "image_id": image_id, "status": "pending",
                               "created_at": now, "updated_at": now}
    return json_response(_view(members[str(member_id)]))


async def update_member(request: web.Request) -> web.Response:
    image_id = request.match_info["image_id"]
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "Expected a status in the form: {\"status\": \"status\"}")
    if "status" not in body:
        raise ApiError(400, "Status not specified")
    image = _lookup(request)
    if image["visibility"] != "shared":
        raise ApiError(403, f"Not allowed to update members for image {image_id}.")
    membership = _find_member(request, image)
    # modify_member: an admin, or the member project itself (ImageTarget's member_id)
    if not (is_admin(request) or _member_of(image, request) == membership["member_id"]):
        raise ApiError(403, f"Not allowed to update members for image {image_id}.")
    if body["status"] not in STATUSES:
        raise ApiError(400, 'Incorrect request: Status must be "pending", "accepted" or "rejected".')
    membership.update(status=body["status"], updated_at=iso_z(world_of(request).now()))
    return json_response(_view(membership))


async def list_members(request: web.Request) -> web.Response:
    image = _lookup(request)
    if image["visibility"] != "shared":
        raise ApiError(403, f"Not allowed to list members for image {image['id']}: Only shared images have "
                            "members.")
    return json_response({"members": [_view(m) for m in _readable(request, image)], "schema": "/v2/schemas/members"})


async def show_member(request: web.Request) -> web.Response:
    image = _lookup(request)
    if image["visibility"] != "shared":
        raise ApiError(404, "Only shared images have members.")
    return json_response(_view(_find_member(request, image)))


async def remove_member(request: web.Request) -> web.Response:
    image = _lookup(request)
    image_id = image["id"]
    if image["visibility"] != "shared":
        raise ApiError(403, f"Not allowed to delete members for image {image_id}.")
    membership = _find_member(request, image)
    if not _owner_member(request, image):
        raise ApiError(403, f"Not allowed to delete members for image {image_id}.")
    del image["_members"][membership["member_id"]]
    return web.Response(status=204, content_type="text/html", charset="UTF-8")


ROUTES = [
    ("GET", "/v2/images/{image_id}/members", list_members), ("POST", "/v2/images/{image_id}/members", add_member),
    ("GET", "/v2/images/{image_id}/members/{member_id}", show_member),
    ("PUT", "/v2/images/{image_id}/members/{member_id}", update_member),
    ("DELETE", "/v2/images/{image_id}/members/{member_id}", remove_member),
]
