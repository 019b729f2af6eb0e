"""Glance's discovery calls (`/v2/info/import`, `/v2/info/stores`) and its cache API as the real stack's Glance
answers them.

Held against Glance 33's glance/api/v2/discovery.py and cached_images.py, glance/common/config.py (the default
`enabled_import_methods`), and the real stack's glance-api.conf (tests/realcloud/configs.py): one store `fs`
(`enabled_backends = fs:file`, the default backend), and no `image_cache_dir` (paste flavor `keystone`, without
`cache`). So the cache API exists but is not served: after its policy (`manage_image_cache`, the admin's;
anyone else 403) it answers 404 "Caching via API is not supported at this site."
"""

from __future__ import annotations

from aiohttp import web

from .common import ApiError, json_response
from .glance import _visible
from .service import ctx_of, is_admin, world_of

IMPORT_METHODS = ["glance-direct", "web-download", "copy-image"]
STORES = [{"id": "fs", "default": "true"}]
NO_CACHE = "Caching via API is not supported at this site."


async def import_info(request: web.Request) -> web.Response:
    return json_response({"import-methods": {"description": "Import methods available.", "type": "array",
                                             "value": list(IMPORT_METHODS)}})


async def stores(request: web.Request) -> web.Response:
    return json_response({"stores": [dict(s) for s in STORES]})


def _refused(request: web.Request) -> ApiError:
    if not is_admin(request):  # webob's HTTPForbidden with no explanation of Glance's own
        return ApiError(403, "Access was denied to this resource.")
    return ApiError(404, NO_CACHE)


async def cache(request: web.Request) -> web.Response:
    raise _refused(request)


async def cache_entry(request: web.Request) -> web.Response:
    """PUT queues (the image looked up first), DELETE removes: both refused here."""
    image_id = request.match_info["image_id"]
    image = world_of(request).images.get(image_id)
    if request.method == "PUT" and (image is None or not (is_admin(request)
                                                          or _visible(image, ctx_of(request)["project_id"]))):
        raise ApiError(404, f"Image {image_id} not found.")
    raise _refused(request)


ROUTES = [
    ("GET", "/v2/info/import", import_info), ("GET", "/v2/info/stores", stores),
    ("GET", "/v2/cache", cache), ("DELETE", "/v2/cache", cache),
    ("PUT", "/v2/cache/{image_id}", cache_entry), ("DELETE", "/v2/cache/{image_id}", cache_entry),
]
