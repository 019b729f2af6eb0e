"""The `:objects` screen: the project's containers (objects, bytes, public or private), and inside one its
objects as folders by prefix and delimiter, a page at a time. Download (resumable, mode 600), upload, delete,
public/private and temporary URLs, each through project.actions and the app's flows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from textual.binding import Binding
from textual.widgets import DataTable

from ...cloud.objects import Container, Entry, ObjectStore
from ..dialogs import ConfirmDialog, PromptDialog
from ..dialogs.text import TextDialog, private_path_problem
from ..plain import middle
from ..workers import run_guarded
from .listing import ListingScreen, size

UP = "\x00up"  # row keys that are no object name (Swift names hold no NUL)
MORE = "\x00more"


def download_problem(text: str) -> str | None:
    return private_path_problem(text, "~/Downloads/reads.fastq.gz or ./reads.fastq.gz")


def upload_problem(text: str) -> str | None:
    if not text:
        return "give the path of a local file"
    path = Path(os.path.expanduser(text))
    try:
        if not path.is_file():
            return f"{middle(text, 60)} is not a file"
        if not os.access(path, os.R_OK):
            return f"{middle(text, 60)} cannot be read"
    except (OSError, ValueError) as err:  # a name too long, a NUL in it (the monkey pasted both)
        return f"not a usable path: {getattr(err, 'strerror', None) or err}"
    return None


class ObjectsScreen(ListingScreen):
    """Containers, then one container's folders and objects; esc goes up a level, then back."""

    BINDINGS = [
        Binding("escape", "close", "Back", tooltip="up a folder, out of the container, then the screen before"),
        Binding("enter", "open", "Open", tooltip="a container or folder; on '… more' the next page"),
        Binding("backspace", "up", "Up", show=False, tooltip="the folder above"),
        Binding("d", "download", "Download", tooltip="the object to a local file (mode 600; resumes a .part)"),
        Binding("u", "upload", "Upload", tooltip="a local file into this folder, with progress"),
        Binding("ctrl+d", "delete", "Delete", tooltip="the object, or empty and delete the container (asks first)"),
        Binding("p", "public", "Public/private", tooltip="the container readable by anyone, or by the project only"),
        Binding("t", "temp_url", "Temp URL", tooltip="a temporary URL for the object, to share"),
        Binding("ctrl+r", "reload", "Reload", show=False, tooltip="list again"),
    ]

    def __init__(self, project) -> None:
        super().__init__(project)
        self.store = ObjectStore(project.session)
        self.container: Container | None = None
        self.prefix = ""
        self.marker: str | None = None  # the next page's, None when the last is shown
        self.containers: dict[str, Container] = {}
        self.public: dict[str, bool] = {}
        self.entries: dict[str, Entry] = {}
        self._loads = 0  # a load started later wins over one still running

    columns = ("name", "objects / type", "size", "access / modified")

    def on_mount(self) -> None:
        super().on_mount()
        self.when_composed("#listing", lambda _t: self.reload())

    # --- reading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        self._loads += 1
        if self.container is None:
            run_guarded(self, self._load_containers(self._loads), "listing containers", group="objects")
        else:
            run_guarded(self, self._load_page(self._loads, ""), "listing objects", group="objects")

    def action_reload(self) -> None:
        self.reload()

    def _where(self) -> str:
        label = self.project.label
        if self.container is None:
            return f"Object storage │ {label}"
        return f"Object storage │ {middle(self.container.name, 30)}/{middle(self.prefix, 30)}"

    async def _load_containers(self, load: int) -> None:
        self.set_bar(self._where())
        self.set_status("loading containers…")
        try:
            containers = await self.store.containers()
        except Exception as err:  # noqa: BLE001 (a cloud error in one line)
            self.set_status(f"cannot list containers: {getattr(err, 'message', None) or err}")
            return
        infos: dict[str, bool | None] = {}
        for c in containers:  # a few per project: one HEAD each for the read ACL; one failing is one "?"
            try:
                infos[c.api_name] = (await self.store.container_info(c.api_name)).public
            except Exception:  # noqa: BLE001
                infos[c.api_name] = None
        if load != self._loads or self.container is not None:
            return
        self.containers = {c.api_name: c for c in containers}
        self.public = {name: public for name, public in infos.items() if public is not None}
        access = {True: "public", False: "private", None: "?"}
        self.fill((c.api_name, (c.name, f"{c.count}", size(c.bytes), access[infos[c.api_name]]))
                  for c in containers)
        self.set_status(f"{len(containers)} containers · enter: open")

    async def _load_page(self, load: int, marker: str) -> None:
        container = self.container
        if container is None:
            return
        self.set_bar(self._where())
        self.set_status("loading…")
        try:
            page = await self.store.list_page(container.api_name, self.prefix, marker)
        except Exception as err:  # noqa: BLE001
            self.set_status(f"cannot list {container.name}: {getattr(err, 'message', None) or err}")
            return
        if load != self._loads or self.container is not container:
            return
        rows: list[tuple[str, tuple[str, ...]]] = []
        if not marker:
            self.entries = {}
            rows.append((UP, ("..", "", "", "")))
        else:
            self._drop_more()
        for entry in page.entries:
            self.entries[entry.api_name] = entry
            if entry.is_folder:
                rows.append((entry.api_name, (entry.name, "folder", "", "")))
            else:
                kind = entry.content_type + (" (large)" if entry.is_large else "")
                rows.append((entry.api_name, (entry.name, kind, size(entry.bytes),
                                              entry.last_modified[:16].replace("T", " "))))
        self.marker = page.next_marker
        if self.marker is not None:
            rows.append((MORE, ("… more (enter)", "", "", "")))
        self.fill(rows, append=bool(marker))
        shown = sum(1 for k in self.keys if k not in (UP, MORE))
        self.set_status(f"{shown} shown" + (" · more on enter at the end" if self.marker else ""))

    def _drop_more(self) -> None:
        table = self.part("#listing", DataTable)
        if table is not None and self.keys and self.keys[-1] == MORE:
            table.remove_row(MORE)
            self.keys.pop()

    # --- moving -----------------------------------------------------------------------------------

    def action_open(self) -> None:
        key = self.current
        if key is None:
            return
        if self.container is None:
            self.container = self.containers.get(key)
            self.prefix = ""
            self.reload()
        elif key == UP:
            self.action_up()
        elif key == MORE:
            if self.marker is not None:
                self._loads += 1
                run_guarded(self, self._load_page(self._loads, self.marker), "listing objects", group="objects")
        elif (entry := self.entries.get(key)) is not None and entry.is_folder:
            self.prefix = entry.api_name
            self.reload()

    def action_up(self) -> None:
        if self.container is None:
            return
        if not self.prefix:
            self.container = None
        else:
            head = self.prefix.rstrip("/")
            self.prefix = head[:head.rfind("/") + 1] if "/" in head else ""
        self.reload()

    def action_close(self) -> None:
        if self.container is not None:
            self.action_up()
        else:
            self.dismiss(None)

    # --- acting -----------------------------------------------------------------------------------

    def _object(self) -> Entry | None:
        entry = self.entries.get(self.current or "") if self.container is not None else None
        if entry is None or entry.is_folder:
            self.app.notify("put the cursor on an object", severity="warning", timeout=3)
            return None
        return entry

    def _flows(self, what: str):
        """The app's flows, unless read-only (said in one line) or the screen is gone."""
        flows = self.app.flows  # type: ignore[attr-defined]
        return None if flows.read_only(self.project, what) else flows

    def action_download(self) -> None:
        entry = self._object()
        if entry is not None:
            run_guarded(self, self._download(entry), "download", group="transfer")

    async def _download(self, entry: Entry) -> None:
        container = self.container
        assert container is not None
        base = entry.api_name.rsplit("/", 1)[-1]
        typed = await self.app.push_screen_wait(PromptDialog(
            f"Download {middle(entry.name, 40)} ({size(entry.bytes)}) to", placeholder=f"./{base}",
            hint="a new file; a .part left by an interrupted download is resumed · esc: cancel",
            validate=download_problem))
        if not typed:
            return
        dest = Path(os.path.expanduser(typed))

        def progress(done: int, total: int | None) -> None:
            self.show_progress(f"downloading {entry.name}", done, total)

        try:
            await self.store.download(container.api_name, entry.api_name, dest, progress)
        except Exception as err:  # noqa: BLE001
            self.app.notify(f"download {entry.name}: {getattr(err, 'message', None) or err}", severity="error",
                            timeout=10)
            self.set_status("download stopped: the same path resumes it")
            return
        finally:
            self.hide_progress()
        self.set_status(f"downloaded {entry.name} to {dest} (mode 600)")
        self.app.notify(f"downloaded to {dest}", timeout=5)

    def action_upload(self) -> None:
        if self.container is None:
            self.app.notify("open a container first", severity="warning", timeout=3)
            return
        if self._flows("upload") is not None:
            run_guarded(self, self._upload(self.container, self.prefix), "upload", group="transfer")

    async def _upload(self, container: Container, prefix: str) -> None:
        typed = await self.app.push_screen_wait(PromptDialog(
            f"Upload a file into {middle(container.name, 30)}/{middle(prefix, 30)}", placeholder="~/data/file.csv",
            validate=upload_problem))
        if not typed:
            return
        path = Path(os.path.expanduser(typed))
        name = prefix + path.name

        def progress(done: int, total: int | None) -> None:
            self.show_progress(f"uploading {path.name}", done, total)

        try:
            result = await self.app.flows.run(  # type: ignore[attr-defined]
                self.project, f"upload {path.name}",
                lambda: self.project.actions.upload(path, container.api_name, name, progress))
        finally:
            self.hide_progress()
        if result is not None and result.ok:
            self.set_status(result.message)
            self.reload()

    def action_delete(self) -> None:
        if self._flows("delete") is None:
            return
        if self.container is None:
            container = self.containers.get(self.current or "")
            if container is not None:
                run_guarded(self, self._delete_container(container), "delete container", group="delete")
            return
        entry = self._object()
        if entry is not None:
            run_guarded(self, self._delete_object(self.container, entry), "delete object", group="delete")

    async def _delete_object(self, container: Container, entry: Entry) -> None:
        extra = " and its segments" if entry.is_large else ""
        if not await self.app.push_screen_wait(ConfirmDialog(
                f"Delete {middle(entry.name, 50)}?", f"{size(entry.bytes)}{extra}, from {container.name}; "
                "there is no undo.")):
            return
        result = await self.app.flows.run(  # type: ignore[attr-defined]
            self.project, f"delete {entry.name}",
            lambda: self.project.actions.delete_object(container.api_name, entry.api_name, large=entry.is_large))
        if result is not None and result.ok:
            self.reload()

    async def _delete_container(self, container: Container) -> None:
        title = (f"Empty and delete container {middle(container.name, 40)}?" if container.count
                 else f"Delete container {middle(container.name, 40)}?")
        message = (f"Its {container.count} objects ({size(container.bytes)}) are deleted first; there is no undo."
                   if container.count else "It is empty.")
        if not await self.app.push_screen_wait(ConfirmDialog(title, message)):
            return
        flows: Any = self.app.flows  # type: ignore[attr-defined]
        if container.count:
            emptied = await flows.run(self.project, f"empty {container.name}",
                                      lambda: self.project.actions.empty_container(container.api_name), quiet=True)
            if emptied is None or not emptied.ok:
                if emptied is not None:
                    flows.say(emptied)
                return
        result = await flows.run(self.project, f"delete container {container.name}",
                                 lambda: self.project.actions.delete_container(container.api_name))
        if result is not None:
            self.reload()

    def action_public(self) -> None:
        name = self.container.api_name if self.container is not None else self.current
        container = self.containers.get(name or "")
        if container is not None and self._flows("public/private") is not None:
            run_guarded(self, self._toggle_public(container), "public/private", group="public")

    async def _toggle_public(self, container: Container) -> None:
        public = not self.public.get(container.api_name, False)
        if public and not await self.app.push_screen_wait(ConfirmDialog(
                f"Make {middle(container.name, 40)} public?",
                f"Anyone on the internet can then list and read its {container.count} objects, without logging in.",
                confirm="Make public")):
            return
        result = await self.app.flows.run(  # type: ignore[attr-defined]
            self.project, f"make {container.name} {'public' if public else 'private'}",
            lambda: self.project.actions.set_container_public(container.api_name, public))
        if result is not None and result.ok:
            self.public[container.api_name] = public
            if self.container is None:
                self.reload()

    def action_temp_url(self) -> None:
        entry = self._object()
        if entry is not None and self.container is not None and self._flows("temporary URL") is not None:
            run_guarded(self, self._temp_url(self.container, entry), "temporary URL", group="tempurl")

    async def _temp_url(self, container: Container, entry: Entry) -> None:
        def check(text: str) -> str | None:
            return None if text.isdigit() and 0 < int(text) <= 90 * 86400 else \
                "a whole number of seconds, 1 to 7776000 (90 days)"

        lifetime = await self.app.push_screen_wait(PromptDialog(
            f"Temporary URL for {middle(entry.name, 40)}: valid for (seconds)", value="3600", restrict=r"\d*",
            validate=check))
        if not lifetime:
            return
        result = await self.app.flows.run(  # type: ignore[attr-defined]
            self.project, f"temporary URL for {entry.name}",
            lambda: self.project.actions.temp_url(container.api_name, entry.api_name, int(lifetime)), quiet=True)
        if result is None:
            return
        if not result.ok:
            self.app.flows.say(result)  # type: ignore[attr-defined]
            return
        await self.app.push_screen_wait(TextDialog(f"Temporary URL for {middle(entry.name, 40)}", str(result.value),
                                                   note=f"anyone with it may GET the object for {lifetime} s"))
