"""What is fetched for one instance when it is asked for, not polled: its action history (os-instance-actions
with each action's events) and the exouser passphrase of an Exosphere-built instance.

The passphrase is a secret: it is read with keystoneauth's logging off, held in a `Passphrase` whose repr and
str hide it, and never put in the store (Server.has_passphrase only says there is one).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .models import PASSPHRASE_METADATA, PASSPHRASE_TAG, InstanceAction, printable
from .session import CloudError, CloudSession

EVENTS_MV = (2, 51)  # members see an action's events from here on
TAGS_MV = (2, 26)


def _mv_tuple(mv: str | None) -> tuple[int, int]:
    try:
        major, minor = (mv or "2.1").split(".")
        return int(major), int(minor)
    except ValueError:
        return (2, 1)


async def fetch_history(session: CloudSession, server_id: str, *, events: bool = True, events_for: int = 25,
                        concurrency: int = 4) -> list[InstanceAction]:
    """The instance's actions, newest first; with `events`, the newest `events_for` of them with their events
    (one call per action, a few at a time: a long-lived instance has hundreds). A cloud below 2.51 shows
    members no events: the actions come without them."""
    await session.connection()
    mv = session.compute_mv
    body = await session.get_json("compute", f"/servers/{server_id}/os-instance-actions", microversion=mv)
    actions = [InstanceAction.from_api(a) for a in body.get("instanceActions") or [] if isinstance(a, dict)]
    if not events or _mv_tuple(mv) < EVENTS_MV:
        return actions
    gate = asyncio.Semaphore(concurrency)

    async def detailed(action: InstanceAction) -> InstanceAction:
        async with gate:
            try:
                return await fetch_action(session, server_id, action.request_id)
            except CloudError:
                return action  # listed, but its detail failed: shown without events
    newest = await asyncio.gather(*(detailed(a) for a in actions[:events_for]))
    return list(newest) + actions[events_for:]


async def fetch_action(session: CloudSession, server_id: str, request_id: str) -> InstanceAction:
    await session.connection()
    body = await session.get_json("compute", f"/servers/{server_id}/os-instance-actions/{request_id}",
                                  microversion=session.compute_mv)
    return InstanceAction.from_api(body.get("instanceAction") or {})


@dataclass(frozen=True)
class Passphrase:
    """An exouser passphrase. `value` is the raw text (for a copy to the clipboard); `shown` is it made
    printable for the screen; repr and str never show it, so a log line or a traceback cannot."""

    value: str = field(repr=False)
    source: str  # "tag", "metadata" or "os-server-password"

    @property
    def shown(self) -> str:
        return printable(self.value)

    def __str__(self) -> str:
        return f"<passphrase from {self.source}, hidden>"


async def fetch_passphrase(session: CloudSession, server_id: str) -> Passphrase | None:
    """Exosphere's order (getServerExouserPassphrase): an `exoPw:` tag, the old `exouserPassword` metadata,
    then os-server-password, where the instance's setup POSTs it before Exosphere moves it to a tag.
    None when the instance has none."""
    await session.connection()
    mv = session.compute_mv
    body = await session.get_json("compute", f"/servers/{server_id}", microversion=mv, secret=True)
    server = body.get("server") or {}
    if _mv_tuple(mv) >= TAGS_MV:
        for tag in server.get("tags") or []:
            if isinstance(tag, str) and tag.startswith(PASSPHRASE_TAG) and len(tag) > len(PASSPHRASE_TAG):
                return Passphrase(tag[len(PASSPHRASE_TAG):], "tag")
    old = (server.get("metadata") or {}).get(PASSPHRASE_METADATA)
    if isinstance(old, str) and old:
        return Passphrase(old, "metadata")
    try:
        answer = await session.get_json("compute", f"/servers/{server_id}/os-server-password", secret=True)
    except CloudError as err:
        if err.status == 404:
            return None
        raise
    password = answer.get("password")
    return Passphrase(password, "os-server-password") if isinstance(password, str) and password else None
