"""Boot from volume and Nova's volume attachments in the demo cloud, driven by the `openstack` CLI and
openstacksdk as python-openstackclient's functional tests drive them (issue 19).

Real Nova: a block_device_mapping_v2 entry with destination_type volume makes (image, snapshot, blank)
or takes (volume) a Cinder volume, attaches it (in-use), lists it in os-extended-volumes:volumes_attached
with its delete_on_termination, and on server delete detaches it and deletes it when that flag is set.
PUT os-volume_attachments/{volume_id} changes delete_on_termination from 2.85 (same volumeId); a swap
(another volumeId) is admin-only: a member gets 403.
"""

from __future__ import annotations

import json
import uuid

import pytest
from conditions import wait_until

from exotui.demo import nova

pytestmark = pytest.mark.slow


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture()
def cleanup(demo):
    """Servers and volumes a test made go again, so the shared project stays within its quotas."""
    made: dict[str, list[str]] = {"servers": [], "volumes": []}
    yield made

    def discard(world):
        for sid in made["servers"]:
            server = world.servers.get(sid)
            if server and not server["_deleted"]:
                nova.delete(world, server)

    demo.call(discard, demo.world)


def _json(openstack_cli, *args: str):
    return json.loads(openstack_cli(*args, "-f", "json").stdout)


def _volume_gone(openstack_cli, volume_id: str, seconds: float = 20) -> bool:
    def gone() -> bool:
        shown = openstack_cli("volume", "show", volume_id, "-f", "json", check=False)
        return shown.returncode != 0 and "No Volume found" in shown.stderr

    return bool(wait_until(gone, seconds))


def _wait_volume(openstack_cli, volume_id: str, status: str, seconds: float = 20) -> dict:
    shown: dict = {}

    def reached() -> bool:
        shown.update(_json(openstack_cli, "volume", "show", volume_id))
        return shown["status"] == status

    wait_until(reached, seconds)
    return shown


def test_boot_from_image_to_new_volume_deleted_with_the_server(openstack_cli, cleanup):
    name = _name("bfv-image")
    image = _json(openstack_cli, "image", "show", "Featured-Ubuntu24")
    server = _json(openstack_cli, "--os-compute-api-version", "2.79", "server", "create", "--flavor", "m3.small",
                   "--block-device", f"source_type=image,uuid={image['id']},destination_type=volume,"
                                     "volume_size=20,boot_index=0,delete_on_termination=true",
                   "--network", "auto_allocated_network", "--wait", name)
    cleanup["servers"].append(server["id"])
    shown = _json(openstack_cli, "--os-compute-api-version", "2.79", "server", "show", name)
    assert shown["status"] == "ACTIVE"
    assert shown["image"] in ("", "N/A (booted from volume)")  # Nova's image is "" for a volume-backed server
    attached = shown["volumes_attached"]
    assert len(attached) == 1 and attached[0]["delete_on_termination"] is True
    volume = _json(openstack_cli, "volume", "show", attached[0]["id"])
    assert volume["status"] == "in-use" and volume["bootable"] in ("true", True) and volume["size"] == 20
    assert volume["attachments"][0]["server_id"] == server["id"]
    assert volume["attachments"][0]["device"] == "/dev/vda"
    assert volume["volume_image_metadata"]["image_id"] == image["id"]
    listed = _json(openstack_cli, "--os-compute-api-version", "2.79", "server", "volume", "list", name)
    assert listed[0]["Delete On Termination?"] is True

    openstack_cli("server", "delete", "--wait", name)
    assert _volume_gone(openstack_cli, attached[0]["id"])


def test_boot_from_existing_volume_keeps_it(openstack_cli, cleanup):
    name = _name("bfv-volume")
    volume = _json(openstack_cli, "volume", "create", "--image", "Featured-Ubuntu24", "--size", "20",
                   "--bootable", f"{name}-root")
    _wait_volume(openstack_cli, volume["id"], "available")
    server = _json(openstack_cli, "server", "create", "--flavor", "m3.small", "--volume", volume["id"],
                   "--network", "auto_allocated_network", "--wait", name)
    cleanup["servers"].append(server["id"])
    shown = _json(openstack_cli, "volume", "show", volume["id"])
    assert shown["status"] == "in-use" and shown["attachments"][0]["server_id"] == server["id"]
    attached = _json(openstack_cli, "--os-compute-api-version", "2.79", "server", "show", name)["volumes_attached"]
    assert attached == [{"id": volume["id"], "delete_on_termination": False}]
    # the volume is in use: a second server cannot boot from it, as Cinder refuses a second reservation
    refused = openstack_cli("server", "create", "--flavor", "m3.small", "--volume", volume["id"],
                            "--network", "auto_allocated_network", _name("bfv-again"), check=False)
    assert refused.returncode != 0 and "status must be available" in refused.stderr

    openstack_cli("server", "delete", "--wait", name)
    assert _wait_volume(openstack_cli, volume["id"], "available")["status"] == "available"
    openstack_cli("volume", "delete", volume["id"])


def test_boot_from_unknown_volume_is_400(conn):
    from openstack import exceptions

    with pytest.raises(exceptions.BadRequestException, match="Block Device Mapping is Invalid"):
        conn.compute.create_server(name=_name("bfv-none"), flavor_id=conn.compute.find_flavor("m3.small").id,
                                   networks="none", block_device_mapping=[{
                                       "source_type": "volume", "destination_type": "volume", "boot_index": 0,
                                       "uuid": "00000000-0000-0000-0000-000000000000"}])


def test_attachment_delete_on_termination_set_on_attach_and_update(openstack_cli, cleanup):
    name = _name("att-dot")
    image = _json(openstack_cli, "image", "show", "Featured-Ubuntu24")
    server = _json(openstack_cli, "server", "create", "--flavor", "m3.small", "--image", image["id"],
                   "--network", "auto_allocated_network", "--wait", name)
    cleanup["servers"].append(server["id"])
    volume = _json(openstack_cli, "volume", "create", "--size", "1", f"{name}-data")
    _wait_volume(openstack_cli, volume["id"], "available")
    openstack_cli("--os-compute-api-version", "2.79", "server", "add", "volume", "--enable-delete-on-termination",
                  name, volume["id"])
    listed = _json(openstack_cli, "--os-compute-api-version", "2.79", "server", "volume", "list", name)
    assert [v["Delete On Termination?"] for v in listed] == [True]
    # PUT os-volume_attachments/{volume_id} (2.85): the member turns it off again
    openstack_cli("--os-compute-api-version", "2.85", "server", "volume", "update", "--preserve-on-termination",
                  name, volume["id"])
    listed = _json(openstack_cli, "--os-compute-api-version", "2.85", "server", "volume", "list", name)
    assert [v["Delete On Termination?"] for v in listed] == [False]
    openstack_cli("server", "delete", "--wait", name)
    assert _wait_volume(openstack_cli, volume["id"], "available")["status"] == "available"
    openstack_cli("volume", "delete", volume["id"])


def test_attachment_swap_is_admin_only(conn, cleanup, openstack_cli):
    name = _name("att-swap")
    server, volume = _server_with_a_volume(openstack_cli, cleanup, name)
    url = f"/servers/{server['id']}/os-volume_attachments/{volume['id']}"
    swap = conn.compute.put(url, json={"volumeAttachment": {"volumeId": "00000000-0000-0000-0000-000000000000"}},
                            microversion="2.85")
    assert swap.status_code == 403
    assert "os_compute_api:os-volumes-attachments:swap" in swap.json()["forbidden"]["message"]
    same = conn.compute.put(url, json={"volumeAttachment": {"volumeId": volume["id"],
                                                            "delete_on_termination": True}}, microversion="2.85")
    assert same.status_code == 202
    openstack_cli("server", "delete", "--wait", name)
    assert _volume_gone(openstack_cli, volume["id"])


def test_user_data_is_stored_and_not_shown_to_a_member(conn, demo, cleanup):
    """Nova keeps user_data; OS-EXT-SRV-ATTR:user_data (2.3+) is an extended server attribute, admin-only
    by Nova's default policy: the oracle's member view at 2.104 (nova-104) carries only
    OS-EXT-SRV-ATTR:hostname."""
    import base64

    script = base64.b64encode(b"#cloud-config\nruncmd: [touch /tmp/ok]\n").decode()
    network = conn.network.find_network("auto_allocated_network")
    server = conn.compute.create_server(name=_name("udata"), flavor_id=conn.compute.find_flavor("m3.small").id,
                                        image_id=conn.image.find_image("Featured-Ubuntu24").id,
                                        networks=[{"uuid": network.id}], user_data=script)
    cleanup["servers"].append(server.id)
    assert demo.call(lambda w: w.servers[server.id]["_user_data"], demo.world) == script
    shown = conn.compute.get(f"/servers/{server.id}", microversion="2.104").json()["server"]
    assert "OS-EXT-SRV-ATTR:user_data" not in shown
    assert "OS-EXT-SRV-ATTR:hostname" in shown


def test_attach_and_detach_are_instance_actions(openstack_cli, cleanup):
    """Nova records attach_volume and detach_volume in the server's actions (OSC's
    test_server_add_remove_volume counts them with `server event list`)."""
    name = _name("att-events")
    server, volume = _server_with_a_volume(openstack_cli, cleanup, name)
    assert [e["Action"] for e in _json(openstack_cli, "server", "event", "list", name)] == ["attach_volume", "create"]
    openstack_cli("server", "remove", "volume", name, volume["id"])
    _wait_volume(openstack_cli, volume["id"], "available")
    actions = [e["Action"] for e in _json(openstack_cli, "server", "event", "list", name)]
    assert actions == ["detach_volume", "attach_volume", "create"]
    openstack_cli("volume", "delete", volume["id"])


def _server_with_a_volume(openstack_cli, cleanup, name: str) -> tuple[dict, dict]:
    """A server called `name` with a new 1 GB volume attached, both made with the `openstack` CLI."""
    server = _json(openstack_cli, "server", "create", "--flavor", "m3.small", "--image", "Featured-Ubuntu24",
                   "--network", "auto_allocated_network", "--wait", name)
    cleanup["servers"].append(server["id"])
    volume = _json(openstack_cli, "volume", "create", "--size", "1", f"{name}-data")
    _wait_volume(openstack_cli, volume["id"], "available")
    openstack_cli("server", "add", "volume", name, volume["id"])
    return server, volume
