"""What the instance detail shows beyond the store: its action history (os-instance-actions with events),
its usage sparklines and alerts (Exosphere's console lines), and the exouser passphrase field.

Pure text: each function returns console markup with every cloud value escaped (the values come through
cloud/models.printable already); failures and alerts carry a word as well as a theme colour.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from ...cloud.models import InstanceAction, Server
from ...cloud.usage import Alert, Idle, Series, level_of, sparkline
from ..plain import escape

# which theme variable each alert level is drawn in (words say the level too: colour is never alone)
LEVEL_STYLE = {"danger": "b $error", "warning": "b $warning", "info": "$accent"}
LEVEL_WORD = {"danger": "DANGER", "warning": "WARNING", "info": "note"}
HISTORY_EVENTS = 6  # events shown per action: a live migration has a dozen; the rest are counted


def _when(stamp: str) -> str:
    """`2026-12-06T09:48:48.000000` as `2026-12-06 09:48:48` (whatever the cloud sent, shortened)."""
    return stamp.replace("T", " ")[:19] if stamp else "-"


def history_text(actions: Iterable[InstanceAction], users: Mapping[str, str] | None = None) -> str:
    """Every action, newest first: what, when, who, request ID, result; its events with their results.
    A failed action reads FAILED in the error colour, its failed events ✗ Error."""
    users = users or {}
    lines: list[str] = []
    for action in actions:
        who = users.get(action.user_id) or action.user_id[:12] or "?"
        if action.failed:
            result = "[b $error]✗ FAILED[/]"
        elif action.events and any(not e.finish_time for e in action.events):
            result = "[$warning]… running[/]"
        else:
            result = "[$success]✓ ok[/]"
        lines.append(f"[b]{escape(action.action or '?')}[/] {result}  {escape(_when(action.start_time))}  "
                     f"by {escape(who)}")
        message = f" · {escape(action.message)}" if action.message else ""
        lines.append(f"  [dim]request {escape(action.request_id)}[/]{message}")
        for event in action.events[:HISTORY_EVENTS]:
            if event.failed:
                mark = "[b $error]✗ Error[/]"
            elif event.result:
                mark = f"[$success]✓ {escape(event.result)}[/]"
            else:
                mark = "[$warning]… running[/]"
            span = _when(event.start_time)[11:] + (f"→{_when(event.finish_time)[11:]}" if event.finish_time else "")
            lines.append(f"    {escape(event.event)} {mark} [dim]{escape(span)}[/]")
            if event.details:
                lines.append(f"      [$error]{escape(event.details)}[/]")
        if len(action.events) > HISTORY_EVENTS:
            lines.append(f"    [dim]… {len(action.events) - HISTORY_EVENTS} more events[/]")
    return "\n".join(lines) or "no actions recorded"


# --- usage --------------------------------------------------------------------------------------------------

SPARK_WIDTH = 48  # fits 80 columns beside the label and the newest value
SPARK_SPAN = 3 * 3600  # the last three hours, one column per few minutes


def _metric_line(label: str, metric: str, values: list[int], width: int) -> str:
    newest = values[-1]
    level = level_of(metric, newest)
    style = LEVEL_STYLE.get(level or "", "$accent")
    word = f" [{style}]{LEVEL_WORD[level]}[/]" if level and level != "info" else ""
    return f"  {label:<7}[{style}]{sparkline(values, width)}[/] {newest:>3}%{word}"


def usage_text(series: Series | None, now: float, alerts: list[Alert], shelve: Idle | None = None,
               width: int = SPARK_WIDTH) -> str:
    """CPU, memory, disk and GPU as sparklines over the last hours, the newest value at the right, with
    Exosphere's alerts in words; a shelve candidate says what shelving would save."""
    if series is None:
        return "  [dim]not read yet (read about once a minute while the dashboard is open)[/]"
    if not series:
        return "  [dim]none: the instance writes no usage lines (Exosphere's reporter is not installed)[/]"
    points = series.since(now - SPARK_SPAN) or series.samples[-1:]
    span = max(1, (points[-1].epoch - points[0].epoch) // 60)
    lines = [f"  [dim]last {span // 60}h{span % 60:02d}m, newest at the right[/]" if span >= 60
             else f"  [dim]last {span} min, newest at the right[/]"]
    lines.append(_metric_line("CPU", "cpu", [p.cpu for p in points], width))
    lines.append(_metric_line("Memory", "memory", [p.mem for p in points], width))
    lines.append(_metric_line("Disk", "disk", [p.disk for p in points], width))
    gpus = max((len(p.gpu) for p in points), default=0)
    for n in range(gpus):
        lines.append(_metric_line("GPU" if gpus == 1 else f"GPU{n}", "gpu",
                                  [p.gpu[n] if n < len(p.gpu) else 0 for p in points], width))
    for alert in alerts:
        lines.append(f"  [{LEVEL_STYLE[alert.level]}]{LEVEL_WORD[alert.level]}[/] {escape(alert.message)}")
    if shelve is not None:
        lines.append(f"  [b $warning]SHELVE?[/] idle a day (CPU {shelve.mean_cpu:g}% on average): shelving "
                     f"saves {shelve.su_per_hour_saved:g} SU/h")
    return "\n".join(lines)


# --- the exouser passphrase ----------------------------------------------------------------------------------

def exosphere_built(server: Server) -> bool:
    """A passphrase may exist: an `exoPw:` tag (has_passphrase), or Exosphere's metadata on an instance whose
    setup may still hold it in os-server-password."""
    return server.has_passphrase or "exoServerVersion" in server.metadata


def passphrase_row(server: Server, shown: str | None) -> str | None:
    """The Passphrase field's value as markup, or None for an instance with none."""
    if not exosphere_built(server):
        return None
    if shown is None:
        return "•••••••• [dim](p shows it, asking first; c copies)[/]"
    return f"[b]{escape(shown)}[/] [dim](p hides; c copies)[/]"
