"""The HTTP side of the demo cloud's Neutron v2.0: handlers over the model in `neutron`."""

from __future__ import annotations

from aiohttp import web

from .common import json_response
from .service import service_app, world_of
from .world import World


async def versions(request: web.Request) -> web.Response:
    base = world_of(request).base_url + "/network"
    return json_response({"versions": [{"id": "v2.0", "status": "CURRENT",
                                        "links": [{"rel": "self", "href": base + "/v2.0/"}]}]})


def build_app(world: World) -> web.Application:
    app = service_app(world, "neutron", public={"/"})
    app.router.add_get("/", versions)
    return app
