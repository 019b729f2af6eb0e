"""Instance usage on the dashboard (issue 20 item 5, UI): the app follows the project on screen with one
console tail per reporting instance a poll, probes the others a few at a time (a silent one by a short tail,
then seldom), flags a day-idle instance as a shelve candidate with the SU/h shelving saves, and shows CPU%
in the wide view. On a demo cloud of its own: the test moves its clock a day on."""

from __future__ import annotations

import pytest
from waiting import until  # beside this file (tests/ui/conftest.py puts it on the path)

from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.usage import PROBE_LINES
from exotui.cloud.usage_watch import SELDOM, STRIKES
from exotui.demo import nova
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs
from exotui.ui.app import ExotuiApp
from exotui.ui.widgets.table import ResourceTable

SEEDED = "BIO230045"


@pytest.fixture()
def own_cloud(tmp_path):
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=3, ssh=False, token_lifetime=10 * 86400),
                         state_dir=tmp_path / "state") as cloud:
        yield cloud, cloud.cloud.write_config(tmp_path)


def _quiet_vm(world) -> str:
    """An ACTIVE instance without Exosphere's reporter: its console has a boot log and no usage line."""
    project = next(p for p in world.projects.values() if p["name"] == SEEDED)
    flavors = {f["name"]: f["id"] for f in world.flavors.values()}
    image = next(i["id"] for i in world.images.values() if i["name"] == "Featured-Ubuntu24")
    network = next(n for n in world.networks.values()
                   if n["project_id"] == project["id"] and not n.get("router:external"))
    server = nova.boot(world, project["id"], next(iter(world.users)), "quiet-vm", flavors["m3.small"], image,
                       [network["id"]], key_name="exotui-demo", security_groups=["default"], status="ACTIVE")
    return server["id"]


async def test_usage_is_followed_at_a_minute_s_cost_and_a_day_idle_instance_is_a_shelve_candidate(own_cloud):
    demo, clouds_yaml = own_cloud
    quiet = demo.call(_quiet_vm, demo.world)
    profile = find_profile(load_profiles(config_file=clouds_yaml), CLOUD_NAME)
    from exotui.cloud.workspace import Workspace

    app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.1, idle=0.5)))
    notes: list[str] = []
    async with app.run_test(size=(160, 30)) as pilot:
        await until(pilot, lambda: app.project is not None and app.project.store.state("servers").loaded
                    and quiet in app.project.store.get("servers"), what="the seeded project")
        project = app.project
        assert project.key.project_name == SEEDED
        usage = app.usage
        usage.clock = lambda: demo.world.now().timestamp()
        app.notify = lambda message, **kw: notes.append(message)
        asked: list[tuple[str, object]] = []  # (server ID, length) of each console read
        request = project.session.request

        async def recording(service, method, path, **kw):
            body = kw.get("json") or {}
            if "os-getConsoleOutput" in body:
                asked.append((path.split("/")[2], body["os-getConsoleOutput"].get("length")))
            return await request(service, method, path, **kw)

        project.session.request = recording
        names = {s.id: s.name for s in project.store.get("servers").values()}
        ids = {name: sid for sid, name in names.items()}
        watcher = usage.watcher(project)
        await until(pilot, lambda: watcher.series(ids["web-frontend"]) and watcher.series(ids["gpu-training"]),
                    what="the first poll, by the app's own timer")
        await app.workers.wait_for_complete()
        active = {s.id for s in project.store.get("servers").values() if s.status == "ACTIVE"}
        assert {sid for sid, _ in asked} == active, "every running instance read once, the stopped ones never"
        assert all(length is None for _, length in asked), "the first read of each is its whole log"

        # later polls: a reporter by a tail; the quiet one by a short tail, then not at all for SELDOM polls
        for n in range(STRIKES + 2):
            demo.call(demo.world.advance, 60)
            asked.clear()
            await usage.poll()
            reporters = [length for sid, length in asked if sid != quiet]
            assert len(reporters) == len(active) - 1 and all(length is not None and length < 20 for length in reporters)
            quiet_reads = [length for sid, length in asked if sid == quiet]
            assert quiet_reads == ([PROBE_LINES] if n < STRIKES - 1 else []), (n, quiet_reads)
        assert usage.polls < SELDOM

        # the wide view's CPU% column
        app.action_wide()
        await pilot.pause()
        row = app.screen_stack[0].query_one("#table-servers", ResourceTable)
        row.cursor = row.shown.index(ids["bigmem-assembly"])
        line = "".join(seg.text for seg in row.render_line(row.cursor - row.scroll_offset.y + 1))
        assert "CPU%" in "".join(seg.text for seg in row.render_line(0)) and "%" in line.split("r3.large")[1]

        # a day on: web-frontend (idle all along) is a candidate, said once, with the SU/h it would save
        for _ in range(2):
            demo.call(demo.world.advance, 12 * 3600)
            await usage.poll()
        candidates = {server.name: idle for server, idle in watcher.shelve_candidates(
            project.store.get("flavors").values())}
        assert list(candidates) == ["web-frontend"] and candidates["web-frontend"].su_per_hour_saved == 2
        assert [n for n in notes if "web-frontend" in n and "2 SU/h" in n], notes
        await until(pilot, lambda: "SHELVE -2SU/h" in "".join(
            seg.text for seg in row.render_line(row.shown.index(ids["web-frontend"]) - row.scroll_offset.y + 1)),
            what="the candidate flagged in the CPU% column")
