"""Pilot fixtures: the dashboard on the session's demo cloud, opened on a project of the test's choosing,
with helpers to make servers in the demo world, see what the screen shows and what was sent."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.workspace import Workspace
from exotui.demo import neutron, nova
from exotui.demo.app import CLOUD_NAME
from exotui.ui.app import ExotuiApp
from exotui.ui.widgets.table import ResourceTable

# tests/ui's helper module, also when tests/ssh/conftest.py loads this file by its path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from waiting import until  # noqa: E402

# the demo's second project: its few seeded servers leave the 20-instance quota to these tests
UI_PROJECT = "CIS240112"


class DemoUI:
    """The app, its pilot, the project under test, and what its session sent to the cloud."""

    def __init__(self, app: ExotuiApp, pilot, demo) -> None:
        self.app = app
        self.pilot = pilot
        self.demo = demo
        self.project = app.project
        self.sent: list[tuple[str, str, str]] = []
        self.booted: list[str] = []
        self.fips_before = set(demo.call(lambda world: list(world.floatingips), demo.world))
        request = self.project.session.request

        async def recording(service, method, path, **kw):
            self.sent.append((service, method, path))
            return await request(service, method, path, **kw)

        self.project.session.request = recording

    @property
    def store(self):
        return self.project.store

    def world_server(self, sid: str) -> dict:
        return self.demo.world.servers[sid]

    def flavor_id(self, name: str) -> str:
        return next(f.id for f in self.store.get("flavors").values() if f.name == name)

    async def boot(self, name: str, flavor: str = "m3.small", status: str = "ACTIVE") -> str:
        """A settled server made in the demo world behind the app's back; waits until the table has it."""
        return (await self.boot_many([name], flavor, status))[0]

    async def boot_many(self, names: list[str], flavor: str = "m3.small", status: str = "ACTIVE") -> list[str]:
        """`boot` for several servers at once (the demo world's quota is not asked): one call, one poll."""

        def make(world):
            project = next(p for p in world.projects.values() if p["name"] == UI_PROJECT)
            flavors = {f["name"]: f["id"] for f in world.flavors.values()}
            image = next(i["id"] for i in world.images.values() if i["name"] == "Featured-Ubuntu24")
            network = next(n for n in world.networks.values() if n["project_id"] == project["id"]
                           and n["name"] == "auto_allocated_network")
            return [nova.boot(world, project["id"], next(iter(world.users)), name, flavors[flavor], image,
                              [network["id"]], key_name="exotui-demo", security_groups=["default"],
                              status=status)["id"] for name in names]

        ids = self.demo.call(make, self.demo.world)
        self.booted.extend(ids)
        self.project.poller.kick("servers")
        table = self.app.query_one("#table-servers", ResourceTable)
        await until(self.pilot, lambda: all(sid in table.shown for sid in ids), what=f"{names[0]}… in the table")
        return ids

    async def until(self, condition, timeout: float = 15.0, what: str = "") -> None:
        await until(self.pilot, condition, timeout, what)

    def point_at(self, item_id: str, view: str = "servers") -> ResourceTable:
        """Put the cursor of a view's table on a row (and the focus on the table)."""
        table = self.app.query_one(f"#table-{view}", ResourceTable)
        table.cursor = table.shown.index(item_id)
        table.focus()
        return table

    def row_text(self, item_id: str, view: str = "servers") -> str:
        """One row as drawn (the cursor moves onto it, so it is on screen)."""
        table = self.point_at(item_id, view)
        return "".join(seg.text for seg in table.render_line(table.cursor - table.scroll_offset.y + 1))

    def actions_sent(self, server_id: str) -> list[tuple[str, str, str]]:
        return [s for s in self.sent if f"/servers/{server_id}" in s[2] and s[1] in ("POST", "DELETE")]

    def cleanup(self) -> None:
        def clean(world):  # the demo cloud is the session's: give the quota back
            for sid in self.booted:
                server = world.servers.get(sid)
                if server is not None and not server["_deleted"]:
                    nova.delete(world, server)
            # floating IPs the test allocated too (launch's "floating IP", the flows): the UI project's quota
            # of them ran out when the files sharing a worker's demo cloud came in another order (two workers)
            for fip_id in set(world.floatingips) - self.fips_before:
                neutron.delete_floating_ip(world, fip_id)

        self.demo.call(clean, self.demo.world)


@pytest.fixture()
def open_ui(demo, demo_dir):
    """`async with open_ui() as ui:` the app at 80x24 on the UI project, its servers loaded."""

    @contextlib.asynccontextmanager
    async def opened(size: tuple[int, int] = (80, 24), *, readonly: bool = False, clouds_yaml: Path | None = None,
                     usage: bool = False):
        """`readonly`: as `exotui --readonly`; `clouds_yaml`: another config for the demo cloud; `usage`: the
        app reads instance usage (console tails, POSTs) as it does for users, else none of it is sent."""
        profile = find_profile(load_profiles(config_file=clouds_yaml or Path(demo_dir) / "clouds.yaml"), CLOUD_NAME)
        app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5), readonly=readonly))
        app.read_usage = usage  # before the first project is shown: its first reads would be counted
        ui = None
        try:
            async with app.run_test(size=size) as pilot:
                workspace = app.workspace

                def project():
                    return next((p for p in workspace.projects if p.key.project_name == UI_PROJECT), None)

                await until(pilot, lambda: project() is not None and project().store.state("servers").loaded
                            and project().store.state("flavors").loaded, what="the project to load")
                app.select_project(project())
                app.usage.paused = not usage
                await pilot.pause()
                ui = DemoUI(app, pilot, demo)
                yield ui
        finally:
            if ui is not None:  # after the app has stopped polling
                ui.cleanup()

    return opened


@pytest.fixture()
def clouds_yaml_with(demo_dir, tmp_path):
    """`clouds_yaml_with({"readonly": True})`: the demo's clouds.yaml with these `exotui:` settings for its cloud."""
    import yaml

    def write(settings: dict) -> Path:
        config = yaml.safe_load((Path(demo_dir) / "clouds.yaml").read_text())
        config["clouds"][CLOUD_NAME].setdefault("exotui", {}).update(settings)
        path = tmp_path / "clouds.yaml"
        path.write_text(yaml.safe_dump(config))
        path.chmod(0o600)
        return path

    return write
