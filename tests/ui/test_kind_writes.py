"""Create and delete from the views that were read-only (issue 18), driven with Pilot at 80x24 against the demo
cloud: key pairs, volume snapshots, images, routers. Destructive ones ask first (Cancel focused); bad input is
one line in the dialog, and nothing is sent."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

from test_flows import choose
from textual.widgets import Input, OptionList, Static

from exotui.ui.dialogs import ChoiceDialog, ConfirmDialog, PromptDialog
from exotui.ui.dialogs.form import FormDialog
from exotui.ui.widgets.table import ResourceTable

# exotui's log as the CLI sets it up, the libraries at DEBUG (the secrets scan's fixture)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hardening"))
from test_secrets_scan import debug_log  # noqa: E402,F401


def dialog_error(ui) -> str:
    return str(ui.app.screen.query_one(".dialog-error", Static).render())


async def fill(ui, **values: str) -> None:
    for field, value in values.items():
        ui.app.screen.query_one(f"#field-{field}", Input).value = value
    await ui.pilot.press("ctrl+s")


async def refused_before_asking(ui, item_id: str, view: str, words: str) -> None:
    """ctrl+d on a row the cloud layer refuses: one line saying why, and no question."""
    ui.point_at(item_id, view)
    await ui.pilot.press("ctrl+d")
    await ui.until(lambda: any(words in n.message for n in ui.app._notifications), what=f"'{words}'")
    assert not isinstance(ui.app.screen, ConfirmDialog), "refused before asking"


async def deleted_after_asking(ui, item_id: str, view: str, name: str, gone) -> None:
    """ctrl+d asks first, naming the item; yes deletes it."""
    ui.point_at(item_id, view)
    await ui.pilot.press("ctrl+d")
    await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="delete asks first")
    assert name in str(ui.app.screen.query_one(".dialog-title", Static).render())
    await ui.pilot.press("y")
    await ui.until(gone, what=f"{name} deleted")


def world_keypairs(ui) -> set[str]:
    return {name for (_user, name) in ui.demo.world.keypairs}


async def test_keypairs_import_create_delete(open_ui, tmp_path, debug_log):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    (tmp_path / "laptop.pub").write_text(public + " me@laptop\n")
    (tmp_path / "id_laptop").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
    async with open_ui() as ui:
        ui.app.show_view("keypairs")
        await ui.pilot.pause()
        table = ui.app.query_one("#table-keypairs", ResourceTable)
        await ui.pilot.press("i")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the import form")
        sent = len(ui.sent)
        for path, why in ((tmp_path / "missing.pub", "no such file"), (tmp_path / "id_laptop", "private key")):
            await fill(ui, name="ui-laptop", key=str(path))
            assert why in dialog_error(ui)
        await fill(ui, name="x" * 5000, key=str(tmp_path / "laptop.pub"))
        assert "at most 255 characters" in dialog_error(ui) and len(ui.sent) == sent, "nothing sent"
        await fill(ui, name="ui-laptop")
        await ui.until(lambda: "ui-laptop" in table.shown, what="the imported key in the table")
        assert ui.store.item("keypairs", "ui-laptop").public_key == public + " me@laptop"
        assert "ui-laptop" in world_keypairs(ui)

        await ui.pilot.press("n")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the create form")
        await fill(ui, name="ui-made", path=str(tmp_path / "laptop.pub"))
        assert "exists already" in dialog_error(ui)
        await fill(ui, path=str(tmp_path / "ui-made"))
        await ui.until(lambda: "ui-made" in table.shown, what="the created key in the table")
        private = tmp_path / "ui-made"
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
        key = private.read_text()
        assert "ui-made" in world_keypairs(ui)
        shown = ui.app.export_screenshot() + "".join(n.message for n in ui.app._notifications)
        assert key.splitlines()[1] not in shown, "the private key is never shown"
        log = debug_log.read_text()
        assert "os-keypairs" in log and key.splitlines()[1] not in log, "nor logged, the libraries at DEBUG"

        for name in ("ui-laptop", "ui-made"):
            await deleted_after_asking(ui, name, "keypairs", name,
                                       lambda: name not in table.shown and name not in world_keypairs(ui))
        assert private.exists(), "the private key file stays"


async def test_volume_snapshots_take_restore_delete(open_ui):
    async with open_ui() as ui:
        made = await ui.project.actions.create_volume("ui-snapped", 1)
        assert made.ok, made.message
        vid = made.value
        ui.app.show_view("volumes")
        await ui.until(lambda: vid in ui.app.query_one("#table-volumes", ResourceTable).shown)
        ui.point_at(vid, "volumes")
        await ui.pilot.press("s")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the snapshot form")
        await fill(ui, name="x" * 5000)
        assert "at most 255 characters" in dialog_error(ui)
        await fill(ui, name="ui-snap")

        def snapshot():
            return next((s for s in ui.store.get("volume_snapshots").values() if s.name == "ui-snap"), None)

        await ui.until(lambda: snapshot() is not None and snapshot().status == "available", what="the snapshot")
        sid = snapshot().id
        assert ui.demo.world.snapshots[sid]["volume_id"] == vid

        await refused_before_asking(ui, vid, "volumes", "has 1 snapshot")

        ui.app.show_view("volume_snapshots")
        table = ui.app.query_one("#table-volume_snapshots", ResourceTable)
        await ui.until(lambda: sid in table.shown, what="the snapshot in its view")
        ui.point_at(sid, "volume_snapshots")
        await ui.pilot.press("v")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the new-volume form")
        await fill(ui, name="ui-restored", size="0")
        assert "at least the snapshot's 1" in dialog_error(ui)
        await fill(ui, size="2")

        def restored():
            return next((v for v in ui.store.get("volumes").values() if v.name == "ui-restored"), None)

        await ui.until(lambda: restored() is not None and restored().status == "available", what="the new volume")
        assert ui.demo.world.volumes[restored().id]["snapshot_id"] == sid
        assert ui.demo.world.volumes[restored().id]["size"] == 2

        await deleted_after_asking(ui, sid, "volume_snapshots", "ui-snap", lambda: sid not in ui.store.get(
            "volume_snapshots") and sid not in ui.demo.world.snapshots)
        for volume in (vid, restored().id):
            assert (await ui.project.actions.delete_volume(volume)).ok


async def test_images_visibility_rename_delete(open_ui):
    from exotui.demo import glance

    async with open_ui() as ui:
        owner = ui.project.key.project_id
        iid = ui.demo.call(lambda world: glance.add_image(world, "ui-image", owner=owner, visibility="private")["id"],
                           ui.demo.world)
        ui.project.poller.kick("images")
        ui.app.show_view("images")
        table = ui.app.query_one("#table-images", ResourceTable)
        await ui.until(lambda: iid in table.shown, what="the project's image")

        ui.point_at(iid, "images")
        await ui.pilot.press("v")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the visibility choice")
        public = ui.app.screen.query_one(OptionList).get_option("public")
        assert public.disabled, "public is offered dimmed: only an admin may publish"
        await choose(ui, "community")
        await ui.until(lambda: ui.store.item("images", iid).visibility == "community", what="community")
        assert ui.demo.world.images[iid]["visibility"] == "community"
        assert "community" in ui.row_text(iid, "images")

        ui.point_at(iid, "images")
        await ui.pilot.press("r")
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the rename prompt")
        ui.app.screen.query_one(Input).value = "x" * 5000
        await ui.pilot.press("enter")
        assert isinstance(ui.app.screen, PromptDialog), "a 5,000-character name is refused in the prompt"
        ui.app.screen.query_one(Input).value = "ui-image-renamed"
        await ui.pilot.press("enter")
        await ui.until(lambda: ui.store.item("images", iid).name == "ui-image-renamed", what="renamed")
        assert ui.demo.world.images[iid]["name"] == "ui-image-renamed"

        theirs = next(i.id for i in ui.store.get("images").values() if i.name == "Featured-Ubuntu24")
        await refused_before_asking(ui, theirs, "images", "belongs to another project")
        await deleted_after_asking(ui, iid, "images", "ui-image-renamed",
                                   lambda: iid not in table.shown and iid not in ui.demo.world.images)


async def test_routers_create_interface_gateway_delete(open_ui):
    from exotui.demo import neutron
    from exotui.ui.resources import NO_GATEWAY

    async with open_ui() as ui:
        owner = ui.project.key.project_id

        def network(world):
            net = neutron.create_network(world, owner, "ui-router-net")
            return neutron.create_subnet(world, owner, net["id"], "ui-router-subnet", "10.96.0.0/24")["id"]

        subnet_id = ui.demo.call(network, ui.demo.world)
        ui.project.poller.kick("networks", "subnets")
        ui.app.show_view("routers")
        table = ui.app.query_one("#table-routers", ResourceTable)
        await ui.until(lambda: ui.store.item("subnets", subnet_id) is not None, what="the new subnet")
        await ui.pilot.press("n")
        await ui.until(lambda: isinstance(ui.app.screen, FormDialog), what="the router form")
        await fill(ui, name="x" * 5000)
        assert "at most 255 characters" in dialog_error(ui)
        await fill(ui, name="ui-router")

        def router():
            return next((r for r in ui.store.get("routers").values() if r.name == "ui-router"), None)

        await ui.until(lambda: router() is not None and router().id in table.shown, what="the router")
        rid = router().id
        assert router().external_network_id, "the one external network is the gateway by default"
        assert "public" in ui.row_text(rid, "routers")

        def interfaces():
            return ui.project.actions.router_interfaces(router())

        ui.point_at(rid, "routers")
        await ui.pilot.press("a")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the subnet choice")
        await choose(ui, subnet_id)
        await ui.until(lambda: len(interfaces()) == 1, what="the interface")
        assert any(p["device_id"] == rid and p["device_owner"] == "network:router_interface"
                   for p in ui.demo.world.ports.values())

        await refused_before_asking(ui, rid, "routers", "has 1 subnet interface")

        ui.point_at(rid, "routers")
        await ui.pilot.press("x")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the interface choice")
        await choose(ui, subnet_id)
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="removal asks first")
        await ui.pilot.press("y")
        await ui.until(lambda: not interfaces(), what="the interface removed")

        ui.point_at(rid, "routers")
        await ui.pilot.press("e")
        await ui.until(lambda: isinstance(ui.app.screen, ChoiceDialog), what="the gateway choice")
        await choose(ui, NO_GATEWAY)
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="clearing asks first")
        await ui.pilot.press("y")
        await ui.until(lambda: router().external_network_id is None, what="no gateway")
        assert not ui.demo.world.routers[rid]["external_gateway_info"]

        await deleted_after_asking(ui, rid, "routers", "ui-router",
                                   lambda: rid not in table.shown and rid not in ui.demo.world.routers)
        network_id = ui.store.item("subnets", subnet_id).network_id
        ui.demo.call(neutron.delete_network, ui.demo.world, network_id)  # the session's demo cloud: as it was
