"""The table filter's regex engine: stdlib `re` against `regex` with its timeout, on ordinary filters over
5,000 row texts and on the hostile ones of issue 15. Prints seconds and ratios.

    python bench/filter_regex.py
"""

from __future__ import annotations

import re
import time

import regex

ROWS = [f"jetstream-worker-{i:05d} active m3.small 10.0.{i % 250}.{i % 200} featured-ubuntu24 {i}d"
        for i in range(5000)]
ORDINARY = ["worker-0", "active", r"10\.0\.1\.", "m3|g3", "!shutoff", r"^jet.*42\b"]
EVIL = ("(a+)+$", "a" * 28 + "!")  # issue 15: 18 s per key with re


def per_filter(engine, flags, timeout=None) -> float:
    kwargs = {"timeout": timeout} if timeout else {}
    started = time.perf_counter()
    for text in ORDINARY:
        pattern = engine.compile(text.lstrip("!"), flags)
        for row in ROWS:
            pattern.search(row, **kwargs)
    return (time.perf_counter() - started) / len(ORDINARY)


def evil(engine, flags, length: int, timeout=None) -> float:
    kwargs = {"timeout": timeout} if timeout else {}
    pattern = engine.compile(EVIL[0], flags)
    started = time.perf_counter()
    try:
        pattern.search("a" * length + "!", **kwargs)
    except TimeoutError:
        pass
    return time.perf_counter() - started


def main() -> None:
    re_t = per_filter(re, re.IGNORECASE)
    rx_t = per_filter(regex, regex.IGNORECASE | regex.V0)
    rx_to = per_filter(regex, regex.IGNORECASE | regex.V0, timeout=0.2)
    print(f"ordinary filter over {len(ROWS)} rows: re {re_t * 1000:.1f} ms, regex {rx_t * 1000:.1f} ms "
          f"({rx_t / re_t:.2f}x), regex+timeout {rx_to * 1000:.1f} ms ({rx_to / re_t:.2f}x)")
    for length in (20, 22, 24):
        print(f"(a+)+$ on {length} a's + '!': re {evil(re, re.IGNORECASE, length):.3f} s, "
              f"regex {evil(regex, regex.IGNORECASE, length):.3f} s")
    print(f"(a+)+$ on 28 a's + '!': regex with timeout=0.05 stops after "
          f"{evil(regex, regex.IGNORECASE, 28, timeout=0.05):.3f} s (re: not run, about 18 s)")
    pattern = regex.compile(r"(?:a+){1,40}b", regex.IGNORECASE)
    started = time.perf_counter()
    try:
        pattern.search("a" * 28, timeout=0.2)
        outcome = "finished"
    except TimeoutError:
        outcome = "TimeoutError"
    print(f"(?:a+){{1,40}}b on 28 a's: regex with timeout=0.2 -> {outcome} after {time.perf_counter() - started:.3f} s")
    for bad in ("a{4294967296}", "(" * 1200, "(" * 1200 + ")" * 1200):
        for name, engine in (("re", re), ("regex", regex)):
            try:
                engine.compile(bad)
                outcome = "compiles"
            except Exception as err:  # noqa: BLE001 - what each engine raises is the point
                outcome = type(err).__name__
            print(f"compile {bad[:16]!r}…: {name} {outcome}")


if __name__ == "__main__":
    main()
