"""Every kind has a view (`:alias`), a detail (`d`/enter) and raw YAML (`y`) with the cloud's own fields;
related items are links that open their detail; the header stays (hostile names: tests/hardening/)."""

from __future__ import annotations

from textual.widgets import OptionList, TextArea

from exotui.demo import cinder, neutron, nova_groups
from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.screens.kind_detail import KindDetail
from exotui.ui.screens.yaml_view import YamlScreen
from exotui.ui.widgets.crumb import ScreenCrumb
from exotui.ui.widgets.projects import ProjectsView
from exotui.ui.widgets.table import ResourceTable
from exotui.ui.widgets.views import ALIASES

from waiting import highlighted_command  # beside this file (tests/ui/conftest.py puts it on the path)

# every kind a view shows, by the alias typed after ':'
KINDS = {"servers": "servers", "volumes": "vol", "networks": "net", "floating_ips": "fips",
         "security_groups": "sg", "images": "images", "keypairs": "keypairs", "routers": "routers",
         "subnets": "subnets", "ports": "ports", "volume_snapshots": "snapshots", "server_groups": "servergroups",
         "projects": "projects"}


def body_text(screen) -> str:
    body = screen.query_one("#kind-body", OptionList)
    return "\n".join(str(body.get_option_at_index(i).prompt) for i in range(body.option_count))


async def open_view(ui, alias: str) -> ResourceTable:
    await ui.pilot.press("colon", *alias, "enter")
    view = next(view for view, names in ALIASES.items() if alias in names)
    await ui.until(lambda: ui.app.current_view == view, what=f":{alias}")
    table = ui.app.query_one(f"#table-{view}", ResourceTable)
    if view != "projects":
        ui.project.poller.kick(view)
    await ui.until(lambda: table.shown, what=f"rows in {view}")
    return table


async def back_to_views(ui) -> None:
    await ui.pilot.press("escape")
    await ui.until(lambda: len(ui.app.screen_stack) == 1, what="back to the views")


async def seed_kinds(ui, name: str) -> dict[str, str]:
    """An instance with a volume attached, a snapshot of it, a server group holding it and a floating IP on its
    port, made in the demo world behind the app's back: every kind then has a row. Their IDs by kind."""
    sid = await ui.boot(name)

    def make(world) -> dict[str, str]:
        project = ui.project.key.project_id
        user = world.servers[sid]["user_id"]
        volume = cinder.create_volume(world, project, f"{name}-vol", 1, instant=True)
        cinder.attach(world, volume["id"], sid, "/dev/vdb", instant=True)
        snapshot = cinder.create_snapshot(world, volume, f"{name}-snap")
        group = nova_groups.create_group(world, project, user, f"{name}-group", "anti-affinity")
        group["members"].append(sid)
        port = neutron.device_ports(world, sid)[0]
        public = next(n for n in world.networks.values() if n.get("router:external"))
        fip = neutron.create_floating_ip(world, project, public["id"], port_id=port["id"])
        return {"servers": sid, "volumes": volume["id"], "volume_snapshots": snapshot["id"],
                "server_groups": group["id"], "floating_ips": fip["id"], "ports": port["id"]}

    made = ui.demo.call(make, ui.demo.world)
    ui.project.poller.kick("volumes", "volume_snapshots", "server_groups", "floating_ips", "ports")
    return made


def unseed(ui, made: dict[str, str]) -> None:
    def clean(world):
        world.server_groups.pop(made["server_groups"], None)
        world.snapshots.pop(made["volume_snapshots"], None)
        neutron.delete_floating_ip(world, made["floating_ips"])
        cinder.detach(world, made["volumes"], made["servers"], instant=True)
        world.volumes.pop(made["volumes"], None)

    ui.demo.call(clean, ui.demo.world)


async def test_every_kind_has_a_view_a_detail_and_yaml(open_ui):
    async with open_ui((80, 24)) as ui:
        made = await seed_kinds(ui, "ui-kinds")
        try:
            await walk_every_kind(ui)
        finally:
            unseed(ui, made)


async def walk_every_kind(ui) -> None:
    for kind, alias in KINDS.items():
        table = await open_view(ui, alias)
        ident = table.current_id
        assert ident, kind
        await ui.pilot.press("d")
        wanted = InstanceDetail if kind == "servers" else KindDetail
        await ui.until(lambda: isinstance(ui.app.screen, wanted), what=f"the {kind} detail")
        screen = ui.app.screen
        if kind != "servers":
            await ui.until(lambda: screen.query_one("#kind-body", OptionList).option_count, what="fields")
        crumb = screen.query_one(ScreenCrumb)  # the header stays on every detail (the instance's too)
        await ui.until(lambda: ui.project.key.project_name in str(crumb.render()), what="the header")
        await ui.pilot.press("y")  # from the detail too
        await ui.until(lambda: isinstance(ui.app.screen, YamlScreen), what=f"{kind} YAML")
        yaml_screen = ui.app.screen
        area = yaml_screen.query_one("#yaml-body", TextArea)
        expected = ident if kind != "projects" else ui.app.query_one(ProjectsView).rows[ident].project
        await ui.until(lambda: expected in area.text, what=f"{kind}'s fields in the YAML")
        await ui.pilot.press("escape")
        await ui.until(lambda: ui.app.screen is screen, what="back to the detail")
        await back_to_views(ui)
        await ui.pilot.press("y")  # and straight from the view
        await ui.until(lambda: isinstance(ui.app.screen, YamlScreen), what=f"{kind} YAML from the view")
        await back_to_views(ui)
        if kind not in ("servers", "projects"):  # enter describes as d does (projects: enter makes it current)
            await ui.pilot.press("enter")
            await ui.until(lambda: isinstance(ui.app.screen, KindDetail), what=f"the {kind} detail by enter")
            await back_to_views(ui)


def link_index(screen, kind: str, ident: str) -> int:
    body = screen.query_one("#kind-body", OptionList)
    wanted = f"{kind}\t{ident}"
    return next(i for i in range(body.option_count) if body.get_option_at_index(i).id == wanted)


async def follow_link(ui, kind: str, ident: str) -> KindDetail:
    """Move the cursor onto a link with the arrow keys (no Tab) and open it with enter."""
    screen = ui.app.screen
    body = screen.query_one("#kind-body", OptionList)
    await ui.until(lambda: any(body.get_option_at_index(i).id == f"{kind}\t{ident}"
                               for i in range(body.option_count)), what=f"a link to the {kind}")
    target = link_index(screen, kind, ident)
    await ui.pilot.press("home")
    while body.highlighted is not None and body.highlighted < target:
        await ui.pilot.press("down")
    assert body.highlighted == target and ui.app.focused is body, "reached with the arrow keys alone"
    await ui.pilot.press("enter")
    await ui.until(lambda: isinstance(ui.app.screen, KindDetail) and ui.app.screen.ident == ident,
                   what=f"the linked {kind}'s detail")
    return ui.app.screen


async def test_related_items_are_links_that_open_their_detail(open_ui):
    async with open_ui((80, 24)) as ui:
        made = await seed_kinds(ui, "ui-links")
        try:
            store = ui.store
            await ui.until(lambda: all(store.item(k, i) is not None for k, i in made.items()), what="the new items")
            ui.point_at(made["servers"])
            await ui.pilot.press("d")
            await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="the instance detail")
            await ui.pilot.press("o")  # the instance's fields and links
            await ui.until(lambda: isinstance(ui.app.screen, KindDetail), what="the instance's links")
            text = body_text(ui.app.screen)
            assert "Volume: ui-links-vol /dev/vdb" in text and "Server group: ui-links-group" in text
            assert "Security group: default" in text and "Network: auto_allocated_network" in text
            assert "Port: " in text and "Floating IP: " in text
            volume = await follow_link(ui, "volumes", made["volumes"])
            assert "Instance: ui-links /dev/vdb" in body_text(volume)  # a volume's instance
            assert "Volume snapshot: ui-links-snap" in body_text(volume)
            snapshot = await follow_link(ui, "volume_snapshots", made["volume_snapshots"])
            assert "Volume: ui-links-vol" in body_text(snapshot)
            assert ui.project.key.project_name in str(snapshot.query_one(ScreenCrumb).render()), "the header stays"
            await ui.pilot.press("escape", "escape", "escape")
            await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="back, one screen at a time")
            await ui.pilot.press("escape")
            # a port's device; a group's members
            await open_view(ui, "ports")
            ui.point_at(made["ports"], "ports")
            await ui.pilot.press("d")
            await ui.until(lambda: isinstance(ui.app.screen, KindDetail), what="the port detail")
            assert "Instance: ui-links (device)" in body_text(ui.app.screen)
            await back_to_views(ui)
            await open_view(ui, "servergroups")
            ui.point_at(made["server_groups"], "server_groups")
            await ui.pilot.press("enter")
            await ui.until(lambda: isinstance(ui.app.screen, KindDetail), what="the server group detail")
            await ui.pilot.press("home", "end", "enter")  # the last line: its one member
            await ui.until(lambda: isinstance(ui.app.screen, InstanceDetail), what="a member's instance detail")
            assert ui.app.screen.server_id == made["servers"]
        finally:
            unseed(ui, made)


async def test_a_rules_remote_group_reads_by_name_and_links(open_ui):
    async with open_ui((80, 24)) as ui:
        groups = ui.store.get("security_groups").values()
        group = next(g for g in groups if any(r.remote_group_id for r in g.rules))
        remote = next(r.remote_group_id for r in group.rules if r.remote_group_id)
        await open_view(ui, "sg")
        ui.point_at(group.id, "security_groups")
        await ui.pilot.press("d")
        await ui.until(lambda: isinstance(ui.app.screen, KindDetail), what="the group detail")
        text = body_text(ui.app.screen)
        remote_name = ui.store.item("security_groups", remote).name
        assert f"from group {remote_name} " in text and f"group {remote[:8]}" not in text
        await follow_link(ui, "security_groups", remote)


async def test_yaml_scrolls_and_searches_without_tab_and_hides_the_passphrase(open_ui):
    async with open_ui((80, 24)) as ui:
        sid = await ui.boot("ui-yaml")

        def exosphere_built(world):
            world.servers[sid]["tags"].append("exoPw:correct-horse-battery")
            world.servers[sid]["metadata"]["exouserPassword"] = "old-secret"

        ui.demo.call(exosphere_built, ui.demo.world)
        ui.point_at(sid)
        await ui.pilot.press("y")
        await ui.until(lambda: isinstance(ui.app.screen, YamlScreen), what="the YAML")
        area = ui.app.screen.query_one("#yaml-body", TextArea)
        await ui.until(lambda: f"id: {sid}" in area.text, what="the instance's own fields")
        assert "exoPw:<hidden" in area.text and "correct-horse" not in area.text and "old-secret" not in area.text
        assert "OS-EXT-STS:vm_state" in area.text, "Nova's own field names"
        assert ui.app.focused is area, "scrolls with no Tab first"
        await ui.pilot.press("pagedown")
        await ui.until(lambda: area.scroll_y > 0, what="a page down")
        await ui.pilot.press("slash", *"href", "enter")
        await ui.until(lambda: area.selected_text.lower() == "href", what="the search's match selected")
        first = area.selection
        await ui.pilot.press("n")
        await ui.until(lambda: area.selection != first, what="the next match")
        assert area.selected_text.lower() == "href"
        await ui.pilot.press("slash", *"no-such-text", "enter")
        assert area.selected_text.lower() == "href", "a search that finds nothing leaves the cursor"
        await ui.pilot.press("escape")
        await ui.until(lambda: len(ui.app.screen_stack) == 1, what="back to the views")


async def test_the_palette_offers_the_new_views(open_ui):
    async with open_ui((80, 24)) as ui:
        await ui.pilot.press("ctrl+p")
        await ui.until(lambda: ui.app.screen.id == "--command-palette", what="the palette")
        await ui.pilot.press(*"snapshots")
        await ui.until(lambda: "Volume snapshots" in highlighted_command(ui.app.screen), what="the view offered")
        await ui.pilot.press("enter")
        await ui.until(lambda: ui.app.current_view == "volume_snapshots", what="the snapshots view")
