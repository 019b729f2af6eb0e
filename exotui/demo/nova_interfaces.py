"""Nova's os-interface in the demo cloud: a server's ports as interface attachments; attach a network (Nova
makes the port, with an asked-for fixed IP) or the user's own port, detach one.

As nova/api/openstack/compute/attach_interfaces.py and nova/network/neutron.py do it: attaching is a call to
the compute host (its errors reach the caller), detaching a cast (202, then the port goes). A port Nova made
is deleted on detach; the user's own port is unbound (device_id and device_owner cleared) and kept, also
when the server is deleted (Nova's preserve_on_delete).
"""

from __future__ import annotations

import ipaddress
import uuid

from aiohttp import web

from . import neutron, nova
from .common import ApiError, json_response, no_content, read_json
from .nova_api import _bad_input, _is_admin, _mv, _server
from .nova_rules import check
from .service import ctx_of, world_of
from .world import World

DETACH_DELAY = 1.0  # seconds (scaled by the delay knob) until a detached port is gone: a cast to the host


def user_ports(server: dict) -> list[str]:
    """The ports the user brought (attached by port ID): unbound, not deleted, when the server lets go."""
    ports: list[str] = server.setdefault("_user_ports", [])
    return ports


def release_port(world: World, server: dict, port_id: str) -> None:
    """Nova's deallocate_port_for_instance: unbind the user's port, delete the one Nova made."""
    port = world.ports.get(port_id)
    if port is None:
        return
    if port_id in user_ports(server):
        user_ports(server).remove(port_id)
        neutron.set_port_device(world, port, "", "")
        port.pop("binding:host_id", None)
        neutron.touch(world, port)
    else:
        neutron.delete_port(world, port_id)
    server.get("_vif_tags", {}).pop(port_id, None)


def attachment_view(server: dict, port: dict, mv: tuple[int, int]) -> dict:
    view = {"net_id": port["network_id"], "port_id": port["id"], "mac_addr": port["mac_address"],
            "port_state": port["status"],
            "fixed_ips": [{"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"]} for ip in port["fixed_ips"]]}
    if mv >= (2, 70):
        view["tag"] = server.get("_vif_tags", {}).get(port["id"])
    return view


def _check_query(request: web.Request) -> None:
    if _mv(request) >= (2, 102) and request.query:
        extra = ", ".join(repr(k) for k in request.query)
        raise ApiError(400, f"Invalid input for query parameters {next(iter(request.query))}. Value: "
                            f"{next(iter(request.query.values()))}. Additional properties are not allowed "
                            f"({extra} {'was' if len(request.query) == 1 else 'were'} unexpected)")


async def list_interfaces(request: web.Request) -> web.Response:
    server = _server(request, admin_reads=True)
    _check_query(request)
    mv = _mv(request)
    ports = neutron.device_ports(world_of(request), server["id"])
    return json_response({"interfaceAttachments": [attachment_view(server, p, mv) for p in ports]})


async def show_interface(request: web.Request) -> web.Response:
    server = _server(request, admin_reads=True)
    _check_query(request)
    return json_response({"interfaceAttachment": _attached(request, server, request.match_info["port_id"])})


def _attached(request: web.Request, server: dict, port_id: str) -> dict:
    port = world_of(request).ports.get(port_id)
    if port is None or not neutron.visible(port, ctx_of(request)["project_id"]):
        raise ApiError(404, f"Port id {port_id} could not be found.")
    if port["device_id"] != server["id"]:
        raise ApiError(404, f"Instance {server['id']} does not have a port with id {port_id}")
    return attachment_view(server, port, _mv(request))


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _validate(body, mv: tuple[int, int]) -> dict:
    """attach_interfaces.py's schema: {interfaceAttachment: {net_id, port_id, fixed_ips: [{ip_address}],
    tag (2.49)}}, nothing else; an empty body asks for any network."""
    if not body:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, f"Invalid input for field/attribute body. Value: {body!r}. "
                            f"{body!r} is not of type 'object'")
    extra = sorted(set(body) - {"interfaceAttachment"})
    if extra:
        raise _bad_input("body", body, f"Additional properties are not allowed ({extra[0]!r} was unexpected)")
    spec = body.get("interfaceAttachment")
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise _bad_input("interfaceAttachment", spec, f"{spec!r} is not of type 'object'")
    allowed = {"net_id", "port_id", "fixed_ips"} | ({"tag"} if mv >= (2, 49) else set())
    extra = sorted(set(spec) - allowed)
    if extra:
        raise _bad_input("interfaceAttachment", spec,
                         f"Additional properties are not allowed ({extra[0]!r} was unexpected)")
    for field in ("net_id", "port_id"):
        if field in spec and not _is_uuid(spec[field]):
            raise _bad_input(field, spec[field], f"{spec[field]!r} is not a 'uuid'")
    if "fixed_ips" in spec:
        ips = spec["fixed_ips"]
        if not isinstance(ips, list) or len(ips) != 1 or not isinstance(ips[0], dict) or set(ips[0]) != {"ip_address"}:
            raise _bad_input("fixed_ips", ips, "is not a list of one {'ip_address': ...}")
        try:
            ipaddress.ip_address(ips[0]["ip_address"])
        except ValueError:
            raise _bad_input("ip_address", ips[0]["ip_address"],
                             f"{ips[0]['ip_address']!r} is not valid under any of the given schemas") from None
    tag = spec.get("tag")
    if tag is not None and (not isinstance(tag, str) or not 1 <= len(tag) <= 60 or "/" in tag or "," in tag):
        raise _bad_input("tag", tag, f"{tag!r} does not match '^[^,/]*$'")
    return spec


def _any_network(world: World, project_id: str) -> str:
    """No network asked for: Nova's _get_available_networks, the project's own, else the shared ones."""
    own = [n["id"] for n in world.networks.values() if n.get("project_id") == project_id
           and not n.get("router:external")]
    found = own or [n["id"] for n in world.networks.values() if n.get("shared")]
    if not found:
        raise ApiError(400, f"No specific network was requested and none are available for project '{project_id}'.")
    if len(found) > 1:
        raise ApiError(400, "More than one possible network found. Specify network ID(s) to select which one(s) "
                            "to connect to.")
    return found[0]


def _user_port(world: World, server: dict, port_id: str, admin: bool) -> dict:
    """nova/network/neutron.py _validate_requested_port_ids for a port the user brings."""
    port = world.ports.get(port_id)
    if port is None or not (admin or neutron.visible(port, server["tenant_id"])):
        raise ApiError(404, f"Port id {port_id} could not be found.")
    if port["device_id"]:
        raise ApiError(409, f"Port {port_id} is still in use.")
    if port["project_id"] != server["tenant_id"]:
        raise ApiError(400, f"Port {port_id} not usable for instance {server['id']}.")
    if not port["fixed_ips"]:
        raise ApiError(400, f"Port {port_id} requires a FixedIP in order to be used.")
    return port


def _new_port(world: World, server: dict, network_id: str, address: str | None, admin: bool) -> dict:
    """The port Nova makes on a network: an admin's token sees every project's networks, and only an admin may
    plug a server into an external network (network:attach_external_network, _check_external_network_attach)."""
    network = world.networks.get(network_id)
    if network is None or not (admin or neutron.visible(network, server["tenant_id"])):
        raise ApiError(404, f"Network {network_id} could not be found.")
    if network.get("router:external") and not network.get("shared") and not admin:
        raise ApiError(403, f"It is not allowed to create an interface on external network {network_id}")
    try:
        return neutron.create_port(world, server["tenant_id"], network_id, device_id=server["id"],
                                   device_owner=f"compute:{nova.AZ}", fixed_ip=address)
    except ApiError as error:
        if error.kind == "IpAddressAlreadyAllocated":
            raise ApiError(409, f"Fixed IP {address} is already in use.") from None
        if error.kind == "IpAddressGenerationFailure":
            raise ApiError(400, f"No fixed IP addresses available for network: {network_id}") from None
        if address and error.status == 400:  # Neutron's InvalidIpForNetwork / InvalidIpForSubnet
            raise ApiError(400, f"Invalid input received: Fixed IP {address} is not a valid ip address for "
                                f"network {network_id}.") from None
        raise


async def attach(request: web.Request) -> web.Response:
    world, ctx, mv = world_of(request), ctx_of(request), _mv(request)
    server = _server(request, admin_reads=True)
    spec = _validate(await read_json(request) if request.can_read_body else None, mv)
    network_id, port_id = spec.get("net_id"), spec.get("port_id")
    address = spec["fixed_ips"][0]["ip_address"] if spec.get("fixed_ips") else None
    if network_id and port_id:
        raise ApiError(400, "Must not input both network_id and port_id")
    if address and not network_id:
        raise ApiError(400, "Must input network_id when request IP address")
    rule = check("attach_interface", server)
    request_id = request.get("request_id", "")
    if port_id:
        port = _user_port(world, server, port_id, _is_admin(request))
        neutron.set_port_device(world, port, server["id"], f"compute:{nova.AZ}")
        neutron.touch(world, port)
        user_ports(server).append(port["id"])
    else:
        port = _new_port(world, server, network_id or _any_network(world, server["tenant_id"]), address,
                         _is_admin(request))
    if spec.get("tag") is not None:
        server.setdefault("_vif_tags", {})[port["id"]] = spec["tag"]
    server["_addresses"] = None  # the attach refreshes Nova's network-info cache at once
    nova.record_action(world, server, rule.instance_action or "attach_interface", request_id, ctx["user_id"],
                       event="compute_attach_interface")
    world.changed("server", server["id"])
    return json_response({"interfaceAttachment": attachment_view(server, port, mv)})


async def detach(request: web.Request) -> web.Response:
    world, ctx = world_of(request), ctx_of(request)
    server = _server(request, admin_reads=True)
    port_id = request.match_info["port_id"]
    rule = check("detach_interface", server)
    nova.record_action(world, server, rule.instance_action or "detach_interface", request.get("request_id", ""),
                       ctx["user_id"], event="compute_detach_interface")

    def detached() -> None:  # on the host, after the API answered; a port not on the server is left alone
        port = world.ports.get(port_id)
        if port is not None and port["device_id"] == server["id"]:
            release_port(world, server, port_id)
            server["_addresses"] = None
            world.changed("server", server["id"])

    world.later(DETACH_DELAY, detached)
    return no_content(202)


def add_routes(router: web.UrlDispatcher, prefix: str) -> None:
    router.add_get(f"{prefix}/servers/{{server_id}}/os-interface", list_interfaces)
    router.add_post(f"{prefix}/servers/{{server_id}}/os-interface", attach)
    router.add_get(f"{prefix}/servers/{{server_id}}/os-interface/{{port_id}}", show_interface)
    router.add_delete(f"{prefix}/servers/{{server_id}}/os-interface/{{port_id}}", detach)
