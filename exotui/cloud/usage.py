"""Instance usage graphs in Exosphere's format: parse the console log's one-minute JSON lines, keep a
series per instance, and judge it (Exosphere's warning thresholds; idle for a day: a shelve candidate).

Pure: no I/O. What an Exosphere-built instance writes once a minute (ansible role `system-load-logging`,
`system_load_json.py > /dev/console`, or `/dev/kmsg` on Red Hat family, where the kernel prefixes
`[ 2915.727779] `):

    {"epoch": 1733482800, "cpuPctUsed": 3, "memPctUsed": 21, "rootfsPctUsed": 40, "gpuPctUsed": null}

Exosphere reads a line from its first `{` (`Helpers.stripTimeSinceBootFromLogLine`) and decodes it with
`gpuPctUsed` a list, a single int or absent (`Helpers.ServerResourceUsage.logLineDecoder`); so does this.
Anything else in the log (boot messages, cut lines, a cloud's junk) is skipped.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from typing import Iterable, Iterator, NamedTuple

MINUTE = 60
DAY = 86_400

# Exosphere's thresholds (src/Page/ServerResourceUsageAlerts.elm): judged on the newest point under an hour old
DISK_WARNING = 90  # > 90%: "Root disk is nearly full"
DISK_DANGER = 95  # > 95%: "Root disk is full!"
MEMORY_WARNING = 95  # > 95%: "Available memory (RAM) is nearly exhausted."
CPU_INFO = 95  # > 95%: "CPU usage is high."
ALERT_MAX_AGE = 3600  # Exosphere ignores a newest point older than 60 minutes

IDLE_CPU = 2.0  # beyond Exosphere: CPU under 2% ...
IDLE_FOR = DAY  # ... for a day makes a shelve candidate

# json.dumps of the reporter's dict, the shape every Exosphere instance writes: read without json.loads
_EXACT = re.compile(r'\{"epoch": (\d{1,12}), "cpuPctUsed": (\d{1,3}), "memPctUsed": (\d{1,3}), '
                    r'"rootfsPctUsed": (\d{1,3}), "gpuPctUsed": (null|\[[\d, ]{0,200}\])\}\s*$')
_KEYS = ("cpuPctUsed", "memPctUsed", "rootfsPctUsed")


class Sample(NamedTuple):
    """One minute of one instance: percentages as the instance reported them (0-100). A tuple: a week of
    minutes is 10,000 of them, and a tuple is made three times faster than a frozen dataclass."""

    epoch: int  # seconds since 1970, from the instance's own clock
    cpu: int
    mem: int
    disk: int  # the root filesystem
    gpu: tuple[int, ...] = ()  # one per GPU; () when it has none (null)


def _pct(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return max(0, min(100, int(value)))


def parse_line(line: str) -> Sample | None:
    """One console line as a Sample, or None for anything else (never raises)."""
    start = line.find("{")
    if start < 0 or "cpuPctUsed" not in line:
        return None
    text = line[start:]
    match = _EXACT.match(text)
    if match:
        epoch, cpu, mem, disk, gpu_text = match.groups()
        gpus = () if gpu_text == "null" else tuple(min(100, int(g)) for g in gpu_text[1:-1].split(",") if g.strip())
        return Sample(int(epoch), min(100, int(cpu)), min(100, int(mem)), min(100, int(disk)), gpus)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    epoch = data.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch <= 0:
        return None
    values = [_pct(data.get(key)) for key in _KEYS]
    if any(v is None for v in values):
        return None
    raw_gpu = data.get("gpuPctUsed")
    if raw_gpu is None:
        gpu: tuple[int, ...] = ()
    elif isinstance(raw_gpu, list):
        parsed = [_pct(g) for g in raw_gpu]
        if any(g is None for g in parsed):
            return None
        gpu = tuple(g for g in parsed if g is not None)
    elif (single := _pct(raw_gpu)) is not None:
        gpu = (single,)
    else:
        return None
    cpu, mem, disk = (v for v in values if v is not None)
    return Sample(epoch, cpu, mem, disk, gpu)


# one pass over the whole log in C: a usage line in the exact shape (group 1 to 5), or any other line that
# mentions cpuPctUsed (group 6: parsed one by one); every other line is skipped by the scanner itself
_SCAN = re.compile(r'^[^{\n]*\{"epoch": (\d{1,12}), "cpuPctUsed": (\d{1,3}), "memPctUsed": (\d{1,3}), '
                   r'"rootfsPctUsed": (\d{1,3}), "gpuPctUsed": (null|\[[\d, ]{0,200}\])\}\r?$'
                   r'|^([^\n]*cpuPctUsed[^\n]*)$', re.M)


def parse_log(text: str) -> Iterator[Sample]:
    """Every usage sample in a console log, in the log's order (junk and cut lines skipped)."""
    if "cpuPctUsed" not in text:
        return
    for match in _SCAN.finditer(text):
        epoch, cpu, mem, disk, gpu_text, other = match.groups()
        if other is not None:
            sample = parse_line(other)
            if sample is not None:
                yield sample
            continue
        gpus = () if gpu_text == "null" else tuple(min(100, int(g)) for g in gpu_text[1:-1].split(",") if g.strip())
        yield Sample(int(epoch), min(100, int(cpu)), min(100, int(mem)), min(100, int(disk)), gpus)


class Series:
    """One instance's samples, kept sorted by epoch, one per epoch, at most `keep` seconds back from the
    newest (days of history, beyond Exosphere's 30 minutes)."""

    def __init__(self, samples: Iterable[Sample] = (), keep: float = 7 * DAY):
        self.keep = keep
        self.epochs: list[int] = []
        self.samples: list[Sample] = []
        self.add(samples)

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def newest(self) -> Sample | None:
        return self.samples[-1] if self.samples else None

    def add(self, samples: Iterable[Sample]) -> int:
        """Merge samples in (a point seen again is kept once); how many were new."""
        added = 0
        for sample in samples:
            if self.epochs and sample.epoch > self.epochs[-1]:  # the usual case: newer than all
                self.epochs.append(sample.epoch)
                self.samples.append(sample)
                added += 1
                continue
            at = bisect.bisect_left(self.epochs, sample.epoch)
            if at < len(self.epochs) and self.epochs[at] == sample.epoch:
                continue
            self.epochs.insert(at, sample.epoch)
            self.samples.insert(at, sample)
            added += 1
        if added and self.keep and self.epochs:
            cut = bisect.bisect_left(self.epochs, self.epochs[-1] - self.keep)
            if cut:
                del self.epochs[:cut], self.samples[:cut]
        return added

    def since(self, epoch: float) -> list[Sample]:
        return self.samples[bisect.bisect_left(self.epochs, epoch):]


# --- reading the console incrementally ------------------------------------------------------------------

TAIL_MIN = 10  # Exosphere asks the last 10 lines of an instance it already has
TAIL_MAX = 4000  # beyond this, ask for everything (Nova's libvirt driver returns the last 100 KiB anyway)
PROBE_LINES = 30  # an instance whose whole log held no usage line is asked again only for a tail this long


class ConsoleFollower:
    """What to ask of one instance's console next, and what its answer adds.

    The first read takes the whole log (`length=None`); after that only a tail, sized to the minutes
    since the newest sample (one line a minute, doubled for other lines between), so an instance polled
    every few minutes costs a few hundred bytes. A tail that does not reach back to the newest sample
    known (the instance wrote more than expected) makes the next read a bigger one.
    """

    def __init__(self, series: Series | None = None):
        self.series = series or Series()
        self.polls_without_news = 0  # like Exosphere's pollingStrikes: an instance that writes no usage
        self._widen = False

    def length(self, now: float) -> int | None:
        """The `length` (lines) to pass to os-getConsoleOutput now; None: the whole log."""
        newest = self.series.newest
        if newest is None and self.polls_without_news and not self._widen:
            return PROBE_LINES  # its whole log had none: a reporter started since writes within this tail
        if newest is None or self._widen:
            return None
        minutes = max(0.0, now - newest.epoch) / MINUTE
        lines = int(minutes * 2) + TAIL_MIN
        return None if lines > TAIL_MAX else lines

    def feed(self, text: str, asked: int | None) -> list[Sample]:
        """Take one console answer (for `asked` lines; None: the whole log); the samples that were new."""
        known = self.series.newest
        found = list(parse_log(text))
        before = len(self.series)
        new = [s for s in found if known is None or s.epoch > known.epoch]
        self.series.add(found)
        # a tail whose every sample is new may have skipped some: read more next time
        self._widen = asked is not None and bool(found) and (known is None or min(
            s.epoch for s in found) > known.epoch + MINUTE * 1.5)  # (a probe that found lines: the rest next)
        self.polls_without_news = 0 if len(self.series) > before else self.polls_without_news + 1
        return new


# --- judging a series -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Alert:
    level: str  # "danger", "warning", "info" (Exosphere's Alert states)
    metric: str  # "disk", "memory", "cpu"
    message: str


def alerts(series: Series, now: float) -> list[Alert]:
    """Exosphere's alerts for the newest sample, if it is under an hour old."""
    newest = series.newest
    if newest is None or now - newest.epoch >= ALERT_MAX_AGE:
        return []
    found = []
    if newest.disk > DISK_DANGER:
        found.append(Alert("danger", "disk", f"root disk is full ({newest.disk}%): free some space now, "
                                             "or the instance will stop working"))
    elif newest.disk > DISK_WARNING:
        found.append(Alert("warning", "disk", f"root disk is nearly full ({newest.disk}%)"))
    if newest.mem > MEMORY_WARNING:
        found.append(Alert("warning", "memory", f"available memory is nearly exhausted ({newest.mem}% used)"))
    if newest.cpu > CPU_INFO:
        found.append(Alert("info", "cpu", f"CPU usage is high ({newest.cpu}%)"))
    return found


def level_of(metric: str, percent: int) -> str | None:
    """The alert level one value of a metric reaches ("danger", "warning", "info" or None)."""
    if metric == "disk":
        return "danger" if percent > DISK_DANGER else "warning" if percent > DISK_WARNING else None
    if metric == "memory":
        return "warning" if percent > MEMORY_WARNING else None
    if metric == "cpu":
        return "info" if percent > CPU_INFO else None
    return None


@dataclass(frozen=True)
class Idle:
    """An instance idle long enough to shelve: since when, its mean CPU then, what shelving saves."""

    since: int  # epoch of the first sample of the idle stretch
    mean_cpu: float
    peak_hour_cpu: float  # the busiest hour's mean: under IDLE_CPU too
    su_per_hour_saved: float = 0.0


def idle(series: Series, now: float, *, threshold: float = IDLE_CPU, window: float = IDLE_FOR,
         su_per_hour: float = 0.0) -> Idle | None:
    """Idle for `window` (a day): samples cover the window (at least half its minutes, none of its hours
    missing more than half) and every hour's mean CPU is under `threshold`. An hourly mean, so a one-minute
    cron job or package update does not hide an idle instance, while an hour of real work does.
    `su_per_hour` is what the instance burns now (cloud/units.server_su_per_hour); shelved it burns none."""
    start = now - window
    points = series.since(start)
    if not points or points[0].epoch > start + 10 * MINUTE or now - points[-1].epoch > 10 * MINUTE:
        return None
    expected = window / MINUTE
    if len(points) < expected / 2:
        return None
    hours: dict[int, list[int]] = {}
    for point in points:
        hours.setdefault(int((point.epoch - start) // 3600), []).append(point.cpu)
    if len(hours) < int(window // 3600):
        return None
    means = [sum(v) / len(v) for v in hours.values()]
    peak = max(means)
    if peak >= threshold:
        return None
    mean = sum(p.cpu for p in points) / len(points)
    # how long it has been idle: walk back past the window, hour by hour, while each hour stays idle
    since = points[0].epoch
    bucket: list[Sample] = []
    current: int | None = None
    for point in reversed(series.samples[:len(series.samples) - len(points)]):
        hour = int((point.epoch - start) // 3600)
        if current is not None and hour != current:
            if sum(p.cpu for p in bucket) / len(bucket) >= threshold:
                bucket = []
                break
            since, bucket = bucket[-1].epoch, []
        current = hour
        bucket.append(point)
    if bucket and sum(p.cpu for p in bucket) / len(bucket) < threshold:
        since = bucket[-1].epoch
    return Idle(since, round(mean, 2), round(peak, 2), su_per_hour)


def sparkline(values: Iterable[int], width: int) -> str:
    """Percentages as block characters, the newest at the right, each column the max of its bucket
    (a spike must not vanish when days are squeezed into 40 columns)."""
    data = list(values)
    if width <= 0 or not data:
        return ""
    blocks = " ▁▂▃▄▅▆▇█"
    if len(data) > width:
        size = len(data) / width
        data = [max(data[int(i * size):max(int((i + 1) * size), int(i * size) + 1)]) for i in range(width)]
    return "".join(blocks[min(8, (max(0, v) * 8 + 99) // 100)] for v in data)
