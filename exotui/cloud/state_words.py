"""An instance's Nova status and task state as short words for a table column, one word per value.

Nova's own names do not fit 80 columns together (`SHELVED_OFFLOADED`, `SHUTOFF powering-on` cut to
`SHUTOFF powering…`, which hides whether it goes on or off). Each status and each task state gets a word
of at most WIDTH cells of its own: no two values share a word, so a row never leaves a doubt; the detail
screen says Nova's names in full (`full`). The values are Nova's (nova/compute/task_states.py, where
powering-on, powering-off and soft-deleting have hyphens; the API's statuses from
nova/api/openstack/common.py `_STATE_MAP`); the steps of one task are numbered in Nova's order.
"""

from __future__ import annotations

WIDTH = 10  # cells: the STATUS and TASK columns of the Instances view

STATUS_WORDS = {
    "ACTIVE": "active",
    "BUILD": "building",
    "SHUTOFF": "shutoff",
    "SUSPENDED": "suspended",
    "PAUSED": "paused",
    "SHELVED_OFFLOADED": "shelved",  # what Jetstream2 users call it: offloaded at once (shelved_offload_time 0)
    "SHELVED": "shelved+",  # + still holds its host: not offloaded yet
    "RESIZE": "resize",
    "VERIFY_RESIZE": "to confirm",  # a resize waiting for confirm or revert
    "REVERT_RESIZE": "reverting",
    "REBOOT": "reboot",
    "HARD_REBOOT": "hardreboot",
    "PASSWORD": "password",
    "REBUILD": "rebuild",
    "MIGRATING": "migrating",
    "RESCUE": "rescue",
    "ERROR": "error",
    "DELETED": "deleted",
    "SOFT_DELETED": "softdelete",
    "UNKNOWN": "unknown",
}

TASK_WORDS = {
    # create
    "scheduling": "scheduling",
    "block_device_mapping": "volumes",
    "networking": "networking",
    "spawning": "spawning",
    # snapshot, backup
    "image_snapshot": "snap 1/4",
    "image_snapshot_pending": "snap 2/4",
    "image_pending_upload": "snap 3/4",
    "image_uploading": "snap 4/4",
    "image_backup": "backup",
    "updating_password": "password",
    # resize, revert, confirm
    "resize_prep": "resize 1/4",
    "resize_migrating": "resize 2/4",
    "resize_migrated": "resize 3/4",
    "resize_finish": "resize 4/4",
    "resize_reverting": "reverting",
    "resize_confirming": "confirming",
    # reboot
    "rebooting": "reboot 1/3",
    "reboot_pending": "reboot 2/3",
    "reboot_started": "reboot 3/3",
    "rebooting_hard": "hardrb 1/3",
    "reboot_pending_hard": "hardrb 2/3",
    "reboot_started_hard": "hardrb 3/3",
    # power and friends
    "pausing": "pausing",
    "unpausing": "unpausing",
    "suspending": "suspending",
    "resuming": "resuming",
    "powering-off": "stopping",
    "powering-on": "starting",
    "rescuing": "rescuing",
    "unrescuing": "unrescuing",
    # rebuild
    "rebuilding": "rebld 1/3",
    "rebuild_block_device_mapping": "rebld 2/3",
    "rebuild_spawning": "rebld 3/3",
    # the rest
    "migrating": "migrating",
    "deleting": "deleting",
    "soft-deleting": "soft-del",
    "restoring": "restoring",
    "shelving": "shelve 1/3",
    "shelving_image_pending_upload": "shelve 2/3",
    "shelving_image_uploading": "shelve 3/3",
    "shelving_offloading": "offloading",
    "unshelving": "unshelving",
}


def status_word(status: str) -> str:
    """The status's word; one Nova does not name (a newer release's) lower-cased as it is."""
    return STATUS_WORDS.get(status, status.lower())


def task_word(task_state: str | None) -> str:
    """The task state's word, "" when none runs; one Nova does not name lower-cased as it is."""
    if not task_state:
        return ""
    return TASK_WORDS.get(task_state, task_state.lower())


def full(status: str, task_state: str | None) -> str:
    """Nova's names in full, with the words the table shows: "SHUTOFF · powering-on (starting)"."""
    text = status + (f" ({STATUS_WORDS[status]})" if status in STATUS_WORDS and STATUS_WORDS[status] != status.lower()
                     else "")
    if task_state:
        text += f" · {task_state}" + (f" ({task_word(task_state)})" if task_state in TASK_WORDS else "")
    return text
