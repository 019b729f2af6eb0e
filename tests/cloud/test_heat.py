"""Heat stacks, driven by unmodified clients (`openstack stack ...` from python-heatclient, openstacksdk's
orchestration proxy) and by exotui's cloud layer: create from a HOT template into real servers, volumes and
networks, outputs, resources linked to what they made, events followed live, delete.

The tests that take `target` run on the demo cloud and on the real stack's Heat (tests/realcloud, heat-api
and heat-engine 27.0.1): the same template, the same assertions, so the demo's Heat answers as Heat does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import openstack
import pytest
from clouds import PROJECT, Target
from conditions import until

from exotui.cloud.actions import READ_ONLY, ActionRefused, Actions
from exotui.cloud.models import Stack
from exotui.cloud.poller import Intervals, ProjectPoller
from exotui.cloud.session import CloudSession
from exotui.cloud.stacks import (
    EventLog,
    TemplateProblem,
    fetch_resources,
    fetch_stack,
    fetch_stacks,
    parse_parameters,
    read_template,
)
from exotui.cloud.store import ProjectKey, ProjectStore
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs

LAB = """\
heat_template_version: 2018-08-31
description: A small lab, its own network, one instance with a data volume
parameters:
  flavor: {type: string, default: m3.small, description: instance size}
  size: {type: number, description: data volume in GB}
  admin_password: {type: string, hidden: true, default: s3cret}
resources:
  net:
    type: OS::Neutron::Net
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.77.0.0/24}
  router:
    type: OS::Neutron::Router
    properties: {external_gateway_info: {network: public}}
  interface:
    type: OS::Neutron::RouterInterface
    properties: {router: {get_resource: router}, subnet: {get_resource: subnet}}
  ssh:
    type: OS::Neutron::SecurityGroup
    properties:
      rules: [{protocol: tcp, port_range_min: 22, port_range_max: 22, remote_ip_prefix: 0.0.0.0/0}]
  port:
    type: OS::Neutron::Port
    properties:
      network: {get_resource: net}
      fixed_ips: [{subnet: {get_resource: subnet}}]
      security_groups: [{get_resource: ssh}]
  server:
    type: OS::Nova::Server
    properties:
      flavor: {get_param: flavor}
      image: Featured-Ubuntu24
      key_name: exotui-demo
      networks: [{port: {get_resource: port}}]
  data:
    type: OS::Cinder::Volume
    properties: {size: {get_param: size}}
  attach:
    type: OS::Cinder::VolumeAttachment
    properties: {instance_uuid: {get_resource: server}, volume_id: {get_resource: data}}
  public_ip:
    type: OS::Neutron::FloatingIP
    depends_on: interface
    properties: {floating_network: public, port_id: {get_resource: port}}
outputs:
  address:
    description: the instance's address on the lab network
    value: {get_attr: [server, first_address]}
  summary:
    value: {list_join: [" ", [{get_param: flavor}, {get_attr: [data, size]}, GB]]}
"""


@pytest.fixture()
def lab(tmp_path) -> Path:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB)
    return path


def _json(done) -> object:
    return json.loads(done.stdout)


@pytest.fixture()
def stacks(target):
    """The names of the stacks a test makes on its target; whatever is left of them at the end is deleted
    (the real stack outlives the run: a failed test must not leave a stack that the next run trips on)."""
    names: list[str] = []
    yield names
    for name in names:
        stack = target.conn.orchestration.find_stack(name)
        if stack is not None:
            target.conn.orchestration.delete_stack(stack)
            target.conn.orchestration.wait_for_delete(stack, interval=0.5, wait=120)


@pytest.fixture()
def openstack_cli(target, stacks):
    """The `openstack` CLI on the target cloud (its clouds.yaml, its cloud name)."""
    exe = Path(sys.executable).parent / "openstack"
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(target.clouds_yaml)}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(exe), "--os-cloud", target.cloud_name, *args], capture_output=True, text=True,
                              timeout=180, env=env)
        if check and done.returncode != 0:
            raise AssertionError(f"openstack {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done

    return run


def test_the_openstack_cli_creates_shows_and_deletes_a_stack(openstack_cli, lab, target, stacks):
    conn = target.conn
    stacks.append("cli-lab")
    openstack_cli("stack", "create", "-t", str(lab), "--parameter", "size=3", "--wait", "--poll", "1", "cli-lab")
    listed = _json(openstack_cli("stack", "list", "-f", "json"))
    assert {"Stack Name": "cli-lab", "Stack Status": "CREATE_COMPLETE"}.items() <= next(
        s for s in listed if s["Stack Name"] == "cli-lab").items()
    shown = _json(openstack_cli("stack", "show", "cli-lab", "-f", "json"))
    assert shown["stack_status_reason"] == "Stack CREATE completed successfully"
    assert shown["parameters"]["admin_password"] == "******"  # hidden, as Heat shows it
    address = _json(openstack_cli("stack", "output", "show", "cli-lab", "address", "-f", "json"))["output_value"]
    assert address.startswith("10.77.0.")
    summary = _json(openstack_cli("stack", "output", "show", "cli-lab", "summary", "-f", "json"))["output_value"]
    assert summary == "m3.small 3 GB"

    resources = {r["resource_name"]: r for r in _json(openstack_cli("stack", "resource", "list", "cli-lab",
                                                                    "-f", "json"))}
    assert {r["resource_status"] for r in resources.values()} == {"CREATE_COMPLETE"}
    # each physical_resource_id is the real thing, as every other API shows it
    server = conn.compute.get_server(resources["server"]["physical_resource_id"])
    assert server.status == "ACTIVE" and server.name.startswith("cli-lab-server-")
    assert address in json.dumps(server.addresses)
    volume = conn.block_storage.get_volume(resources["data"]["physical_resource_id"])
    assert volume.size == 3 and volume.status == "in-use" and volume.attachments[0]["server_id"] == server.id
    assert conn.network.get_subnet(resources["subnet"]["physical_resource_id"]).cidr == "10.77.0.0/24"
    floating = conn.network.get_ip(resources["public_ip"]["physical_resource_id"])
    assert floating.port_id == resources["port"]["physical_resource_id"]
    assert floating.floating_ip_address in json.dumps(conn.compute.get_server(server.id).addresses)
    group = conn.network.get_security_group(resources["ssh"]["physical_resource_id"])
    assert any(r["port_range_min"] == 22 for r in group.security_group_rules)
    assert resources["interface"]["physical_resource_id"].startswith(resources["router"]["physical_resource_id"])

    events = openstack_cli("stack", "event", "list", "cli-lab").stdout.splitlines()
    assert "[cli-lab]: CREATE_IN_PROGRESS  Stack CREATE started" in events[0]
    assert "[cli-lab.server]: CREATE_COMPLETE" in "\n".join(events)
    assert "[cli-lab]: CREATE_COMPLETE  Stack CREATE completed successfully" in events[-1]

    openstack_cli("stack", "delete", "-y", "--wait", "cli-lab")
    assert "cli-lab" not in openstack_cli("stack", "list").stdout
    assert conn.compute.find_server(server.id) is None or conn.compute.get_server(server.id).status == "DELETED"
    assert conn.network.find_network(resources["net"]["physical_resource_id"]) is None
    assert conn.network.find_router(resources["router"]["physical_resource_id"]) is None
    assert conn.network.find_ip(floating.id) is None


def test_a_bad_request_gets_heats_words_and_makes_nothing(openstack_cli, lab, tmp_path, stacks):
    stacks.extend(["nosize", "badimage", "badtype"])
    done = openstack_cli("stack", "create", "-t", str(lab), "nosize", check=False)
    assert done.returncode != 0 and "The Parameter (size) was not provided." in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(LAB.replace("image: Featured-Ubuntu24", "image: no-such-image"))
    done = openstack_cli("stack", "create", "-t", str(bad), "--parameter", "size=1", "badimage", check=False)
    assert ("Property error: : resources.server.properties.image: : Error validating value 'no-such-image': "
            "No images matching {'name': 'no-such-image'}.") in done.stderr
    bad.write_text(LAB.replace("OS::Cinder::Volume\n", "OS::Nope::Volume\n"))  # one unknown type (real Heat
    # names the first it meets, in no fixed order)
    done = openstack_cli("stack", "create", "-t", str(bad), "--parameter", "size=1", "badtype", check=False)
    assert "The Resource Type (OS::Nope::Volume) could not be found." in done.stderr
    assert not {"nosize", "badimage", "badtype"} & set(openstack_cli("stack", "list").stdout.split())


def test_openstacksdk_orchestration_proxy(target, lab, stacks):
    import yaml

    conn = target.conn
    stacks.append("sdk-lab")
    template = yaml.load(LAB, Loader=yaml.BaseLoader)  # the version stays a string, as heatclient sends it
    made = conn.orchestration.create_stack(name="sdk-lab", template=template, parameters={"size": 2})
    # Heat answers the POST at once and builds in the background (the demo at delay 0 has built already)
    conn.orchestration.wait_for_status(made, status="CREATE_COMPLETE", failures=["CREATE_FAILED"], interval=0.5,
                                       wait=120)
    stack = conn.orchestration.get_stack(made.id)
    assert (stack.name, stack.status) == ("sdk-lab", "CREATE_COMPLETE")
    assert {o["output_key"] for o in stack.outputs} == {"address", "summary"}
    assert conn.orchestration.find_stack("sdk-lab").id == made.id  # by name: Heat's lookup redirect
    kinds = {r.resource_type for r in conn.orchestration.resources(stack)}
    assert "OS::Nova::Server" in kinds and "OS::Neutron::FloatingIP" in kinds
    events = [(e.resource_name, e.resource_status) for e in conn.orchestration.stack_events(stack)]
    # Heat lists a stack's events newest first unless asked otherwise
    assert events[0] == ("sdk-lab", "CREATE_COMPLETE") and events[-1] == ("sdk-lab", "CREATE_IN_PROGRESS")
    oldest_first = conn.orchestration.stack_events(stack, sort_dir="asc")
    assert [(e.resource_name, e.resource_status) for e in oldest_first] == events[::-1]
    conn.orchestration.delete_stack(stack)
    conn.orchestration.wait_for_delete(stack, interval=0.05, wait=30)
    assert conn.orchestration.find_stack("sdk-lab") is None


# --- the cloud layer --------------------------------------------------------------------------------------

class Layer:
    def __init__(self, cloud: str = CLOUD_NAME, readonly: bool = False):
        self.session = CloudSession(lambda: openstack.connect(cloud=cloud), label="heat-test")
        self.store = ProjectStore(ProjectKey(cloud, PROJECT))
        self.poller = ProjectPoller(self.session, self.store, Intervals(fast=0.02, idle=0.2, others=30))
        self.actions = Actions(self.session, self.store, self.poller, timeout=60, readonly=readonly)


async def _running(layer: Layer):
    await layer.poller.load_all()
    await layer.poller.start()
    return layer


@contextlib.asynccontextmanager
async def demo_layer(tmp_path, monkeypatch):
    """(demo, layer): a demo cloud of its own whose writes take real (short) time (test_shares.py uses it too)."""
    with DemoCloudThread(Knobs(delay_scale=0.05, seed=4, ssh=False)) as demo:
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(demo.cloud.write_config(tmp_path)))
        layer = await _running(Layer())
        yield demo, layer
        await layer.poller.stop()
        layer.session.close()


@pytest.fixture()
async def slow_demo(tmp_path, monkeypatch):
    """(demo, layer) of `demo_layer`, for the kinds the real stack does not run (tests/cloud/test_magnum.py
    imports it)."""
    async with demo_layer(tmp_path, monkeypatch) as made:
        yield made


@pytest.fixture()
async def slow_heat(target: Target, tmp_path, monkeypatch, stacks):
    """(demo or None, layer, stacks): on the demo, a demo cloud of its own whose stacks take real (short)
    time, so that their events can be followed; on the real stack, its Heat, which takes its own time."""
    if target.real:
        layer = await _running(Layer(target.cloud_name))
        yield None, layer, stacks
        await layer.poller.stop()
        layer.session.close()
        return
    with DemoCloudThread(Knobs(delay_scale=0.05, seed=4, ssh=False)) as demo:
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(demo.cloud.write_config(tmp_path)))
        layer = await _running(Layer())
        yield demo, layer, []  # the cloud goes with the test: nothing to delete
        await layer.poller.stop()
        layer.session.close()


async def test_create_and_delete_through_the_one_door_with_events_followed_live(slow_heat, lab):
    demo, layer, stacks = slow_heat
    stacks.append("live-lab")
    template = read_template(lab)
    assert [p.name for p in template.parameters if p.required] == ["size"]
    heard: list[str] = []
    result = await layer.actions.create_stack("live-lab", template, parse_parameters(["size=4"], template),
                                              progress=heard.append)
    assert result.ok, result.message
    assert result.message == "stack live-lab created" and result.status == "CREATE_COMPLETE"
    # the events arrived one poll at a time while the stack was building, in order
    assert heard[0] == "live-lab: CREATE_IN_PROGRESS (Stack CREATE started)"
    assert heard.index("server: CREATE_IN_PROGRESS") < heard.index("server: CREATE_COMPLETE")
    assert heard[-1] == "live-lab: CREATE_COMPLETE (Stack CREATE completed successfully)"
    if demo is not None:  # what went over the wire: only the demo records it
        asked = [path for method, path in demo.world.asked if method == "GET" and "/events" in path]
        assert len(asked) > 2 and any("marker=" in path for path in asked)  # only what is new, each time

    # the store learns of the stack; its resources link to the rows exotui shows
    await until(lambda: any(s.name == "live-lab" for s in layer.store.get("stacks").values()))
    stack = next(s for s in layer.store.get("stacks").values() if s.name == "live-lab")
    detail = await fetch_stack(layer.session, stack)
    assert {o.key: o.value for o in detail.outputs}["summary"] == "m3.small 4 GB"
    resources = {r.name: r for r in await fetch_resources(layer.session, stack)}
    server = resources["server"]
    assert server.kind == "servers"
    await until(lambda: layer.store.item("servers", server.physical_id) is not None
                and layer.store.item("volumes", resources["data"].physical_id) is not None)

    deleting = asyncio.ensure_future(layer.actions.delete_stack(stack))
    await until(lambda: layer.actions.busy(stack.id, "delete_stack"))
    with pytest.raises(ActionRefused):  # a second press while the first runs: nothing sent
        await layer.actions.delete_stack(stack)
    result = await deleting
    assert result.ok and result.message == "stack live-lab deleted"
    if demo is not None:
        assert len([p for m, p in demo.world.asked if m == "DELETE" and "/stacks/" in p]) == 1
    await until(lambda: not any(s.name == "live-lab" for s in layer.store.get("stacks").values()))
    await until(lambda: layer.store.item("servers", server.physical_id) is None)


async def test_events_are_read_from_the_start_then_only_new_ones(slow_heat, lab):
    demo, layer, stacks = slow_heat
    stacks.append("log-lab")
    result = await layer.actions.create_stack("log-lab", read_template(lab), {"size": "1"})
    stack = Stack(id=result.value, name="log-lab", raw_name="log-lab")
    log = EventLog(stack)
    first = await log.poll(layer.session)
    assert first[0].status == "CREATE_IN_PROGRESS" and first[-1].status == "CREATE_COMPLETE"
    assert await log.poll(layer.session) == []
    await layer.actions.delete_stack(stack)


async def test_read_only_refuses_stack_writes_before_they_leave(target, lab, stacks):
    stacks.append("ro-lab")
    layer = Layer(target.cloud_name, readonly=True)
    before = None if target.real else len(target.demo.world.asked)
    with pytest.raises(ActionRefused, match=READ_ONLY):
        await layer.actions.create_stack("ro-lab", read_template(lab), {"size": "1"})
    with pytest.raises(ActionRefused, match=READ_ONLY):
        await layer.actions.delete_stack(Stack(id="x", name="y"))
    if before is not None:  # the demo records what reached it: no write did
        assert not [a for a in list(target.demo.world.asked)[before:] if a[0] in ("POST", "DELETE")]
    assert "ro-lab" not in {s.name for s in await fetch_stacks(layer.session)}  # reads still go; nothing made
    layer.session.close()


# --- pure parts ----------------------------------------------------------------------------------------------

def test_stack_text_from_the_cloud_is_made_printable():
    stack = Stack.from_api({"id": "s1", "stack_name": "ok", "stack_status": "CREATE_FAILED",
                            "stack_status_reason": "bad \x1b[2J\u202eevil",
                            "outputs": [{"output_key": "k\x07", "output_value": {"a": "\x1b]52;c;x\x07"}}],
                            "parameters": {"p": "\x9b1m", "OS::stack_id": "s1"}})
    assert "\x1b" not in stack.status_reason and "\u202e" not in stack.status_reason
    assert "\x1b" not in stack.outputs[0].value and "\x07" not in stack.outputs[0].key
    assert "\x9b" not in stack.parameters["p"] and "OS::stack_id" not in stack.parameters
    assert stack.failed and stack.action == "CREATE" and not stack.in_progress
    assert Stack.from_api({"stack_status": "DELETE_IN_PROGRESS"}).action == "DELETE"
    assert Stack.from_api({"stack_name": None, "outputs": "junk", "tags": 5}).name == ""


@pytest.mark.parametrize("content, problem", [
    (None, "No such file"), (b"a: [", "not valid YAML (line 1)"), (b"resources: {}\n", "not a Heat template"),
    (b"\xff\xfe", "not UTF-8"), (b"heat_template_version: 2018-08-31\nresources:\n  x: {get_file: a}\n", "get_file"),
    (b"heat_template_version: 2018-08-31\n#" + b"x" * 600_000, "Heat takes templates up to 524,288"),
])
def test_a_template_file_that_cannot_be_sent_is_one_line(tmp_path, content, problem):
    path = tmp_path / "t.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TemplateProblem) as caught:
        read_template(path)
    assert problem in str(caught.value) and "\n" not in str(caught.value)


def test_parameters_are_checked_against_the_template(lab):
    template = read_template(lab)
    assert parse_parameters(["size=5", "flavor=m3.quad"], template) == {"size": "5", "flavor": "m3.quad"}
    for pairs, problem in ((["size"], "NAME=VALUE"), (["sise=5"], "no such parameter"), ([], "needs a value for size")):
        with pytest.raises(TemplateProblem, match=problem):
            parse_parameters(pairs, template)


def test_search_finds_a_stack_by_name_and_id():
    from exotui.cloud.search import SearchIndex
    from exotui.cloud.store import ProjectKey

    index = SearchIndex()
    index.replace(ProjectKey("demo", "p1"), "stacks", [Stack(id="5a7c-0001", name="workshop-lab")])
    assert [(h.kind, h.label, h.field) for h in index.search("worksh")] == [("stacks", "workshop-lab", "name")]
    assert index.search("5a7c-0001")[0].item_id == "5a7c-0001"
