"""Cinder volumes: create, extend and delete, each followed through the store until the volume settles.
Attaching and detaching are server actions (servers.py): Nova does them."""

from __future__ import annotations

from typing import Any, Callable

from ..models import Volume
from ..session import CloudError
from .base import ActionRefused, ActionResult, ActionsBase, failed, made


class VolumeActions(ActionsBase):
    async def _volume_call(self, ident: str, action: str, what: str, method: str, path: str, body: Any,
                           judge: Callable[[Volume | None], ActionResult | None], timeout: float | None,
                           mv: str | None = None) -> ActionResult:
        with self._claim(ident, action, what):
            try:
                answer = await self._send("block_storage", method, path, body, mv)
            except CloudError as err:
                return failed(what, err)
            if isinstance(answer, dict) and isinstance(answer.get("volume"), dict):  # a new volume
                ident = answer["volume"].get("id", ident)
                self.store.merge("volumes", [Volume.from_api(answer["volume"])])
            else:
                await self._try_refresh("volumes", ident)
            result = await self._follow("volumes", ident, judge, timeout or self.timeout)
            return result or ActionResult(False, f"{what}: still under way", still_running=True, value=ident)

    def _volume(self, volume_id: str) -> Volume:
        return self._item("volumes", volume_id, "this volume is not in the project")

    async def create_volume(self, name: str, size_gb: int, *, description: str | None = None,
                            volume_type: str | None = None, snapshot_id: str | None = None,
                            timeout: float | None = None) -> ActionResult:
        """A new volume, empty or made from a snapshot (at least the snapshot's size), followed until available;
        the value is its ID."""
        if size_gb < 1:
            raise ActionRefused("a volume needs at least 1 GB")
        spec: dict[str, Any] = {"name": name, "size": size_gb, "description": description}
        if volume_type:
            spec["volume_type"] = volume_type
        if snapshot_id:
            snapshot = self._item("volume_snapshots", snapshot_id, "this snapshot is not in the project")
            if snapshot.status != "available":
                raise ActionRefused(f"the snapshot is {snapshot.status}: a volume is made only from an available one")
            if size_gb < snapshot.size_gb:
                raise ActionRefused(f"a volume from this snapshot needs at least {snapshot.size_gb} GB")
            spec["snapshot_id"] = snapshot_id

        return await self._volume_call(name, "create_volume", f"create volume {name}", "POST", "/volumes",
                                       {"volume": spec}, made(f"volume {name}", "created"), timeout)

    @staticmethod
    def why_not_attach_volume(volume: Volume) -> str | None:
        """Why this volume cannot be attached now (None: it can), before an instance is chosen."""
        if volume.status != "available":
            return f"the volume is {volume.status}" + (": detach it first" if volume.attachments else "")
        return None

    @staticmethod
    def why_not_extend_volume(volume: Volume, new_size_gb: int | None = None) -> str | None:
        """Why this volume cannot grow (to `new_size_gb`) now; None: it can."""
        if new_size_gb is not None and new_size_gb <= volume.size_gb:
            return f"the new size must be more than {volume.size_gb} GB (volumes only grow)"
        if volume.status not in ("available", "in-use"):
            return f"the volume is {volume.status}"
        return None

    def why_not_delete_volume(self, volume: Volume) -> str | None:
        if volume.attachments:
            return "the volume is attached to an instance: detach it first"
        snapshots = [s for s in self.store.get("volume_snapshots").values() if s.volume_id == volume.id]
        if snapshots:  # Cinder refuses (400) while a volume has snapshots
            return f"the volume has {len(snapshots)} snapshot(s): delete them first (:snapshots)"
        return None

    async def extend_volume(self, volume_id: str, new_size_gb: int, *, timeout: float | None = None) -> ActionResult:
        volume = self._volume(volume_id)
        if reason := self.why_not_extend_volume(volume, new_size_gb):
            raise ActionRefused(reason)

        def judge(vol: Volume | None) -> ActionResult | None:
            if vol is None or vol.status.startswith("error"):
                return ActionResult(False, f"volume {volume.name} is {vol.status if vol else 'gone'}")
            if vol.size_gb >= new_size_gb and vol.status in ("available", "in-use"):
                return ActionResult(True, f"volume {volume.name} is now {vol.size_gb} GB", vol.status)
            return None

        # an attached volume grows only from Cinder 3.42 on
        return await self._volume_call(volume_id, "extend", f"extend volume {volume.name}", "POST",
                                       f"/volumes/{volume_id}/action", {"os-extend": {"new_size": new_size_gb}},
                                       judge, timeout, "3.42" if volume.status == "in-use" else None)

    async def delete_volume(self, volume_id: str, *, timeout: float | None = None) -> ActionResult:
        volume = self._volume(volume_id)
        if reason := self.why_not_delete_volume(volume):
            raise ActionRefused(reason)

        def judge(vol: Volume | None) -> ActionResult | None:
            if vol is None:
                return ActionResult(True, f"volume {volume.name} deleted")
            if vol.status.startswith("error"):
                return ActionResult(False, f"volume {volume.name} is {vol.status}", vol.status)
            return None

        return await self._volume_call(volume_id, "delete", f"delete volume {volume.name}", "DELETE",
                                       f"/volumes/{volume_id}", None, judge, timeout)
