"""Neutron floating IPs: allocate, assign, unassign, release. Neutron answers at once, so its answer goes
straight into the store."""

from __future__ import annotations

from ..models import FloatingIP, Port
from ..session import CloudError
from .base import ActionRefused, ActionResult, ActionsBase, failed


class FloatingIPActions(ActionsBase):
    def _floating_ip(self, floating_ip_id: str) -> FloatingIP:
        return self._item("floating_ips", floating_ip_id, "this floating IP is not in the project")

    async def allocate_floating_ip(self, network_id: str | None = None, description: str = "") -> ActionResult:
        """A new floating IP from `network_id` (default: the one external network); the value is the FloatingIP."""
        if network_id is None:
            external = [n for n in self.store.get("networks").values() if n.external]
            if len(external) != 1:
                raise ActionRefused("choose the external network to take the address from"
                                    if external else "no external network is visible to this project")
            network_id = external[0].id
        spec = {"floating_network_id": network_id, "description": description}
        with self._claim(network_id, "allocate", "allocating a floating IP"):
            try:
                answer = await self._send("network", "POST", "/floatingips", {"floatingip": spec})
            except CloudError as err:
                return failed("allocate a floating IP", err)
        fip = FloatingIP.from_api(answer["floatingip"])
        self.store.merge("floating_ips", [fip])
        return ActionResult(True, f"allocated {fip.address}", fip.status, value=fip)

    @staticmethod
    def why_not_assign_floating_ip(fip: FloatingIP) -> str | None:
        """Why this address cannot be assigned now (None: it can), before an instance is chosen."""
        if fip.port_id:
            return f"{fip.address} is already assigned to {fip.fixed_address}: unassign it first"
        return None

    async def assign_floating_ip(self, floating_ip_id: str, server_id: str,
                                 fixed_address: str | None = None) -> ActionResult:
        """Point a floating IP at an instance's port (the one holding `fixed_address`, else its first)."""
        fip, server = self._floating_ip(floating_ip_id), self._server(server_id)
        if reason := self.why_not_assign_floating_ip(fip):
            raise ActionRefused(reason)
        with self._claim(fip.id, "update", f"assigning {fip.address}"):
            ports = [p for p in self.store.get("ports").values() if p.device_id == server_id]
            try:
                if not ports:  # a new instance's ports reach the store with the next full refresh
                    page = await self.session.get_list("network", "/ports", "ports", params={"device_id": server_id})
                    ports = [Port.from_api(p) for p in page.items]
                    self.store.merge("ports", ports)
            except CloudError as err:
                return failed(f"find the ports of {server.name}", err)
            ports = [p for p in ports if not fixed_address or fixed_address in {ip.ip_address for ip in p.fixed_ips}]
            if not ports:
                raise ActionRefused(f"{server.name} has no network port to point {fip.address} at")
            spec = {"port_id": ports[0].id, **({"fixed_ip_address": fixed_address} if fixed_address else {})}
            return await self._update_floating_ip(fip, spec, f"{fip.address} assigned to {server.name}")

    async def unassign_floating_ip(self, floating_ip_id: str) -> ActionResult:
        fip = self._floating_ip(floating_ip_id)
        if not fip.port_id:
            raise ActionRefused(f"{fip.address} is not assigned")
        with self._claim(fip.id, "update", f"unassigning {fip.address}"):
            return await self._update_floating_ip(fip, {"port_id": None}, f"{fip.address} unassigned")

    async def _update_floating_ip(self, fip: FloatingIP, spec: dict, done: str) -> ActionResult:
        try:
            answer = await self._send("network", "PUT", f"/floatingips/{fip.id}", {"floatingip": spec})
        except CloudError as err:
            return failed(f"change {fip.address}", err)
        updated = FloatingIP.from_api(answer["floatingip"])
        self.store.merge("floating_ips", [updated])  # the store shows it on the instance at once (Neutron's word)
        return ActionResult(True, done, updated.status, value=updated)

    async def release_floating_ip(self, floating_ip_id: str) -> ActionResult:
        fip = self._floating_ip(floating_ip_id)
        with self._claim(fip.id, "release", f"releasing {fip.address}"):
            try:
                await self._send("network", "DELETE", f"/floatingips/{fip.id}")
            except CloudError as err:
                return failed(f"release {fip.address}", err)
            self.store.merge("floating_ips", [], [fip.id])
        return ActionResult(True, f"released {fip.address}")
