"""The views' header kept on the screens pushed over them."""

from __future__ import annotations

from textual.widgets import Static


class ScreenCrumb(Static):
    """The views' header (cloud / project / region, live or stale), kept on a screen pushed over them."""

    DEFAULT_CSS = "ScreenCrumb { height: 1; background: $panel; color: $text; padding: 0 1; text-wrap: nowrap; }"

    def __init__(self) -> None:
        super().__init__("", markup=False)  # names from clouds

    def on_mount(self) -> None:
        self._copy()
        self.set_interval(1.0, self._copy)

    def _copy(self) -> None:
        crumb = getattr(self.app, "_crumb", None)
        text = getattr(crumb, "text", "") or "exotui"
        if str(self.render()) != text:
            self.update(text)
