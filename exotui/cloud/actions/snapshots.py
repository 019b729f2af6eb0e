"""Cinder volume snapshots: take one of a volume, delete one, each followed through the store until it settles.
A new volume from a snapshot is a volume create (volumes.py, `snapshot_id`)."""

from __future__ import annotations

import contextlib
from typing import Callable

from ..models import Volume, VolumeSnapshot
from ..session import CloudError
from .base import ActionRefused, ActionResult, ActionsBase, failed, made

KIND = "volume_snapshots"
MAX_NAME = 255  # Cinder's column


class SnapshotActions(ActionsBase):
    def _snapshot(self, snapshot_id: str) -> VolumeSnapshot:
        return self._item(KIND, snapshot_id, "this snapshot is not in the project")

    async def _recheck(self, ident: str) -> None:
        with contextlib.suppress(CloudError):  # the next poll brings it
            await self.poller.recheck(KIND, ident)

    async def _follow_snapshot(self, ident: str, judge: Callable[[VolumeSnapshot | None], ActionResult | None],
                               what: str, timeout: float | None) -> ActionResult:
        result = await self._follow(KIND, ident, judge, timeout or self.timeout, lambda: self._recheck(ident))
        return result or ActionResult(False, f"{what}: still under way", still_running=True, value=ident)

    @staticmethod
    def why_not_snapshot_volume(volume: Volume) -> str | None:
        """Why Cinder would refuse a snapshot of this volume now (None: it takes one)."""
        if volume.status not in ("available", "in-use"):
            return f"the volume is {volume.status}: a snapshot needs it available or in use"
        return None

    async def create_volume_snapshot(self, volume_id: str, name: str, description: str = "", *,
                                     timeout: float | None = None) -> ActionResult:
        """A snapshot of the volume, followed until available; the value is its ID. An attached volume is
        snapshotted as it is (`force`: required before Cinder 3.66, ignored from then on)."""
        volume = self._item("volumes", volume_id, "this volume is not in the project")
        name = name.strip()
        if not name:
            raise ActionRefused("the snapshot needs a name")
        if len(name) > MAX_NAME:
            raise ActionRefused(f"a snapshot name has at most {MAX_NAME} characters; this one has {len(name)}")
        if reason := self.why_not_snapshot_volume(volume):
            raise ActionRefused(reason)
        spec = {"volume_id": volume_id, "name": name, "description": description or None,
                "force": volume.status == "in-use"}
        what = f"snapshot volume {volume.name or volume.id[:8]}"
        with self._claim(volume_id, "create_snapshot", what):
            try:
                answer = await self._send("block_storage", "POST", "/snapshots", {"snapshot": spec})
            except CloudError as err:  # 413: the snapshot or gigabyte quota
                return failed(what, err)
            answered = VolumeSnapshot.from_api((answer or {}).get("snapshot") or {})
            if not answered.id:
                return ActionResult(False, f"{what}: Cinder did not say which snapshot it made", still_running=True)
            self.store.merge(KIND, [answered])

            return await self._follow_snapshot(answered.id, made(f"snapshot {name}", "taken"), what, timeout)

    @staticmethod
    def why_not_delete_volume_snapshot(snapshot: VolumeSnapshot) -> str | None:
        if snapshot.status not in ("available", "error"):
            return f"the snapshot is {snapshot.status}: Cinder deletes one only when available or in error"
        return None

    async def delete_volume_snapshot(self, snapshot_id: str, *, timeout: float | None = None) -> ActionResult:
        snapshot = self._snapshot(snapshot_id)
        if reason := self.why_not_delete_volume_snapshot(snapshot):
            raise ActionRefused(reason)
        label = snapshot.name or snapshot.id[:8]
        what = f"delete snapshot {label}"
        with self._claim(snapshot_id, "delete_snapshot", what):
            try:
                await self._send("block_storage", "DELETE", f"/snapshots/{snapshot_id}")
            except CloudError as err:
                return failed(what, err)
            await self._recheck(snapshot_id)

            def judge(snap: VolumeSnapshot | None) -> ActionResult | None:
                if snap is None:
                    return ActionResult(True, f"snapshot {label} deleted")
                if snap.status.startswith("error"):
                    return ActionResult(False, f"snapshot {label} is {snap.status}", snap.status)
                return None

            return await self._follow_snapshot(snapshot_id, judge, what, timeout)
