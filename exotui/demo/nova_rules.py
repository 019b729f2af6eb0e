"""Nova's server state machine as data: which action runs from which state, and the steps it takes.

Taken from Nova's code (nova/compute/api.py decorators, nova/api/openstack/common.py _STATE_MAP)
and checked against tests/oracle/nova-action-matrix.json, which records what real Nova 34
answered for every action from every state. Nova's own docs disagree with both; they lose.
"""

from __future__ import annotations

from dataclasses import dataclass

from .common import ApiError

RUNNING, SHUTDOWN, NOSTATE = 1, 4, 0

# nova/api/openstack/common.py _STATE_MAP: (vm_state, task_state) -> API status
_STATUS = {
    "active": {
        None: "ACTIVE",
        "rebooting": "REBOOT", "reboot_pending": "REBOOT", "reboot_started": "REBOOT",
        "rebooting_hard": "HARD_REBOOT", "reboot_pending_hard": "HARD_REBOOT",
        "reboot_started_hard": "HARD_REBOOT",
        "updating_password": "PASSWORD",
        "rebuilding": "REBUILD", "rebuild_block_device_mapping": "REBUILD", "rebuild_spawning": "REBUILD",
        "migrating": "MIGRATING",
        "resize_prep": "RESIZE", "resize_migrating": "RESIZE", "resize_migrated": "RESIZE",
        "resize_finish": "RESIZE",
    },
    "building": {None: "BUILD"},
    "stopped": {
        None: "SHUTOFF",
        "resize_prep": "RESIZE", "resize_migrating": "RESIZE", "resize_migrated": "RESIZE",
        "resize_finish": "RESIZE",
        "rebuilding": "REBUILD", "rebuild_block_device_mapping": "REBUILD", "rebuild_spawning": "REBUILD",
    },
    "resized": {None: "VERIFY_RESIZE", "resize_reverting": "REVERT_RESIZE"},
    "paused": {None: "PAUSED", "migrating": "MIGRATING"},
    "suspended": {None: "SUSPENDED"},
    "rescued": {None: "RESCUE"},
    "error": {None: "ERROR", "rebuilding": "REBUILD", "rebuild_block_device_mapping": "REBUILD",
              "rebuild_spawning": "REBUILD"},
    "deleted": {None: "DELETED"},
    "soft_deleted": {None: "SOFT_DELETED"},
    "shelved": {None: "SHELVED"},
    "shelved_offloaded": {None: "SHELVED_OFFLOADED"},
}

# The settled state each seedable status stands for: status -> (vm_state, power_state)
SETTLED = {
    "ACTIVE": ("active", RUNNING),
    "SHUTOFF": ("stopped", SHUTDOWN),
    "SUSPENDED": ("suspended", RUNNING),
    "PAUSED": ("paused", RUNNING),
    "SHELVED_OFFLOADED": ("shelved_offloaded", SHUTDOWN),
    "VERIFY_RESIZE": ("resized", RUNNING),
    "RESCUE": ("rescued", SHUTDOWN),
    "ERROR": ("error", RUNNING),
}


def status_of(vm_state: str, task_state: str | None) -> str:
    table = _STATUS.get(vm_state, {None: vm_state.upper()})
    return table.get(task_state, table[None])


@dataclass(frozen=True)
class Step:
    """One visible step: after `delay` seconds the server shows this task_state / vm_state / power.

    vm_state or power None keep the value the server has at that moment.
    """

    delay: float
    task_state: str | None
    vm_state: str | None = None
    power: int | None = None


@dataclass(frozen=True)
class Rule:
    method: str  # the name Nova puts in its 409 ("start" for os-start)
    vm_states: tuple[str, ...] | None  # None: any vm_state
    task_states: tuple[str | None, ...] = (None,)  # allowed task states; Nova's default is "no task"
    lock: bool = True  # refused while locked (for the owner)
    needs_host: bool = False  # 409 "is not ready" when shelved_offloaded (no host)
    policy: str | None = None  # a member is refused by policy: 403 with this rule name
    steps: tuple[Step, ...] = ()  # the first step happens before the API answers
    instance_action: str | None = None  # the os-instance-actions name


_HARD_REBOOT_TASKS = (None, "rebooting", "reboot_pending", "reboot_started", "rebooting_hard",
                      "reboot_pending_hard", "reboot_started_hard", "resuming", "unpausing", "pausing",
                      "suspending")

RULES: dict[str, Rule] = {
    "os-start": Rule("start", ("stopped",), needs_host=True, instance_action="start",
                     steps=(Step(0, "powering-on"), Step(2.0, None, "active", RUNNING))),
    "os-stop": Rule("stop", ("active", "error"), needs_host=True, instance_action="stop",
                    steps=(Step(0, "powering-off"), Step(2.0, None, "stopped", SHUTDOWN))),
    "reboot SOFT": Rule("reboot", ("active",), instance_action="reboot",
                        steps=(Step(0, "rebooting"), Step(1.0, "reboot_pending"), Step(1.0, "reboot_started"),
                               Step(2.0, None, "active", RUNNING))),
    "reboot HARD": Rule("reboot", ("active", "stopped", "paused", "suspended", "error"),
                        task_states=_HARD_REBOOT_TASKS, instance_action="reboot",
                        steps=(Step(0, "rebooting_hard"), Step(0.5, "reboot_pending_hard"),
                               Step(0.5, "reboot_started_hard"), Step(2.0, None, "active", RUNNING))),
    "pause": Rule("pause", ("active",), instance_action="pause",
                  steps=(Step(0, "pausing"), Step(1.0, None, "paused", RUNNING))),
    "unpause": Rule("unpause", ("paused",), instance_action="unpause",
                    steps=(Step(0, "unpausing"), Step(1.0, None, "active", RUNNING))),
    "suspend": Rule("suspend", ("active",), instance_action="suspend",
                    steps=(Step(0, "suspending"), Step(3.0, None, "suspended", RUNNING))),
    "resume": Rule("resume", ("suspended",), instance_action="resume",
                   steps=(Step(0, "resuming"), Step(3.0, None, "active", RUNNING))),
    "shelve": Rule("shelve", ("active", "stopped", "paused", "suspended"), instance_action="shelve",
                   steps=(Step(0, "shelving"), Step(1.5, "shelving_image_pending_upload", None, SHUTDOWN),
                          Step(2.0, "shelving_image_uploading"),
                          Step(3.0, "shelving_offloading", "shelved", SHUTDOWN),
                          Step(2.0, None, "shelved_offloaded", SHUTDOWN))),
    "shelveOffload": Rule("shelveOffload", ("shelved",), policy="os_compute_api:os-shelve:shelve_offload",
                          instance_action="shelveOffload",
                          steps=(Step(0, "shelving_offloading"), Step(2.0, None, "shelved_offloaded", SHUTDOWN))),
    "unshelve": Rule("unshelve", ("shelved", "shelved_offloaded"), instance_action="unshelve",
                     steps=(Step(0, "unshelving"), Step(2.0, "spawning"), Step(4.0, None, "active", RUNNING))),
    "resize": Rule("resize", ("active", "stopped"), instance_action="resize",
                   steps=(Step(0, "resize_prep"), Step(1.5, "resize_migrating"), Step(2.0, "resize_migrated"),
                          Step(1.5, "resize_finish"), Step(2.0, None, "resized"))),
    "confirmResize": Rule("confirmResize", ("resized",), instance_action="confirmResize",
                          steps=(Step(0.5, None, "active"),)),
    "revertResize": Rule("revertResize", ("resized",), instance_action="revertResize",
                         steps=(Step(0, "resize_reverting"), Step(3.0, None, "active", RUNNING))),
    "rescue": Rule("rescue", ("active", "stopped", "error"), instance_action="rescue",
                   steps=(Step(0, "rescuing"), Step(2.0, None, "rescued", SHUTDOWN))),
    "unrescue": Rule("unrescue", ("rescued",), instance_action="unrescue",
                     steps=(Step(0, "unrescuing"), Step(2.0, None, "active", RUNNING))),
    "createImage": Rule("createImage", ("active", "stopped", "paused", "suspended"), lock=False,
                        instance_action="createImage",
                        # the compute manager's image_snapshot (seen on the real stack), then the
                        # libvirt driver's upload steps (Jetstream2; the fake driver has none)
                        steps=(Step(0, "image_snapshot_pending"), Step(0.5, "image_snapshot"),
                               Step(1.0, "image_pending_upload"), Step(1.5, "image_uploading"), Step(2.0, None))),
    "os-getConsoleOutput": Rule("get_console_output", None, task_states=(), lock=False, needs_host=True),
    "lock": Rule("lock", None, task_states=(), lock=False, instance_action="lock"),
    "unlock": Rule("unlock", None, task_states=(), lock=False, instance_action="unlock"),
    "delete": Rule("delete", None, task_states=(), instance_action="delete",
                   steps=(Step(0, "deleting"), Step(1.5, None, "deleted", NOSTATE))),
    # security groups and floating IPs change no state and Nova checks no lock for them
    "addSecurityGroup": Rule("addSecurityGroup", None, task_states=(), lock=False),
    "removeSecurityGroup": Rule("removeSecurityGroup", None, task_states=(), lock=False),
    "addFloatingIp": Rule("addFloatingIp", None, task_states=(), lock=False),
    "removeFloatingIp": Rule("removeFloatingIp", None, task_states=(), lock=False),
    "attach_volume": Rule("attach_volume", ("active", "paused", "stopped", "resized", "soft_deleted",
                                            "shelved", "shelved_offloaded")),
    "detach_volume": Rule("detach_volume", ("active", "paused", "stopped", "resized", "soft_deleted",
                                            "shelved", "shelved_offloaded")),
    # nova/compute/api.py attach_interface / detach_interface
    "attach_interface": Rule("attach_interface", ("active", "paused", "stopped"), instance_action="attach_interface"),
    "detach_interface": Rule("detach_interface", ("active", "paused", "stopped"), instance_action="detach_interface"),
}


def check(action: str, server: dict) -> Rule:
    """The rule for `action` if the server may take it now (as its owner), else ApiError as Nova answers."""
    rule = RULES[action]
    sid = server["id"]
    if rule.policy:
        raise ApiError(403, f"Policy doesn't allow {rule.policy} to be performed.")
    if rule.lock and server["locked"]:
        raise ApiError(409, f"Instance {sid} is locked")
    vm_state = server["OS-EXT-STS:vm_state"]
    if rule.needs_host and vm_state == "shelved_offloaded":
        raise ApiError(409, f"Instance {sid} is not ready")
    if rule.vm_states is not None and vm_state not in rule.vm_states:
        raise ApiError(409, f"Cannot '{rule.method}' instance {sid} while it is in vm_state {vm_state}")
    task_state = server["OS-EXT-STS:task_state"]
    if rule.task_states and task_state not in rule.task_states:
        raise ApiError(409, f"Cannot '{rule.method}' instance {sid} while it is in task_state {task_state}")
    return rule
