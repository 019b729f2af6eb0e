"""The demo cloud as a program: one aiohttp server on 127.0.0.1 carrying every service, plus SSH."""

from __future__ import annotations

import asyncio
import email.utils
import os
import threading
from pathlib import Path

import yaml
from aiohttp import web

from . import accounting, cinder, glance, heat, keystone, magnum, manila, neutron, nova_api, nova_consoles, swift
from .common import error_body, json_response
from .service import mount
from .world import Knobs, World

HOST = "127.0.0.1"
CLOUD_NAME = "exotui-demo"
APPCRED_CLOUD_NAME = "exotui-demo-appcred"
ALT_CLOUD_NAME = "exotui-demo-alt"  # the second member, in project alt_demo
ADMIN_CLOUD_NAME = "exotui-demo-admin"  # the admin, scoped to project admin
SYSTEM_CLOUD_NAME = "exotui-demo-system"  # the admin, system-scoped
KEY_FILE = "demo_id_ed25519"


async def _root(request: web.Request) -> web.Response:
    return json_response(error_body("keystone", 404, "The resource could not be found."), 404)


@web.middleware
async def _root_errors(request: web.Request, handler):
    """Paths outside every service get an OpenStack-style 404 too, not aiohttp's text page."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return json_response(error_body("keystone", 404, "The resource could not be found."), 404)
    except web.HTTPMethodNotAllowed:
        return json_response(error_body("keystone", 405, "The method is not allowed for the requested URL."), 405)


class DemoCloud:
    """Build, seed and serve the demo cloud on the running event loop.

    `await cloud.start()` binds 127.0.0.1 (port 0 picks a free one), seeds the world and, if
    the knobs allow, starts the instances' SSH endpoints; `await cloud.stop()` ends all of it.
    """

    def __init__(self, knobs: Knobs | None = None, port: int = 0, state_dir: Path | None = None):
        self.knobs = knobs or Knobs()
        self.port = port
        self.world = World(self.knobs)
        self.state_dir = state_dir  # where SSH home directories and keys live (a temp dir if None)
        self._runner: web.AppRunner | None = None
        self.ssh = None

    @property
    def auth_url(self) -> str:
        return keystone.auth_url(self.world)

    def build_app(self) -> web.Application:
        world = self.world
        root = web.Application(middlewares=[_root_errors], client_max_size=64 * 1024 * 1024)
        root.router.add_get("/", _root)

        async def cloud_date(_request: web.Request, response: web.StreamResponse) -> None:
            # the Date header is the cloud's clock (real APIs: their host's), so a moved clock (World.advance,
            # frozen_at) reaches the clients that read it, as exotui's poller does for changes-since
            response.headers["Date"] = email.utils.format_datetime(world.now(), usegmt=True)

        root.on_response_prepare.append(cloud_date)
        mount(root, "/identity", keystone.make_app(world))
        mount(root, "/compute", nova_api.make_app(world))
        mount(root, "/network", neutron.make_app(world))
        mount(root, "/volume", cinder.make_app(world))
        mount(root, "/image", glance.make_app(world))
        mount(root, "/accounting", accounting.make_app(world))
        mount(root, "/orchestration", heat.make_app(world))
        mount(root, "/swift", swift.make_app(world))
        mount(root, "/share", manila.make_app(world))
        mount(root, "/container-infra", magnum.make_app(world))
        mount(root, "/novnc", nova_consoles.make_proxy_app(world))
        return root

    async def start(self) -> str:
        from . import seed

        self.world.loop = asyncio.get_running_loop()
        # a stop waits at most 2 s for requests under way (aiohttp's default, 60 s, let a restart in a test
        # time out behind one request a client had given up on)
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, self.port, reuse_address=True)
        await site.start()
        port = self._runner.addresses[0][1]
        self.port = port
        self.world.base_url = f"http://{HOST}:{port}"
        seed.populate(self.world)
        swift.seed(self.world)
        manila.seed(self.world)
        if self.knobs.ssh:
            from .sshd import SSHFleet

            self.ssh = SSHFleet(self.world, self.state_dir)
            await self.ssh.start()
        return self.auth_url

    async def stop(self) -> None:
        self.world.cancel_pending()
        if self.ssh is not None:
            await self.ssh.stop()
            self.ssh = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- files a client needs ---------------------------------------------------------------

    def clouds_yaml(self, operators: bool = False) -> dict:
        """The member's two clouds; with `operators`, also the second member, the admin and the system admin
        (what `exotui demo-cloud` writes for other clients; exotui's own demo shows the member's)."""
        from .seed import DEMO_APPCRED_ID, DEMO_APPCRED_SECRET, DEMO_PASSWORD, DEMO_PROJECTS, DEMO_USER

        clouds = {
            CLOUD_NAME: {
                "auth": {"auth_url": self.auth_url, "username": DEMO_USER, "password": DEMO_PASSWORD,
                         "project_name": DEMO_PROJECTS[0][0], "user_domain_name": "Default",
                         "project_domain_name": "Default"},
                "auth_type": "password",
                "region_name": keystone.REGION,
                "interface": "public",
                "identity_api_version": 3,
                "exotui": {"ssh_port": self.world.ssh_port},
            },
            APPCRED_CLOUD_NAME: {
                "auth": {"auth_url": self.auth_url, "application_credential_id": DEMO_APPCRED_ID,
                         "application_credential_secret": DEMO_APPCRED_SECRET},
                "auth_type": "v3applicationcredential",
                "region_name": keystone.REGION,
                "interface": "public",
                "identity_api_version": 3,
                "exotui": {"ssh_port": self.world.ssh_port},  # every cloud reaches the same instances
            },
        }
        if operators:
            clouds.update(self._operator_clouds())
        return {"clouds": clouds}

    def _operator_clouds(self) -> dict:
        from .seed import ADMIN_PASSWORD, ADMIN_PROJECT, ADMIN_USER, ALT_PASSWORD, ALT_PROJECT, ALT_USER

        def entry(user: str, password: str, scope: dict) -> dict:
            return {"auth": {"auth_url": self.auth_url, "username": user, "password": password,
                             "user_domain_name": "Default", **scope},
                    "auth_type": "password", "region_name": keystone.REGION, "interface": "public",
                    "identity_api_version": 3, "exotui": {"ssh_port": self.world.ssh_port}}

        project = {"project_domain_name": "Default"}
        return {ALT_CLOUD_NAME: entry(ALT_USER, ALT_PASSWORD, {"project_name": ALT_PROJECT, **project}),
                ADMIN_CLOUD_NAME: entry(ADMIN_USER, ADMIN_PASSWORD, {"project_name": ADMIN_PROJECT, **project}),
                SYSTEM_CLOUD_NAME: entry(ADMIN_USER, ADMIN_PASSWORD, {"system_scope": "all"})}

    def write_config(self, config_dir: Path, operators: bool = False) -> Path:
        """Write DIR/clouds.yaml (private to the user) and the demo SSH key; return the yaml's path."""
        from .seed import demo_private_key_openssh

        config_dir.mkdir(parents=True, exist_ok=True)
        path = config_dir / "clouds.yaml"
        _write_private(path, yaml.safe_dump(self.clouds_yaml(operators), sort_keys=False))
        _write_private(config_dir / KEY_FILE, demo_private_key_openssh(self.world))
        return path


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


class DemoCloudThread:
    """The demo cloud served from a background thread, for synchronous callers (tests, benchmarks).

    Use as a context manager; `call(fn)` runs `fn(world)` on the cloud's loop and returns its result.
    """

    def __init__(self, knobs: Knobs | None = None, port: int = 0, state_dir: Path | None = None):
        self.cloud = DemoCloud(knobs, port, state_dir)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="demo-cloud", daemon=True)

    def __enter__(self) -> "DemoCloudThread":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.cloud.start(), self._loop).result(60)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.cloud.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def world(self) -> World:
        return self.cloud.world

    @property
    def auth_url(self) -> str:
        return self.cloud.auth_url

    def connect(self, project: str | None = None, **options):
        """An openstacksdk Connection to this cloud as the demo user (password auth), for tests
        and benchmarks that start a cloud of their own."""
        import openstack

        from .seed import DEMO_PASSWORD, DEMO_PROJECTS, DEMO_USER

        return openstack.connect(auth_url=self.auth_url, username=DEMO_USER, password=DEMO_PASSWORD,
                                 project_name=project or DEMO_PROJECTS[0][0], user_domain_name="Default",
                                 project_domain_name="Default", region_name=keystone.REGION, **options)

    def call(self, fn, *args):
        async def run():
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)


async def serve_forever(knobs: Knobs, config_dir: Path, port: int = 0, announce=print) -> None:
    """Run the demo cloud until cancelled (what `exotui demo-cloud` does)."""
    cloud = DemoCloud(knobs, port, state_dir=config_dir / "state")
    await cloud.start()
    path = cloud.write_config(config_dir, operators=True)
    announce(f"exotui demo cloud ready at {cloud.auth_url} (clouds.yaml: {path}, cloud: {CLOUD_NAME})")
    try:
        await asyncio.Event().wait()
    finally:
        await cloud.stop()
