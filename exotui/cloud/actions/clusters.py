"""Magnum clusters: resize the worker count and delete, each followed through the cluster's own status until
it settles; and a kubeconfig written from the cluster's certificates. Every request goes through `_send`, so the
read-only mode refuses the writes before they leave; `_claim` keeps a double key press from sending twice.

The kubeconfig: a private key made here and never sent, its CSR signed by Magnum (`POST /certificates`, a read
that has to be a POST, so read-only mode lets it go), the CA read from the cloud; the file written mode 600,
never over an existing one; nothing of it logged (keystoneauth's logging off for the exchange)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ..clusters import MV, RESIZABLE, SERVICE, Cluster, fetch_cluster, kubeconfig, new_key_and_csr
from ..credentials import write_private
from ..session import CloudError
from .base import ActionRefused, ActionResult, ActionsBase, Progress, failed

# what a cluster's Heat stack made or removed shows up now, not at the next slow poll
_MADE_KINDS = ("clusters", "stacks", "networks", "subnets", "security_groups", "servers")
MAX_NODES = 1000  # a typo guard, far above any allocation's quota


class ClusterActions(ActionsBase):
    @staticmethod
    def why_not_resize_cluster(cluster: Cluster, node_count: int | None = None) -> str | None:
        """None when Magnum would resize it now (to `node_count`, when given), else why not in one line."""
        if cluster.status not in RESIZABLE:
            return f"Magnum resizes a cluster only once it is complete (it is {cluster.status or 'unknown'})"
        if node_count is None:
            return None
        if node_count < 0 or node_count > MAX_NODES:
            return f"give the worker count as a whole number from 0 to {MAX_NODES}"
        if node_count == cluster.node_count:
            return f"the cluster has {node_count} worker node{'s' if node_count != 1 else ''} already"
        return None

    @staticmethod
    def why_not_delete_cluster(cluster: Cluster) -> str | None:
        if cluster.status == "DELETE_IN_PROGRESS":
            return "the cluster is being deleted already"
        return None

    @staticmethod
    def why_not_kubeconfig(cluster: Cluster) -> str | None:
        if cluster.coe and cluster.coe != "kubernetes":
            return f"its engine is {cluster.coe}: exotui writes kubeconfigs for Kubernetes clusters"
        if not cluster.api_address:
            return f"the cluster has no API address yet ({cluster.status or 'unknown'})"
        return None

    async def resize_cluster(self, cluster: Cluster, node_count: int, *, progress: Progress | None = None,
                             timeout: float | None = None) -> ActionResult:
        """The default worker pool to `node_count` nodes (Magnum's resize action), followed until Magnum says
        UPDATE_COMPLETE with that count (or UPDATE_FAILED)."""
        if reason := self.why_not_resize_cluster(cluster, node_count):
            raise ActionRefused(reason)
        what = f"resize cluster {cluster.name} to {node_count} nodes"
        with self._claim(cluster.id, "resize_cluster", what):
            try:
                await self._send(SERVICE, "POST", f"/clusters/{cluster.id}/actions/resize",
                                 {"node_count": node_count}, mv=MV)
            except CloudError as err:
                return failed(what, err)

            def settled(now: Cluster) -> ActionResult | None:
                if now.status == "UPDATE_FAILED":
                    return ActionResult(False, f"could not {what}: {now.status_reason or now.status}", now.status)
                if now.status.endswith("_COMPLETE") and now.node_count == node_count:
                    return ActionResult(True, f"cluster {cluster.name} has {node_count} nodes", now.status)
                return None

            return await self._follow_cluster(cluster, what, settled, progress, timeout)

    async def delete_cluster(self, cluster: Cluster, *, progress: Progress | None = None,
                             timeout: float | None = None) -> ActionResult:
        """Delete the cluster (and its Heat stack, with everything it made); followed until Magnum no longer
        has it. The UI asks first (delete always asks)."""
        if reason := self.why_not_delete_cluster(cluster):
            raise ActionRefused(reason)
        what = f"delete cluster {cluster.name}"
        with self._claim(cluster.id, "delete_cluster", what):
            try:
                await self._send(SERVICE, "DELETE", f"/clusters/{cluster.id}", mv=MV)
            except CloudError as err:
                if err.status == 404:
                    self.store.merge("clusters", [], [cluster.id])
                    return ActionResult(True, f"cluster {cluster.name} was already gone")
                return failed(what, err)

            def settled(now: Cluster | None) -> ActionResult | None:
                if now is None:
                    return ActionResult(True, f"cluster {cluster.name} deleted", "DELETE_COMPLETE")
                if now.status == "DELETE_FAILED":
                    return ActionResult(False, f"could not {what}: {now.status_reason or now.status}", now.status)
                return None

            return await self._follow_cluster(cluster, what, settled, progress, timeout)

    async def _follow_cluster(self, cluster: Cluster, what: str, settled, progress: Progress | None,
                              timeout: float | None) -> ActionResult:
        """Read the cluster until `settled` judges it (None: gone), keeping the store's row as the cloud has it;
        each new status is said through `progress`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or self.timeout)
        said = ""
        while True:
            try:
                now: Cluster | None = await fetch_cluster(self.session, cluster.id)
            except CloudError as err:
                if err.status != 404:
                    now = self.store.item("clusters", cluster.id)  # a poll that failed: try again
                    if loop.time() >= deadline:
                        return failed(what, err)
                else:
                    now = None
            if now is None:
                self.store.merge("clusters", [], [cluster.id])
            else:
                self.store.merge("clusters", [now])
                if progress is not None and now.status != said:
                    said = now.status
                    progress(f"{cluster.name}: {now.status}")
            verdict = settled(now)
            if verdict is not None:
                self.poller.kick(*_MADE_KINDS)
                return verdict
            if loop.time() >= deadline:
                status = now.status if now is not None else None
                return ActionResult(False, f"{what}: still under way", status, still_running=True)
            await asyncio.sleep(max(self.poller.intervals.fast, 0.05))

    async def write_kubeconfig(self, cluster: Cluster, path: Path) -> ActionResult:
        """A kubeconfig for the cluster at `path` (a new file, mode 600): the CA from the cloud, a client key made
        here (never sent) and its certificate signed by the cluster's CA. The value is the path."""
        if reason := self.why_not_kubeconfig(cluster):
            raise ActionRefused(reason)
        what = f"write a kubeconfig for {cluster.name}"
        if path.exists():
            return ActionResult(False, f"could not {what}: {path} exists (exotui never writes over a file)")
        with self._claim(cluster.id, "kubeconfig", what):
            try:
                if cluster.tls_disabled:
                    text = kubeconfig(cluster, None, None, None)
                else:
                    key, csr = await asyncio.to_thread(new_key_and_csr)
                    ca = await self.session.get_json(SERVICE, f"/certificates/{cluster.id}", microversion=MV)
                    signed = await self._send(SERVICE, "POST", "/certificates", {"cluster_uuid": cluster.id,
                                              "csr": csr}, mv=MV, write=False, secret=True)
                    ca_pem, cert_pem = ca.get("pem"), (signed or {}).get("pem")
                    if not isinstance(ca_pem, str) or not isinstance(cert_pem, str):
                        return ActionResult(False, f"could not {what}: the cloud sent no certificate")
                    text = kubeconfig(cluster, ca_pem, cert_pem, key)
            except CloudError as err:
                return failed(what, err)
            try:
                write_private(path, text)
            except (OSError, ValueError) as err:  # ValueError: a NUL in the path
                return ActionResult(False, f"could not {what}: {path}: {getattr(err, 'strerror', None) or err}")
            return ActionResult(True, f"kubeconfig for {cluster.name} written to {path} (mode 600)", value=path)
