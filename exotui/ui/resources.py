"""The flows of the Volumes, Floating IPs and Security groups views: small dialogs, then project.actions.
`FLOWS` (at the end) maps each of action_table's RESOURCE_ACTIONS to its flow here. Each takes the item as the
store held it when its key was pressed (see Flows.resource); what the cloud layer would refuse it refuses
before the dialog, asking the cloud layer (`Actions.why_not_*`), never checking again on its own."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from ..cloud.action_table import RESOURCE_ACTION, ResourceAction
from ..cloud.rules import allowed_actions, server_flavor
from .dialogs import Choice, ChoiceDialog, ConfirmDialog, PromptDialog
from .dialogs.form import Field, FormDialog, whole_number
from .plain import escape, middle
from .share_flows import SHARE_FLOWS
from .widgets.views import rule_summary

if TYPE_CHECKING:
    from ..cloud.models import FloatingIP, Image, Keypair, Router, SecurityGroup, Stack, Volume, VolumeSnapshot
    from .flows import Flows


def _label(volume) -> str:
    return middle(volume.name) if volume.name else volume.id[:8]


def _instance_choices(project, action: str) -> list[Choice]:
    """Every instance of the project, refused ones dimmed with why (Nova's rules for `action`)."""
    flavors = project.store.get("flavors").values()
    choices = []
    for server in sorted(project.store.get("servers").values(), key=lambda s: s.name):
        verdict = allowed_actions(server, server_flavor(server, flavors), project.rules).get(action)
        reason = verdict.reason if verdict is not None and not verdict else None
        choices.append(Choice(server.id, f"{escape(middle(server.name))} ({server.status})", reason))
    return choices


# --- volumes ---------------------------------------------------------------------------------------

async def create_volume(flows: Flows, project, _: Any) -> None:
    quota = project.store.item("quotas", "volume:gigabytes")
    room = quota.headroom if quota is not None else None

    def check(values: dict[str, Any]) -> str | None:
        size = values["size"]
        if not values["name"]:
            return "the volume needs a name"
        if size is None or size < 1:
            return "give the size as a whole number of GB, at least 1" + (f" and at most {room}" if room else "")
        if room is not None and size > room:
            return f"the project has {max(room, 0)} GB of volume quota left (quota {quota.limit} GB)"
        return None

    values = await flows.ask(FormDialog("Create a volume", [
        Field("name", "Name", placeholder="my-data"), Field("size", "Size (GB)", "int", 10),
        Field("description", "Description")], validate=check, submit="Create"))
    if values is not None:
        await flows.run(project, f"create volume {values['name']}",
                        lambda: project.actions.create_volume(values["name"], values["size"],
                                                              description=values["description"] or None))


def _refused(flows: Flows, item: str, reason: str | None) -> bool:
    """Say why the cloud layer would refuse (naming the item), before any dialog; True if it would."""
    if reason:
        flows.app.notify(reason if reason.startswith(item) else f"{item}: {reason}", severity="warning", markup=False)
    return reason is not None


async def attach_volume(flows: Flows, project, volume: Volume) -> None:
    if _refused(flows, _label(volume), project.actions.why_not_attach_volume(volume)):
        return
    server_id = await flows.ask(ChoiceDialog(f"Attach {_label(volume)} ({volume.size_gb} GB) to",
                                             _instance_choices(project, "attach_volume")))
    server = project.store.item("servers", server_id) if server_id else None
    if server is not None:
        await flows.run_on_servers(project, [server], "attach_volume", volume_id=volume.id)


async def detach_volume(flows: Flows, project, volume: Volume) -> None:
    servers = [s for s in (project.store.item("servers", a.server_id) for a in volume.attachments) if s]
    if not servers:
        flows.app.notify(f"{_label(volume)} is not attached to an instance of this project", severity="warning")
        return
    server_id = servers[0].id if len(servers) == 1 else await flows.ask(ChoiceDialog(
        f"Detach {_label(volume)} from", [Choice(s.id, escape(s.name)) for s in servers]))
    server = project.store.item("servers", server_id) if server_id else None
    if server is not None:
        await flows.detach_volume(project, server, volume.id)


async def extend_volume(flows: Flows, project, volume: Volume) -> None:
    if _refused(flows, _label(volume), project.actions.why_not_extend_volume(volume)):
        return
    quota = project.store.item("quotas", "volume:gigabytes")
    room = quota.headroom if quota is not None else None
    most = volume.size_gb + max(room, 0) if room is not None else None

    def check(text: str) -> str | None:
        size = whole_number(text)
        if size is None or size <= volume.size_gb:
            return f"give a whole number of GB above {volume.size_gb} (volumes only grow)"
        if most is not None and size > most:
            return f"the project has {max(room, 0)} GB of volume quota left: at most {most} GB"
        return None

    size = await flows.ask(PromptDialog(f"Extend {_label(volume)} from {volume.size_gb} GB to (GB)",
                                        value=str(volume.size_gb * 2), restrict=r"\d*", validate=check))
    if size:
        await flows.run(project, f"extend {_label(volume)}",
                        lambda: project.actions.extend_volume(volume.id, whole_number(size)))


async def delete_volume(flows: Flows, project, volume: Volume) -> None:
    if _refused(flows, _label(volume), project.actions.why_not_delete_volume(volume)):
        return
    if await flows.ask(ConfirmDialog(f"Delete volume {_label(volume)}?",
                                     f"Its {volume.size_gb} GB of data are gone for good.")):
        await flows.run(project, f"delete volume {_label(volume)}",
                        lambda: project.actions.delete_volume(volume.id))


# --- floating IPs ----------------------------------------------------------------------------------

async def allocate_floating_ip(flows: Flows, project, _: Any) -> None:
    external = [n for n in project.store.get("networks").values() if n.external]
    network_id = None
    if len(external) > 1:
        network_id = await flows.ask(ChoiceDialog("Allocate a floating IP from",
                                                  [Choice(n.id, escape(n.name)) for n in external]))
        if network_id is None:
            return
    await flows.run(project, "allocate a floating IP",
                    lambda: project.actions.allocate_floating_ip(network_id))


async def assign_floating_ip(flows: Flows, project, fip: FloatingIP) -> None:
    if _refused(flows, fip.address, project.actions.why_not_assign_floating_ip(fip)):
        return
    choices = [Choice(s.id, f"{escape(s.name)} ({s.status})",
                      f"has {', '.join(s.floating_ips)} already" if s.floating_ips else None if s.fixed_ips
                      else "has no fixed address") for s in sorted(project.store.get("servers").values(),
                                                                    key=lambda s: s.name)]
    server_id = await flows.ask(ChoiceDialog(f"Assign {fip.address} to", choices))
    server = project.store.item("servers", server_id) if server_id else None
    if server is not None:
        await flows.run(project, f"assign {fip.address}",
                        lambda: project.actions.assign_floating_ip(fip.id, server.id))


async def unassign_floating_ip(flows: Flows, project, fip: FloatingIP) -> None:
    if await flows.ask(ConfirmDialog(f"Unassign {fip.address}?", "The instance loses this public address; "
                                     "the address stays allocated to the project.", confirm="Unassign")):
        await flows.run(project, f"unassign {fip.address}",
                        lambda: project.actions.unassign_floating_ip(fip.id))


async def release_floating_ip(flows: Flows, project, fip: FloatingIP) -> None:
    where = f" It is assigned to {fip.fixed_address}, which loses it." if fip.port_id else ""
    if await flows.ask(ConfirmDialog(f"Release floating IP {fip.address}?",
                                     f"The address goes back to the cloud; you may not get it again.{where}",
                                     confirm="Release")):
        await flows.run(project, f"release {fip.address}",
                        lambda: project.actions.release_floating_ip(fip.id))


# --- security groups and their rules ------------------------------------------------------------------

async def create_group(flows: Flows, project, _: Any) -> None:
    taken = {g.name for g in project.store.get("security_groups").values()}

    def check(values: dict[str, Any]) -> str | None:
        name = values["name"].strip()
        if not name:
            return "the group needs a name"
        if name in taken:
            return f"the project has a group named {name} already"
        return None

    values = await flows.ask(FormDialog("Create a security group", [
        Field("name", "Name", placeholder="web"), Field("description", "Description")],
        validate=check, submit="Create"))
    if values is not None:
        name = values["name"].strip()
        await flows.run(project, f"create security group {name}",
                        lambda: project.actions.create_security_group(name, values["description"]))


async def delete_group(flows: Flows, project, group: SecurityGroup) -> None:
    if _refused(flows, group.name, project.actions.why_not_delete_security_group(group)):
        return
    if await flows.ask(ConfirmDialog(f"Delete security group {group.name}?",
                                     f"{len(group.rules)} rules go with it; rules of other groups that name it too.",
                                     confirm="Delete")):
        await flows.run(project, f"delete security group {group.name}",
                        lambda: project.actions.delete_security_group(group.id))


PROTOCOLS = (("tcp", "tcp"), ("udp", "udp"), ("icmp", "icmp"), ("any protocol", "any"))


def _check_rule(values: dict[str, Any]) -> str | None:
    low, high = values["port_min"], values["port_max"]
    if values["protocol"] in ("tcp", "udp"):
        if low is not None and not 1 <= low <= 65535 or high is not None and not 1 <= high <= 65535:
            return "ports are 1 to 65535"
        if low is not None and high is not None and low > high:
            return "the first port must not be above the last"
    elif low is not None or high is not None:
        return "ports apply to tcp and udp only"
    try:
        if values["remote"]:
            ipaddress.ip_network(values["remote"], strict=False)
    except ValueError:
        return f"{values['remote']} is not an address range (e.g. 0.0.0.0/0 or 203.0.113.0/24)"
    return None


async def add_rule(flows: Flows, project, group: SecurityGroup) -> None:
    values = await flows.ask(FormDialog(f"Add a rule to {group.name}", [
        Field("direction", "Direction", "select", "ingress", (("in (ingress)", "ingress"), ("out (egress)", "egress"))),
        Field("protocol", "Protocol", "select", "tcp", PROTOCOLS, allow_blank=False),
        Field("port_min", "First port", "int", 22), Field("port_max", "Last port", "int", placeholder="= first port"),
        Field("remote", "Remote CIDR", value="0.0.0.0/0", placeholder="empty: anywhere"),
        Field("description", "Description"),
    ], validate=_check_rule, submit="Add"))
    if values is None:
        return
    low = values["port_min"]
    high = values["port_max"] if values["port_max"] is not None else low
    remote = values["remote"] or None
    protocol = None if values["protocol"] == "any" else values["protocol"]
    ethertype = "IPv6" if remote and ipaddress.ip_network(remote, strict=False).version == 6 else "IPv4"
    if not await _risky_confirmed(flows, group, values["direction"], protocol, low, high, remote, ethertype):
        return
    await flows.run(project, f"add a rule to {group.name}",
                    lambda: project.actions.add_rule(group.id, values["direction"], protocol, low, high,
                                                     remote, ethertype=ethertype,
                                                     description=values["description"]))


async def _risky_confirmed(flows: Flows, group: SecurityGroup, direction: str, protocol: str | None,
                           low: int | None, high: int | None, remote: str | None, ethertype: str) -> bool:
    """A rule net/risky.py judges risky (every port, or a risky one, open to the whole Internet) asks first,
    naming the risk; any other rule goes at once."""
    from ..net.risky import rule_risk

    risk = rule_risk(direction, protocol, low, high, remote, ethertype=ethertype)
    if risk is None:
        return True
    whole = "all ports" if risk.every_port else "a port attackers scan for"
    return bool(await flows.ask(ConfirmDialog(
        f"Risky: this rule opens {whole} to the whole Internet",
        f"{risk.message} in {group.name}. Jetstream2's advice: open only what you need, to the addresses that "
        "need it (an instance has no firewall of its own; a security group is its only wall).",
        confirm="Add anyway")))


async def remove_rule(flows: Flows, project, group: SecurityGroup) -> None:
    if not group.rules:
        flows.app.notify(f"{group.name} has no rules", severity="warning")
        return
    rule_id = await flows.ask(ChoiceDialog(f"Remove which rule of {group.name}?",
                                           [Choice(r.id, escape(_marked(r))) for r in group.rules]))
    rule = next((r for r in group.rules if r.id == rule_id), None)
    if rule is not None and await flows.ask(ConfirmDialog(
            f"Remove this rule from {group.name}?", rule_summary(rule), confirm="Remove")):
        await flows.run(project, f"remove the rule from {group.name}",
                        lambda: project.actions.remove_rule(rule.id))


def _marked(rule) -> str:
    from ..net.risky import risk_of

    return ("RISKY " if risk_of(rule) is not None else "") + rule_summary(rule)


# --- stacks ------------------------------------------------------------------------------------------

async def create_stack(flows: Flows, project, _: Any) -> None:
    """A template file read and checked, then a form: the stack's name and one field per parameter."""
    import os
    from pathlib import Path

    from ..cloud.stacks import TemplateProblem, read_template

    def template_problem(text: str) -> str | None:
        try:
            read_template(Path(os.path.expanduser(text)))
        except (TemplateProblem, ValueError) as err:  # ValueError: a NUL in the path
            return middle(str(err), 200)
        return None

    typed = await flows.ask(PromptDialog("Create a stack from a Heat template file", placeholder="~/lab.yaml",
                                         validate=template_problem))
    if not typed:
        return
    template = read_template(Path(os.path.expanduser(typed)))
    params = list(template.parameters)

    def check(values: dict[str, Any]) -> str | None:
        name = values["name"]
        if not name or not name[0].isalpha() or not all(c.isalnum() or c in "_-." for c in name):
            return "a stack name starts with a letter and holds only letters, digits and _-."
        missing = [p.name for n, p in enumerate(params) if p.required and not values[f"param{n}"]]
        return f"the template needs a value for {', '.join(missing)}" if missing else None

    fields = [Field("name", "Stack name", placeholder="my-lab")] + [
        Field(f"param{n}", middle(p.name, 20), value=None if p.default is None else str(p.default),
              placeholder=(p.description or p.type)[:40]) for n, p in enumerate(params)]
    values = await flows.ask(FormDialog(f"Create a stack from {middle(template.path.name, 40)}", fields,
                                        validate=check, submit="Create"))
    if values is not None:
        chosen = {p.name: values[f"param{n}"] for n, p in enumerate(params) if values[f"param{n}"]}
        await flows.run(project, f"create stack {values['name']}",
                        lambda: project.actions.create_stack(values["name"], template, chosen))


async def delete_stack(flows: Flows, project, stack: Stack) -> None:
    if _refused(flows, middle(stack.name), project.actions.why_not_delete_stack(stack)):
        return
    if await flows.ask(ConfirmDialog(f"Delete stack {middle(stack.name)}?",
                                     "Heat deletes everything it made for it: instances, volumes, networks.")):
        await flows.run(project, f"delete stack {middle(stack.name)}",
                        lambda: project.actions.delete_stack(stack))


# --- clusters (Magnum) ---------------------------------------------------------------------------------

def _worker_count(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else None


async def resize_cluster(flows: Flows, project, cluster: Any) -> None:
    """The new worker count typed (one line says what is wrong with it); a shrink asks first."""
    label = middle(cluster.name)
    if _refused(flows, label, project.actions.why_not_resize_cluster(cluster)):
        return

    def check(text: str) -> str | None:
        count = _worker_count(text)
        if count is None:
            return "give the number of worker nodes as a whole number, like 3"
        return project.actions.why_not_resize_cluster(cluster, count)

    typed = await flows.ask(PromptDialog(f"Resize cluster {label}: worker nodes (now {cluster.node_count})",
                                         value=str(cluster.node_count), validate=check,
                                         hint=f"enter: resize · esc: cancel (masters stay {cluster.master_count})"))
    count = _worker_count(typed or "")
    if count is None:
        return
    if count < cluster.node_count and not await flows.ask(ConfirmDialog(
            f"Shrink cluster {label} from {cluster.node_count} to {count} workers?",
            f"Magnum removes {cluster.node_count - count} node{'s' if cluster.node_count - count != 1 else ''}: "
            "what runs there is moved or stopped.", confirm="Shrink")):
        return
    await flows.run(project, f"resize cluster {label} to {count}",
                    lambda: project.actions.resize_cluster(cluster, count))


async def cluster_kubeconfig(flows: Flows, project, cluster: Any) -> None:
    """Where to write it (a new file only); then a key made here and a certificate signed by the cloud."""
    import os
    from pathlib import Path

    label = middle(cluster.name)
    if _refused(flows, label, project.actions.why_not_kubeconfig(cluster)):
        return

    def where(text: str) -> Path:
        return Path(os.path.expanduser(text))

    def check(text: str) -> str | None:
        if not text:
            return "give a path for the new file"
        try:
            path = where(text)
            if path.exists():
                return f"{middle(str(path), 60)} exists: exotui writes a new file only"
            if not path.parent.is_dir():
                return f"no such folder: {middle(str(path.parent), 60)}"
        except (OSError, ValueError):  # ValueError: a NUL typed
            return "that is not a path this machine can use"
        return None

    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in cluster.name) or cluster.id[:8]
    typed = await flows.ask(PromptDialog(f"Write a kubeconfig for cluster {label} to", value=f"~/{safe}.kubeconfig",
                                         validate=check, hint="a new file, mode 600 · esc: cancel"))
    if typed:
        path = where(typed)
        result = await flows.run(project, f"kubeconfig for {label}",
                                 lambda: project.actions.write_kubeconfig(cluster, path), quiet=True)
        if result is not None:
            flows.say(result)
            if result.ok:
                flows.app.notify(f"export KUBECONFIG={path}", title="then kubectl get nodes", timeout=10,
                                 markup=False)


async def delete_cluster(flows: Flows, project, cluster: Any) -> None:
    label = middle(cluster.name)
    if _refused(flows, label, project.actions.why_not_delete_cluster(cluster)):
        return
    if await flows.ask(ConfirmDialog(f"Delete cluster {label}?", "Magnum deletes its Heat stack and every node with "
                                     "it: what runs on the cluster is gone.", confirm="Delete")):
        await flows.run(project, f"delete cluster {label}", lambda: project.actions.delete_cluster(cluster))


# --- volume snapshots ---------------------------------------------------------------------------------

def _quota_problem(project, resource: str, wanted: int, unit: str) -> str | None:
    quota = project.store.item("quotas", f"volume:{resource}")
    room = quota.headroom if quota is not None else None
    if room is not None and wanted > room:
        return f"the project has {max(room, 0)}{unit} of {resource} quota left (quota {quota.limit}{unit})"
    return None


async def snapshot_volume(flows: Flows, project, volume: Volume) -> None:
    if _refused(flows, _label(volume), project.actions.why_not_snapshot_volume(volume)):
        return
    from ..cloud.actions.snapshots import MAX_NAME

    def check(values: dict[str, Any]) -> str | None:
        if not values["name"]:
            return "the snapshot needs a name"
        if len(values["name"]) > MAX_NAME:
            return f"a snapshot name has at most {MAX_NAME} characters; this one has {len(values['name'])}"
        return (_quota_problem(project, "snapshots", 1, "") or
                _quota_problem(project, "gigabytes", volume.size_gb, " GB"))

    attached = " (attached: taken as if its power were cut)" if volume.attachments else ""
    values = await flows.ask(FormDialog(f"Snapshot {_label(volume)}{attached}", [
        Field("name", "Name", value=f"{volume.name}-snapshot"[:MAX_NAME] if volume.name else None,
              placeholder="my-data-snapshot"),
        Field("description", "Description")], validate=check, submit="Snapshot"))
    if values is not None:
        await flows.run(project, f"snapshot {_label(volume)}",
                        lambda: project.actions.create_volume_snapshot(volume.id, values["name"],
                                                                       values["description"]))


async def create_snapshot(flows: Flows, project, _: Any) -> None:
    """`n` in the snapshots view: which volume first, then as `s` in the volumes view."""
    volumes = sorted(project.store.get("volumes").values(), key=lambda v: v.name)
    if not volumes:
        flows.app.notify("the project has no volumes to snapshot", severity="warning")
        return
    volume_id = await flows.ask(ChoiceDialog("Snapshot which volume?", [
        Choice(v.id, f"{escape(_label(v))} ({v.size_gb} GB, {v.status})", project.actions.why_not_snapshot_volume(v))
        for v in volumes]))
    volume = project.store.item("volumes", volume_id) if volume_id else None
    if volume is not None:
        await snapshot_volume(flows, project, volume)


async def snapshot_to_volume(flows: Flows, project, snapshot: VolumeSnapshot) -> None:
    label = _label(snapshot)
    if snapshot.status != "available":
        flows.app.notify(f"{label}: the snapshot is {snapshot.status}: a volume is made only from an available one",
                         severity="warning", markup=False)
        return

    def check(values: dict[str, Any]) -> str | None:
        size = values["size"]
        if not values["name"]:
            return "the volume needs a name"
        if size is None or size < snapshot.size_gb:
            return f"give the size as a whole number of GB, at least the snapshot's {snapshot.size_gb}"
        return _quota_problem(project, "volumes", 1, "") or _quota_problem(project, "gigabytes", size, " GB")

    values = await flows.ask(FormDialog(f"New volume from snapshot {label}", [
        Field("name", "Name", placeholder="restored-data"), Field("size", "Size (GB)", "int", snapshot.size_gb),
        Field("description", "Description")], validate=check, submit="Create"))
    if values is not None:
        await flows.run(project, f"create volume {middle(values['name'])}",
                        lambda: project.actions.create_volume(values["name"], values["size"],
                                                              description=values["description"] or None,
                                                              snapshot_id=snapshot.id))


async def delete_snapshot(flows: Flows, project, snapshot: VolumeSnapshot) -> None:
    label = _label(snapshot)
    if _refused(flows, label, project.actions.why_not_delete_volume_snapshot(snapshot)):
        return
    if await flows.ask(ConfirmDialog(f"Delete snapshot {label}?",
                                     f"Its {snapshot.size_gb} GB copy of the volume is gone for good; volumes made "
                                     "from it stay.", confirm="Delete")):
        await flows.run(project, f"delete snapshot {label}",
                        lambda: project.actions.delete_volume_snapshot(snapshot.id))


# --- key pairs ---------------------------------------------------------------------------------------

def _first_problem(*checks: Callable[[], str | None]) -> str | None:
    return next((problem for check in checks if (problem := check())), None)


def _key_problem(given: str) -> str | None:
    from ..cloud.actions.keypairs import KeyProblem, read_public_key

    try:
        read_public_key(given)
    except KeyProblem as err:
        return err.reason
    return None


async def import_keypair(flows: Flows, project, _: Any) -> None:
    """A public key from a file (its path) or pasted, under a name: only the public key is read or sent."""
    import os

    from ..cloud.actions.keypairs import check_keypair_name

    mine = next((p for p in ("~/.ssh/id_ed25519.pub", "~/.ssh/id_rsa.pub") if os.path.exists(os.path.expanduser(p))),
                None)

    def check(values: dict[str, Any]) -> str | None:
        return _first_problem(lambda: check_keypair_name(values["name"]), lambda: _key_problem(values["key"]))

    values = await flows.ask(FormDialog("Import a public key", [
        Field("name", "Name", placeholder="my-laptop"),
        Field("key", "Public key", value=mine, placeholder="~/.ssh/id_ed25519.pub, or paste ssh-ed25519 AAAA…")],
        validate=check, submit="Import"))
    if values is not None:
        await flows.run(project, f"import key pair {middle(values['name'])}",
                        lambda: project.actions.import_keypair(values["name"], values["key"]))


async def create_keypair(flows: Flows, project, _: Any) -> None:
    """A new key pair made on this machine: the private key saved to a new file (mode 600), never shown."""
    from ..cloud.actions.keypairs import check_keypair_name, check_private_key_path

    def where(values: dict[str, Any]) -> str:
        return values["path"] or f"~/.ssh/{values['name'].strip()}"

    def check(values: dict[str, Any]) -> str | None:
        return _first_problem(lambda: check_keypair_name(values["name"]), lambda: check_private_key_path(where(values)))

    values = await flows.ask(FormDialog("Create a key pair (ed25519)", [
        Field("name", "Name", placeholder="my-key"),
        Field("path", "Private key to", placeholder="~/.ssh/NAME (a new file, mode 600)")],
        validate=check, submit="Create"))
    if values is not None:
        await flows.run(project, f"create key pair {middle(values['name'])}",
                        lambda: project.actions.create_keypair(values["name"], where(values)))


async def delete_keypair(flows: Flows, project, keypair: Keypair) -> None:
    from .flows import _listed

    users = project.actions.instances_using_keypair(keypair)
    held = f" {_listed([middle(n, 30) for n in users], 3)} keep it in their authorized_keys." if users else ""
    if await flows.ask(ConfirmDialog(f"Delete key pair {middle(keypair.name)}?",
                                     f"New instances can no longer be launched with it.{held} Your private key "
                                     "file stays where it is.", confirm="Delete")):
        await flows.run(project, f"delete key pair {middle(keypair.name)}",
                        lambda: project.actions.delete_keypair(keypair.id))


# --- images ------------------------------------------------------------------------------------------

async def image_visibility(flows: Flows, project, image: Image) -> None:
    from ..cloud.actions.images import VISIBILITIES

    label = middle(image.name or image.id[:8])
    if _refused(flows, label, project.actions.why_not_change_image(image)):
        return
    visibility = await flows.ask(ChoiceDialog(f"Who sees {label}? (now {image.visibility})", [
        Choice(v, f"{v}: {meaning}", project.actions.why_not_visibility(image, v))
        for v, meaning in VISIBILITIES.items()]))
    if visibility:
        await flows.run(project, f"make {label} {visibility}",
                        lambda: project.actions.set_image_visibility(image.id, visibility))


async def rename_image(flows: Flows, project, image: Image) -> None:
    from ..cloud.actions.images import MAX_NAME

    label = middle(image.name or image.id[:8])
    if _refused(flows, label, project.actions.why_not_change_image(image)):
        return

    def check(text: str) -> str | None:
        if not text.strip():
            return "an image needs a name"
        if len(text.strip()) > MAX_NAME:
            return f"an image name has at most {MAX_NAME} characters; this one has {len(text.strip())}"
        return None

    name = await flows.ask(PromptDialog(f"Rename image {label} to", value=image.name, validate=check))
    if name and name.strip() != image.name:
        await flows.run(project, f"rename {label}", lambda: project.actions.rename_image(image.id, name))


async def delete_image(flows: Flows, project, image: Image) -> None:
    from .flows import _listed

    label = middle(image.name or image.id[:8])
    if _refused(flows, label, project.actions.why_not_delete_image(image)):
        return
    users = project.actions.instances_from_image(image)
    held = (f" {_listed([middle(n, 30) for n in users], 3)} keep running but cannot be rebuilt from it." if users
            else "")
    if await flows.ask(ConfirmDialog(f"Delete image {label}?", f"It is gone for good, for every project it is shared "
                                     f"with.{held}", confirm="Delete")):
        await flows.run(project, f"delete image {label}", lambda: project.actions.delete_image(image.id))


# --- routers -----------------------------------------------------------------------------------------

NO_GATEWAY = "-"  # the gateway choice that clears it


def _externals(project) -> list:
    return sorted((n for n in project.store.get("networks").values() if n.external), key=lambda n: n.name)


def _subnet_label(project, subnet) -> str:
    network = project.store.item("networks", subnet.network_id)
    return escape(f"{middle(subnet.name or subnet.id[:8], 24)} {subnet.cidr}"
                  + (f" ({middle(network.name, 24)})" if network else ""))


async def create_router(flows: Flows, project, _: Any) -> None:
    from ..cloud.actions.routers import MAX_NAME

    externals = _externals(project)

    def check(values: dict[str, Any]) -> str | None:
        if not values["name"]:
            return "the router needs a name"
        if len(values["name"]) > MAX_NAME:
            return f"a router name has at most {MAX_NAME} characters; this one has {len(values['name'])}"
        return None

    values = await flows.ask(FormDialog("Create a router", [
        Field("name", "Name", placeholder="my-router"),
        Field("gateway", "Gateway", "select", externals[0].id if len(externals) == 1 else None,
              tuple((n.name, n.id) for n in externals), placeholder="none (no way out)", allow_blank=True)],
        validate=check, submit="Create"))
    if values is not None:
        await flows.run(project, f"create router {middle(values['name'])}",
                        lambda: project.actions.create_router(values["name"], values["gateway"]))


async def router_gateway(flows: Flows, project, router: Router) -> None:
    label = middle(router.name or router.id[:8])
    choices = [Choice(n.id, escape(n.name), "its gateway is there already" if n.id == router.external_network_id
                      else None) for n in _externals(project)]
    choices.append(Choice(NO_GATEWAY, "no gateway (clear it)", None if router.external_network_id else
                          "it has no gateway"))
    chosen = await flows.ask(ChoiceDialog(f"Gateway of router {label}", choices))
    if chosen is None:
        return
    if chosen == NO_GATEWAY and not await flows.ask(ConfirmDialog(
            f"Clear the gateway of router {label}?", "Its subnets lose their way to the Internet and floating IPs "
            f"behind it stop answering; its address {', '.join(router.external_ips) or ''} goes back to the cloud.",
            confirm="Clear")):
        return
    await flows.run(project, f"set the gateway of {label}",
                    lambda: project.actions.set_router_gateway(router.id, None if chosen == NO_GATEWAY else chosen))


async def add_router_interface(flows: Flows, project, router: Router) -> None:
    label = middle(router.name or router.id[:8])
    subnets = sorted(project.store.get("subnets").values(), key=lambda s: (s.name, s.cidr))
    choices = [Choice(s.id, _subnet_label(project, s), project.actions.why_not_add_interface(router, s))
               for s in subnets]
    if not choices:
        flows.app.notify("the project has no subnets", severity="warning")
        return
    subnet_id = await flows.ask(ChoiceDialog(f"Add which subnet to router {label}?", choices))
    if subnet_id:
        await flows.run(project, f"add an interface to {label}",
                        lambda: project.actions.add_router_interface(router.id, subnet_id))


async def remove_router_interface(flows: Flows, project, router: Router) -> None:
    label = middle(router.name or router.id[:8])
    subnets = [s for _port, s in project.actions.router_interfaces(router) if s is not None]
    if not subnets:
        flows.app.notify(f"router {label} has no subnet interfaces", severity="warning", markup=False)
        return
    subnet_id = await flows.ask(ChoiceDialog(f"Remove which subnet from router {label}?",
                                             [Choice(s.id, _subnet_label(project, s)) for s in subnets]))
    subnet = project.store.item("subnets", subnet_id) if subnet_id else None
    if subnet is not None and await flows.ask(ConfirmDialog(
            f"Remove {middle(subnet.name or subnet.cidr)} from router {label}?",
            "Instances on that subnet lose their way out through this router, and their floating IPs stop "
            "answering.", confirm="Remove")):
        await flows.run(project, f"remove an interface from {label}",
                        lambda: project.actions.remove_router_interface(router.id, subnet.id))


async def delete_router(flows: Flows, project, router: Router) -> None:
    label = middle(router.name or router.id[:8])
    if _refused(flows, label, project.actions.why_not_delete_router(router)):
        return
    freed = f" Its gateway address {', '.join(router.external_ips)} goes back to the cloud." if router.external_ips \
        else ""
    if await flows.ask(ConfirmDialog(f"Delete router {label}?", f"It is gone for good.{freed}", confirm="Delete")):
        await flows.run(project, f"delete router {label}", lambda: project.actions.delete_router(router.id))


# each of action_table.RESOURCE_ACTIONS -> its flow (tests/ui/test_menu_from_table.py checks none is missing)
Flow = Callable[["Flows", Any, Any], Awaitable[None]]
FLOWS: Mapping[ResourceAction, Flow] = {
    RESOURCE_ACTION["volumes", "create"]: create_volume,
    RESOURCE_ACTION["volumes", "attach"]: attach_volume,
    RESOURCE_ACTION["volumes", "detach"]: detach_volume,
    RESOURCE_ACTION["volumes", "extend"]: extend_volume,
    RESOURCE_ACTION["volumes", "delete"]: delete_volume,
    RESOURCE_ACTION["floating_ips", "allocate"]: allocate_floating_ip,
    RESOURCE_ACTION["floating_ips", "assign"]: assign_floating_ip,
    RESOURCE_ACTION["floating_ips", "unassign"]: unassign_floating_ip,
    RESOURCE_ACTION["floating_ips", "release"]: release_floating_ip,
    RESOURCE_ACTION["security_groups", "add_rule"]: add_rule,
    RESOURCE_ACTION["security_groups", "remove_rule"]: remove_rule,
    RESOURCE_ACTION["security_groups", "create_group"]: create_group,
    RESOURCE_ACTION["security_groups", "delete_group"]: delete_group,
    RESOURCE_ACTION["stacks", "create"]: create_stack,
    RESOURCE_ACTION["stacks", "delete"]: delete_stack,
    RESOURCE_ACTION["clusters", "resize"]: resize_cluster,
    RESOURCE_ACTION["clusters", "kubeconfig"]: cluster_kubeconfig,
    RESOURCE_ACTION["clusters", "delete"]: delete_cluster,
    RESOURCE_ACTION["keypairs", "import"]: import_keypair,
    RESOURCE_ACTION["keypairs", "create"]: create_keypair,
    RESOURCE_ACTION["keypairs", "delete"]: delete_keypair,
    RESOURCE_ACTION["volumes", "snapshot"]: snapshot_volume,
    RESOURCE_ACTION["volume_snapshots", "create"]: create_snapshot,
    RESOURCE_ACTION["volume_snapshots", "to_volume"]: snapshot_to_volume,
    RESOURCE_ACTION["volume_snapshots", "delete"]: delete_snapshot,
    RESOURCE_ACTION["images", "visibility"]: image_visibility,
    RESOURCE_ACTION["images", "rename"]: rename_image,
    RESOURCE_ACTION["images", "delete"]: delete_image,
    RESOURCE_ACTION["routers", "create"]: create_router,
    RESOURCE_ACTION["routers", "gateway"]: router_gateway,
    RESOURCE_ACTION["routers", "add_interface"]: add_router_interface,
    RESOURCE_ACTION["routers", "remove_interface"]: remove_router_interface,
    RESOURCE_ACTION["routers", "delete"]: delete_router,
    **SHARE_FLOWS,  # ui/share_flows.py
}
