"""First data on screen with a warm cache against a cold start (issue 14 item 6).

`exotui` runs on a real 120x40 PTY against an `exotui demo-cloud --servers` process of its own whose every
answer is delayed (`--latency-ms`, a cloud across the country rather than on loopback). A cold start has
an empty cache dir; a warm one has the dir a previous run left when it quit; "warm + kept login" also has a
clouds.yaml that asks openstacksdk to keep logins (`cache: {auth: true}`) and a keyring holding the last
run's tokens (bench/filekeyring.py), so no login is made. Each round times each, from spawn until the
Instances title shows every instance (first data) and until the header says `● live` (the cloud's own
data: logins, discovery and the first full list done), in rotating order; medians side by side.

Then, in this process, what a kept login saves: discovery plus a session for each of the demo user's two
projects, ready to list, with a login each start against a kept one (the `● live` of a warm start cannot
show it: the last picture is a few seconds old, so it reads live at once).

    .venv/bin/python bench/warm.py [--servers 1000] [--latency-ms 150] [--rounds 3] [--logins-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from idle import drain  # noqa: E402
from ui import PTYRun, cache_byte_code, demo_cloud, exotui_argv  # noqa: E402

HERE = Path(__file__).resolve().parent


def first_data(clouds_yaml: Path, cache: str, servers: int, keyring: Path | None = None) -> tuple[float, float]:
    """Seconds from spawn to every instance on screen, and to `● live`; the run then quits (which saves the
    cache, and with `keyring` the logins)."""
    env = {"OS_CLIENT_CONFIG_FILE": str(clouds_yaml), "EXOTUI_CACHE_DIR": cache}
    if keyring is not None:
        env.update(PYTHON_KEYRING_BACKEND="filekeyring.FileKeyring", EXOTUI_BENCH_KEYRING=str(keyring),
                   PYTHONPATH=os.pathsep.join(filter(None, (os.environ.get("PYTHONPATH"), str(HERE)))))
    run = PTYRun(exotui_argv(), env, size=(120, 40))
    try:
        shown = run.wait_for(f"Instances ({servers})")
        live = run.wait_for("● live")
        drain(run, 3.0)  # the cloud's own picture lands before it quits, so the next warm start has it
        return shown, live
    finally:
        run.close()


def keeping_logins(clouds_yaml: Path, folder: Path) -> Path:
    """The same clouds.yaml, asking openstacksdk to keep logins (what a user opts into)."""
    config = yaml.safe_load(clouds_yaml.read_text())
    config["cache"] = {"auth": True}
    kept = folder / "clouds.yaml"
    kept.write_text(yaml.safe_dump(config))
    return kept


async def _sessions_ready(clouds_yaml: Path) -> float:
    """Seconds from reading clouds.yaml to every project's session logged in (discovery included)."""
    import asyncio
    import time

    from exotui.cloud.profiles import discover, load_profiles
    from exotui.cloud.session import CloudSession

    started = time.perf_counter()
    [profile] = [p for p in load_profiles(clouds_yaml, env={}) if p.name == "exotui-demo"]
    found = await asyncio.to_thread(discover, profile)
    sessions = [CloudSession.for_project(profile, project.id) for project in found.projects]
    try:
        await asyncio.gather(*(session.connection() for session in sessions))
    finally:
        for session in sessions:
            session.close()
    return time.perf_counter() - started


def logins(latency_ms: float, rounds: int) -> None:
    import asyncio

    import keyring
    from filekeyring import FileKeyring

    with tempfile.TemporaryDirectory(prefix="exotui-bench-keep-") as keep_dir, \
            demo_cloud(10, latency_ms) as clouds_yaml:
        os.environ["EXOTUI_BENCH_KEYRING"] = str(Path(keep_dir) / "keyring.json")
        keyring.set_keyring(FileKeyring())
        keeping = keeping_logins(clouds_yaml, Path(keep_dir))
        asyncio.run(_sessions_ready(keeping))  # the logins kept
        each, kept = [], []
        for _ in range(rounds):
            each.append(asyncio.run(_sessions_ready(clouds_yaml)))
            kept.append(asyncio.run(_sessions_ready(keeping)))
    a, b = statistics.median(each), statistics.median(kept)
    print(f"discovery + both projects' sessions ready, every answer {latency_ms:.0f} ms late, "
          f"{rounds} rounds (median):")
    print(f"   a login each start   {a:6.2f} s   ({', '.join(f'{x:.2f}' for x in each)})")
    print(f"   kept login (keyring) {b:6.2f} s   ({', '.join(f'{x:.2f}' for x in kept)})")
    print(f"   kept / each: {b / a:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--logins-only", action="store_true", help="only the kept-login rounds (in this process)")
    args = parser.parse_args()
    if args.logins_only:
        logins(args.latency_ms, max(args.rounds, 5))
        return
    names = ("cold", "warm", "warm + kept login")
    took: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="exotui-bench-pyc-") as byte_code, \
            tempfile.TemporaryDirectory(prefix="exotui-bench-warm-") as kept, \
            tempfile.TemporaryDirectory(prefix="exotui-bench-keep-") as keep_dir:
        cache_byte_code(byte_code)
        keyring = Path(keep_dir) / "keyring.json"
        with demo_cloud(args.servers, args.latency_ms) as clouds_yaml:
            keeping = keeping_logins(clouds_yaml, Path(keep_dir))
            first_data(clouds_yaml, kept, args.servers)  # fills the warm cache
            first_data(keeping, kept, args.servers, keyring)  # and the kept logins
            for round_ in range(args.rounds):
                with tempfile.TemporaryDirectory(prefix="exotui-bench-cold-") as empty:
                    runs = {"cold": (clouds_yaml, empty, None), "warm": (clouds_yaml, kept, None),
                            "warm + kept login": (keeping, kept, keyring)}
                    order = names[round_ % 3:] + names[:round_ % 3]
                    for name in order:
                        took[name].append(first_data(runs[name][0], runs[name][1], args.servers, runs[name][2]))
    print(f"{args.servers} instances, every answer {args.latency_ms:.0f} ms late, {args.rounds} rounds (median):")
    print(f"   {'':<22} {'first data':>11} {'live (cloud data)':>18}")
    medians = {}
    for name in names:
        shown = statistics.median(t[0] for t in took[name])
        live = statistics.median(t[1] for t in took[name])
        medians[name] = (shown, live)
        print(f"   {name:<22} {shown:9.2f} s {live:16.2f} s   (live: {', '.join(f'{t[1]:.2f}' for t in took[name])})")
    print(f"   warm / cold, first data: {medians['warm'][0] / medians['cold'][0]:.2f}; "
          f"kept login / warm, live: {medians['warm + kept login'][1] / medians['warm'][1]:.2f}")
    logins(args.latency_ms, max(args.rounds, 5))


if __name__ == "__main__":
    main()
