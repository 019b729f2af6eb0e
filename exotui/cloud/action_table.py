"""Every action exotui can take, each declared once: its words, its request, when Nova allows it, what
settles it, whether it asks first and whether a dialog follows.

The rules (`rules.py`), the cloud layer that runs and follows actions (`actions/`), the UI's menus and
flows (`ui/flows.py`, `ui/resources.py`) and the tests held against real Nova's action matrix
(tests/oracle/nova-action-matrix.json) all read these tables; none keeps a list of its own.
The demo cloud's own model of Nova (`demo/nova_rules.py`) is the other side of the wire and stays apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

# (server ID, parameters, compute microversion) -> (method, path, body)
Request = Callable[[str, Mapping[str, Any], "str | None"], "tuple[str, str, Any]"]


@dataclass(frozen=True, slots=True)
class NovaRule:
    """When Nova (as the instance's owner, default policy) accepts an action."""

    vm_states: frozenset[str] | None  # None: any vm_state
    task_states: frozenset[str | None] | None = frozenset({None})  # None: any; Nova's default is "no task"
    lock: bool = True  # refused while the instance is locked
    needs_host: bool = False  # refused while shelved_offloaded ("is not ready": no compute host)
    admin_only: bool = False  # a member gets 403 from Nova's default policy


def _nova(*vm_states: str, **kw: Any) -> NovaRule:
    return NovaRule(frozenset(vm_states), **kw)



def _any_state(**kw: bool) -> NovaRule:
    """Any vm_state, any task."""
    return NovaRule(None, None, **kw)


# a hard reboot may interrupt these (nova/compute/api.py reboot: task_state=[...])
_HARD_REBOOT_TASKS = frozenset({None, "rebooting", "reboot_pending", "reboot_started", "rebooting_hard",
                                "reboot_pending_hard", "reboot_started_hard", "resuming", "unpausing", "pausing",
                                "suspending"})
_VOLUME_STATES = ("active", "paused", "stopped", "resized", "soft_deleted", "shelved", "shelved_offloaded")


@dataclass(frozen=True, slots=True)
class Confirm:
    """The question before an action that stops, loses or replaces something the user may rely on."""

    title: str  # "Shelve"
    happens: str  # what happens to each instance, after "web-1: it "
    status: str  # the status it ends in, for the SU/h after
    button: str


def _post(body: Any) -> Request:
    """POST /servers/{id}/action with a body that takes no parameters."""
    return lambda server_id, params, mv: ("POST", f"/servers/{server_id}/action", body)


def _resize(server_id: str, params: Mapping[str, Any], mv: str | None) -> tuple[str, str, Any]:
    return "POST", f"/servers/{server_id}/action", {"resize": {"flavorRef": str(params["flavor_id"])}}


def _lock(server_id: str, params: Mapping[str, Any], mv: str | None) -> tuple[str, str, Any]:
    # locked_reason arrived with 2.73; older clouds reject the key
    newer = tuple(map(int, (mv or "2.1").split("."))) >= (2, 73)
    reason = params.get("reason")
    return "POST", f"/servers/{server_id}/action", {"lock": {"locked_reason": reason} if reason and newer else None}


def _create_image(server_id: str, params: Mapping[str, Any], mv: str | None) -> tuple[str, str, Any]:
    return "POST", f"/servers/{server_id}/action", {"createImage": {"name": str(params["name"]).strip(),
                                                                    "metadata": dict(params.get("metadata") or {})}}


def _delete(server_id: str, params: Mapping[str, Any], mv: str | None) -> tuple[str, str, Any]:
    return "DELETE", f"/servers/{server_id}", None


def _attach_volume(server_id: str, params: Mapping[str, Any], mv: str | None) -> tuple[str, str, Any]:
    return ("POST", f"/servers/{server_id}/os-volume_attachments",
            {"volumeAttachment": {"volumeId": params["volume_id"]}})


def _detach_volume(server_id: str, params: Mapping[str, Any], mv: str | None) -> tuple[str, str, Any]:
    return "DELETE", f"/servers/{server_id}/os-volume_attachments/{params['volume_id']}", None


def _security_group(key: str) -> Request:
    return lambda server_id, params, mv: ("POST", f"/servers/{server_id}/action", {key: {"name": params["name"]}})


def _console(server_id: str, params: Mapping[str, Any], mv: str | None) -> tuple[str, str, Any]:
    return "POST", f"/servers/{server_id}/action", {"os-getConsoleOutput": {"length": params.get("length")}}


# how an action's effect is followed after Nova accepted it
SERVER, VOLUME, GROUPS = "server", "volume", "groups"


@dataclass(frozen=True, slots=True)
class ServerAction:
    """One action on an instance, everything about it in one place."""

    name: str  # exotui's name for it: "shelve"
    api: str  # Nova's name for it (the action body's key; "delete"): as tests/oracle's matrix names it
    verb: str  # what the user asked for, as a verb: "shelve web-1"
    done: str  # how it reads when done: "web-1: shelved"
    label: str | None  # its line in the action menu, which keeps this table's order (None: not in the menu)
    nova: NovaRule  # when Nova allows it
    request: Request
    settles: frozenset[str] = frozenset()  # the statuses it ends in (with no task); empty: the status it had
    follows: str = SERVER  # what shows it done: the server's status (SERVER), the volume (VOLUME), its groups
    needs: str | None = None  # for an action that undoes one state: why not, when not in that state
    already: frozenset[str] = frozenset()  # the vm_states it ends in: asking again is "already"
    confirm: Confirm | None = None  # asked first (a cloud's `exotui: {confirm: {NAME: false}}` turns it off)
    dialog: bool = False  # a dialog gathers what it needs: one instance at a time
    writes: bool = True  # False: a read that has to be a POST (the console log)
    then_poll: tuple[str, ...] = ()  # the kinds it changes besides the instance, listed again when it is done

    @property
    def in_menu(self) -> bool:
        return self.label is not None


def _action(name: str, api: str, verb: str, done: str, label: str | None, nova: NovaRule,
            request: Request | None = None, settles: tuple[str, ...] = (), already: tuple[str, ...] = (),
            **kw: Any) -> ServerAction:
    return ServerAction(name, api, verb, done, label, nova, request or _post({api: None}), frozenset(settles),
                        already=frozenset(already), **kw)


SERVER_ACTIONS: tuple[ServerAction, ...] = (
    _action("start", "os-start", "start", "started", "Start", _nova("stopped", needs_host=True),
            settles=("ACTIVE",), already=("active",)),
    _action("stop", "os-stop", "stop", "stopped", "Stop (shut off)", _nova("active", "error", needs_host=True),
            settles=("SHUTOFF",), already=("stopped",),
            confirm=Confirm("Stop", "shuts off: whatever runs in it stops.", "SHUTOFF", "Stop")),
    _action("reboot_soft", "reboot SOFT", "reboot", "rebooted", "Reboot", _nova("active"),
            _post({"reboot": {"type": "SOFT"}}), settles=("ACTIVE",)),
    _action("reboot_hard", "reboot HARD", "hard-reboot", "rebooted (hard)", "Hard reboot",
            _nova("active", "stopped", "paused", "suspended", "error", task_states=_HARD_REBOOT_TASKS),
            _post({"reboot": {"type": "HARD"}}), settles=("ACTIVE",),
            confirm=Confirm("Hard reboot", "is powered off and on at once, like pulling the plug: unsaved data may "
                            "be lost.", "ACTIVE", "Hard reboot")),
    _action("confirm_resize", "confirmResize", "confirm the resize of", "resize confirmed", "Confirm resize",
            _nova("resized"), settles=("ACTIVE", "SHUTOFF"),  # SHUTOFF: resized while off
            needs="there is no resize to confirm"),
    _action("revert_resize", "revertResize", "revert the resize of", "resize reverted", "Revert resize",
            _nova("resized"), settles=("ACTIVE", "SHUTOFF"), needs="there is no resize to revert"),
    _action("resize", "resize", "resize", "resized: confirm or revert the resize", "Resize…",
            _nova("active", "stopped"), _resize, settles=("VERIFY_RESIZE",), dialog=True),
    _action("suspend", "suspend", "suspend", "suspended", "Suspend", _nova("active"),
            settles=("SUSPENDED",), already=("suspended",)),
    _action("resume", "resume", "resume", "resumed", "Resume", _nova("suspended"), settles=("ACTIVE",),
            needs="the instance is not suspended"),
    _action("pause", "pause", "pause", "paused", "Pause", _nova("active"), settles=("PAUSED",), already=("paused",)),
    _action("unpause", "unpause", "unpause", "unpaused", "Unpause", _nova("paused"), settles=("ACTIVE",),
            needs="the instance is not paused"),
    _action("shelve", "shelve", "shelve", "shelved", "Shelve (stops SU charges)",
            _nova("active", "stopped", "paused", "suspended"),
            settles=("SHELVED_OFFLOADED", "SHELVED"),  # SHELVED stays when the cloud never offloads
            already=("shelved", "shelved_offloaded"),
            confirm=Confirm("Shelve", "is shut off and stored: its memory and local state are gone; unshelving "
                            "takes minutes.", "SHELVED_OFFLOADED", "Shelve")),
    _action("unshelve", "unshelve", "unshelve", "unshelved", "Unshelve", _nova("shelved", "shelved_offloaded"),
            settles=("ACTIVE",), needs="the instance is not shelved"),
    _action("create_image", "createImage", "snapshot", "snapshot taken", "Create image (snapshot)…",
            _nova("active", "stopped", "paused", "suspended", lock=False),  # snapshots ignore the lock
            _create_image, dialog=True, then_poll=("images",)),
    _action("attach_volume", "os-volume_attachments", "attach the volume to", "volume attached", "Attach volume…",
            _nova(*_VOLUME_STATES), _attach_volume, follows=VOLUME, dialog=True),
    _action("detach_volume", "os-volume_attachments DELETE", "detach the volume from", "volume detached",
            "Detach volume…", _nova(*_VOLUME_STATES), _detach_volume, follows=VOLUME, dialog=True),
    # Neutron does the work; Nova checks neither state nor lock
    _action("add_security_group", "addSecurityGroup", "add the security group to", "security group added",
            "Add security group…", _any_state(lock=False), _security_group("addSecurityGroup"),
            follows=GROUPS, dialog=True),
    _action("remove_security_group", "removeSecurityGroup", "remove the security group from",
            "security group removed", "Remove security group…", _any_state(lock=False),
            _security_group("removeSecurityGroup"), follows=GROUPS, dialog=True),
    _action("rescue", "rescue", "rescue", "in rescue mode", "Rescue", _nova("active", "stopped", "error"),
            settles=("RESCUE",), already=("rescued",),
            confirm=Confirm("Rescue", "reboots into a rescue image: it stops serving until you unrescue it.",
                            "RESCUE", "Rescue")),
    _action("unrescue", "unrescue", "unrescue", "out of rescue mode", "Unrescue", _nova("rescued"),
            settles=("ACTIVE",), needs="the instance is not in rescue mode"),
    _action("lock", "lock", "lock", "locked", "Lock", _any_state(lock=False), _lock),  # a 202 no-op if locked
    _action("unlock", "unlock", "unlock", "unlocked", "Unlock", _any_state(lock=False)),
    # any state, any task, but not while locked; the UI's delete asks with its own dialog (and always)
    _action("delete", "delete", "delete", "deleted", "Delete…", _any_state(), _delete,
            then_poll=("ports", "floating_ips", "volumes")),  # what the instance held is free now
    # not in the menu
    _action("shelve_offload", "shelveOffload", "offload", "offloaded", None, _nova("shelved", admin_only=True),
            needs="the instance is not shelved"),
    _action("console_log", "os-getConsoleOutput", "read the console of", "console log read", None,
            _any_state(lock=False, needs_host=True), _console, writes=False),
)
SERVER_ACTION: Mapping[str, ServerAction] = {a.name: a for a in SERVER_ACTIONS}
MENU: tuple[ServerAction, ...] = tuple(a for a in SERVER_ACTIONS if a.in_menu)
LAUNCH_SETTLES = frozenset({"ACTIVE"})


# --- commands run on the instance itself, over SSH ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InstanceCommand:
    """An action on one ACTIVE instance that is not a cloud request: commands run in it over exotui's SSH path
    (ssh/), shown in full and run only once the user agreed (`confirm`'s button), one instance at a time."""

    name: str
    verb: str  # "install the usage reporter on"
    label: str  # its line in the action menu, after the SSH lines
    confirm: Confirm


INSTANCE_COMMANDS: tuple[InstanceCommand, ...] = (
    InstanceCommand("install_usage_reporter", "install the usage reporter on", "Install usage reporter…",
                    Confirm("Install the usage reporter", "gets a one-minute cron job (as root) writing its CPU, "
                            "memory, disk and GPU use to its console log, as Exosphere's instances do.", "ACTIVE",
                            "Install")),
    InstanceCommand("remove_usage_reporter", "remove the usage reporter from", "Remove usage reporter…",
                    Confirm("Remove the usage reporter", "loses exotui's one-minute cron job: its usage lines stop "
                            "(Exosphere's own reporter, if it has one, stays).", "ACTIVE", "Remove")),
)
INSTANCE_COMMAND: Mapping[str, InstanceCommand] = {c.name: c for c in INSTANCE_COMMANDS}


# --- volumes, floating IPs, security groups ----------------------------------------------------------

VOLUMES, FLOATING_IPS, SECURITY_GROUPS, STACKS = "volumes", "floating_ips", "security_groups", "stacks"
KEYPAIRS, VOLUME_SNAPSHOTS, IMAGES, ROUTERS = "keypairs", "volume_snapshots", "images", "routers"
CLUSTERS = "clusters"
SHARES = "shares"


@dataclass(frozen=True, slots=True)
class ResourceAction:
    """One action of the Volumes, Floating IPs or Security groups view, on its current row. What it sends and
    what settles it are its method's in cloud/actions/ (VOLUMES: volumes.py, ...); its dialogs are ui/resources.py's
    (`FLOWS` there maps each of these to its flow)."""

    kind: str  # the store's kind its view lists
    name: str  # the view's name for it
    verb: str  # what the user asked for: "create volume"
    key: str  # the key that starts it in its view
    label: str  # that key's description in the footer
    makes: bool = False  # makes a new one: needs no current row
    asks: bool = False  # asks for confirmation first
    dialog: bool = False  # a dialog gathers what it needs
    writes: bool = True  # False: nothing in the cloud changes (a kubeconfig), so read-only mode lets it go


def _resource(kind: str, name: str, verb: str, key: str, label: str, **kw: bool) -> ResourceAction:
    return ResourceAction(kind, name, verb, key, label, **kw)


RESOURCE_ACTIONS: tuple[ResourceAction, ...] = (
    _resource(VOLUMES, "create", "create volume", "n", "New", makes=True, dialog=True),
    _resource(VOLUMES, "attach", "attach volume", "a", "Attach", dialog=True),
    _resource(VOLUMES, "detach", "detach volume", "x", "Detach", asks=True),
    _resource(VOLUMES, "extend", "extend volume", "e", "Extend", dialog=True),
    _resource(VOLUMES, "delete", "delete volume", "ctrl+d", "Delete", asks=True),
    _resource(VOLUMES, "snapshot", "take snapshot", "s", "Snapshot", dialog=True),
    _resource(FLOATING_IPS, "allocate", "allocate floating IP", "n", "Allocate", makes=True),
    _resource(FLOATING_IPS, "assign", "assign floating IP", "a", "Assign", dialog=True),
    _resource(FLOATING_IPS, "unassign", "unassign floating IP", "u", "Unassign", asks=True),
    _resource(FLOATING_IPS, "release", "release floating IP", "ctrl+d", "Release", asks=True),
    _resource(SECURITY_GROUPS, "add_rule", "add rule", "n", "Add rule", dialog=True),
    _resource(SECURITY_GROUPS, "remove_rule", "remove rule", "x", "Remove rule", asks=True, dialog=True),
    _resource(SECURITY_GROUPS, "create_group", "create security group", "c", "New group", makes=True, dialog=True),
    _resource(SECURITY_GROUPS, "delete_group", "delete security group", "ctrl+d", "Delete group", asks=True),
    _resource(STACKS, "create", "create stack", "n", "New", makes=True, dialog=True),
    _resource(STACKS, "delete", "delete stack", "ctrl+d", "Delete", asks=True),
    _resource(CLUSTERS, "resize", "resize cluster", "r", "Resize", dialog=True),
    _resource(CLUSTERS, "kubeconfig", "write kubeconfig", "k", "Kubeconfig", dialog=True, writes=False),
    _resource(CLUSTERS, "delete", "delete cluster", "ctrl+d", "Delete", asks=True),
    _resource(KEYPAIRS, "import", "import key pair", "i", "Import", makes=True, dialog=True),
    _resource(KEYPAIRS, "create", "create key pair", "n", "New", makes=True, dialog=True),
    _resource(KEYPAIRS, "delete", "delete key pair", "ctrl+d", "Delete", asks=True),
    _resource(VOLUME_SNAPSHOTS, "create", "take snapshot", "n", "New", makes=True, dialog=True),
    _resource(VOLUME_SNAPSHOTS, "to_volume", "new volume from snapshot", "v", "New volume", dialog=True),
    _resource(VOLUME_SNAPSHOTS, "delete", "delete snapshot", "ctrl+d", "Delete", asks=True),
    _resource(IMAGES, "visibility", "change image visibility", "v", "Visibility", dialog=True),
    _resource(IMAGES, "rename", "rename image", "r", "Rename", dialog=True),
    _resource(IMAGES, "delete", "delete image", "ctrl+d", "Delete", asks=True),
    _resource(ROUTERS, "create", "create router", "n", "New", makes=True, dialog=True),
    _resource(ROUTERS, "gateway", "set router gateway", "e", "Gateway", dialog=True),
    _resource(ROUTERS, "add_interface", "add router interface", "a", "Add subnet", dialog=True),
    _resource(ROUTERS, "remove_interface", "remove router interface", "x", "Remove subnet", asks=True, dialog=True),
    _resource(ROUTERS, "delete", "delete router", "ctrl+d", "Delete", asks=True),
    _resource(SHARES, "create", "create share", "n", "New", makes=True, dialog=True),
    _resource(SHARES, "extend", "extend share", "e", "Extend", dialog=True),
    _resource(SHARES, "grant", "grant access to share", "g", "Grant", dialog=True),
    _resource(SHARES, "revoke", "revoke access to share", "x", "Revoke", asks=True, dialog=True),
    _resource(SHARES, "delete", "delete share", "ctrl+d", "Delete", asks=True),
)
RESOURCE_ACTION: Mapping[tuple[str, str], ResourceAction] = {(a.kind, a.name): a for a in RESOURCE_ACTIONS}
