"""Run python-openstackclient's own functional tests against a cloud and write the per-test table.

    python tests/osc/run.py                      # starts a demo cloud, writes tests/osc/results-demo.{md,json}
    python tests/osc/run.py --clouds-yaml F --cloud NAME [--admin-cloud A] [--system-cloud S] --label real
    python tests/osc/run.py --services compute,network -k 'server'   # a subset

The tests ship in the python-openstackclient wheel (openstackclient/tests/functional); they need
tempest (tempest.lib's CLI output parser; tests/osc/requirements.txt). They run the `openstack` CLI as
subprocesses with every OS_* variable removed, choosing clouds by name: `devstack` (a member),
`devstack-admin` (OS_ADMIN_CLOUD) and `devstack-system-admin` (OS_SYSTEM_CLOUD). openstacksdk reads
./clouds.yaml first, so the runner writes those three entries into a scratch folder and runs pytest
there; the user's own clouds.yaml is never read or written.

On the demo cloud, identity's tests and the files in ADMIN_FILES (where the demo models an admin's powers:
Nova's flavors, aggregates and hypervisors, Cinder's volume types, reset-state and services, Neutron's networks
and ports) run with its admin (`exotui-demo-admin`) and system admin (`exotui-demo-system`). The other tests run
with the member under all three names: there the demo does not model what an admin's tests need, so an admin
would only lose the tests that pass as the member.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SERVICES = {  # service -> folder below openstackclient/tests/functional
    "compute": "compute/v2",
    "network": "network/v2",
    "volume": "volume/v3",
    "image": "image/v2",
    "identity": "identity/v3",
    "object": "object/v1",
}
OSC_NAMES = ("devstack", "devstack-admin", "devstack-system-admin")
DEMO_ADMIN, DEMO_SYSTEM = "exotui-demo-admin", "exotui-demo-system"  # exotui.demo.app's names
# on the demo: run as its admin, where the demo models an admin's powers
ADMIN_FILES = ("compute/v2/test_flavor.py",  # exotui/demo/nova_flavors_admin.py
               "compute/v2/test_aggregate.py", "compute/v2/test_hypervisor.py",  # demo/nova_hosts_admin.py
               "compute/v2/test_keypair.py",  # nova_catalog.py: another user's keypairs
               "volume/v3/test_volume_type.py",  # exotui/demo/cinder_types_admin.py
               "volume/v3/test_volume.py", "volume/v3/test_volume_snapshot.py",  # demo/cinder_admin_actions.py
               "volume/v3/test_service.py",
               "volume/v3/test_qos.py",  # cinder_qos.py: QoS specs and their volume types are admin_api
               "volume/v3/test_volume_group.py",  # cinder_groups.py: group types are admin_api
               # neutron_api.py's admin (external and shared networks, any project's) and neutron_admin.py's
               "network/v2/test_network.py", "network/v2/test_floating_ip.py", "network/v2/test_router.py",
               "network/v2/test_port.py",
               # neutron_pools.py, neutron_rbac.py, neutron_address_groups.py: pools for another project, shared ones
               "network/v2/test_subnet_pool.py", "network/v2/test_address_scope.py",
               "network/v2/test_address_group.py", "network/v2/test_network_rbac.py",
               # neutron_flavors.py, neutron_ip_availability.py: admin-only APIs
               "network/v2/test_network_flavor.py", "network/v2/test_network_flavor_profile.py",
               "network/v2/test_ip_availability.py",
               "network/v2/test_default_security_group_rule.py",  # neutron_default_rules.py: an admin's to change
               "image/v2/test_image.py",  # glance.py: an admin publicizes an image
               # glance_metadefs.py: metadef writes are the admin's
               "image/v2/test_metadef_objects.py", "image/v2/test_metadef_resource_type.py",
               # single tests whose commands are an admin's under Nova's default policy: `server show --diagnostics`,
               # `server migration list`, `server list --deleted` (nova_server_admin.py) and a server on the
               # external network `public` (nova_interfaces.py: network:attach_external_network is an admin's)
               "compute/v2/test_server.py::ServerTests::test_server_add_remove_network",
               "compute/v2/test_server.py::ServerTests::test_server_show",
               "compute/v2/test_server.py::ServerTests::test_server_migration_list",
               "compute/v2/test_server.py::ServerTests::test_server_list_with_marker_and_deleted",
               # `server event show` at 2.21: the events are an admin's below 2.51 (nova_api.instance_action)
               "compute/v2/test_server_event.py::ServerEventTests::test_server_event_list_and_show_deleted_server")


def functional_root() -> Path:
    import openstackclient

    return Path(openstackclient.__file__).resolve().parent / "tests" / "functional"


def start_demo(config_dir: Path) -> tuple[subprocess.Popen, Path]:
    """Start the demo cloud with devstack's fixtures (demo_for_osc.py: instant transitions, no SSH); return
    the process and its clouds.yaml."""
    cmd = [sys.executable, str(HERE / "demo_for_osc.py"), "--config-dir", str(config_dir)]
    log = config_dir.parent / "demo-cloud.log"
    config_dir.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:  # a file, not a pipe: a pipe nobody reads would stop the server when full
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if "ready" in log.read_text():
            return proc, config_dir / "clouds.yaml"
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the demo cloud did not start: " + log.read_text()[-2000:])


def write_osc_clouds(src: Path, member: str, admin: str | None, system: str | None, dest: Path) -> None:
    """dest/clouds.yaml with the names the OSC functional tests use, copied from clouds in `src`."""
    clouds = yaml.safe_load(src.read_text())["clouds"]
    for name in (member, admin, system):
        if name and name not in clouds:
            raise SystemExit(f"cloud {name!r} is not in {src}")
    chosen = {"devstack": member, "devstack-admin": admin or member, "devstack-system-admin": system or admin or member}
    out = {}
    for osc_name, name in chosen.items():
        entry = {k: v for k, v in clouds[name].items() if k != "exotui"}
        out[osc_name] = entry
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": out}, sort_keys=False))
    path.chmod(0o600)


def service_of(nodeid: str) -> str:
    for service, folder in SERVICES.items():
        if f"/{folder}/" in nodeid:
            return service
    return "other"


def run_pytest(workdir: Path, folders: list[str], timeout: int, keyword: str | None, results: Path,
               extra: list[str], ignore: tuple[str, ...] = ()) -> int:
    """pytest over `folders` (or files) below openstackclient/tests/functional, less the files in `ignore`."""
    root = functional_root()
    paths = [str(root / f) for f in folders] + [  # a file is ignored, a single test (path::Class::test) deselected
        f"--deselect={f}" if "::" in f else f"--ignore={root / f}" for f in ignore]
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(HERE) + os.pathsep + env.get("PYTHONPATH", "")
    env["OSC_RESULTS_JSON"] = str(results)
    for key in ("OS_ADMIN_CLOUD", "OS_SYSTEM_CLOUD", "OS_CLOUD"):
        env.pop(key, None)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "osc_plugin", "-p", "no:cacheprovider",
           "-o", "addopts=", "--rootdir", str(functional_root()), "-c", os.devnull,
           f"--timeout={timeout}", "-W", "ignore::DeprecationWarning", *paths]
    if keyword:
        cmd += ["-k", keyword]
    cmd += extra
    return subprocess.call(cmd, cwd=workdir, env=env)


def relative(nodeid: str) -> str:
    marker = "openstackclient/tests/functional/"
    return nodeid[nodeid.index(marker) + len(marker):] if marker in nodeid else nodeid


def summarise(tests: dict, label: str, run_seconds: dict, command: str, finished_at: str | None) -> dict:
    per = {}
    for nodeid, rec in tests.items():
        counts = per.setdefault(service_of("/" + nodeid), {"collected": 0, "passed": 0, "failed": 0,
                                                            "error": 0, "skipped": 0})
        counts["collected"] += 1
        counts[rec["outcome"]] += 1
    for service, counts in per.items():
        counts["seconds"] = run_seconds.get(service)
    total = {k: sum(c[k] for c in per.values()) for k in ("collected", "passed", "failed", "error", "skipped")}
    total["seconds"] = round(sum(v for v in run_seconds.values() if v), 1)
    from importlib.metadata import version

    return {"cloud": label, "osc_version": version("python-openstackclient"), "command": command,
            "finished_at": finished_at, "total": total, "services": per, "tests": dict(sorted(tests.items()))}


def write_markdown(summary: dict, path: Path) -> None:
    lines = [f"# python-openstackclient {summary['osc_version']} functional tests on the {summary['cloud']} cloud",
             "",
             f"Regenerate: `{summary['command']}` (one service: `--services NAME --merge`). "
             f"Last run finished {summary['finished_at']}. Seconds are wall time on a shared 2-core machine.",
             "", *([summary["note"], ""] if summary.get("note") else []),
             "| service | collected | passed | failed | error | skipped | run s |",
             "|---|---|---|---|---|---|---|"]
    for service, c in sorted(summary["services"].items()):
        lines.append(f"| {service} | {c['collected']} | {c['passed']} | {c['failed']} | {c['error']} | "
                     f"{c['skipped']} | {c.get('seconds')} |")
    t = summary["total"]
    lines += [f"| **all** | {t['collected']} | {t['passed']} | {t['failed']} | {t['error']} | {t['skipped']} | "
              f"{t['seconds']} |", "",
              "## Per test", "", "| test | outcome | s | why |", "|---|---|---|---|"]
    for nodeid, rec in summary["tests"].items():
        why = re.sub(r"\s+", " ", rec.get("why", "")).replace("|", "\\|")
        lines.append(f"| `{nodeid}` | {rec['outcome']} | {rec['seconds']} | {why} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clouds-yaml", type=Path, help="an existing clouds.yaml (default: start a demo cloud)")
    parser.add_argument("--cloud", help="its member cloud (with --clouds-yaml)")
    parser.add_argument("--admin-cloud", help="its admin cloud (default: --cloud)")
    parser.add_argument("--system-cloud", help="its system-scoped admin cloud (default: --admin-cloud)")
    parser.add_argument("--label", help="cloud label in the table and file names (default: demo or the cloud)")
    parser.add_argument("--services", default=",".join(SERVICES), help="comma-separated: " + ",".join(SERVICES))
    parser.add_argument("--timeout", type=int, default=300,
                        help="seconds per test (OSC's slowest server tests take 100-120 s here, on both clouds)")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression")
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where results-LABEL.{md,json} go")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--merge", action="store_true",
                        help="replace only these services' rows in an existing results-LABEL.json")
    parser.add_argument("--details", action="store_true", help="keep each failure's traceback tail in the JSON")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args(argv)
    services = [s.strip() for s in args.services.split(",") if s.strip()]
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        parser.error(f"unknown service(s): {', '.join(unknown)}")
    try:
        import tempest.lib  # noqa: F401
    except ImportError:
        parser.error("tempest is not installed: pip install -r tests/osc/requirements.txt")

    scratch = Path(tempfile.mkdtemp(prefix="exotui-osc-"))
    demo = None
    try:
        if args.clouds_yaml:
            if not args.cloud:
                parser.error("--clouds-yaml needs --cloud")
            source, member = args.clouds_yaml, args.cloud
            label = args.label or args.cloud
        else:
            demo, source = start_demo(scratch / "demo")
            member, label = "exotui-demo", args.label or "demo"
        folders = [SERVICES[s] for s in services]
        if args.clouds_yaml:
            groups = [(folders, (), args.admin_cloud, args.system_cloud)]
        else:  # the demo: admins for identity and ADMIN_FILES only (see the module's docstring)
            as_admin = [f for f in ADMIN_FILES if any(f.startswith(folder + "/") for folder in folders)]
            groups = [([f for f in folders if f != SERVICES["identity"]], tuple(as_admin), None, None),
                      ([f for f in folders if f == SERVICES["identity"]] + as_admin, (), DEMO_ADMIN, DEMO_SYSTEM)]
        started = time.monotonic()
        raw = {"tests": {}, "finished_at": None}
        for index, (group, ignore, admin, system) in enumerate(groups):
            if not group:
                continue
            workdir = scratch / f"run{index}"
            write_osc_clouds(source, member, admin, system, workdir)
            results = scratch / f"raw{index}.json"
            run_pytest(workdir, group, args.timeout, args.keyword, results, args.pytest_args, ignore)
            if results.exists():
                part = json.loads(results.read_text())
                raw["tests"].update(part["tests"])
                raw["finished_at"] = part.get("finished_at")
        seconds = time.monotonic() - started
        if not raw["tests"]:
            print("pytest wrote no results", file=sys.stderr)
            return 2
        tests = {relative(k): v for k, v in raw["tests"].items()}
        if not args.details:
            for rec in tests.values():
                rec.pop("detail", None)
        run_seconds = {s: None for s in services}
        if len(services) == 1:
            run_seconds[services[0]] = round(seconds, 1)
        else:  # the run's wall time shared out by the tests' own times
            spent = {s: sum(r["seconds"] for n, r in tests.items() if service_of("/" + n) == s) for s in services}
            whole = sum(spent.values()) or 1.0
            run_seconds = {s: round(seconds * spent[s] / whole, 1) for s in services}
        out_json = args.out_dir / f"results-{label}.json"
        shown_args = sys.argv[1:] if argv is None else argv
        old = {}
        if args.merge and out_json.exists():
            old = json.loads(out_json.read_text())
            if args.keyword:  # a filtered re-run replaces only the rows it ran
                kept = {n: r for n, r in old["tests"].items() if n not in tests}
            else:
                kept = {n: r for n, r in old["tests"].items() if service_of("/" + n) not in services}
            tests = {**kept, **tests}
            for service, counts in old["services"].items():
                if service not in services or args.keyword:
                    run_seconds[service] = counts.get("seconds")
        command = "python tests/osc/run.py" + (f" --clouds-yaml FILE --cloud {args.cloud}" if args.clouds_yaml else "")
        summary = summarise(tests, label, run_seconds, command, raw.get("finished_at"))
        if args.merge and out_json.exists() and old.get("note"):
            summary["note"] = old["note"] + f" Re-run and merged: {' '.join(shown_args)}."
        args.out_dir.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps(summary, indent=1) + "\n")
        write_markdown(summary, args.out_dir / f"results-{label}.md")
        for service, c in sorted(summary["services"].items()):
            print(f"{service:9} collected {c['collected']:3}  passed {c['passed']:3}  failed {c['failed']:3}  "
                  f"error {c['error']:3}  skipped {c['skipped']:3}")
        t = summary["total"]
        print(f"{'all':9} collected {t['collected']:3}  passed {t['passed']:3}  failed {t['failed']:3}  "
              f"error {t['error']:3}  skipped {t['skipped']:3}  in {round(seconds, 1)} s")
        return 0
    finally:
        if demo is not None:
            demo.terminate()
            try:
                demo.wait(10)
            except subprocess.TimeoutExpired:
                demo.kill()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
