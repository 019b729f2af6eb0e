"""Neutron routers: create, set or clear the external gateway, add or remove a subnet's interface, delete. Neutron
answers at once: a router's answer goes straight into the store, and the ports an interface makes or frees are
fetched again (a router's interfaces are its ports: device_owner network:router_interface*)."""

from __future__ import annotations

import contextlib

from ..models import Port, Router, Subnet
from ..session import CloudError
from .base import ActionRefused, ActionResult, ActionsBase, failed

MAX_NAME = 255  # Neutron's name attribute


def is_interface(port: Port) -> bool:
    return port.device_owner.startswith("network:router_interface")


class RouterActions(ActionsBase):
    def _router(self, router_id: str) -> Router:
        return self._item("routers", router_id, "this router is not in the project")

    def router_interfaces(self, router: Router) -> list[tuple[Port, Subnet | None]]:
        """The router's subnet interfaces, each port with the subnet it sits on (as the store has them)."""
        subnets = self.store.get("subnets")
        found = []
        for port in self.store.get("ports").values():
            if port.device_id == router.id and is_interface(port):
                for ip in port.fixed_ips or [None]:
                    found.append((port, subnets.get(ip.subnet_id) if ip else None))
        return found

    def why_not_add_interface(self, router: Router, subnet: Subnet) -> str | None:
        """Why Neutron would refuse this subnet's interface on this router (None: it would take it)."""
        network = self.store.item("networks", subnet.network_id)
        if network is not None and network.external:
            return "an external network's subnet is a gateway, not an interface"
        if any(s is not None and s.id == subnet.id for _p, s in self.router_interfaces(router)):
            return "the router has an interface on this subnet already"
        if not subnet.gateway_ip:
            return "the subnet has no gateway IP for the router to take"
        taken = next((p for p in self.store.get("ports").values()
                      if any(ip.subnet_id == subnet.id and ip.ip_address == subnet.gateway_ip for ip in p.fixed_ips)),
                     None)
        if taken is not None:
            owner = self.store.item("routers", taken.device_id)
            return f"its gateway IP {subnet.gateway_ip} is taken" + (f" by router {owner.name}" if owner else "")
        return None

    def why_not_delete_router(self, router: Router) -> str | None:
        if count := len(self.router_interfaces(router)):
            return f"the router has {count} subnet interface(s): remove them first"
        return None

    def _checked_name(self, name: str) -> str:
        name = name.strip()
        if len(name) > MAX_NAME:
            raise ActionRefused(f"a router name has at most {MAX_NAME} characters; this one has {len(name)}")
        return name

    def _external(self, network_id: str) -> str:
        network = self.store.item("networks", network_id)
        if network is None or not network.external:
            raise ActionRefused("a router's gateway is an external network")
        return network.name

    async def create_router(self, name: str, gateway_network_id: str | None = None) -> ActionResult:
        """A new router, with its gateway on `gateway_network_id` if given; the value is the Router."""
        name = self._checked_name(name)
        if not name:
            raise ActionRefused("the router needs a name")
        spec: dict = {"name": name}
        if gateway_network_id:
            self._external(gateway_network_id)
            spec["external_gateway_info"] = {"network_id": gateway_network_id}
        with self._claim(name, "create_router", f"creating router {name}"):
            try:
                answer = await self._send("network", "POST", "/routers", {"router": spec})
            except CloudError as err:  # 409/403: the router quota
                return failed(f"create router {name}", err)
        router = Router.from_api((answer or {}).get("router") or {})
        self.store.merge("routers", [router])
        if gateway_network_id:
            self.poller.kick("ports")  # the gateway's port
        return ActionResult(True, f"created router {name}", value=router)

    async def set_router_gateway(self, router_id: str, network_id: str | None) -> ActionResult:
        """Point the router's gateway at an external network (None: clear it, which frees its address)."""
        router = self._router(router_id)
        if network_id is None and not router.external_network_id:
            raise ActionRefused(f"router {router.name} has no gateway to clear")
        if network_id is not None and network_id == router.external_network_id:
            raise ActionRefused(f"router {router.name} has its gateway there already")
        where = self._external(network_id) if network_id else ""
        info = {"network_id": network_id} if network_id else {}
        what = f"set the gateway of router {router.name}" if network_id else f"clear the gateway of {router.name}"
        with self._claim(router.id, "gateway", what):
            try:
                answer = await self._send("network", "PUT", f"/routers/{router.id}",
                                          {"router": {"external_gateway_info": info}})
            except CloudError as err:  # 409: floating IPs still use the gateway
                return failed(what, err)
        updated = Router.from_api((answer or {}).get("router") or {})
        self.store.merge("routers", [updated])
        self.poller.kick("ports")
        done = f"router {router.name} reaches {where}" if network_id else f"router {router.name} has no gateway now"
        return ActionResult(True, done, value=updated)

    async def _interface(self, router: Router, subnet: Subnet, verb: str, what: str, done: str) -> ActionResult:
        with self._claim(router.id, f"interface {subnet.id}", what):
            try:
                answer = await self._send("network", "PUT", f"/routers/{router.id}/{verb}_router_interface",
                                          {"subnet_id": subnet.id})
            except CloudError as err:
                return failed(what, err)
            port_id = (answer or {}).get("port_id") if isinstance(answer, dict) else None
            with contextlib.suppress(CloudError):  # else the next poll of ports brings it
                if port_id:
                    await self.poller.recheck("ports", port_id)
            self.poller.kick("ports", "routers")
        return ActionResult(True, done, value=port_id)

    async def add_router_interface(self, router_id: str, subnet_id: str) -> ActionResult:
        router = self._router(router_id)
        subnet = self._item("subnets", subnet_id, "this subnet is not in the project")
        if reason := self.why_not_add_interface(router, subnet):
            raise ActionRefused(reason)
        label = subnet.name or subnet.cidr
        return await self._interface(router, subnet, "add", f"add {label} to router {router.name}",
                                     f"router {router.name} has an interface on {label}")

    async def remove_router_interface(self, router_id: str, subnet_id: str) -> ActionResult:
        router = self._router(router_id)
        subnet = self._item("subnets", subnet_id, "this subnet is not in the project")
        if not any(s is not None and s.id == subnet_id for _p, s in self.router_interfaces(router)):
            raise ActionRefused(f"router {router.name} has no interface on {subnet.name or subnet.cidr}")
        label = subnet.name or subnet.cidr
        return await self._interface(router, subnet, "remove", f"remove {label} from router {router.name}",
                                     f"router {router.name} no longer reaches {label}")

    async def delete_router(self, router_id: str) -> ActionResult:
        router = self._router(router_id)
        if reason := self.why_not_delete_router(router):
            raise ActionRefused(reason)
        what = f"delete router {router.name}"
        with self._claim(router.id, "delete_router", what):
            try:
                await self._send("network", "DELETE", f"/routers/{router.id}")
            except CloudError as err:  # 409: an interface the store has not seen yet
                return failed(what, err)
            self.store.merge("routers", [], [router.id])
            self.poller.kick("ports")  # its gateway port went with it
        return ActionResult(True, f"deleted router {router.name}")
