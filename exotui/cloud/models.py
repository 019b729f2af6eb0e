"""What the UI renders: frozen dataclasses parsed from the services' raw JSON.

Parsing is tolerant: a missing, null or oddly typed field becomes a neutral value, never an
exception (real clouds send nulls where the docs promise strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

# statuses during which Nova is still moving the server somewhere
TRANSITIONAL = frozenset({"BUILD", "REBOOT", "HARD_REBOOT", "RESIZE", "REVERT_RESIZE", "MIGRATING", "PASSWORD",
                          "REBUILD", "SHELVED", "DELETED", "UNKNOWN"})


# C0 controls, DEL and C1 controls -> visible stand-ins (U+2400 Control Pictures, U+2421, U+FFFD), one
# character for one: a name holding ESC must not reach the terminal as an escape sequence.
_CONTROL = {**{c: 0x2400 + c for c in range(0x20)}, 0x7F: 0x2421, **{c: 0xFFFD for c in range(0x80, 0xA0)}}
# what else reorders or hides text: bidi embeddings, overrides, isolates and marks (U+202E made "gpj.exe"
# read "exe.jpg"), zero-width characters, line and paragraph separators. Shown as \u202e, visibly.
_INVISIBLE = (0x061C, 0x115F, 0x1160, 0x180E, 0x200B, 0x200C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A,
              0x202B, 0x202C, 0x202D, 0x202E, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x2066, 0x2067, 0x2068,
              0x2069, 0x206A, 0x206B, 0x206C, 0x206D, 0x206E, 0x206F, 0x3164, 0xFEFF, 0xFFA0, 0xFFF9, 0xFFFA, 0xFFFB)
_SHOWN = {**_CONTROL, **{c: f"\\u{c:04x}" for c in _INVISIBLE}}
# the zero-width joiner is kept between two emoji (👩‍🔬 is one glyph), shown anywhere else
_EMOJI = "\u2600-\u27bf\U0001f000-\U0001faff"
_LONE_ZWJ = re.compile(f"(?<![{_EMOJI}])\u200d|\u200d(?![{_EMOJI}])")


def printable(text: str) -> str:
    """`text` as it may be shown: its control, bidi and zero-width characters made visible (isprintable is
    the fast path: every character it lets through is safe). Every string from a cloud passes here once, as
    the models are built; what goes back to the API is the raw value (see `raw_name`)."""
    if text.isprintable():
        return text
    text = text.translate(_SHOWN)
    return _LONE_ZWJ.sub(r"\\u200d", text) if "\u200d" in text else text


_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_LINES = {c: t for c, t in _SHOWN.items() if c not in (0x09, 0x0A)}


def printable_lines(text: str) -> str:
    """A console log for the screen: its colour and cursor sequences dropped (systemd's "[  OK  ]"
    is green on a real console), carriage returns gone, other controls made visible; lines kept."""
    text = _ANSI.sub("", text).replace("\r", "").translate(_LINES)
    return _LONE_ZWJ.sub(r"\\u200d", text) if "\u200d" in text else text


def _s(value: Any, default: str = "") -> str:
    return printable(value) if isinstance(value, str) else default


def _opt(value: Any) -> str | None:
    return printable(value) if isinstance(value, str) and value != "" else None


def _i(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return default
    return default


def _optint(value: Any) -> int | None:
    return None if value is None or value == "" else _i(value)


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _strmap(value: Any) -> Mapping[str, str]:
    return {printable(str(k)): printable(str(v)) for k, v in _dict(value).items()}


# Exosphere keeps the exouser passphrase in a server tag "exoPw:<passphrase>" (older instances: metadata
# "exouserPassword"); Exosphere's src/Helpers/GetterSetters.elm getServerExouserPassphrase
PASSPHRASE_TAG = "exoPw:"
PASSPHRASE_METADATA = "exouserPassword"


@dataclass(frozen=True, slots=True)
class Address:
    network: str
    addr: str
    version: int
    kind: str  # "fixed" or "floating"
    mac: str = ""


@dataclass(frozen=True, slots=True)
class Server:
    id: str
    name: str
    status: str
    task_state: str | None = None
    vm_state: str | None = None
    power_state: int | None = None
    project_id: str = ""
    user_id: str = ""
    flavor_id: str | None = None
    flavor_name: str | None = None
    flavor_vcpus: int | None = None
    flavor_ram_mb: int | None = None
    flavor_disk_gb: int | None = None
    flavor_extra_specs: Mapping[str, str] = field(default_factory=dict)
    image_id: str | None = None  # None: booted from a volume
    addresses: tuple[Address, ...] = ()
    key_name: str | None = None
    security_groups: tuple[str, ...] = ()
    volume_ids: tuple[str, ...] = ()
    locked: bool = False
    locked_reason: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    created: str = ""
    updated: str = ""
    launched_at: str | None = None
    host_id: str = ""
    availability_zone: str = ""
    fault: str | None = None
    # the groups' names as Nova sent them (security_groups is for the screen): what add/remove send back
    raw_security_groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # from 2.26; an `exoPw:` tag is not kept here (see has_passphrase)
    # Exosphere-built with its exouser passphrase in an `exoPw:` tag (or the old `exouserPassword` metadata):
    # only whether there is one is kept; the passphrase itself is fetched when asked for (cloud.kinds)
    has_passphrase: bool = False

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "Server":
        flavor = _dict(d.get("flavor"))
        image = d.get("image")
        addresses = []
        for network, entries in _dict(d.get("addresses")).items():
            for entry in _list(entries):
                entry = _dict(entry)
                if not entry.get("addr"):
                    continue
                addresses.append(Address(printable(str(network)), _s(entry.get("addr")), _i(entry.get("version"), 4),
                                         _s(entry.get("OS-EXT-IPS:type"), "fixed"),
                                         _s(entry.get("OS-EXT-IPS-MAC:mac_addr"))))
        fault = _dict(d.get("fault"))
        tags = [t for t in _list(d.get("tags")) if isinstance(t, str)]
        return cls(
            id=_s(d.get("id")), name=_s(d.get("name")), status=_s(d.get("status"), "UNKNOWN").upper(),
            task_state=_opt(d.get("OS-EXT-STS:task_state")), vm_state=_opt(d.get("OS-EXT-STS:vm_state")),
            power_state=_optint(d.get("OS-EXT-STS:power_state")),
            project_id=_s(d.get("tenant_id")), user_id=_s(d.get("user_id")),
            flavor_id=_opt(flavor.get("id")), flavor_name=_opt(flavor.get("original_name")),
            flavor_vcpus=_optint(flavor.get("vcpus")), flavor_ram_mb=_optint(flavor.get("ram")),
            flavor_disk_gb=_optint(flavor.get("disk")), flavor_extra_specs=_strmap(flavor.get("extra_specs")),
            image_id=_opt(_dict(image).get("id")) if isinstance(image, dict) else None,
            addresses=tuple(addresses), key_name=_opt(d.get("key_name")),
            security_groups=tuple(dict.fromkeys(_s(_dict(g).get("name")) for g in _list(d.get("security_groups"))
                                                if _dict(g).get("name"))),
            volume_ids=tuple(_s(_dict(v).get("id")) for v in _list(d.get("os-extended-volumes:volumes_attached"))),
            locked=d.get("locked") is True, locked_reason=_opt(d.get("locked_reason")),
            metadata=_strmap({k: v for k, v in _dict(d.get("metadata")).items() if k != PASSPHRASE_METADATA}),
            description=_opt(d.get("description")), created=_s(d.get("created")), updated=_s(d.get("updated")),
            launched_at=_opt(d.get("OS-SRV-USG:launched_at")), host_id=_s(d.get("hostId")),
            availability_zone=_s(d.get("OS-EXT-AZ:availability_zone")),
            fault=_opt(fault.get("message")),
            raw_security_groups=tuple(dict.fromkeys(str(_dict(g).get("name")) for g in _list(d.get("security_groups"))
                                                    if isinstance(_dict(g).get("name"), str) and _dict(g).get("name"))),
            tags=tuple(printable(t) for t in tags if not t.startswith(PASSPHRASE_TAG)),
            has_passphrase=(any(t.startswith(PASSPHRASE_TAG) for t in tags)
                            or bool(_dict(d.get("metadata")).get(PASSPHRASE_METADATA))),
        )

    def api_security_group(self, shown: str) -> str:
        """The name to send for one of `security_groups` (as shown): the raw one Nova gave."""
        return dict(zip(self.security_groups, self.raw_security_groups)).get(shown, shown)

    @property
    def api_security_groups(self) -> tuple[str, ...]:
        return self.raw_security_groups or self.security_groups

    @property
    def fixed_ips(self) -> tuple[str, ...]:
        return tuple(a.addr for a in self.addresses if a.kind == "fixed")

    @property
    def floating_ips(self) -> tuple[str, ...]:
        return tuple(a.addr for a in self.addresses if a.kind == "floating")

    @property
    def in_transition(self) -> bool:
        return self.task_state is not None or self.status in TRANSITIONAL

    @property
    def deleted(self) -> bool:
        return self.status == "DELETED"


@dataclass(frozen=True, slots=True)
class Flavor:
    id: str
    name: str
    vcpus: int = 0
    ram_mb: int = 0
    disk_gb: int = 0
    ephemeral_gb: int = 0
    swap_mb: int = 0
    is_public: bool = True
    description: str | None = None
    extra_specs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "Flavor":
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), vcpus=_i(d.get("vcpus")), ram_mb=_i(d.get("ram")),
                   disk_gb=_i(d.get("disk")), ephemeral_gb=_i(d.get("OS-FLV-EXT-DATA:ephemeral")),
                   swap_mb=_i(d.get("swap")), is_public=d.get("os-flavor-access:is_public") is not False,
                   description=_opt(d.get("description")), extra_specs=_strmap(d.get("extra_specs")))

    @property
    def ram_gib(self) -> float:
        return self.ram_mb / 1024


_IMAGE_CORE = {"id", "name", "status", "visibility", "size", "min_disk", "min_ram", "owner", "created_at",
               "updated_at", "disk_format", "container_format", "checksum", "protected", "tags", "file", "schema",
               "self", "virtual_size", "os_hash_algo", "os_hash_value", "os_hidden", "locations", "direct_url",
               "stores"}


@dataclass(frozen=True, slots=True)
class Image:
    id: str
    name: str
    status: str = ""
    visibility: str = ""
    size: int | None = None
    min_disk_gb: int = 0
    min_ram_mb: int = 0
    owner: str = ""
    created_at: str = ""
    properties: Mapping[str, str] = field(default_factory=dict)  # custom properties: os_distro, ...
    protected: bool = False  # Glance refuses to delete it

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "Image":
        props = {printable(str(k)): printable(str(v)) for k, v in d.items() if k not in _IMAGE_CORE and v is not None}
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), status=_s(d.get("status")),
                   visibility=_s(d.get("visibility")), size=_optint(d.get("size")), min_disk_gb=_i(d.get("min_disk")),
                   min_ram_mb=_i(d.get("min_ram")), owner=_s(d.get("owner")), created_at=_s(d.get("created_at")),
                   properties=props, protected=d.get("protected") is True)

    @property
    def is_snapshot(self) -> bool:
        return self.properties.get("image_type") == "snapshot"


@dataclass(frozen=True, slots=True)
class VolumeAttachment:
    server_id: str
    device: str = ""


@dataclass(frozen=True, slots=True)
class Volume:
    id: str
    name: str
    size_gb: int = 0
    status: str = ""
    attachments: tuple[VolumeAttachment, ...] = ()
    bootable: bool = False
    volume_type: str = ""
    description: str | None = None
    created_at: str = ""

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "Volume":
        attachments = tuple(VolumeAttachment(_s(_dict(a).get("server_id")), _s(_dict(a).get("device")))
                            for a in _list(d.get("attachments")) if _dict(a).get("server_id"))
        bootable = d.get("bootable")
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), size_gb=_i(d.get("size")), status=_s(d.get("status")),
                   attachments=attachments, bootable=bootable is True or str(bootable).lower() == "true",
                   volume_type=_s(d.get("volume_type")), description=_opt(d.get("description")),
                   created_at=_s(d.get("created_at")))


# --- Heat stacks ---------------------------------------------------------------------------------------

# a stack resource's type -> the store's kind of what it made, so a resource links to the row exotui shows
STACK_RESOURCE_KINDS = {"OS::Nova::Server": "servers", "OS::Cinder::Volume": "volumes", "OS::Neutron::Net": "networks",
                        "OS::Neutron::Subnet": "subnets", "OS::Neutron::Port": "ports",
                        "OS::Neutron::FloatingIP": "floating_ips", "OS::Neutron::Router": "routers",
                        "OS::Neutron::SecurityGroup": "security_groups", "OS::Nova::KeyPair": "keypairs",
                        "OS::Nova::ServerGroup": "server_groups"}


def _shown_value(value: Any) -> str:
    """An output's value for the screen: text as it is, anything else as compact JSON; made printable."""
    import json

    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
    return printable(text)


@dataclass(frozen=True, slots=True)
class StackOutput:
    key: str
    value: str  # shown: text as is, else JSON
    description: str = ""
    error: str | None = None  # Heat could not resolve it (output_error)

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "StackOutput":
        return cls(key=_s(d.get("output_key")), value=_shown_value(d.get("output_value")),
                   description=_s(d.get("description")), error=_opt(d.get("output_error")))


@dataclass(frozen=True, slots=True)
class Stack:
    """A Heat stack. `status` is Heat's ACTION_STATUS ("CREATE_IN_PROGRESS"); `outputs` only from a detail."""

    id: str
    name: str
    status: str = ""
    status_reason: str = ""
    description: str = ""
    created_at: str = ""
    updated_at: str = ""
    owner: str = ""
    tags: tuple[str, ...] = ()
    parameters: Mapping[str, str] = field(default_factory=dict)
    outputs: tuple[StackOutput, ...] = ()
    timeout_mins: int | None = None
    raw_name: str = ""  # as Heat sent it: what the stack's URL holds (name is for the screen)

    @property
    def api_name(self) -> str:
        return self.raw_name or self.name

    @property
    def action(self) -> str:
        return self.status.rsplit("_", 2)[0] if self.status.endswith("_IN_PROGRESS") else self.status.rsplit("_", 1)[0]

    @property
    def in_progress(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "Stack":
        params = _dict(d.get("parameters"))
        return cls(id=_s(d.get("id")), name=_s(d.get("stack_name")), status=_s(d.get("stack_status")),
                   status_reason=_s(d.get("stack_status_reason")), description=_s(d.get("description")),
                   created_at=_s(d.get("creation_time")), updated_at=_s(d.get("updated_time")),
                   owner=_s(d.get("stack_owner")), tags=tuple(_s(t) for t in _list(d.get("tags"))),
                   parameters={printable(str(k)): _s(v) if isinstance(v, str) else printable(str(v))
                               for k, v in params.items() if not str(k).startswith("OS::")},
                   outputs=tuple(StackOutput.from_api(_dict(o)) for o in _list(d.get("outputs"))),
                   timeout_mins=_optint(d.get("timeout_mins")),
                   raw_name=d.get("stack_name") if isinstance(d.get("stack_name"), str) else "")


@dataclass(frozen=True, slots=True)
class StackResource:
    name: str
    type: str
    physical_id: str = ""
    status: str = ""
    status_reason: str = ""
    updated_at: str = ""
    required_by: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.name

    @property
    def kind(self) -> str | None:
        """The store's kind of what it made ("servers", "volumes"...), None for a type exotui does not show."""
        return STACK_RESOURCE_KINDS.get(self.type)

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "StackResource":
        return cls(name=_s(d.get("resource_name")), type=_s(d.get("resource_type")),
                   physical_id=_s(d.get("physical_resource_id")), status=_s(d.get("resource_status")),
                   status_reason=_s(d.get("resource_status_reason")), updated_at=_s(d.get("updated_time")),
                   required_by=tuple(_s(r) for r in _list(d.get("required_by"))))


@dataclass(frozen=True, slots=True)
class StackEvent:
    id: str
    time: str
    resource_name: str
    status: str
    status_reason: str = ""
    physical_id: str = ""

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "StackEvent":
        return cls(id=_s(d.get("id")), time=_s(d.get("event_time")), resource_name=_s(d.get("resource_name")),
                   status=_s(d.get("resource_status")), status_reason=_s(d.get("resource_status_reason")),
                   physical_id=_s(d.get("physical_resource_id")))


@dataclass(frozen=True, slots=True)
class Network:
    id: str
    name: str
    status: str = ""
    external: bool = False
    shared: bool = False
    project_id: str = ""
    subnet_ids: tuple[str, ...] = ()
    mtu: int | None = None

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "Network":
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), status=_s(d.get("status")),
                   external=d.get("router:external") is True, shared=d.get("shared") is True,
                   project_id=_s(d.get("project_id") or d.get("tenant_id")),
                   subnet_ids=tuple(_s(s) for s in _list(d.get("subnets"))), mtu=_optint(d.get("mtu")))


@dataclass(frozen=True, slots=True)
class Subnet:
    id: str
    name: str
    network_id: str = ""
    cidr: str = ""
    ip_version: int = 4
    gateway_ip: str | None = None
    enable_dhcp: bool = True

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "Subnet":
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), network_id=_s(d.get("network_id")),
                   cidr=_s(d.get("cidr")), ip_version=_i(d.get("ip_version"), 4), gateway_ip=_opt(d.get("gateway_ip")),
                   enable_dhcp=d.get("enable_dhcp") is not False)


@dataclass(frozen=True, slots=True)
class Router:
    id: str
    name: str
    status: str = ""
    external_network_id: str | None = None
    external_ips: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "Router":
        gateway = _dict(d.get("external_gateway_info"))
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), status=_s(d.get("status")),
                   external_network_id=_opt(gateway.get("network_id")),
                   external_ips=tuple(_s(_dict(ip).get("ip_address"))
                                      for ip in _list(gateway.get("external_fixed_ips"))))


@dataclass(frozen=True, slots=True)
class FixedIP:
    subnet_id: str
    ip_address: str


@dataclass(frozen=True, slots=True)
class Port:
    id: str
    name: str
    network_id: str = ""
    device_id: str = ""
    device_owner: str = ""
    status: str = ""
    mac_address: str = ""
    fixed_ips: tuple[FixedIP, ...] = ()
    security_group_ids: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "Port":
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), network_id=_s(d.get("network_id")),
                   device_id=_s(d.get("device_id")), device_owner=_s(d.get("device_owner")), status=_s(d.get("status")),
                   mac_address=_s(d.get("mac_address")),
                   fixed_ips=tuple(FixedIP(_s(_dict(ip).get("subnet_id")), _s(_dict(ip).get("ip_address")))
                                   for ip in _list(d.get("fixed_ips"))),
                   security_group_ids=tuple(_s(g) for g in _list(d.get("security_groups"))))


@dataclass(frozen=True, slots=True)
class FloatingIP:
    id: str
    address: str
    status: str = ""
    port_id: str | None = None
    fixed_address: str | None = None
    network_id: str = ""
    router_id: str | None = None
    description: str = ""
    device_id: str | None = None  # the instance behind port_id, from Neutron's fip-port-details when it has them

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "FloatingIP":
        return cls(id=_s(d.get("id")), address=_s(d.get("floating_ip_address")), status=_s(d.get("status")),
                   port_id=_opt(d.get("port_id")), fixed_address=_opt(d.get("fixed_ip_address")),
                   network_id=_s(d.get("floating_network_id")), router_id=_opt(d.get("router_id")),
                   description=_s(d.get("description")),
                   device_id=_opt(_dict(d.get("port_details")).get("device_id")) if d.get("port_id") else None)


@dataclass(frozen=True, slots=True)
class SecurityGroupRule:
    id: str
    group_id: str
    direction: str  # ingress | egress
    ethertype: str = "IPv4"
    protocol: str | None = None  # None: any
    port_min: int | None = None
    port_max: int | None = None
    remote_cidr: str | None = None
    remote_group_id: str | None = None
    description: str = ""

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "SecurityGroupRule":
        protocol = d.get("protocol")
        return cls(id=_s(d.get("id")), group_id=_s(d.get("security_group_id")), direction=_s(d.get("direction")),
                   ethertype=_s(d.get("ethertype"), "IPv4"),
                   protocol=None if protocol in (None, "", "any") else printable(str(protocol)).lower(),
                   port_min=_optint(d.get("port_range_min")), port_max=_optint(d.get("port_range_max")),
                   remote_cidr=_opt(d.get("remote_ip_prefix")), remote_group_id=_opt(d.get("remote_group_id")),
                   description=_s(d.get("description")))


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    id: str
    name: str
    description: str = ""
    project_id: str = ""
    rules: tuple[SecurityGroupRule, ...] = ()
    raw_name: str = ""  # as Neutron sent it: what goes back to Nova (name is for the screen)

    @property
    def api_name(self) -> str:
        return self.raw_name or self.name

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "SecurityGroup":
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), description=_s(d.get("description")),
                   raw_name=d.get("name") if isinstance(d.get("name"), str) else "",
                   project_id=_s(d.get("project_id") or d.get("tenant_id")),
                   rules=tuple(SecurityGroupRule.from_api(_dict(r)) for r in _list(d.get("security_group_rules"))))


@dataclass(frozen=True, slots=True)
class Keypair:
    name: str
    fingerprint: str = ""
    type: str = "ssh"
    public_key: str = ""
    raw_name: str = ""  # as Nova sent it: what a launch or a delete sends back (name is for the screen)

    @property
    def id(self) -> str:
        return self.name

    @property
    def api_name(self) -> str:
        return self.raw_name or self.name

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "Keypair":
        d = _dict(d.get("keypair", d))
        return cls(name=_s(d.get("name")), fingerprint=_s(d.get("fingerprint")), type=_s(d.get("type"), "ssh"),
                   public_key=_s(d.get("public_key")), raw_name=d.get("name") if isinstance(d.get("name"), str) else "")


@dataclass(frozen=True, slots=True)
class Quota:
    """One quota line: `service` (compute, network, volume) `resource` (cores, ...), limit -1 = none."""

    service: str
    resource: str
    limit: int
    in_use: int = 0

    @property
    def id(self) -> str:
        return f"{self.service}:{self.resource}"

    @property
    def headroom(self) -> int | None:
        return None if self.limit < 0 else self.limit - self.in_use


@dataclass(frozen=True, slots=True)
class Allocation:
    """A Jetstream2 allocation line from the `accounting` service."""

    resource: str
    allocated: float
    used: float
    start_date: str = ""
    end_date: str = ""
    description: str = ""
    active: bool = True  # the accounting service's `active` (1/0)

    @property
    def id(self) -> str:
        return self.resource

    @property
    def balance(self) -> float:
        return self.allocated - self.used


@dataclass(frozen=True, slots=True)
class VolumeSnapshot:
    """A Cinder volume snapshot (GET /v3/snapshots/detail; tests/oracle cinder-259)."""

    id: str
    name: str
    volume_id: str = ""
    size_gb: int = 0
    status: str = ""
    description: str | None = None
    created_at: str = ""
    progress: str = ""
    project_id: str = ""

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "VolumeSnapshot":
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), volume_id=_s(d.get("volume_id")),
                   size_gb=_i(d.get("size")), status=_s(d.get("status")), description=_opt(d.get("description")),
                   created_at=_s(d.get("created_at")), progress=_s(d.get("os-extended-snapshot-attributes:progress")),
                   project_id=_s(d.get("os-extended-snapshot-attributes:project_id")))


@dataclass(frozen=True, slots=True)
class ServerGroup:
    """A Nova server group: `policy` from 2.64, `policies[0]` before."""

    id: str
    name: str
    policy: str = ""
    member_ids: tuple[str, ...] = ()
    rules: Mapping[str, str] = field(default_factory=dict)
    project_id: str = ""
    user_id: str = ""

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "ServerGroup":
        policies = [p for p in _list(d.get("policies")) if isinstance(p, str)]
        policy = d.get("policy") if isinstance(d.get("policy"), str) else (policies[0] if policies else "")
        return cls(id=_s(d.get("id")), name=_s(d.get("name")), policy=printable(policy),
                   member_ids=tuple(_s(m) for m in _list(d.get("members"))), rules=_strmap(d.get("rules")),
                   project_id=_s(d.get("project_id")), user_id=_s(d.get("user_id")))


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """One step of an instance action (its events are shown to members from 2.51)."""

    event: str
    start_time: str = ""
    finish_time: str = ""
    result: str = ""  # Success, Error, or "" while it runs
    host_id: str = ""
    details: str | None = None  # 2.84, when the policy shows it

    @property
    def failed(self) -> bool:
        return self.result.lower() == "error"

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "ActionEvent":
        return cls(event=_s(d.get("event")), start_time=_s(d.get("start_time")), finish_time=_s(d.get("finish_time")),
                   result=_s(d.get("result")), host_id=_s(d.get("hostId")), details=_opt(d.get("details")))


@dataclass(frozen=True, slots=True)
class InstanceAction:
    """One entry of a server's os-instance-actions: who did what, when, under which request, how it went."""

    request_id: str
    action: str
    user_id: str = ""
    project_id: str = ""
    start_time: str = ""
    updated_at: str = ""
    message: str | None = None  # "Error" when it failed
    events: tuple[ActionEvent, ...] = ()

    @property
    def id(self) -> str:
        return self.request_id

    @property
    def failed(self) -> bool:
        """Nova sets the message to "Error" when a step failed; an event's result says so too."""
        return (self.message or "").lower() == "error" or any(e.failed for e in self.events)

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "InstanceAction":
        return cls(request_id=_s(d.get("request_id")), action=_s(d.get("action")), user_id=_s(d.get("user_id")),
                   project_id=_s(d.get("project_id")), start_time=_s(d.get("start_time")),
                   updated_at=_s(d.get("updated_at")), message=_opt(d.get("message")),
                   events=tuple(ActionEvent.from_api(_dict(e)) for e in _list(d.get("events"))))
