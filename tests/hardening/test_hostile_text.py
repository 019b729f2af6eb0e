"""One trust boundary for cloud text (issue 15): with hostile strings in every text field of a demo cloud
(names, descriptions, metadata, tags, image properties, fault messages, network names, project names), the
main screens and dialogs are rendered and the bytes the app writes to the terminal are checked: no control
sequence, bidi control or zero-width character came from cloud data, and markup in names is shown as text.
`exotui doctor NAME` (text and --json) is checked the same way on what it prints.

The app runs under Pilot with its headless driver swapped for one that keeps what Textual writes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Static, TextArea

from exotui.cloud.models import Image, SecurityGroup, Server, printable
from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs
from exotui.ui.app import ExotuiApp
from exotui.ui.screens.allocations import UnitsScreen, open_units
from exotui.ui.screens.detail import InstanceDetail
from exotui.ui.screens.doctor import DoctorScreen
from exotui.ui.screens.kind_detail import KindDetail
from exotui.ui.screens.search import SearchScreen
from exotui.ui.dialogs.forward import ForwardDialog
from exotui.ui.screens.sessions import SessionsScreen
from exotui.ui.screens.yaml_view import YamlScreen
from exotui.ui.widgets.table import ResourceTable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from waiting import down_to_an_instance, until  # noqa: E402

HOSTILE = [
    "t2\x1b[2J",  # wipes the screen
    "\x1b]0;pwned\x07",  # rewrites the terminal's title
    "[bold]markup[/]",  # Textual/Rich markup
    "evil\u202egpj.exe",  # bidi override
    "zero\u200bwidth\u2066iso\u2069\u200emark\ufeff",
    "nl1\nnl2\r\t\x00\x7f\x85\x9b31m\x1bPdcs\x1b\\",  # C0, DEL, C1 (8-bit CSI), DCS
    "L" * 2500 + "\x1b[31m" + "R" * 2500,  # 5,000 characters, an escape in the middle
]
# what may never reach the terminal from cloud text (the app's own sequences are taken out first)
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
FORBIDDEN = re.compile(f"{CONTROLS.pattern}|{INVISIBLE.pattern}")
# Textual's own output: SGR, cursor moves, synchronized output, cursor visibility, OSC 8 links, OSC 22 pointer
OWN = re.compile(r"\x1b\]22;[a-z-]*\x07|\x1b\[[0-9;:]*m|\x1b\[\d+;\d+H|\x1b\[\d*[ABCDGKJ]|\x1b\[\?\d+[hl]|\x1b\]8;[^\x1b]*\x1b\\|\r\n|\n")
PROJECT = "BIO230045"


class CapturingDriver(HeadlessDriver):
    """Pilot's driver, but the app renders to it as to a terminal and every write is kept."""

    written: list[str]

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        self.written.append(data)


def poison(world) -> str:
    """Hostile text in every text field of the demo world; returns the UI project's id."""
    turn = iter(range(10**6))

    def bad() -> str:
        return HOSTILE[next(turn) % len(HOSTILE)]

    project_id = next(p["id"] for p in world.projects.values() if p["name"] == PROJECT)
    # the session logs in by PROJECT's name: the hostile project name is another project of the user's
    user = next(iter(world.users))
    member = next(r["id"] for r in world.roles.values() if r["name"] == "member")
    world.projects["h" * 32] = {"id": "h" * 32, "name": "P\x1b]0;pwned\x07\u202e[b]x", "domain_id": "default",
                                "description": bad()}
    world.assignments.append((user, "h" * 32, member))
    for table in (world.servers, world.networks, world.subnets, world.routers, world.ports, world.floatingips,
                  world.security_groups, world.security_group_rules, world.volumes, world.images, world.snapshots,
                  world.server_groups):
        for item in table.values():
            if "name" in item and table is not world.security_group_rules:
                item["name"] = bad()
            if "description" in item:
                item["description"] = bad()
    for n, network in enumerate(world.networks.values()):  # the names in every server's addresses
        network["name"] = HOSTILE[n % 2] + f"-{n}"
    for server in world.servers.values():
        server["metadata"] = {bad(): bad(), "k": bad()}
        server["tags"] = [bad(), bad()]
        server["locked_reason"] = bad()
        server["fault"] = {"code": 500, "created": "2024-01-01T00:00:00Z", "message": bad()}
        server["_addresses"] = None  # Nova's info cache: refilled with the networks' hostile names
        server["key_name"] = bad()
        server["hostname"] = bad()
    for actions in world.instance_actions.values():  # the detail's History tab
        for action in actions:
            action["action"], action["message"], action["user_id"] = bad(), bad(), bad()
            for event in action["events"]:
                event["event"], event["result"], event["details"] = bad(), bad(), bad()
    for image in world.images.values():
        image["os_distro"], image["default_user"], image[bad()[:40]] = bad(), bad(), bad()
    for keypair in world.keypairs.values():
        keypair["name"] = bad()
    for flavor in world.flavors.values():
        flavor["description"] = bad()
        flavor.setdefault("extra_specs", {})[bad()[:30]] = bad()
    for volume in world.volumes.values():
        if "volume_type" in volume:
            volume["volume_type"] = bad()
    poison_storage(world, project_id, user, bad)
    poison_cluster(world, project_id, user)
    return project_id


def poison_cluster(world, project_id: str, user: str) -> None:
    """A Magnum cluster (and its Heat stack) with a hostile name, reason, addresses and version."""
    from exotui.demo import magnum

    cluster = magnum.new_cluster(world, {"project_id": project_id, "user_id": user},
                                 {"cluster_template_id": "kubernetes-1-30-jammy", "name": "k8s"})
    cluster.update(name=HOSTILE[0] + HOSTILE[3], status="CREATE_FAILED", status_reason=HOSTILE[5],
                   node_addresses=[HOSTILE[1], HOSTILE[4]], coe_version=HOSTILE[2], keypair=HOSTILE[4])


def poison_storage(world, project_id: str, user: str, bad) -> None:
    """A container, its objects and an EC2 credential with hostile names (stacks: poison_stack)."""
    import hashlib

    from exotui.demo.swift import Container, StoredObject, store_of

    store = store_of(world)
    acct = store.account(f"AUTH_{project_id}", world.now().timestamp())
    for n, text in enumerate(HOSTILE[:6]):
        cont = acct.containers[f"c{n}{text}"] = Container(f"c{n}{text}", world.now().timestamp(), {})
        acct.names.append(f"c{n}{text}")
        for name in (f"{text}/inner", f"obj{text}"):
            store.put(cont, name, StoredObject(b"x", hashlib.md5(b"x").hexdigest(), bad()[:60], 0.0))
    acct.names.sort()
    for share in world.shares["shares"].values():  # Manila: names, descriptions, rules, export paths
        share["name"], share["description"] = bad(), bad()
    for rule in world.shares["rules"].values():
        rule["access_to"] = bad()
    for exports in world.shares["exports"].values():
        exports[0]["path"] = "10.0.0.1:6789,10.0.0.2:6789:/volumes/" + bad()
    access = "k\x1b]0;pwned\x07\u202e"
    world.ec2_creds[hashlib.sha256(access.encode()).hexdigest()] = {
        "user_id": user, "project_id": project_id, "access": access, "secret": "s" * 32}


def poison_stack(world, name: str) -> None:
    """A stack made by the test renamed, its reason and its resources' reasons hostile."""
    stack = next(s for s in world.stacks.values() if s["name"] == name)
    stack["name"], stack["reason"] = HOSTILE[0] + HOSTILE[3], HOSTILE[5]
    for n, resource in enumerate(stack["resources"].values()):
        resource["reason"] = HOSTILE[n % len(HOSTILE)]


def test_the_models_keep_no_control_and_the_raw_names_for_the_api():
    for text in HOSTILE:
        assert not FORBIDDEN.search(printable(text)), repr(text)
    server = Server.from_api({"id": "s", "name": "x\x1b[2J", "status": "ACTIVE",
                              "addresses": {"t2\x1b[2J": [{"addr": "10.0.0.5", "version": 4}]},
                              "security_groups": [{"name": "nl1\nnl2"}]})
    assert server.addresses[0].network == "t2␛[2J" and server.name == "x␛[2J"
    assert server.security_groups == ("nl1␊nl2",) and server.api_security_group("nl1␊nl2") == "nl1\nnl2"
    group = SecurityGroup.from_api({"id": "g", "name": "nl1\nnl2"})
    assert group.name == "nl1␊nl2" and group.api_name == "nl1\nnl2"
    image = Image.from_api({"id": "i", "name": "n", "os_distro": "\x1b]0;pwned\x07", "default_user": "u\u202e"})
    assert image.properties["os_distro"] == "␛]0;pwned␇" and image.properties["default_user"] == "u\\u202e"


async def test_hostile_cloud_text_never_reaches_the_terminal_as_control(tmp_path):
    with DemoCloudThread(Knobs(delay_scale=0.0, seed=8), state_dir=tmp_path / "state") as demo:
        project_id = demo.call(poison, demo.world)
        profile = find_profile(load_profiles(config_file=demo.cloud.write_config(tmp_path), env={}), CLOUD_NAME)
        app = ExotuiApp(Workspace([profile], intervals=Intervals(fast=0.2, idle=0.5, others=2.0)))
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            def project():
                return next((p for p in app.workspace.projects if p.key.project_id == project_id), None)

            await until(pilot, lambda: project() is not None and project().store.state("servers").loaded
                        and project().store.state("flavors").loaded, timeout=30, what="the project")
            driver = app._driver  # from here, every frame the app draws is kept
            driver.written = []
            driver.__class__ = CapturingDriver
            app.select_project(project())
            screens = []

            async def shown(what: str) -> None:
                await pilot.pause()
                before = len(driver.written)
                app.screen.refresh(repaint=True, layout=True)
                await until(pilot, lambda: len(driver.written) > before, what=f"{what} written")
                screens.append(what)

            for kind in ("servers", "volumes", "networks", "floating_ips", "security_groups", "images",
                         "keypairs", "projects", "routers", "subnets", "ports", "volume_snapshots", "server_groups"):
                app.show_view(kind)
                if kind != "projects":
                    await until(pilot, lambda: project().store.state(kind).loaded
                                and app.query_one(f"#table-{kind}", ResourceTable).shown, what=f"{kind} rows")
                await shown(kind)
                await pilot.press("w")  # the wide table too
                await shown(f"{kind} wide")
                await pilot.press("w")
            # each kind's detail (fields and links) and raw YAML (the cloud's own fields, every string)
            for kind in ("routers", "volume_snapshots", "server_groups", "servers", "security_groups"):
                app.show_view(kind)
                table = app.query_one(f"#table-{kind}", ResourceTable)
                await until(pilot, lambda: table.shown, what=f"{kind} rows")
                table.focus()
                for key, screen_kind in (("d", InstanceDetail if kind == "servers" else KindDetail),
                                         ("y", YamlScreen)):
                    await pilot.press(key)
                    await until(pilot, lambda: isinstance(app.screen, screen_kind), what=f"{kind} {key}")
                    if screen_kind is YamlScreen:
                        area = app.screen.query_one("#yaml-body", TextArea)
                        await until(pilot, lambda: "id:" in area.text, what=f"{kind} YAML loaded")
                        # the hostile names are there, whole and visible (the 5,000 characters too), raw nowhere
                        assert any(printable(h) in area.text for h in HOSTILE), kind
                        assert "\x1b" not in area.text and not INVISIBLE.search(area.text), kind
                    await shown(f"{kind} {key}")
                    if screen_kind is YamlScreen:
                        while area.scroll_y < area.max_scroll_y:  # every page of it reaches the terminal
                            area.scroll_to(y=area.scroll_y + area.size.height, animate=False)
                            await shown(f"{kind} YAML, next page")
                    if screen_kind is InstanceDetail:
                        await pilot.press("o")  # the instance's fields and links
                        await until(pilot, lambda: isinstance(app.screen, KindDetail), what="instance links")
                        await shown("instance links")
                        await pilot.press("escape")
                        await until(pilot, lambda: isinstance(app.screen, InstanceDetail), what="back")
                while len(app.screen_stack) > 1:
                    await pilot.press("escape")
                    await pilot.pause()
            app.show_view("volumes")
            await pilot.pause()
            await pilot.press("x")  # "… is not attached": a notification naming the volume
            await shown("notification")
            # the writes' questions and choices name cloud items (issue 18): a confirmation, a refusal, a list
            for kind, key in (("keypairs", "ctrl+d"), ("images", "ctrl+d"), ("images", "v"), ("volumes", "s"),
                              ("volume_snapshots", "ctrl+d"), ("volume_snapshots", "v"), ("routers", "a"),
                              ("routers", "e"), ("routers", "ctrl+d")):
                app.show_view(kind)
                app.query_one(f"#table-{kind}", ResourceTable).focus()
                await pilot.press(key)
                await shown(f"{kind} {key}")
                while len(app.screen_stack) > 1:
                    await pilot.press("escape")
                    await pilot.pause()
            await storage_screens(pilot, app, project(), demo, shown)
            app.show_view("servers")
            table = app.query_one("#table-servers", ResourceTable)
            await until(pilot, lambda: isinstance(app.focused, ResourceTable), what="the table focused")
            sid = table.current_id
            for keys, what in (("a", "action menu"), ("ctrl+d", "delete confirmation"), ("n", "launch form"),
                               ("question_mark", "help")):
                await pilot.press(keys)
                await until(pilot, lambda: len(app.screen_stack) > 1, what=what)
                await shown(what)
                await pilot.press("escape")
                await until(pilot, lambda: len(app.screen_stack) == 1, what=f"{what} closed")
            app.push_screen(InstanceDetail(project(), sid))
            await until(pilot, lambda: isinstance(app.screen, InstanceDetail), what="the detail")
            await shown("instance detail")
            details = app.screen.query_one("#details")
            while details.scroll_y < details.max_scroll_y:  # every page of it reaches the terminal
                details.scroll_to(y=details.scroll_y + details.size.height, animate=False)
                await shown("instance detail, next page")
            await pilot.press("l")
            await until(pilot, lambda: app.screen.has_class("-console"),
                        what="the console log tab")
            await shown("console log")
            await pilot.press("h")
            await until(pilot, lambda: "newest first" in str(app.screen.query_one("#history-state").render()),
                        what="the history tab")
            await shown("action history")
            history = str(app.screen.query_one("#history-body").render())
            assert "FAILED" in history or "✓" in history, "the hostile actions were drawn: " + history[:200]
            await pilot.press("escape")
            for name in ("map", "matrix"):
                await until(pilot, lambda: len(app.screen_stack) == 1, what="the dashboard")
                app.open_network_screen(name)
                await until(pilot, lambda: len(app.screen_stack) == 2, what=name)
                await shown(name)
                if name == "map":
                    await down_to_an_instance(pilot, app.screen)
                await pilot.press("enter" if name == "matrix" else "d")  # the SSH doctor
                await until(pilot, lambda: isinstance(app.screen, DoctorScreen), what=f"the doctor from {name}")
                await shown(f"doctor from {name}")
                while len(app.screen_stack) > 1:
                    await pilot.press("escape")
                    await pilot.pause()
            # search hits (names of every kind, in every project) and the service-units screen (instance names)
            await until(pilot, lambda: len(app.screen_stack) == 1, what="the dashboard")
            app.open_search("t2")
            await until(pilot, lambda: isinstance(app.screen, SearchScreen) and app.screen.hits, what="search hits")
            await shown("search")
            await pilot.press("escape")
            await until(pilot, lambda: len(app.screen_stack) == 1, what="the dashboard")
            app.show_view("servers")
            await pilot.press("space")  # a hostile name in the what-if
            open_units(app)
            await until(pilot, lambda: isinstance(app.screen, UnitsScreen) and app.screen.lines, what="units")
            await shown("service units")
            await pilot.press("escape")
            # an SSH tab: its title and status line name the instance, its address and the image's user
            await until(pilot, lambda: len(app.screen_stack) == 1, what="the dashboard")
            app.show_view("servers")
            target = next(s for s in project().store.get("servers").values()
                          if s.status == "ACTIVE" and s.floating_ips)
            table = app.query_one("#table-servers", ResourceTable)
            table.cursor = table.shown.index(target.id)
            table.focus()
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, SessionsScreen), what="the SSH tab")
            await until(pilot, lambda: str(app.screen.query_one(".ssh-status", Static).render()).strip(),
                        what="the SSH tab's status line")
            await shown("ssh tab")
            # its port-forward dialog names the instance too
            session = app.screen.sessions()[0]
            await until(pilot, lambda: session.shell is not None, timeout=20, what="the SSH session")
            await pilot.press("ctrl+f5")
            await until(pilot, lambda: isinstance(app.screen, ForwardDialog) and app.screen.read, timeout=20,
                        what="the forward dialog")
            await shown("forward dialog")
            await pilot.press("escape")
            await pilot.press("ctrl+right_square_bracket")
            written = "".join(driver.written)
        assert app._exception is None

    assert len(written) > 10_000, "the capture holds the screens"
    left = OWN.sub("", written)

    def leaks(pattern: re.Pattern) -> list[str]:
        return sorted({repr(left[max(0, m.start() - 30):m.end() + 30]) for m in pattern.finditer(left)})[:6]

    assert not leaks(CONTROLS), f"cloud text reached the terminal as control: {leaks(CONTROLS)} ({screens})"
    assert not leaks(INVISIBLE), f"bidi or zero-width characters reached the terminal: {leaks(INVISIBLE)}"
    assert "\x1b[2J" not in written and "\x1b]0;pwned" not in written
    assert "[bold]markup[/]" in written.replace("\x1b", "").replace("[0m", "") or "markup[/]" in written
    print(f"hostile strings: {len(HOSTILE)}; screens rendered: {len(screens)}; bytes checked: {len(written)}")


async def storage_screens(pilot, app, project, demo, shown) -> None:
    """:objects (containers, a hostile container's folder), :ec2, :stacks and a hostile stack's detail, :shares
    and a hostile share's detail (its export path and access rule) with its actions menu."""
    from exotui.cloud.stacks import TemplateFile
    from exotui.ui.screens.credentials import Ec2Screen
    from exotui.ui.screens.objects import ObjectsScreen
    from exotui.ui.screens.stacks import StackDetail, StacksScreen

    app.open_screen("objects")
    await until(pilot, lambda: isinstance(app.screen, ObjectsScreen) and len(app.screen.keys) >= 6, what="containers")
    await shown("containers")
    screen = app.screen
    await pilot.press("down", "enter")
    await until(pilot, lambda: screen.container is not None and len(screen.keys) >= 3, what="a hostile container")
    await shown("a hostile container's objects")
    app.pop_screen()
    app.open_screen("ec2")
    await until(pilot, lambda: isinstance(app.screen, Ec2Screen) and app.screen.keys, what="EC2")
    await shown("EC2 credentials")
    app.pop_screen()
    text = "heat_template_version: 2018-08-31\nresources:\n  net: {type: OS::Neutron::Net}\n"
    assert (await project.actions.create_stack("hostile", TemplateFile(Path("t.yaml"), text, "", (), ()))).ok
    demo.call(poison_stack, demo.world, "hostile")
    project.poller.kick("stacks")
    app.open_screen("stacks")
    await until(pilot, lambda: isinstance(app.screen, StacksScreen) and any(
        "␛" in s.name for s in project.store.get("stacks").values()) and app.screen.keys, what="the hostile stack")
    await shown("stacks")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, StackDetail) and app.screen.resources, what="its detail")
    await shown("stack detail")
    while len(app.screen_stack) > 1:
        app.pop_screen()
        await pilot.pause()
    from exotui.ui.screens.shares import ShareDetail, SharesScreen

    app.open_screen("shares")
    await until(pilot, lambda: isinstance(app.screen, SharesScreen) and app.screen.keys, what="the hostile shares")
    await shown("shares")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ShareDetail) and app.screen.keys, what="a share's detail")
    await shown("share detail")
    await pilot.press("a")  # its actions, named
    await until(pilot, lambda: type(app.screen).__name__ == "ChoiceDialog", what="the share's actions")
    await shown("share actions")
    # the cluster poison_cluster made hostile: the list, its detail (its faults: the hostile reason) and `a`
    from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog
    from exotui.ui.screens.clusters import ClusterDetail, ClustersScreen

    app.open_screen("clusters")
    await until(pilot, lambda: isinstance(app.screen, ClustersScreen) and app.screen.keys, what="the clusters")
    await shown("clusters")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ClusterDetail) and any(
        k.startswith("fault:") for k in app.screen.keys), what="the hostile cluster's detail and faults")
    await shown("cluster detail")
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, ChoiceDialog), what="its actions")
    await shown("cluster actions")
    app.pop_screen()
    await until(pilot, lambda: isinstance(app.screen, ClusterDetail), what="back on the detail")
    await pilot.press("ctrl+d")  # the question names it
    await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the delete question")
    await shown("cluster delete question")
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, ClusterDetail), what="not deleted")
    await pilot.press("r")  # refused (CREATE_FAILED): a notification naming it
    await shown("cluster resize refused")
    while len(app.screen_stack) > 1:
        app.pop_screen()
        await pilot.pause()


def _strings(value) -> list[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_exotui_doctor_prints_no_control_from_cloud_text(tmp_path, monkeypatch, capsys):
    """`exotui doctor NAME` and its `--json`, on instances, networks, groups, keypairs and a project with hostile
    names: nothing written to stdout or stderr holds a control, bidi or zero-width character, and no string in
    the JSON does once parsed (`jq -r` would print it raw)."""
    import json
    import os

    from exotui.cli import main

    with DemoCloudThread(Knobs(delay_scale=0.0, seed=8, ssh=False)) as demo:

        def poisoned(world) -> list[str]:
            project_id = poison(world)
            mine = [s for s in world.servers.values() if s["tenant_id"] == project_id and not s["_deleted"]]
            mine[-1]["tenant_id"] = "h" * 32  # one in the project with the hostile name
            return [mine[0]["id"], mine[-1]["id"]]

        servers = demo.call(poisoned, demo.world)
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(demo.cloud.write_config(tmp_path)))
        for key in [k for k in os.environ if k.startswith("OS_") and k != "OS_CLIENT_CONFIG_FILE"]:
            monkeypatch.delenv(key)
        outputs = []
        for sid in servers:
            for extra in ([], ["--json"], ["--from", "203.0.113.5"]):
                code = main(["--cloud", CLOUD_NAME, "doctor", sid, *extra])
                out = capsys.readouterr()
                assert code in (0, 1), out.err
                outputs.append((sid, extra, out.out, out.err))
    seen = "".join(o + e for *_, o, e in outputs)
    assert "P␛]0;pwned␇" in seen and "t2␛[2J" in seen, "the hostile names (the project's too) are shown, made visible"
    for sid, extra, out, err in outputs:
        for stream in (out, err):
            assert not FORBIDDEN.search(stream.replace("\n", "")), (sid, extra, [m for m in FORBIDDEN.findall(stream)
                                                                                  if m != "\n"][:5])
        if extra == ["--json"]:
            bad = [s for s in _strings(json.loads(out)) if FORBIDDEN.search(s)]
            assert not bad, (sid, bad[:5])
