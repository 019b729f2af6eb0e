"""Keys typed ahead of a dialog. `a Down Down Enter` arriving in one read (tmux send-keys, a laggy link) reaches
the app before the action menu it asks for is there: the downs would move the table behind it and enter open a
detail. While a flow (ui/flows.py) is between its key and its next dialog, the app holds the keys it reads and
gives them back, in order and with the time they were typed, once the dialog has the focus, the flow ends or
calls the cloud, or HOLD_AT_MOST has passed (so a key is never lost, only late). A confirmation refuses a key
typed before it was shown (dialogs/confirm.py): type-ahead moves through menus but never says yes."""

from __future__ import annotations

from typing import Any

from textual import events

HOLD_AT_MOST = 1.0  # seconds: a flow that shows nothing by then gets its keys back where the focus is


class TypeAhead:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._held: list[events.Key] | None = None
        self._timer: Any = None

    @property
    def holding(self) -> bool:
        return self._held is not None

    def hold(self) -> None:
        """Keys read from now on wait for release() (at most HOLD_AT_MOST from the last hold)."""
        if self._held is None:
            self._held = []
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(HOLD_AT_MOST, self.release, name="type-ahead")

    def take(self, event: events.Key) -> bool:
        """Keep `event` if holding (True: the app must not act on it now)."""
        if self._held is None:
            return False
        self._held.append(event)
        return True

    def release(self) -> None:
        """The keys held go back to the app as it read them, first to last, for whatever has the focus then.
        They are posted from the app's own turn (a key made in a dialog's handler has the dialog for sender,
        and Textual stops a message bubbling past its sender: the dialog's bindings would never see it); keys
        read until then join them, so none overtakes another."""
        if self._held is None:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.app.call_later(self._replay)

    def _replay(self) -> None:
        if self._timer is not None:
            return  # held again meanwhile: they wait for that flow's dialog
        held, self._held = self._held, None
        for key in held or ():
            again = events.Key(key.key, key.character)
            again.time = key.time  # when it was typed: a confirmation shown since refuses it
            self.app.post_message(again)
