"""Jetstream2's accounting API as the demo cloud serves it: SUs allocated and used per resource."""

from __future__ import annotations

from aiohttp import web

from .common import json_response
from .service import ctx_of, service_app, world_of
from .world import World


async def allocations(request: web.Request) -> web.Response:
    """GET with a project token: the project's allocations, one per ACCESS resource."""
    world = world_of(request)
    return json_response(world.accounting.get(ctx_of(request)["project_id"], []))


def make_app(world: World) -> web.Application:
    app = service_app(world, "keystone")
    app.router.add_get("/", allocations)
    return app
