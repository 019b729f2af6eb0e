"""Forward a port of an instance to this host (`ssh -L` on the session's connection, 127.0.0.1 only)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...ssh.forward import WELL_KNOWN, Forward, ForwardError, Listener, PortForwards, parse_port
from ..plain import escape, middle
from ..tcss import tcss
from ..widgets.choices import Choices
from ..workers import run_guarded
from .base import Dialog


def forward_lines(forward: Forward, instance: str) -> str:
    """How a forward reads in the list: where it goes, the URL, and the line for the user's laptop."""
    what = f" ({forward.name})" if forward.name else ""
    return (f"127.0.0.1:{forward.local_port} → {instance}:{forward.remote_port}{what}\n"
            f"  open  {forward.url}\n  laptop  {forward.laptop}")


class ForwardDialog(Dialog[None]):
    """The instance's listening ports (the well-known ones first: Jupyter, RStudio, TensorBoard) and a field for
    any port; enter forwards it. The session's open forwards are listed below with their URL and `ssh -L` line;
    they close with the session."""

    DEFAULT_CSS = tcss(__file__, "forward.tcss")
    BINDINGS = [Binding("escape", "close", "Close"),
                Binding("c", "copy", "Copy", tooltip="the newest forward's URL and ssh -L line (OSC 52)")]

    def __init__(self, instance: str, forwards: PortForwards) -> None:
        super().__init__()
        self.instance = middle(instance)
        self.forwards = forwards
        self.listeners: list[Listener] | None = None
        self.read = False  # the listing came back (listeners may still be None: it could not be read)
        self.newest: Forward | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(f"Forward a port of {self.instance} to this host (127.0.0.1 only)"),
                         classes="dialog-title")
            yield Static(escape(f"reading the ports {self.instance} listens on…"), id="forward-status",
                         classes="dialog-hint")
            yield Choices(id="forward-ports", compact=True)
            yield Input(placeholder="or type a port, then enter", id="forward-port")
            yield Static("", classes="dialog-error")
            yield Static(self._listed(), id="forward-list")
            yield Static("enter: forward · digits: type a port · c: copy URL and line · esc: close",
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.when_composed("#forward-ports", lambda ports: ports.focus())
        run_guarded(self, self._read_ports(), f"ports of {self.instance}")

    async def _read_ports(self) -> None:
        self.listeners = await self.forwards.listening()
        self.read = True
        ports, status = self.part("#forward-ports", Choices), self.part("#forward-status", Static)
        if ports is None or status is None:
            return  # closed meanwhile
        options: list[Option] = []
        jupyter_first = sorted(self.listeners or [], key=lambda item: item.port not in self.forwards.jupyter)
        for item in jupyter_first:  # then the well-known ports, then by number (parse_listing's order)
            service = "Jupyter" if item.port in self.forwards.jupyter else WELL_KNOWN.get(item.port, "")
            where = "any address" if any(a in ("0.0.0.0", "::", "*") for a in item.addresses) else \
                ", ".join(item.addresses)
            label = f"{item.port:>5}  {service:<11} {middle(item.process, 14):<14} {middle(where, 32)}"
            options.append(Option(Content(label), id=str(item.port)))
        listening = {item.port for item in self.listeners or []}
        for port, name in WELL_KNOWN.items():
            if self.listeners is not None and port not in listening:
                options.append(Option(Content.from_markup(f"{port:>5}  {name:<11} [i]nothing listens[/]"),
                                      id=str(port), disabled=True))
        ports.add_options(options)
        if self.listeners is None:
            status.update(escape(f"could not read the ports {self.instance} listens on (no ss, no /proc): "
                                 "type the port"))
        else:
            status.update(escape(f"{len(listening)} TCP port{'s' if len(listening) != 1 else ''} listening on "
                                 f"{self.instance}:"))
        if listening and ports.highlighted is None:
            ports.highlighted = 0  # the well-known ones come first

    def on_key(self, event) -> None:
        """A digit typed on the list goes to the port field: a port can be typed straight away."""
        field = self.part("#forward-port", Input)
        if field is not None and not field.has_focus and event.character and event.character.isdigit():
            event.stop()
            field.focus()
            field.insert_text_at_cursor(event.character)

    def _listed(self) -> Content:
        open_now = self.forwards.open_now()
        if not open_now:
            return Content("no forward open in this session (they stay open until it ends)")
        return Content("\n".join(forward_lines(f, self.instance) for f in open_now))

    def _said(self, text: str) -> None:
        error = self.part(".dialog-error", Static)
        if error is not None:
            error.update(escape(text))

    @on(OptionList.OptionSelected, "#forward-ports")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id:
            self._forward(int(event.option_id))

    @on(Input.Submitted, "#forward-port")
    def typed(self, event: Input.Submitted) -> None:
        try:
            port = parse_port(event.value)
        except ForwardError as err:
            self._said(str(err))
            return
        if not self.read:
            self._said(f"still reading the ports {self.instance} listens on: enter again in a moment")
            return
        self._forward(port)

    def _forward(self, port: int) -> None:
        self._said("")
        run_guarded(self, self._open(port), f"forward port {port}")

    async def _open(self, port: int) -> None:
        try:
            forward = await self.forwards.open(port, self.listeners)
        except ForwardError as err:
            self._said(str(err))
            return
        listed = self.part("#forward-list", Static)
        if listed is not None:
            listed.update(self._listed())
        self.newest = forward

    def action_copy(self) -> None:
        forward = self.newest
        if forward is None:
            self._said("no forward to copy yet")
            return
        self.app.copy_to_clipboard(f"{forward.url}\n{forward.laptop}\n")
        self.app.notify("copied the URL and the ssh -L line (OSC 52: your terminal must allow it)", timeout=4)

    def action_close(self) -> None:
        self.dismiss(None)
