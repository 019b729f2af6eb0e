"""Command line: `exotui` (the dashboard), `exotui --demo`, `exotui demo-cloud`, `exotui doctor NAME`,
`exotui ssh NAME`."""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from . import __version__
from .paths import cache_dir


def _add_knobs(parser: argparse.ArgumentParser, title: str = "demo cloud knobs") -> None:
    group = parser.add_argument_group(title)
    group.add_argument("--servers", type=int, default=0, metavar="N",
                       help="extra generated servers in the first project (up to 20000)")
    group.add_argument("--latency-ms", type=float, default=0.0, metavar="MS", help="delay added to every answer")
    group.add_argument("--error-rate", type=float, default=0.0, metavar="F",
                       help="fraction of API requests answered 503 (0..1)")
    group.add_argument("--token-lifetime", type=float, default=3600.0, metavar="S",
                       help="seconds a Keystone token lives")
    group.add_argument("--delay-scale", type=float, default=1.0, metavar="X",
                       help="multiplies instance transition delays; 0 makes them instant")
    group.add_argument("--seed", type=int, default=0, help="seed of the demo cloud's random choices")
    group.add_argument("--port", type=int, default=0, help="port of the API endpoint on 127.0.0.1 (0: any free)")
    group.add_argument("--no-ssh", action="store_true", help="do not serve SSH for the instances")


COMMANDS = ("demo-cloud", "ssh", "doctor")


def build_parser(commands: bool = True) -> argparse.ArgumentParser:
    """exotui's options, and its commands unless `commands` is false (the dashboard's own start: building
    the three sub-parsers, the doctor's module with them, cost ~15 ms before the first frame)."""
    parser = argparse.ArgumentParser(
        prog="exotui", exit_on_error=commands,
        description="A terminal dashboard for OpenStack research clouds (Jetstream2 first).",
    )
    parser.add_argument("--version", action="version", version=f"exotui {__version__}")
    parser.add_argument("--demo", action="store_true", help="run against the embedded demo cloud")
    parser.add_argument("--cloud", metavar="NAME", help="start on this cloud from clouds.yaml (default: all)")
    parser.add_argument("--openrc", type=Path, metavar="FILE", help="read OS_* variables from an openrc file "
                        "(never executed)")
    parser.add_argument("--theme", metavar="NAME", help="colour theme: exotui-dark (default), exotui-light, "
                        "exotui-high-contrast, a Textual theme, or your own in ~/.config/exotui/themes/NAME.json")
    parser.add_argument("--readonly", action="store_true", help="refuse every write to the clouds before it is sent "
                        "(per cloud: exotui: {readonly: true} in clouds.yaml); reading still works")
    _add_knobs(parser, "demo cloud knobs (with --demo)")
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo-cloud", help="serve the embedded demo cloud until interrupted",
                          description="Serve a local OpenStack (Keystone, Nova, Neutron, Cinder, Glance) on "
                                      "127.0.0.1 with Jetstream2-like flavors, images and instances. Writes "
                                      "DIR/clouds.yaml (cloud 'exotui-demo') and the demo SSH key into DIR.")
    demo.add_argument("--config-dir", type=Path, required=True, metavar="DIR",
                      help="where clouds.yaml and the demo SSH key are written")
    _add_knobs(demo)
    ssh = sub.add_parser("ssh", help="open the dashboard straight into an SSH session to an instance",
                         description="Connect to the instance NAME (or ID) of the cloud (--cloud) like `ssh` would, "
                                     "its host key checked against the console log, in exotui's embedded terminal.")
    ssh.add_argument("name", metavar="NAME", help="the instance's name or ID")
    ssh.add_argument("--user", "-l", help="log in as this user instead of the one guessed from the image")
    from .cli_doctor import add_parser as add_doctor

    add_doctor(sub)
    return parser


def _knobs(args: argparse.Namespace):
    from .demo.world import Knobs

    if not 0 <= args.servers <= 20000:
        raise SystemExit("exotui: --servers must be between 0 and 20000")
    if not 0.0 <= args.error_rate <= 1.0:
        raise SystemExit("exotui: --error-rate must be between 0 and 1")
    return Knobs(servers=args.servers, latency_ms=args.latency_ms, error_rate=args.error_rate,
                 token_lifetime=args.token_lifetime, delay_scale=args.delay_scale, seed=args.seed,
                 ssh=not args.no_ssh)


def _knobs_given(args: argparse.Namespace) -> bool:
    defaults = _KNOB_DEFAULTS
    return any(getattr(args, name, value) != value for name, value in defaults.items())


_KNOB_DEFAULTS = {"servers": 0, "latency_ms": 0.0, "error_rate": 0.0, "token_lifetime": 3600.0,
                  "delay_scale": 1.0, "seed": 0, "port": 0, "no_ssh": False}


def _serve(knobs, config_dir: Path, port: int) -> int:
    import asyncio

    from .demo.app import serve_forever

    def announce(line: str) -> None:
        print(line, flush=True)

    try:
        asyncio.run(serve_forever(knobs, config_dir, port, announce))
    except KeyboardInterrupt:
        pass
    except OSError as err:
        print(f"exotui: cannot serve the demo cloud: {err.strerror or err}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.command == "demo-cloud":
        _start_logging()
        return _serve(_knobs(args), args.config_dir, args.port)
    if args.command == "doctor":
        _start_logging()
        return _doctor(args)
    if not args.demo and args.command != "demo-cloud" and _knobs_given(args):
        return _fail("the demo cloud's knobs (--servers, --latency-ms, ...) go with --demo: "
                     "exotui --demo --servers 100")
    if args.theme:
        from .ui.themes import check_theme

        problem = check_theme(args.theme)
        if problem:
            return _fail(problem)
    with _gc_paused():
        return _dashboard_on_demo(args) if args.demo else _dashboard(args)


def _parse(argv: list[str]) -> argparse.Namespace:
    """The options alone when no word can be a command or a help request (the dashboard's usual start);
    otherwise, or on any error, the whole parser: commands, help and errors read the same either way."""
    if not any(w.startswith("--h") or (w.startswith("-") and not w.startswith("--")) for w in argv):
        try:
            args, rest = build_parser(commands=False).parse_known_args(argv)
        except argparse.ArgumentError:
            rest = ["?"]
        if not rest:
            return args
    return build_parser().parse_args(argv)


def _start_logging() -> None:
    """Before openstacksdk loads: its warnings go to the file, not over the screen. The dashboard calls
    this only after its first frame, with the clouds' config (logging.handlers costs about 15 ms)."""
    from .logs import setup_logging

    setup_logging()


def _doctor(args: argparse.Namespace) -> int:
    from .cli_doctor import run
    from .cloud.profiles import ProfileError, load_profiles

    try:
        profiles = load_profiles(openrc=args.openrc)
    except ProfileError as err:
        return _fail(str(err))
    _loaded(profiles)
    return run(args, profiles)


def _redact(profiles) -> None:
    """Keep the clouds' secrets out of the log."""
    from .cloud.profiles import ENVIRONMENT
    from .logs import redact

    for source in dict.fromkeys(p.source for p in profiles if p.source != ENVIRONMENT and p.secrets()):
        redact.add(*(secret for p in profiles if p.source == source for secret in p.secrets()))


def _loaded(profiles) -> None:
    """Keep the clouds' secrets out of the log, and warn, as ssh does for a private key, about a file
    holding them that others may read. On stderr before any screen: it stays in the terminal's
    scrollback, and reads the same for `exotui doctor` and `exotui ssh`."""
    from .cloud.profiles import secret_files

    _redact(profiles)
    _warn_readable(secret_files(profiles))  # clouds.yaml, secure.yaml, an openrc


def _warn_readable(paths) -> None:
    for path in paths:
        try:
            mode = os.stat(path).st_mode & 0o777
        except OSError:
            continue
        if mode & 0o077:
            print(f"exotui: warning: {path} holds a password or secret and others may read it (mode {mode:o}); "
                  f"run: chmod 600 {path}", file=sys.stderr)


def _fail(message: str) -> int:
    print(f"exotui: {message}", file=sys.stderr)
    return 1


@contextmanager
def _gc_paused():
    """Python's cyclic collector, paused until the dashboard's first frame (ExotuiApp._after_first_frame
    resumes it; so does leaving, whatever happened). The start creates a few hundred thousand objects that
    live as long as the app (Textual's modules, its CSS, the widgets), and the collector walks them again
    and again on the way, for nothing: about 15 ms of the first frame. Textual pauses it the same way
    while it scrolls (App.PAUSE_GC_ON_SCROLL)."""
    import gc

    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _dashboard(args: argparse.Namespace, config_file: Path | None = None, only: str | None = None) -> int:
    """Load the clouds (a broken config ends here, before any screen), then run the app."""
    remembered = config_file is None and args.openrc is None
    if remembered and args.command != "ssh":
        from .config_seen import unchanged

        secret_files = unchanged(args.cloud or os.environ.get("OS_CLOUD"))
        if secret_files is not None:  # as openstacksdk last read it without a problem: draw first
            from .ui.app import run_app

            _warn_readable(secret_files)
            return run_app(partial(_workspace, args.cloud, args.readonly), theme=args.theme)
    _start_logging()
    from .cloud.profiles import ProfileError, load_profiles

    try:
        everything = load_profiles(config_file=config_file, openrc=args.openrc)
        _loaded(everything)
        profiles = _chosen(everything, only or args.cloud)
    except ProfileError as err:
        return _fail(str(err))
    if remembered:
        _remember(everything, args.cloud)
    from .cloud.workspace import Workspace
    from .ui.app import run_app

    if args.command == "ssh":
        from .ui.screens.sessions import run_ssh_app

        return run_ssh_app(Workspace(profiles, readonly=args.readonly, cache_dir=cache_dir()), args.name,
                           theme=args.theme, user=args.user)
    return run_app(Workspace(profiles, readonly=args.readonly, cache_dir=cache_dir()), theme=args.theme)


def _workspace(cloud: str | None, readonly: bool = False):
    """The clouds as openstacksdk reads them, for the app to open after its first frame (in a thread)."""
    from .cloud.profiles import load_profiles
    from .cloud.workspace import Workspace

    _start_logging()
    everything = load_profiles()
    _redact(everything)
    profiles = _chosen(everything, cloud)
    _remember(everything, cloud)
    return Workspace(profiles, readonly=readonly, cache_dir=cache_dir())


def _chosen(profiles, cloud: str | None) -> list:
    """The cloud asked for (--cloud, else OS_CLOUD), or all of them; ProfileError if there is none."""
    from .cloud.profiles import ProfileError, find_profile

    wanted = cloud or os.environ.get("OS_CLOUD")
    if wanted:
        return [find_profile(profiles, wanted)]
    if not profiles:
        raise ProfileError("no clouds found: create ~/.config/openstack/clouds.yaml, pass --openrc FILE, "
                           "or try `exotui --demo`")
    return profiles


def _remember(profiles, cloud: str | None) -> None:
    from .cloud.profiles import secret_files
    from .config_seen import record

    loader = profiles[0]._loader if profiles else None
    searched = [*getattr(loader, "_config_files", ()), *getattr(loader, "_secure_files", ())]
    if searched:  # openstacksdk's own search list, as its loader walked it
        record(cloud or os.environ.get("OS_CLOUD"), [str(p) for p in secret_files(profiles)], searched)


def _dashboard_on_demo(args: argparse.Namespace) -> int:
    """The dashboard against the embedded demo cloud, served from a thread of this process. The cloud
    starts after the app's first frame (the demo's imports and seeding take a while); `exotui --demo
    ssh NAME` starts it first."""
    import shutil
    import tempfile

    knobs = _knobs(args)  # a bad knob ends here, before any screen
    # it holds the demo's password and private key: mode 700 (mkdtemp's), and removed on the way out
    config_dir = Path(tempfile.mkdtemp(prefix="exotui-demo-"))
    clouds: list = []

    def start():
        from .demo.app import CLOUD_NAME, DemoCloudThread

        _start_logging()
        cloud = DemoCloudThread(knobs, port=args.port, state_dir=config_dir / "state")
        clouds.append(cloud.__enter__())
        path = cloud.cloud.write_config(config_dir)
        os.environ["OS_CLIENT_CONFIG_FILE"] = str(path)
        return path, CLOUD_NAME

    try:
        if args.command == "ssh":
            path, name = start()
            return _dashboard(args, config_file=path, only=name)
        from .ui.app import run_app

        def workspace():
            from .cloud.profiles import find_profile, load_profiles
            from .cloud.workspace import Workspace

            path, name = start()
            profiles = load_profiles(config_file=path)
            _redact(profiles)
            return Workspace([find_profile(profiles, name)], readonly=args.readonly)

        return run_app(workspace, theme=args.theme)
    finally:
        for cloud in clouds:
            cloud.stop()
        shutil.rmtree(config_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
