"""Service units per allocation (issue 18 item 7) through the real App on the demo cloud: the Projects view shows
the tightest allocation's runway at 80 columns; `:units` and `u` open every allocation with its balance, burn,
runway against its end date and what shelving the instances marked in the Instances view would add."""

from __future__ import annotations

from exotui.ui.screens.allocations import UnitsScreen
from exotui.ui.widgets.projects import ProjectsView
from exotui.ui.widgets.table import ResourceTable


def _other(ui):
    """The demo's first project: its seeded instances burn the CPU, GPU and large-memory allocations."""
    return next(p for p in ui.app.workspace.projects if p is not ui.project)


async def test_projects_view_at_80_columns_shows_the_tightest_runway_and_u_opens_the_units(open_ui):
    async with open_ui() as ui:
        app = ui.app
        busy = _other(ui)
        await ui.until(lambda: busy.store.state("allocations").loaded and ui.store.state("allocations").loaded,
                       what="allocations")
        await ui.pilot.press("colon", *"projects", "enter")
        await ui.until(lambda: app.current_view == "projects")
        view = app.query_one(ProjectsView)
        ident = str(busy.key)
        await ui.until(lambda: view.rows.get(ident) is not None and view.rows[ident].runway != "-", what="a runway")
        row = ui.row_text(ident, "projects")
        assert "SU RUNWAY" in "".join(s.text for s in view.table.render_line(0))
        assert view.rows[ident].runway in row and len(row) <= 80
        await ui.pilot.press("u")
        await ui.until(lambda: isinstance(app.screen, UnitsScreen) and app.screen.lines, what="the units screen")
        screen = app.screen
        assert screen.project is busy
        text = "\n".join(screen.lines)
        for title in ("CPU", "GPU", "Large memory", "Storage"):
            assert f"\n{title} (" in text, title
        gpu = next(line for line in screen.lines if line.startswith("GPU "))
        assert "⚠" in gpu or "d" in gpu, "a runway in days for the GPU allocation burnt by gpu-training"
        assert "What if: mark instances" in text
        await ui.pilot.press("escape")
        await ui.until(lambda: len(app.screen_stack) == 1, what="back")


async def test_marked_instances_show_what_shelving_them_adds(open_ui):
    async with open_ui() as ui:
        app = ui.app
        busy = _other(ui)
        app.select_project(busy)
        app.show_view("servers")
        await ui.until(lambda: busy.store.state("allocations").loaded and busy.store.state("flavors").loaded)
        table = app.query_one("#table-servers", ResourceTable)
        await ui.until(lambda: any(s.name == "gpu-training" for s in busy.store.get("servers").values()))
        gpu = next(s for s in busy.store.get("servers").values() if s.name == "gpu-training")
        await ui.until(lambda: gpu.id in table.shown, what="gpu-training listed")
        ui.point_at(gpu.id)
        await ui.pilot.press("space")
        assert gpu.id in table.marks
        await ui.pilot.press("colon", *"units", "enter")
        await ui.until(lambda: isinstance(app.screen, UnitsScreen) and app.screen.lines, what="units")
        text = "\n".join(app.screen.lines)
        assert "What if the 1 marked instance were shelved (gpu-training)" in text
        if gpu.status == "ACTIVE":  # 32 SU/h on the GPU allocation, nothing after
            assert "GPU: 32 → 0 SU/h, saves 768 SU a day; nothing burns it then: it lasts to its end" in text
        assert table.marks == {gpu.id}, "looking is not acting: the marks stay"
        await ui.pilot.press("i")
        await ui.until(lambda: len(app.screen_stack) == 1 and app.current_view == "servers", what="instances")
