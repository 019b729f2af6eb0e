"""The `:objects` screen on the demo cloud's seeded containers: browse folders, download (mode 600) and upload
with progress, delete (asked first, sent once), public/private, temporary URLs; read-only refuses."""

from __future__ import annotations

import asyncio
import hashlib
import stat
import urllib.request
from pathlib import Path

from textual.widgets import Input

from exotui.ui.dialogs import ConfirmDialog, PromptDialog
from exotui.ui.dialogs.text import TextDialog
from exotui.ui.screens.objects import MORE, UP, ObjectsScreen

BIO = "BIO230045"  # the demo's project with containers


async def open_objects(ui) -> ObjectsScreen:
    project = next(p for p in ui.app.workspace.projects if p.key.project_name == BIO)
    request = project.session.request

    async def recording(service, method, path, **kw):  # what the screen sends, as ui.sent has the UI project's
        ui.sent.append((service, method, path))
        return await request(service, method, path, **kw)

    project.session.request = recording
    ui.app.select_project(project)
    for key in ("colon", *"objects", "enter"):
        await ui.pilot.press(key)
    await ui.until(lambda: isinstance(ui.app.screen, ObjectsScreen), what="the objects screen")
    screen = ui.app.screen
    await ui.until(lambda: "sequencing-runs" in screen.keys, what="the containers")
    return screen


async def go_to(ui, screen: ObjectsScreen, key: str) -> None:
    await ui.until(lambda: key in screen.keys, what=f"{key} listed")
    screen.query_one("#listing").move_cursor(row=screen.keys.index(key))
    await ui.pilot.press("enter")


async def type_into(ui, text: str) -> None:
    await ui.until(lambda: isinstance(ui.app.focused, Input), what="a field focused")
    ui.app.focused.value = text
    await ui.pilot.press("enter")


async def test_browse_folders_and_download_with_mode_600(open_ui, tmp_path):
    async with open_ui() as ui:
        screen = await open_objects(ui)
        assert screen.public == {"sequencing-runs": False, "assembly-results": False, "lab-website": True,
                                 "scratch": False}
        await go_to(ui, screen, "sequencing-runs")
        await ui.until(lambda: "2026-11/" in screen.keys and "README.md" in screen.keys, what="the top folder")
        assert screen.keys[0] == UP
        await go_to(ui, screen, "2026-11/")
        await ui.until(lambda: "2026-11/sample01/" in screen.keys, what="a folder's folders")
        assert "2026-11/manifest.csv" in screen.keys and "README.md" not in screen.keys
        await ui.pilot.press("escape")  # up a folder
        await ui.until(lambda: "README.md" in screen.keys, what="back up")
        screen.query_one("#listing").move_cursor(row=screen.keys.index("README.md"))
        await ui.pilot.press("d")
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the download prompt")
        await type_into(ui, "no-directory")  # refused in one line, asked again
        assert isinstance(ui.app.screen, PromptDialog)
        dest = tmp_path / "README.md"
        await type_into(ui, str(dest))
        await ui.until(lambda: dest.exists(), what="the file downloaded")
        assert stat.S_IMODE(dest.stat().st_mode) == 0o600
        entry = screen.entries["README.md"]
        assert hashlib.md5(dest.read_bytes()).hexdigest() == entry.hash and dest.stat().st_size == 613
        await ui.pilot.press("escape")  # out of the container
        await ui.until(lambda: "scratch" in screen.keys and screen.container is None, what="the containers")
        await ui.pilot.press("escape")
        await ui.until(lambda: not isinstance(ui.app.screen, ObjectsScreen), what="the screen closed")


async def test_pages_by_marker(open_ui):
    async with open_ui() as ui:
        screen = await open_objects(ui)
        screen.store.page = 4
        await go_to(ui, screen, "sequencing-runs")
        await go_to(ui, screen, "2026-11/")  # 6 folders and a file: two pages of 4
        await ui.until(lambda: MORE in screen.keys, what="a first page")
        assert screen.keys[1:] == ["2026-11/manifest.csv"] + [f"2026-11/sample0{n}/" for n in range(1, 4)] + [MORE]
        await go_to(ui, screen, MORE)
        await ui.until(lambda: MORE not in screen.keys and len(screen.keys) == 8, what="the last page")
        assert screen.keys[-1] == "2026-11/sample06/"


async def test_upload_delete_public_and_temp_url(open_ui, tmp_path):
    async with open_ui() as ui:
        screen = await open_objects(ui)
        await go_to(ui, screen, "scratch")
        await ui.until(lambda: screen.container is not None and screen.keys == [UP], what="the empty container")
        local = tmp_path / "notes.txt"
        local.write_bytes(b"exotui upload\n" * 1000)
        await ui.pilot.press("u")
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the upload prompt")
        await type_into(ui, str(local))
        await ui.until(lambda: "notes.txt" in screen.keys, what="the uploaded file listed")
        assert screen.entries["notes.txt"].bytes == 14_000
        # a temporary URL that the demo's Swift serves without a token
        screen.query_one("#listing").move_cursor(row=screen.keys.index("notes.txt"))
        await ui.pilot.press("t")
        await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the lifetime prompt")
        await type_into(ui, "600")
        await ui.until(lambda: isinstance(ui.app.screen, TextDialog), what="the URL")
        url = ui.app.screen.text
        assert "temp_url_sig=" in url
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read())
        assert body == local.read_bytes()
        await ui.pilot.press("c")  # copied through OSC 52
        assert ui.app.clipboard == url
        await ui.pilot.press("escape")
        # delete: asked first, sent once however fast the keys come
        await ui.until(lambda: ui.app.screen is screen, what="back on the screen")
        screen.query_one("#listing").move_cursor(row=screen.keys.index("notes.txt"))
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        await ui.pilot.press("y", "y")
        await ui.until(lambda: "notes.txt" not in screen.keys, what="the object gone")
        deletes = [s for s in ui.sent if s[1] == "DELETE" and s[2].endswith("/scratch/notes.txt")]
        assert len(deletes) == 1
        # public: asked first; private again without asking
        await ui.pilot.press("escape")
        await ui.until(lambda: screen.container is None and "scratch" in screen.keys, what="the containers")
        screen.query_one("#listing").move_cursor(row=screen.keys.index("scratch"))
        await ui.pilot.press("p")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="make public?")
        await ui.pilot.press("y")
        await ui.until(lambda: screen.public.get("scratch") is True, what="public")
        await ui.pilot.press("p")
        await ui.until(lambda: screen.public.get("scratch") is False, what="private again")


async def test_empty_and_delete_a_container(open_ui):
    async with open_ui() as ui:
        screen = await open_objects(ui)
        project = ui.app.project
        assert (await project.actions.create_container("doomed-bucket")).ok
        local = Path(__file__)
        assert (await project.actions.upload(local, "doomed-bucket", "a/b.py")).ok
        await ui.pilot.press("ctrl+r")
        await ui.until(lambda: "doomed-bucket" in screen.keys, what="the new container")
        screen.query_one("#listing").move_cursor(row=screen.keys.index("doomed-bucket"))
        await ui.pilot.press("ctrl+d")
        await ui.until(lambda: isinstance(ui.app.screen, ConfirmDialog), what="the confirmation")
        assert "Empty and delete" in ui.app.screen.title_text
        await ui.pilot.press("y")
        await ui.until(lambda: "doomed-bucket" not in screen.keys, what="the container gone")


async def test_read_only_refuses_in_one_line(open_ui):
    async with open_ui(readonly=True) as ui:
        screen = await open_objects(ui)
        screen.query_one("#listing").move_cursor(row=screen.keys.index("scratch"))
        for key in ("p", "ctrl+d"):
            await ui.pilot.press(key)
            await ui.pilot.pause()
            assert ui.app.screen is screen  # no dialog
        notes = [n.message for n in ui.app._notifications]
        assert any("read-only" in n for n in notes)
        assert not [s for s in ui.sent if s[0] == "object_store" and s[1] in ("POST", "PUT", "DELETE")]


async def test_a_download_resumes_its_part_file(open_ui, tmp_path):
    """A .part left behind is resumed, not fetched again: a damaged one fails the checksum (said in one line,
    the part removed), and the same path then downloads whole."""
    async with open_ui() as ui:
        screen = await open_objects(ui)
        await go_to(ui, screen, "sequencing-runs")
        dest = tmp_path / "README.md"
        (tmp_path / "README.md.part").write_bytes(b"\x00" * 300)  # not the object's first bytes
        for attempt in range(2):
            await ui.until(lambda: "README.md" in screen.keys, what="the object")
            screen.query_one("#listing").move_cursor(row=screen.keys.index("README.md"))
            await ui.pilot.press("d")
            await ui.until(lambda: isinstance(ui.app.screen, PromptDialog), what="the download prompt")
            await type_into(ui, str(dest))
            if attempt == 0:
                await ui.until(lambda: any("checksum" in n.message for n in ui.app._notifications),
                               what="the damaged part refused")
                assert not dest.exists() and not (tmp_path / "README.md.part").exists()
        await ui.until(lambda: dest.exists(), what="the whole download")
        assert hashlib.md5(dest.read_bytes()).hexdigest() == screen.entries["README.md"].hash


def test_typed_paths_that_no_file_can_have_are_one_line():
    """The monkey pasted a 5,000-character name into the upload prompt: os.stat raised and closed the app."""
    from exotui.ui.dialogs.text import private_path_problem
    from exotui.ui.screens.objects import download_problem, upload_problem

    for text in ("./" + "a" * 5000, "./a\x00b", "~/" + "x/" * 3000 + "f"):
        for check in (upload_problem, download_problem, private_path_problem):
            problem = check(text)
            assert problem and "\n" not in problem and len(problem) < 400, (check.__name__, problem)
