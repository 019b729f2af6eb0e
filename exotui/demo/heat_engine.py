"""The demo cloud's Heat engine: HOT templates made into real demo resources, one after another, with events.

A stack's resources are created in dependency order (get_resource, get_attr, depends_on) through the demo's
own Nova, Cinder and Neutron tables, so a stack's server is a server every other API lists, and its
`physical_resource_id` is that server's ID. Each resource goes CREATE_IN_PROGRESS -> CREATE_COMPLETE (or
CREATE_FAILED with the service's message, as Heat words it), each step an event; the stack's own status
follows. Waiting for a server to become ACTIVE runs on the demo's timers (World.later, scaled by the delay
knob: at 0, a stack is complete when its create returns). Delete walks back in reverse order.

Supported: heat_template_version (any date or name Heat knows), parameters (string, number, boolean,
comma_delimited_list, json; default; hidden), resources OS::Nova::Server, OS::Cinder::Volume,
OS::Cinder::VolumeAttachment, OS::Neutron::Net, OS::Neutron::Subnet, OS::Neutron::Port,
OS::Neutron::FloatingIP, OS::Neutron::Router, OS::Neutron::RouterInterface, OS::Neutron::SecurityGroup,
outputs; functions get_param, get_resource, get_attr, list_join, str_replace.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import yaml

from . import cinder, neutron, nova
from .common import ApiError, iso_z, new_id
from .world import World

VERSIONS = {"2013-05-23", "2014-10-16", "2015-04-30", "2015-10-15", "2016-04-08", "2016-10-14", "2017-02-24",
            "2017-09-01", "2018-03-02", "2018-08-31", "2021-04-16", "newton", "ocata", "pike", "queens",
            "rocky", "wallaby"}
STEP = 1.0  # seconds (times the delay knob) between one resource's steps
WAIT_TRIES = 600  # how many looks a resource gets at its real resource before it is failed


class _Loader(yaml.SafeLoader):
    """YAML as Heat reads it (heat/common/template_format.py): a date stays the string it was written as."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


class TemplateError(ApiError):
    def __init__(self, message: str, kind: str = "StackValidationFailed"):
        super().__init__(400, message, kind)


# --- parsing and checking a template --------------------------------------------------------------

def load_template(raw: Any) -> dict:
    """The template as Heat takes it: a dict, or YAML/JSON text."""
    if isinstance(raw, str):
        try:
            raw = yaml.load(raw, Loader=_Loader)  # noqa: S506 (a safe loader)
        except yaml.YAMLError as err:
            raise TemplateError(f"Error parsing template: {str(err).splitlines()[0]}", "HTTPBadRequest") from None
    if not isinstance(raw, dict):
        raise TemplateError("The template is not a JSON object or YAML mapping.", "HTTPBadRequest")
    version = raw.get("heat_template_version")
    if version is None:
        raise TemplateError("Template format version not found.", "InvalidTemplateVersion")
    if str(version) not in VERSIONS:
        raise TemplateError(f'"heat_template_version: {version}". "heat_template_version" should be one of: '
                            f"{', '.join(sorted(VERSIONS))}", "InvalidTemplateVersion")
    if not isinstance(raw.get("resources") or {}, dict):
        raise TemplateError('"resources" must be a map')
    return raw


def resolve_parameters(template: dict, given: dict) -> dict[str, Any]:
    declared = template.get("parameters") or {}
    if not isinstance(declared, dict):
        raise TemplateError('"parameters" must be a map')
    for name in given:
        if name not in declared:
            raise TemplateError(f"The Parameter ({name}) was not defined in template.", "UnknownUserParameter")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        if name in given:
            value = given[name]
        elif "default" in spec:
            value = spec["default"]
        else:
            raise TemplateError(f"The Parameter ({name}) was not provided.", "UserParameterMissing")
        values[name] = _typed(name, str(spec.get("type", "string")), value)
    return values


def _typed(name: str, kind: str, value: Any) -> Any:
    try:
        if kind == "number":
            number = float(value)
            return int(number) if number.is_integer() else number
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).lower()
            if text in ("true", "t", "on", "y", "yes", "1"):
                return True
            if text in ("false", "f", "off", "n", "no", "0"):
                return False
            raise ValueError(value)
        if kind == "comma_delimited_list":
            return value if isinstance(value, list) else [v.strip() for v in str(value).split(",") if v.strip()]
        if kind == "json":
            return value if isinstance(value, (dict, list)) else json.loads(str(value))
        return value if isinstance(value, str) else str(value)
    except (TypeError, ValueError):
        raise TemplateError(f'Parameter \'{name}\' is invalid: "{value}" is not a {kind}') from None


def _references(value: Any) -> set[str]:
    """The resources a property value names through get_resource or get_attr."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "get_resource" and isinstance(arg, str):
                found.add(arg)
            elif key == "get_attr" and isinstance(arg, list) and arg and isinstance(arg[0], str):
                found.add(arg[0])
            found |= _references(arg)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def order(template: dict) -> list[str]:
    """Resource names in an order that creates each after what it needs (Heat's dependency graph)."""
    resources = template.get("resources") or {}
    needs: dict[str, set[str]] = {}
    for name, spec in resources.items():
        if not isinstance(spec, dict) or "type" not in spec:
            raise TemplateError(f'Resource {name} "type" is missing')
        if spec["type"] not in PLUGINS:
            raise TemplateError(f"The Resource Type ({spec['type']}) could not be found.", "EntityNotFound")
        depends = spec.get("depends_on") or []
        refs = _references(spec.get("properties") or {}) | set([depends] if isinstance(depends, str) else depends)
        for ref in refs:
            if ref not in resources:
                raise TemplateError(f'The specified reference "{ref}" (in {name}) is incorrect.',
                                    "InvalidTemplateReference")
        needs[name] = refs
    out: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in out:
            return
        if name in visiting:
            raise TemplateError(f"Circular Dependency Found: {name}", "CircularDependencyException")
        visiting.add(name)
        for dep in sorted(needs[name]):
            visit(dep)
        visiting.discard(name)
        out.append(name)

    for name in resources:
        visit(name)
    for key, spec in (template.get("outputs") or {}).items():
        for ref in _references(spec.get("value") if isinstance(spec, dict) else None):
            if ref not in resources:
                raise TemplateError(f'The specified reference "{ref}" (in output {key}) is incorrect.',
                                    "InvalidTemplateReference")
    return out


# --- functions ----------------------------------------------------------------------------------------

def resolve(world: World, stack: dict, value: Any) -> Any:
    """A property or output value with its intrinsic functions evaluated against the stack as it is now."""
    if isinstance(value, list):
        return [resolve(world, stack, v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        fn, arg = next(iter(value.items()))
        if fn == "get_param":
            path = arg if isinstance(arg, list) else [arg]
            name = path[0]
            builtins = {"OS::stack_name": stack["name"], "OS::stack_id": stack["id"],
                        "OS::project_id": stack["project_id"]}
            if name in builtins:
                return builtins[name]
            if name not in stack["values"]:
                raise TemplateError(f"The Parameter ({name}) was not defined in template.")
            out = stack["values"][name]
            for key in path[1:]:
                out = out[key] if isinstance(out, (dict, list)) else None
            return out
        if fn == "get_resource":
            return stack["resources"][arg]["physical_id"] or None
        if fn == "get_attr":
            args = resolve(world, stack, arg)
            res = stack["resources"].get(args[0])
            if res is None or not res["physical_id"]:
                return None
            out = attribute(world, res, args[1])
            for key in args[2:]:
                out = out[key] if isinstance(out, dict) and key in out else (
                    out[key] if isinstance(out, list) and isinstance(key, int) and key < len(out) else None)
            return out
        if fn == "list_join":
            sep, *lists = resolve(world, stack, arg)
            return sep.join(str(x) for part in lists for x in (part or []))
        if fn == "str_replace":
            args = resolve(world, stack, arg)
            text = str(args.get("template", ""))
            for old, new in (args.get("params") or {}).items():
                text = text.replace(str(old), str(new))
            return text
    return {k: resolve(world, stack, v) for k, v in value.items()}


# --- the resources ------------------------------------------------------------------------------------

def _find(table: dict[str, dict], ref: Any, project_id: str, what: str, *, key: str = "name",
          owner: str = "project_id") -> dict:
    ref = str(ref or "")
    item = table.get(ref)
    if item is None:
        matches = [i for i in table.values() if i.get(key) == ref and not i.get("_deleted")
                   and (i.get(owner) in (project_id, None, "") or i.get("visibility") == "public"
                        or i.get("shared") or i.get("router:external"))]
        if len(matches) > 1:
            raise ApiError(409, f"Multiple {what} matches found for '{ref}', use an ID to be more specific.",
                           "PhysicalResourceNameAmbiguity")
        item = matches[0] if matches else None
    if item is None:
        raise ApiError(404, f"The {what} ({ref}) could not be found.", "EntityNotFound")
    return item


def _flavors_seen(world: World, stack: dict) -> dict[str, dict]:
    """Heat asks Nova as the stack's user: the public flavors, those shared with its project, all for an admin."""
    from . import keystone_admin, nova_flavors_admin

    pid = stack["project_id"]
    roles = keystone_admin.effective_roles(world, stack["user_id"], "project", pid)
    admin = any(r["name"] == "admin" for r in roles)
    return {k: f for k, f in world.flavors.items() if nova_flavors_admin.visible_to(f, pid, admin)}


def _physical_name(stack: dict, res: dict) -> str:
    return f"{stack['name']}-{res['name']}-{res['suffix']}"


def _create_server(world: World, stack: dict, res: dict, props: dict) -> str:
    pid, uid = stack["project_id"], stack["user_id"]
    flavor = _find(_flavors_seen(world, stack), props.get("flavor"), pid, "Flavor", owner="_none")
    image_ref = props.get("image")
    image_id = _find(world.images, image_ref, pid, "Image", owner="owner")["id"] if image_ref else None
    key_name = props.get("key_name")
    if key_name and (uid, key_name) not in world.keypairs:
        raise ApiError(404, f"The Key ({key_name}) could not be found.", "EntityNotFound")
    nova.check_quota(world, pid, flavor)
    server = nova._new_server(world, pid, uid, props.get("name") or _physical_name(stack, res), flavor["id"],
                              image_id, key_name, props.get("metadata"), None)
    server["_user_data"] = props.get("user_data")
    network_ids, ports = [], []
    for entry in props.get("networks") or []:
        if entry.get("port"):
            ports.append(_find(world.ports, entry["port"], pid, "Port"))
        elif entry.get("network"):
            network_ids.append(_find(world.networks, entry["network"], pid, "Network")["id"])
    nova.plug_networks(world, server, network_ids, list(props.get("security_groups") or ["default"]))
    for port in ports:
        neutron.set_port_device(world, port, server["id"], "compute:nova")
    nova.record_action(world, server, "create", "", uid)
    nova.start_build(world, server)
    return server["id"]


def _server_state(world: World, ident: str) -> str | None:
    server = world.servers.get(ident)
    if server is None or server["status"] == "ERROR":
        fault = (server or {}).get("fault") or {}
        return "failed: " + (fault.get("message") or "Server is in ERROR state")
    return "done" if server["status"] == "ACTIVE" else None


def _server_attr(world: World, ident: str, name: str) -> Any:
    server = world.servers.get(ident) or {}
    addresses = neutron.server_addresses(world, ident)
    if name == "first_address":
        return next((a["addr"] for entries in addresses.values() for a in entries), "")
    if name == "networks":
        return {net: [a["addr"] for a in entries] for net, entries in addresses.items()}
    if name == "addresses":
        return addresses
    if name == "name":
        return server.get("name")
    if name == "show":
        return {"id": ident, "name": server.get("name"), "status": server.get("status")}
    raise KeyError(name)


def _delete_server(world: World, ident: str) -> None:
    server = world.servers.get(ident)
    if server is not None and not server["_deleted"]:
        nova.delete(world, server)


def _server_gone(world: World, ident: str) -> str | None:
    server = world.servers.get(ident)
    return "done" if server is None or server["_deleted"] else None


def _create_volume(world: World, stack: dict, res: dict, props: dict) -> str:
    size = props.get("size")
    if not isinstance(size, int) or size < 1:
        raise ApiError(400, "Property error: resources.%s.properties.size: %r is out of range (min: 1, max: None)"
                       % (res["name"], size), "StackValidationFailed")
    volume = cinder.create_volume(world, stack["project_id"], props.get("name") or _physical_name(stack, res),
                                  size, description=props.get("description"), user_id=stack["user_id"],
                                  volume_type=props.get("volume_type") or "__DEFAULT__",
                                  metadata=props.get("metadata"))
    return volume["id"]


def _volume_state(world: World, ident: str) -> str | None:
    volume = world.volumes.get(ident)
    if volume is None or volume["status"].startswith("error"):
        return "failed: Went to status error due to \"Unknown\""
    return "done" if volume["status"] in ("available", "in-use") else None


def _volume_attr(world: World, ident: str, name: str) -> Any:
    volume = world.volumes.get(ident) or {}
    return {"size": volume.get("size"), "status": volume.get("status"), "display_name": volume.get("name"),
            "attachments": volume.get("attachments"), "show": volume}[name]


def _delete_volume(world: World, ident: str) -> None:
    volume = world.volumes.get(ident)
    if volume is not None and volume["status"] != "deleting":
        if volume["attachments"]:
            raise ApiError(400, "Invalid volume: Volume status must be available or error", "BadRequest")
        volume["status"] = "deleting"
        world.later(1.0, lambda: _forget(world.volumes, ident))


def _forget(table: dict[str, dict], ident: str) -> None:
    table.pop(ident, None)


def _volume_gone(world: World, ident: str) -> str | None:
    return "done" if ident not in world.volumes else None


def _create_attachment(world: World, stack: dict, res: dict, props: dict) -> str:
    server = _find(world.servers, props.get("instance_uuid"), stack["project_id"], "Server", owner="tenant_id")
    volume_id = str(props.get("volume_id") or "")
    attachment = nova.attach_volume(world, server, volume_id)
    res["_server_id"] = server["id"]
    res["_volume_id"] = volume_id
    return attachment.get("attachment_id") or attachment.get("id") or volume_id


def _delete_attachment(world: World, ident: str, res: dict) -> None:
    volume = world.volumes.get(res.get("_volume_id", ""))
    if volume is not None and any(a["server_id"] == res.get("_server_id") for a in volume["attachments"]):
        cinder.detach(world, volume["id"], res["_server_id"])


def _attachment_gone(world: World, ident: str) -> str | None:
    """Detached: no volume lists the attachment any more (Cinder takes a moment: detaching -> available)."""
    attached = any(a.get("attachment_id") == ident or a.get("id") == ident
                   for v in world.volumes.values() for a in v["attachments"])
    return None if attached else "done"


def _create_net(world: World, stack: dict, res: dict, props: dict) -> str:
    return neutron.create_network(world, stack["project_id"], props.get("name") or _physical_name(stack, res),
                                  shared=bool(props.get("shared", False)),
                                  admin_state_up=bool(props.get("admin_state_up", True)))["id"]


def _create_subnet(world: World, stack: dict, res: dict, props: dict) -> str:
    network = _find(world.networks, props.get("network") or props.get("network_id"), stack["project_id"], "Network")
    return neutron.create_subnet(world, stack["project_id"], network["id"],
                                 props.get("name") or _physical_name(stack, res), str(props.get("cidr") or ""),
                                 gateway_ip=props.get("gateway_ip"), ip_version=int(props.get("ip_version", 4)),
                                 enable_dhcp=bool(props.get("enable_dhcp", True)),
                                 allocation_pools=props.get("allocation_pools"),
                                 dns_nameservers=props.get("dns_nameservers"))["id"]


def _create_port(world: World, stack: dict, res: dict, props: dict) -> str:
    pid = stack["project_id"]
    network = _find(world.networks, props.get("network") or props.get("network_id"), pid, "Network")
    fixed = []
    for entry in props.get("fixed_ips") or []:
        want = {}
        if entry.get("subnet") or entry.get("subnet_id"):
            want["subnet_id"] = _find(world.subnets, entry.get("subnet") or entry.get("subnet_id"), pid, "Subnet")["id"]
        if entry.get("ip_address"):
            want["ip_address"] = entry["ip_address"]
        fixed.append(want)
    groups = None
    if props.get("security_groups") is not None:
        groups = [_find(world.security_groups, g, pid, "Security Group")["id"] for g in props["security_groups"]]
    return neutron.create_port(world, pid, network["id"], name=props.get("name") or _physical_name(stack, res),
                               fixed_ips=fixed or None, security_group_ids=groups)["id"]


def _create_fip(world: World, stack: dict, res: dict, props: dict) -> str:
    net = _find(world.networks, props.get("floating_network") or props.get("floating_network_id"),
                stack["project_id"], "Network")
    return neutron.create_floating_ip(world, stack["project_id"], net["id"], port_id=props.get("port_id") or None,
                                      fixed_ip_address=props.get("fixed_ip_address"))["id"]


def _create_router(world: World, stack: dict, res: dict, props: dict) -> str:
    gateway = props.get("external_gateway_info") or {}
    external = None
    if gateway.get("network"):
        external = _find(world.networks, gateway["network"], stack["project_id"], "Network")["id"]
    return neutron.create_router(world, stack["project_id"], props.get("name") or _physical_name(stack, res),
                                 external_network_id=external,
                                 admin_state_up=bool(props.get("admin_state_up", True)))["id"]


def _create_interface(world: World, stack: dict, res: dict, props: dict) -> str:
    pid = stack["project_id"]
    router = _find(world.routers, props.get("router"), pid, "Router")
    subnet = _find(world.subnets, props.get("subnet"), pid, "Subnet")
    neutron.add_router_interface(world, router["id"], subnet["id"])
    res["_router_id"], res["_subnet_id"] = router["id"], subnet["id"]
    return f"{router['id']}:subnet_id={subnet['id']}"  # Heat's own form of this resource's ID


def _delete_interface(world: World, ident: str, res: dict) -> None:
    try:
        neutron.remove_router_interface(world, res["_router_id"], res["_subnet_id"])
    except ApiError as err:
        if err.status != 404:
            raise


def _create_security_group(world: World, stack: dict, res: dict, props: dict) -> str:
    pid = stack["project_id"]
    group = neutron.create_security_group(world, pid, props.get("name") or _physical_name(stack, res),
                                          str(props.get("description") or ""))
    for rule in props.get("rules") or []:
        low, high = rule.get("port_range_min"), rule.get("port_range_max")
        neutron.create_security_group_rule(
            world, pid, group["id"], str(rule.get("direction") or "ingress"),
            ethertype=str(rule.get("ethertype") or "IPv4"), protocol=rule.get("protocol"),
            port_range_min=None if low is None else int(low), port_range_max=None if high is None else int(high),
            remote_ip_prefix=rule.get("remote_ip_prefix"), remote_group_id=rule.get("remote_group_id"))
    return group["id"]


def _neutron_attr(table: str) -> Callable[[World, str, str], Any]:
    def attr(world: World, ident: str, name: str) -> Any:
        item = getattr(world, table).get(ident) or {}
        if name == "show":
            return neutron.public_view(item)
        if name == "subnets":
            return [s["id"] for s in world.subnets.values() if s["network_id"] == ident]
        return item[name]
    return attr


def _deleter(fn: Callable[[World, str], None]) -> Callable[[World, str, dict], None]:
    def delete(world: World, ident: str, res: dict) -> None:
        try:
            fn(world, ident)
        except ApiError as err:
            if err.status != 404:
                raise
    return delete


def _done(world: World, ident: str) -> str | None:
    return "done"


# type -> (create, wait for create, attribute, delete, wait for delete)
PLUGINS: dict[str, tuple[Callable, Callable, Callable, Callable, Callable]] = {
    "OS::Nova::Server": (_create_server, _server_state, _server_attr,
                         lambda w, i, r: _delete_server(w, i), _server_gone),
    "OS::Cinder::Volume": (_create_volume, _volume_state, _volume_attr,
                           lambda w, i, r: _delete_volume(w, i), _volume_gone),
    "OS::Cinder::VolumeAttachment": (_create_attachment, _done, lambda w, i, n: None, _delete_attachment,
                                     _attachment_gone),
    "OS::Neutron::Net": (_create_net, _done, _neutron_attr("networks"), _deleter(neutron.delete_network), _done),
    "OS::Neutron::Subnet": (_create_subnet, _done, _neutron_attr("subnets"), _deleter(neutron.delete_subnet), _done),
    "OS::Neutron::Port": (_create_port, _done, _neutron_attr("ports"), _deleter(neutron.delete_port), _done),
    "OS::Neutron::FloatingIP": (_create_fip, _done, _neutron_attr("floatingips"),
                                _deleter(neutron.delete_floating_ip), _done),
    "OS::Neutron::Router": (_create_router, _done, _neutron_attr("routers"), _deleter(neutron.delete_router), _done),
    "OS::Neutron::RouterInterface": (_create_interface, _done, lambda w, i, n: None, _delete_interface, _done),
    "OS::Neutron::SecurityGroup": (_create_security_group, _done, _neutron_attr("security_groups"),
                                   _deleter(neutron.delete_security_group), _done),
}


def attribute(world: World, res: dict, name: str) -> Any:
    try:
        return PLUGINS[res["type"]][2](world, res["physical_id"], name)
    except (KeyError, TypeError):
        return None


# literal property values Heat checks before it creates anything (its custom constraints: nova.flavor,
# glance.image, nova.keypair, neutron.network)
_CONSTRAINED = {"OS::Nova::Server": (("flavor", "flavors", "Flavor", "_none"), ("image", "images", "Image", "owner")),
                "OS::Neutron::Subnet": (("network", "networks", "Network", "project_id"),),
                "OS::Neutron::Port": (("network", "networks", "Network", "project_id"),),
                "OS::Neutron::FloatingIP": (("floating_network", "networks", "Network", "project_id"),)}


# what each of Heat's constraints says of a name it cannot find (heat-engine 27, read off the real tier)
_NOT_FOUND = {"Image": "No images matching {{'name': '{}'}}.",
              "Flavor": "No Flavor matching {{'name': '{}'}}. (HTTP 404)",
              "Network": "Unable to find network with name or id '{}'"}


def _property_error(resource: str, prop: str, value: Any, message: str) -> TemplateError:
    # Heat's own doubled separators: "Property error: : resources.x.properties.y: : Error validating ..."
    return TemplateError(f"Property error: : resources.{resource}.properties.{prop}: : Error validating value "
                         f"'{value}': {message}")


def validate(world: World, stack: dict) -> None:
    """400 before anything is made when a literal flavor, image, key or network does not exist."""
    for name, spec in (stack["template"].get("resources") or {}).items():
        props = spec.get("properties") or {}
        if not isinstance(props, dict):
            raise TemplateError(f'Resource {name} "properties" must be a map')
        checks = [(prop, table, what, owner) for prop, table, what, owner in _CONSTRAINED.get(spec["type"], ())]
        for prop, table, what, owner in checks:
            value = props.get(prop)
            if isinstance(value, dict) and set(value) == {"get_param"}:
                value = resolve(world, stack, value)
            if value is None or isinstance(value, (dict, list)):
                continue
            try:
                rows = _flavors_seen(world, stack) if table == "flavors" else getattr(world, table)
                _find(rows, value, stack["project_id"], what, owner=owner)
            except ApiError as err:
                message = _NOT_FOUND[what].format(value) if err.status == 404 else err.message
                raise _property_error(name, prop, value, message) from None
        key = props.get("key_name")
        if isinstance(key, dict) and set(key) == {"get_param"}:
            key = resolve(world, stack, key)
        known = (stack["user_id"], key) in world.keypairs
        if spec["type"] == "OS::Nova::Server" and isinstance(key, str) and not known:
            raise _property_error(name, "key_name", key, f"The Key ({key}) could not be found.")


# --- the stack's life ------------------------------------------------------------------------------------

def new_stack(world: World, ctx: dict, body: dict) -> dict:
    """Check the request, record the stack CREATE_IN_PROGRESS and start its resources; the stack dict."""
    name = body.get("stack_name")
    if not isinstance(name, str) or not name:
        raise TemplateError("stack_name is required", "HTTPBadRequest")
    if not name[0].isalpha() or not all(c.isalnum() or c in "_-." for c in name):
        raise TemplateError(f'Invalid stack name {name} must contain only alphanumeric or "_-." characters, '
                            "must start with alpha and must be 255 characters or less.", "StackValidationFailed")
    pid = ctx["project_id"]
    if any(s["name"] == name and s["project_id"] == pid and not s["deleted"] for s in world.stacks.values()):
        raise ApiError(409, f"The Stack ({name}) already exists.", "StackExists")
    if "template" not in body:
        raise TemplateError("Need more arguments", "HTTPBadRequest")
    template = load_template(body["template"])
    env = body.get("environment") or {}
    given = dict((env.get("parameters") or {}) if isinstance(env, dict) else {})
    given.update(body.get("parameters") or {})
    values = resolve_parameters(template, given)
    names = order(template)
    now = world.now()
    stack = {
        "id": new_id(world), "name": name, "project_id": pid, "user_id": ctx["user_id"],
        "owner": ctx.get("user_name") or "", "template": template, "values": values, "given": given,
        "description": str(template.get("description") or "No description"), "action": "CREATE",
        "status": "IN_PROGRESS", "reason": "Stack CREATE started", "created": now, "updated": None,
        "deleted": None, "tags": list(body.get("tags") or []) if not isinstance(body.get("tags"), str)
        else [t for t in body["tags"].split(",") if t], "timeout_mins": body.get("timeout_mins"),
        "disable_rollback": bool(body.get("disable_rollback", True)), "events": [], "order": names,
        "resources": {},
    }
    for res_name in names:
        spec = template["resources"][res_name]
        stack["resources"][res_name] = {
            "name": res_name, "type": spec["type"], "physical_id": "", "action": "INIT", "status": "COMPLETE",
            "reason": "", "created": now, "updated": now, "suffix": new_id(world).replace("-", "")[:12],
            "required_by": sorted(n for n in names if res_name in
                                  _references(template["resources"][n].get("properties") or {})
                                  | set(_as_list(template["resources"][n].get("depends_on")))),
        }
    validate(world, stack)
    world.stacks[stack["id"]] = stack
    _stack_event(world, stack, "Stack CREATE started")
    world.later(STEP, lambda: _create_next(world, stack, 0))
    return stack


def _as_list(value: Any) -> list:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _stack_event(world: World, stack: dict, reason: str) -> None:
    stack["reason"] = reason
    stack["updated"] = world.now() if stack["action"] != "CREATE" else stack["updated"]
    stack["events"].append({"id": new_id(world), "time": world.now(), "resource": stack["name"],
                            "physical_id": stack["id"], "type": "OS::Heat::Stack",
                            "status": f"{stack['action']}_{stack['status']}", "reason": reason})


stack_event = _stack_event  # demo/magnum.py: a cluster's resize moves its stack through UPDATE, as Magnum's would


def _res_event(world: World, stack: dict, res: dict, action: str, status: str, reason: str) -> None:
    res["action"], res["status"], res["reason"], res["updated"] = action, status, reason, world.now()
    stack["events"].append({"id": new_id(world), "time": world.now(), "resource": res["name"],
                            "physical_id": res["physical_id"], "type": res["type"],
                            "status": f"{action}_{status}", "reason": reason})


def _heat_reason(err: ApiError, res: dict) -> str:
    kind = {400: "BadRequest", 403: "Forbidden", 404: "NotFound", 409: "Conflict"}.get(err.status, "Error")
    return f"{kind}: resources.{res['name']}: {err.message} (HTTP {err.status})"


def _wait(world: World, check: Callable[[], str | None], then: Callable[[str], None], tries: int = 0) -> None:
    verdict = check()
    if verdict is not None or tries >= WAIT_TRIES:
        then(verdict or "failed: timed out")
        return
    world.later(STEP / 2, lambda: _wait(world, check, then, tries + 1))


def _create_next(world: World, stack: dict, index: int) -> None:
    if stack["action"] != "CREATE" or stack["status"] != "IN_PROGRESS":
        return  # deleted meanwhile
    if index >= len(stack["order"]):
        stack["status"] = "COMPLETE"
        _stack_event(world, stack, "Stack CREATE completed successfully")
        return
    res = stack["resources"][stack["order"][index]]
    create, ready = PLUGINS[res["type"]][0], PLUGINS[res["type"]][1]
    _res_event(world, stack, res, "CREATE", "IN_PROGRESS", "state changed")
    try:
        props = resolve(world, stack, stack["template"]["resources"][res["name"]].get("properties") or {})
        res["physical_id"] = create(world, stack, res, props)
    except ApiError as err:
        _fail(world, stack, res, _heat_reason(err, res))
        return
    world.changed("stack", stack["id"])

    def settled(verdict: str) -> None:
        if verdict != "done":
            _fail(world, stack, res, f"ResourceInError: resources.{res['name']}: {verdict.removeprefix('failed: ')}")
            return
        _res_event(world, stack, res, "CREATE", "COMPLETE", "state changed")
        world.later(STEP, lambda: _create_next(world, stack, index + 1))

    _wait(world, lambda: ready(world, res["physical_id"]), settled)


def _fail(world: World, stack: dict, res: dict, reason: str) -> None:
    _res_event(world, stack, res, res["action"], "FAILED", reason)
    stack["status"] = "FAILED"
    _stack_event(world, stack, f"Resource {res['action']} failed: {reason}")


def delete_stack(world: World, stack: dict) -> None:
    """DELETE_IN_PROGRESS, each resource deleted in reverse order, then DELETE_COMPLETE (hidden from lists)."""
    stack["action"], stack["status"] = "DELETE", "IN_PROGRESS"
    _stack_event(world, stack, "Stack DELETE started")
    todo = [stack["resources"][n] for n in reversed(stack["order"])
            if stack["resources"][n]["physical_id"] or stack["resources"][n]["action"] != "INIT"]
    world.later(STEP, lambda: _delete_next(world, stack, todo, 0))


def _delete_next(world: World, stack: dict, todo: list[dict], index: int) -> None:
    if index >= len(todo):
        stack["status"] = "COMPLETE"
        stack["deleted"] = world.now()
        _stack_event(world, stack, "Stack DELETE completed successfully")
        world.changed("stack", stack["id"])
        return
    res = todo[index]
    delete, gone = PLUGINS[res["type"]][3], PLUGINS[res["type"]][4]
    _res_event(world, stack, res, "DELETE", "IN_PROGRESS", "state changed")
    try:
        if res["physical_id"]:
            delete(world, res["physical_id"], res)
    except ApiError as err:
        _fail(world, stack, res, _heat_reason(err, res))
        return

    def settled(verdict: str) -> None:
        if verdict != "done":
            _fail(world, stack, res, verdict.removeprefix("failed: "))
            return
        _res_event(world, stack, res, "DELETE", "COMPLETE", "state changed")
        world.later(STEP / 2, lambda: _delete_next(world, stack, todo, index + 1))

    _wait(world, lambda: gone(world, res["physical_id"]) if res["physical_id"] else "done", settled)


def outputs(world: World, stack: dict) -> list[dict]:
    """Each output with its value resolved now (Heat resolves them at show time)."""
    found = []
    for key, spec in (stack["template"].get("outputs") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        entry = {"output_key": key, "description": spec.get("description") or "No description given"}
        try:
            entry["output_value"] = resolve(world, stack, spec.get("value"))
        except ApiError as err:
            entry["output_value"], entry["output_error"] = None, err.message
        found.append(entry)
    return found


def timestamp(value: Any) -> str | None:
    return iso_z(value) if value is not None else None
