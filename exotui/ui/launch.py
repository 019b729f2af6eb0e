"""The launch form (`n` in Instances): what to boot from (an image, a new volume made from it, or an existing
bootable volume), flavor, network, key pair, groups, user data (a file, or the script itself, held to Nova's
limit), a floating IP once ACTIVE, and how many (Nova's max and min count), checked against every quota it
touches before anything is sent."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Awaitable, Callable

from ..cloud.actions import ActionResult
from ..cloud.actions.servers import USER_DATA_MAX, user_data_problem
from ..cloud.quotas import launch_shortfall
from ..cloud.rules import FAMILY_TITLES, flavor_family
from ..cloud.units import su_per_hour
from .dialogs.form import Field, FormDialog

MAX_NAME = 255  # Nova refuses longer server names (and quotes the whole name back)
BOOT_IMAGE, BOOT_NEW_VOLUME, BOOT_VOLUME = "image", "new-volume", "volume"
BOOT_CHOICES = (("the image (local disk)", BOOT_IMAGE), ("a new volume made from the image", BOOT_NEW_VOLUME),
                ("an existing bootable volume", BOOT_VOLUME))
PATH_STARTS = ("/", "~", "./", "../")  # one line starting so is a file to read, not the script itself


def read_user_data(text: str) -> tuple[str | bytes | None, str | None]:
    """(the user data, what is wrong): one line naming a file (/, ~, ./) is that file's bytes, read no further
    than Nova could take; anything else is the script itself; blank is none."""
    stripped = text.strip()
    if not stripped:
        return None, None
    if "\n" not in stripped and stripped.startswith(PATH_STARTS):
        path = Path(stripped).expanduser()
        try:
            if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or /dev/stdin would block the app in open()
                return None, f"user data: {stripped} is not a file"
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                data = handle.read(USER_DATA_MAX + 1)  # a bigger file is refused by its size, not read whole
        except OSError as err:
            return None, f"user data: cannot read {stripped}: {err.strerror or err}"
        if not data:
            return None, f"user data: {stripped} is empty"
        return data, user_data_problem(data, max(size, len(data)))
    return text, user_data_problem(text)


def launch_form(project) -> FormDialog:
    """Every launch option on one form, checked on submit; the values it returns carry the user data read."""
    store = project.store
    images = sorted((i for i in store.get("images").values() if i.status in ("active", "")),
                    key=lambda i: (i.is_snapshot, i.name))
    # most Jetstream2 users start from the newest featured Ubuntu
    ubuntu = sorted((i for i in images if i.properties.get("os_distro") == "ubuntu" and not i.is_snapshot),
                    key=lambda i: i.properties.get("os_version", ""), reverse=True)
    image = (ubuntu or images or [None])[0]
    families = list(FAMILY_TITLES)
    flavors = sorted(store.get("flavors").values(),
                     key=lambda f: (families.index(flavor_family(f)), f.vcpus, f.ram_mb))
    networks = [n for n in store.get("networks").values() if not n.external]
    volumes = sorted((v for v in store.get("volumes").values() if v.bootable and v.status == "available"),
                     key=lambda v: v.name)
    # shown by name, sent by the name as the cloud has it (a shown name holds ␊ where the real one has \n)
    keypairs = sorted(store.get("keypairs").values(), key=lambda k: k.name)
    groups = sorted({g.name: g.api_name for g in store.get("security_groups").values()}.items())
    small = next((f.id for f in flavors if f.name == "m3.small"), flavors[0].id if flavors else None)

    def check(values: dict[str, Any]) -> str | None:
        name, boot, count = values["name"], values["boot"], values["count"]
        if not name:
            return "the instance needs a name"
        if len(name) > MAX_NAME:
            return f"a name has at most {MAX_NAME} characters (Nova's limit); this one has {len(name)}"
        if boot == BOOT_VOLUME:
            if not values["volume"]:
                return "choose the volume to boot from" if volumes else "no bootable volume is available"
        elif not values["image"]:
            return "choose an image to boot from"
        if boot == BOOT_NEW_VOLUME:
            image_min = getattr(store.item("images", values["image"]), "min_disk_gb", 0)
            if values["volume_gb"] is None or values["volume_gb"] < max(image_min, 1):
                return (f"give the new volume's size in GB (the image needs at least {image_min})" if image_min
                        else "give the new volume's size in GB")
        if not values["flavor"]:
            return "choose a flavor"
        if count is None or count < 1:
            return "launch at least one instance"
        least = count if values["least"] is None else values["least"]
        if least < 1 or least > count:
            return f"at least: from 1 to the count ({count}), or blank for all {count}"
        if boot == BOOT_VOLUME and count > 1:
            return "one volume boots one instance: a count of 1, or boot from new volumes"
        data, problem = read_user_data(values["user_data"])
        if problem:
            return problem
        values["user_data"] = data  # what is sent: the file read once, here
        values["least"] = least
        return launch_shortfall(store.get("quotas"), store.item("flavors", values["flavor"]), count, least,
                                new_volume_gb=values["volume_gb"] or 0 if boot == BOOT_NEW_VOLUME else 0,
                                floating_ips=values["floating_ip"])

    fields = [
        Field("name", "Name", placeholder="my-instance"),
        Field("image", "Image", "select", image.id if image else None,
              tuple((i.name + (" (snapshot)" if i.is_snapshot else ""), i.id) for i in images)),
        Field("flavor", "Flavor", "select", small,
              tuple((f"{f.name}  {f.vcpus} vCPU {f.ram_mb / 1024:g} GiB · {su_per_hour(f):g} SU/h", f.id)
                    for f in flavors)),
        Field("boot", "Boot from", "select", BOOT_IMAGE, BOOT_CHOICES),
        Field("volume_gb", "New volume GB", "int", None, placeholder="size, for a new volume (e.g. 60)"),
        Field("volume", "Boot volume", "select", None,
              tuple((f"{v.name or v.id[:8]} ({v.size_gb} GB)", v.id) for v in volumes),
              placeholder="for an existing volume" if volumes else "no bootable volume available", allow_blank=True),
        Field("network", "Network", "select", None, tuple((n.name, n.id) for n in networks),
              placeholder="auto (the project's own network)", allow_blank=True),
        Field("key", "Key pair", "select", keypairs[0].api_name if keypairs else None,
              tuple((k.name, k.api_name) for k in keypairs),
              placeholder="none", allow_blank=True),
        Field("groups", "Security groups", "multi", options=tuple(groups),
              selected=("default",)),
        Field("user_data", "User data", "lines",
              placeholder="a file (/path, ~/path, ./path) or the script itself"),
        Field("floating_ip", "Floating IP", "check", False, placeholder="allocate and assign one when ACTIVE"),
        Field("count", "Count", "int", 1),
        Field("least", "At least", "int", None, placeholder="blank: all of them (Nova's min_count)"),
    ]
    return FormDialog("Launch an instance", fields, validate=check, submit="Launch")


def launch_call(project, values: dict[str, Any]) -> Callable[[], Awaitable[ActionResult]]:
    """The launch the form's values ask for."""
    boot = values["boot"]
    return lambda: project.actions.launch(
        values["name"], values["image"] if boot != BOOT_VOLUME else None, values["flavor"],
        [values["network"]] if values["network"] else None, values["key"], values["groups"] or None,
        user_data=values["user_data"], boot_volume_size_gb=values["volume_gb"] if boot == BOOT_NEW_VOLUME else None,
        count=values["count"], min_count=values["least"],
        boot_volume_id=values["volume"] if boot == BOOT_VOLUME else None, floating_ip=values["floating_ip"])
