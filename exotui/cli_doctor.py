"""`exotui doctor NAME`: the "why can't I SSH" checklist in the shell (exit 0 only if nothing failed).

The logic is exotui.net.doctor; this module only loads one cloud's projects, finds the instance
and reads what only this machine knows (known_hosts, a public key file).
"""

from __future__ import annotations

import os
import sys
from dataclasses import asdict
from pathlib import Path

# the kinds the doctor reads; quotas and volumes are left unfetched
NEEDED = ("servers", "images", "networks", "subnets", "routers", "ports", "floating_ips", "security_groups",
          "keypairs")  # images: the login user comes from the image, as for `s`


def add_parser(sub) -> None:
    doctor = sub.add_parser("doctor", help="why can't I SSH to an instance? a checklist with fixes",
                            description="Check an instance's status, floating IP or jump host, router, "
                                        "security groups, keypair and host key for SSH. Exits 0 only if no "
                                        "check fails.")
    doctor.add_argument("name", metavar="NAME", help="the instance's name or ID")
    doctor.add_argument("--from", dest="source", metavar="ADDRESS",
                        help="the address you connect from (default: anywhere on the Internet)")
    doctor.add_argument("--project", metavar="P", help="look only in this project (name or ID)")
    doctor.add_argument("--key", type=Path, metavar="FILE.pub", help="check that this public key is the "
                        "instance's keypair")
    doctor.add_argument("--json", action="store_true", help="print the checklist and its fixes as JSON")


async def _stores(profile, project: str | None):
    import asyncio

    from .cloud.poller import ProjectPoller
    from .cloud.profiles import discover
    from .cloud.session import CloudSession
    from .cloud.store import ProjectKey, ProjectStore

    found = await asyncio.to_thread(discover, profile)
    projects = [p for p in found.projects if not project or project in (p.id, p.name)]
    region = profile.region_names[0] if profile.region_names else None

    async def one(p):
        session = CloudSession.for_project(profile, p.id, region)
        store = ProjectStore(ProjectKey(profile.name, p.id, region or "", p.name))
        try:
            await ProjectPoller(session, store).load_all(NEEDED)
        finally:
            session.close()
        return store

    return await asyncio.gather(*(one(p) for p in projects))


def _reach(profile, store, server):
    """exotui's own way to the instance (ssh.target.reach), as `s` and `exotui ssh` decide it: the
    cloud's `exotui: ssh_port` and jump host, the user, the demo key, and exotui's pinned host keys
    (checked against the console log when a pin exists; an address only in ~/.ssh/known_hosts counts
    as known)."""
    import asyncio

    from .ssh.hostkeys import KnownHosts
    from .ssh.target import reach

    image = store.item("images", server.image_id) if server.image_id else None
    config = profile.cloud_region.config if profile.cloud_region else {}
    pins = KnownHosts()
    first = reach(server, image, config, profile.source, pins=pins, check_host_key=False)
    console = None
    if first.target is not None and pins.lookup(first.target.host, first.target.port):
        console = asyncio.run(_console(profile, store, server.id))
    return reach(server, image, config, profile.source, pins=pins, console=console)


async def _console(profile, store, server_id: str) -> str | None:
    from .cloud.session import CloudError, CloudSession

    session = CloudSession.for_project(profile, store.key.project_id, store.key.region or None)
    try:
        body = await session.request("compute", "POST", f"/servers/{server_id}/action",
                                     json={"os-getConsoleOutput": {"length": None}})  # whole: the keys are at boot
    except CloudError:
        return None  # no console (shelved, a cloud without it): the pins alone decide
    finally:
        session.close()
    return (body or {}).get("output") if isinstance(body, dict) else None


def run(args, profiles) -> int:
    import asyncio
    import json

    from .cloud.profiles import ProfileError
    from .net.doctor import diagnose, render, source_problem
    from .net.view import NetView
    from .ssh.hostkeys import keypair_fingerprint

    def fail(message: str) -> int:
        print(f"exotui: {message}", file=sys.stderr)
        return 1

    problem = source_problem(args.source)
    if problem:
        return fail(f"--from: {problem}")
    wanted = args.cloud or os.environ.get("OS_CLOUD")
    chosen = [p for p in profiles if p.name == wanted] if wanted else profiles
    if len(chosen) != 1:
        known = ", ".join(p.name for p in profiles) or "none"
        return fail(f"no cloud named {wanted}; known clouds: {known}" if wanted else
                    f"several clouds: choose one with --cloud (known: {known})")
    try:
        stores = asyncio.run(_stores(chosen[0], args.project))
    except ProfileError as err:
        return fail(str(err))
    matches = []
    for store in stores:
        if store.state("servers").last_error:
            print(f"exotui: {store.key}: {store.state('servers').last_error}", file=sys.stderr)
        view = NetView.from_store(store)
        matches += [(view, server, store) for server in view.servers_named(args.name)]
    if not matches:
        return fail(f"no instance named {args.name}")
    if len(matches) > 1:
        return fail(f"{len(matches)} instances are named {args.name}: use an ID or --project")
    view, server, store = matches[0]
    try:
        local = [keypair_fingerprint(args.key.read_text(errors="replace"))] if args.key else None
    except (OSError, IndexError, ValueError):
        return fail(f"cannot read a public key from {args.key}")
    result = diagnose(view, server, args.source, local_fingerprints=local, reach=_reach(chosen[0], store, server))
    if args.json:
        print(json.dumps({**asdict(result), "project": str(store.key), "ok": result.ok,
                          "command": result.command}, indent=2, default=list))
    else:
        print(f"{store.key}")
        print("\n".join(render(result)))
    return 0 if result.ok else 1
