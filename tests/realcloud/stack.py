#!/usr/bin/env python3
"""Bring a real OpenStack up on loopback for exotui's real tier, and take it down again.

    python3 tests/realcloud/stack.py up      # install (apt, pip, pinned), configure, start, wait, seed
    python3 tests/realcloud/stack.py down    # stop every process it started, by pid
    python3 tests/realcloud/stack.py status  # what runs
    python3 tests/realcloud/stack.py stop-apis nova neutron   # an API outage: those uWSGI servers stopped
    python3 tests/realcloud/stack.py start-apis nova neutron  # ... and started again, answering when it returns
    python3 tests/realcloud/stack.py archive  # nova-manage db archive_deleted_rows: deleted servers purged

Real Keystone, Placement, Glance, Neutron (ML2, no agents), Nova (fake virt driver), Cinder (fake
driver), Heat (heat-api and one heat-engine), Manila (manila-api, manila-scheduler and manila-share with
the dummy driver, no storage behind it), Magnum (magnum-api and magnum-conductor with the capi-helm
driver and no management cluster behind it: templates, not clusters) and Swift (proxy, account,
container and object servers on a loopback storage folder) from PyPI, MariaDB and RabbitMQ from Debian, all on
127.0.0.1. The folder is $EXOTUI_REALCLOUD_DIR, or `.realcloud/` at the top of the repository; the
clouds.yaml it writes there is what the tests read. Facts and blockers: `docs/realcloud-notes.md`.

`up` runs in two halves: this file under any Python installs what is missing and then runs itself
again under the stack's own venv, which has openstacksdk and PyMySQL for the rest.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import configs
from configs import HOST, PORTS, Layout, url

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
APT_PACKAGES = ("mariadb-server", "rabbitmq-server")
APIS = ("keystone", "placement", "glance", "neutron", "nova", "cinder", "heat", "manila", "magnum")
READY_PATHS = {"keystone": "/v3", "placement": "/", "glance": "/", "neutron": "/", "nova": "/", "cinder": "/",
               "heat": "/", "manila": "/", "magnum": "/"}


class StackError(Exception):
    """A step failed; the message says which and where its log is."""


def layout() -> Layout:
    return Layout(Path(os.environ.get("EXOTUI_REALCLOUD_DIR") or REPO / ".realcloud").resolve())


def say(message: str) -> None:
    print(f"[realcloud {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- install (any Python)

def ensure_packages() -> None:
    mariadb = shutil.which("mariadbd") or Path("/usr/sbin/mariadbd").exists()
    if mariadb and Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists():
        return
    if os.geteuid() != 0:
        raise StackError("MariaDB and RabbitMQ are not installed and this is not root: "
                         f"run `apt-get install {' '.join(APT_PACKAGES)}` as root first")
    say(f"apt-get install {' '.join(APT_PACKAGES)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv in (["apt-get", "update", "-q"],
                 ["apt-get", "install", "-y", "-q", "--no-install-recommends", *APT_PACKAGES]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            raise StackError(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def ensure_venv(lay: Layout) -> None:
    requirements = HERE / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes() + (HERE / "noop_bind/noop_bind/__init__.py").read_bytes())
    marker = lay.venv / ".exotui-installed"
    if marker.exists() and marker.read_text() == digest.hexdigest():
        return
    say(f"pip install the pinned services into {lay.venv} (about a minute)")
    if not (lay.venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(lay.venv)], check=True)
    for argv in ([lay.bin("pip"), "install", "-q", "-r", str(requirements)],
                 [lay.bin("pip"), "install", "-q", "--no-deps", str(HERE / "noop_bind")]):
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode:
            raise StackError(f"{' '.join(argv)} failed:\n{done.stderr[-3000:]}")
    marker.write_text(digest.hexdigest())


# ---------------------------------------------------------------- processes, by pid

def _start_time(pid: int) -> str | None:
    """When the process started (to tell a reused pid), or None once it is gone or a zombie."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:  # reap our own children that ended
            pass
    except ChildProcessError:
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in "ZX" else fields[19]


def spawn(lay: Layout, name: str, argv: list[str], env: dict[str, str] | None = None) -> int:
    """Start a long-running process in its own session, logging to log/NAME.out, its pid in run/NAME.pid."""
    out = open(lay.log / f"{name}.out", "ab")
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})}, start_new_session=True, cwd=lay.root)
    out.close()
    (lay.run / f"{name}.pid").write_text(f"{proc.pid} {_start_time(proc.pid)}\n")
    return proc.pid


def running(lay: Layout) -> dict[str, int]:
    """The processes this stack started that still run (a reused pid does not count)."""
    alive = {}
    for pidfile in sorted(lay.run.glob("*.pid")) if lay.run.exists() else ():
        try:
            pid, started = pidfile.read_text().split()
        except (OSError, ValueError):
            continue
        if _start_time(int(pid)) == started:
            alive[pidfile.stem] = int(pid)
    return alive


INFRA = ("mariadb", "rabbitmq", "epmd")  # stopped last: the services talk to them while they stop


def _signal_all(pids: dict[str, int], sig: int) -> None:
    for pid in pids.values():
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass


def _stop_group(lay: Layout, names: set[str], grace: float) -> None:
    group = {n: p for n, p in running(lay).items() if n in names}
    _signal_all(group, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(n in names for n in running(lay)):
        time.sleep(0.2)
    left = {n: p for n, p in running(lay).items() if n in names}
    if left:
        say(f"{', '.join(left)} still running after SIGTERM and {grace:.0f} s: SIGKILL")
        _signal_all(left, signal.SIGKILL)


def stop(lay: Layout) -> None:
    """Stop every process this folder's stack started (by the pids it recorded), services first."""
    alive = running(lay)
    _stop_group(lay, set(alive) - set(INFRA), grace=8)
    _stop_group(lay, set(INFRA) - {"epmd"}, grace=20)
    # epmd after RabbitMQ: a beam that shuts down and finds no epmd starts an `epmd -daemon` of its own,
    # which outlived `down` and held the port against the next `up` (seen in back-to-back CI rehearsals)
    _stop_group(lay, {"epmd"}, grace=20)
    for pidfile in lay.run.glob("*.pid") if lay.run.exists() else ():
        pidfile.unlink()
    if alive:
        say(f"stopped {', '.join(alive)}")


def run_step(lay: Layout, name: str, argv: list[str], env: dict[str, str] | None = None, timeout: float = 600) -> str:
    """A one-shot command; its output goes to log/NAME.out and a failure names that log."""
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False,
                          timeout=timeout, cwd=lay.root)
    with open(lay.log / f"{name}.out", "a") as log:
        log.write(f"$ {' '.join(argv)}\n{done.stdout}{done.stderr}\n")
    if done.returncode:
        raise StackError(f"{name}: `{' '.join(argv)}` exited {done.returncode}; see {lay.log / (name + '.out')}\n"
                         f"{done.stderr[-1500:]}")
    return done.stdout


def wait_for(what: str, check, timeout: float, lay: Layout, log: str) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001 - readiness probes fail in many ways until ready
            last = exc
        alive = running(lay)
        dead = [name for name in _STARTED if name not in alive]
        if dead:
            raise StackError(f"{', '.join(dead)} exited while waiting for {what}; see {lay.log}/{dead[0]}.out")
        time.sleep(0.3)
    raise StackError(f"{what} not ready after {timeout:.0f} s ({last}); see {lay.log}/{log}")


_STARTED: list[str] = []  # what this run started, so that a wait notices one of them dying


def http_status(service: str, path: str = "/") -> int:
    try:
        with urllib.request.urlopen(url(service) + path, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def ports_free() -> None:
    import socket

    taken = []
    for name, port in PORTS.items():
        with socket.socket() as sock:
            if sock.connect_ex((HOST, port)) == 0:
                taken.append(f"{name} ({port})")
    if taken:
        raise StackError(f"ports already in use on {HOST}: {', '.join(taken)}; "
                         "is another stack running? `stack.py down` stops one this folder started")


# ---------------------------------------------------------------- the bring-up (stack venv)

def secrets_for(lay: Layout) -> dict[str, str]:
    path = lay.root / "secrets.json"
    values = json.loads(path.read_text()) if path.exists() else {}
    names = ("db", "admin", "demo", *configs.SERVICE_USERS, configs.HEAT_DOMAIN_ADMIN, "swift_hash")
    missing = {name: secrets.token_urlsafe(18) for name in names if name not in values}
    if missing:  # a stack made before a service was added gets that service's password
        values.update(missing)
        path.write_text(json.dumps(values))
        path.chmod(0o600)
    return values


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def write_configs(lay: Layout, pw: dict[str, str]) -> None:
    venv_etc = lay.venv / "etc"
    write(lay.etc / "my.cnf", configs.my_cnf(lay))
    write(lay.etc / "keystone" / "keystone.conf", configs.keystone_conf(lay, pw["db"]))
    write(lay.etc / "placement" / "placement.conf", configs.placement_conf(lay, pw["db"], pw["placement"]))
    write(lay.etc / "glance" / "glance-api.conf", configs.glance_conf(lay, pw["db"], pw["glance"]))
    shutil.copy(venv_etc / "glance" / "glance-api-paste.ini", lay.etc / "glance")
    write(lay.etc / "neutron" / "neutron.conf", configs.neutron_conf(lay, pw["db"], pw["neutron"], pw["nova"]))
    shutil.copy(venv_etc / "neutron" / "api-paste.ini", lay.etc / "neutron")
    write(lay.etc / "nova" / "nova.conf", configs.nova_conf(lay, pw["db"], pw))
    shutil.copy(venv_etc / "nova" / "api-paste.ini", lay.etc / "nova")
    write(lay.etc / "cinder" / "cinder.conf", configs.cinder_conf(lay, pw["db"], pw))
    shutil.copy(venv_etc / "cinder" / "api-paste.ini", lay.etc / "cinder")
    shutil.copy(venv_etc / "cinder" / "resource_filters.json", lay.etc / "cinder")
    write(lay.etc / "heat" / "heat.conf", configs.heat_conf(lay, pw["db"], pw))
    shutil.copy(venv_etc / "heat" / "api-paste.ini", lay.etc / "heat")
    for folder in ("environment.d", "templates"):
        shutil.copytree(venv_etc / "heat" / folder, lay.etc / "heat" / folder, dirs_exist_ok=True)
    write(lay.etc / "manila" / "manila.conf", configs.manila_conf(lay, pw["db"], pw))
    shutil.copy(venv_etc / "manila" / "api-paste.ini", lay.etc / "manila")
    write(lay.etc / "magnum" / "magnum.conf", configs.magnum_conf(lay, pw["db"], pw))
    shutil.copy(venv_etc / "magnum" / "api-paste.ini", lay.etc / "magnum")
    write(lay.etc / "swift" / "swift.conf", configs.swift_conf(pw["swift_hash"]))
    write(lay.etc / "swift" / "proxy-server.conf", configs.swift_proxy_conf(lay, pw["swift"]))
    for kind in configs.SWIFT_RINGS:
        write(lay.etc / "swift" / f"{kind}-server.conf", configs.swift_server_conf(lay, kind))
    write(lay.etc / "rabbitmq" / "rabbitmq.conf",
          f"listeners.tcp.default = {HOST}:{PORTS['rabbitmq']}\n"
          f"distribution.listener.interface = {HOST}\n"
          f"distribution.listener.port_range.min = {PORTS['rabbitmq-dist']}\n"
          f"distribution.listener.port_range.max = {PORTS['rabbitmq-dist']}\n")
    write(lay.etc / "rabbitmq" / "enabled_plugins", "[].\n")
    write(lay.etc / "rabbitmq" / "rabbitmq-env.conf", "")
    ini = {
        "keystone": configs.uwsgi_ini(lay, "keystone", "keystone.wsgi.api:application",
                                      {"OS_KEYSTONE_CONFIG_DIR": str(lay.etc / "keystone")}),
        "placement": configs.uwsgi_ini(lay, "placement", "placement.wsgi.api:application",
                                       {"OS_PLACEMENT_CONFIG_DIR": str(lay.etc / "placement")}),
        "glance": configs.uwsgi_ini(lay, "glance", "glance.wsgi.api:application",
                                    {"OS_GLANCE_CONFIG_DIR": str(lay.etc / "glance")}),
        "neutron": configs.uwsgi_ini(lay, "neutron", "neutron.wsgi.api:application", {},
                                     pyargv=f"--config-file {lay.etc / 'neutron' / 'neutron.conf'}"),
        "nova": configs.uwsgi_ini(lay, "nova", "nova.wsgi.osapi_compute:application",
                                  {"OS_NOVA_CONFIG_DIR": str(lay.etc / "nova")}),
        "cinder": configs.uwsgi_ini(lay, "cinder", "cinder.wsgi.api:application", {},
                                    pyargv=f"--config-file {lay.etc / 'cinder' / 'cinder.conf'}"),
        "heat": configs.uwsgi_ini(lay, "heat", "heat.wsgi.api:application", {},
                                  pyargv=f"--config-file {lay.etc / 'heat' / 'heat.conf'}"),
        "manila": configs.uwsgi_ini(lay, "manila", "manila.wsgi.api:application", {},
                                    pyargv=f"--config-file {lay.etc / 'manila' / 'manila.conf'}"),
        "magnum": configs.uwsgi_ini(lay, "magnum", "magnum.wsgi.api:application", {},
                                    pyargv=f"--config-file {lay.etc / 'magnum' / 'magnum.conf'}"),
    }
    for name, text in ini.items():
        write(lay.etc / "uwsgi" / f"{name}.ini", text)


def swift_rings(lay: Layout) -> None:
    """One ring per kind, one replica on one device (data/swift/d1), made once."""
    (lay.data / "swift" / "d1").mkdir(parents=True, exist_ok=True)
    for kind in configs.SWIFT_RINGS:
        if (lay.etc / "swift" / f"{kind}.ring.gz").exists():
            continue
        builder = str(lay.etc / "swift" / f"{kind}.builder")
        run_step(lay, "swift-rings", [lay.bin("swift-ring-builder"), builder, "create", "6", "1", "1"])
        run_step(lay, "swift-rings", [lay.bin("swift-ring-builder"), builder, "add", "--region", "1", "--zone", "1",
                                      "--ip", HOST, "--port", str(PORTS[f"swift-{kind}"]), "--device", "d1",
                                      "--weight", "100"])
        run_step(lay, "swift-rings", [lay.bin("swift-ring-builder"), builder, "rebalance"])


def start_swift(lay: Layout) -> None:
    """The storage servers and the proxy: eventlet servers of their own, not uWSGI; `-v` logs to the console."""
    for kind in (*configs.SWIFT_RINGS, "proxy"):
        conf = str(lay.etc / "swift" / f"{kind}-server.conf")
        spawn(lay, f"swift-{kind}", [lay.bin(f"swift-{kind}-server"), conf, "-v"])
        _STARTED.append(f"swift-{kind}")


def swift_ready() -> bool:
    names = ("swift", *(f"swift-{kind}" for kind in configs.SWIFT_RINGS))
    return all(http_status(name, "/healthcheck") == 200 for name in names)


def start_mariadb(lay: Layout, fresh: bool) -> None:
    cnf = str(lay.etc / "my.cnf")
    if fresh:
        run_step(lay, "mariadb-install", ["mariadb-install-db", f"--defaults-file={cnf}", "--user=root",
                                          "--skip-test-db", "--auth-root-authentication-method=socket"])
    user = ["--user=root"] if os.geteuid() == 0 else []
    spawn(lay, "mariadb", ["mariadbd", f"--defaults-file={cnf}", *user])
    _STARTED.append("mariadb")


def mariadb_ready(lay: Layout) -> bool:
    return subprocess.run(["mariadb-admin", f"--defaults-file={lay.etc / 'my.cnf'}", "-uroot", "ping"],
                          capture_output=True, check=False).returncode == 0


def rabbit_env(lay: Layout) -> dict[str, str]:
    home = lay.data / "rabbitmq"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "RABBITMQ_NODENAME": "rabbit@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": HOST,
        "RABBITMQ_NODE_PORT": str(PORTS["rabbitmq"]),
        "ERL_EPMD_ADDRESS": HOST,
        "ERL_EPMD_PORT": str(PORTS["epmd"]),
        "RABBITMQ_DIST_PORT": str(PORTS["rabbitmq-dist"]),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
        "RABBITMQ_LOG_BASE": str(lay.log / "rabbitmq"),
        "RABBITMQ_CONFIG_FILE": str(lay.etc / "rabbitmq" / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(lay.etc / "rabbitmq" / "enabled_plugins"),
        "RABBITMQ_CONF_ENV_FILE": str(lay.etc / "rabbitmq" / "rabbitmq-env.conf"),
        "RABBITMQ_PID_FILE": str(home / "beam.pid"),
    }


def start_rabbitmq(lay: Layout) -> None:
    env = rabbit_env(lay)
    # epmd of our own, in the foreground, so that `down` stops it by pid like the rest (blocker 9)
    spawn(lay, "epmd", ["epmd", "-address", HOST, "-port", str(PORTS["epmd"])], env)
    _STARTED.append("epmd")
    spawn(lay, "rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], env)
    _STARTED.append("rabbitmq")


def rabbit_ready(lay: Layout) -> bool:
    return subprocess.run(["/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", "rabbit@localhost", "status"],
                          capture_output=True, env={**os.environ, **rabbit_env(lay)}, timeout=30, check=False).returncode == 0


def heat_engine_ready(lay: Layout, since: str) -> bool:
    """heat-engine reports itself in its service table once its RPC server listens (every API call
    goes through it, and one sent before would wait out the RPC timeout)."""
    done = subprocess.run(["mariadb", f"--defaults-file={lay.etc / 'my.cnf'}", "-uroot", "-N", "-e",
                           f"SELECT COUNT(*) FROM heat.service WHERE created_at >= '{since}'"],
                          capture_output=True, text=True, check=False)
    return done.returncode == 0 and done.stdout.strip() not in ("", "0")


def create_databases(lay: Layout, pw: dict[str, str]) -> None:
    sql = [f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4" for name in configs.DATABASES]
    sql += [f"CREATE USER IF NOT EXISTS 'openstack'@'{HOST}' IDENTIFIED BY '{pw['db']}'",
            f"GRANT ALL PRIVILEGES ON *.* TO 'openstack'@'{HOST}'", "FLUSH PRIVILEGES"]
    run_step(lay, "mariadb-setup", ["mariadb", f"--defaults-file={lay.etc / 'my.cnf'}", "-uroot",
                                    "-e", ";\n".join(sql) + ";"])


def keystone_setup(lay: Layout, pw: dict[str, str]) -> None:
    conf = ["--config-file", str(lay.etc / "keystone" / "keystone.conf")]
    manage = lay.bin("keystone-manage")
    run_step(lay, "keystone-manage", [manage, *conf, "db_sync"])
    owner = ["--keystone-user", "root", "--keystone-group", "root"] if os.geteuid() == 0 else \
        ["--keystone-user", str(os.getuid()), "--keystone-group", str(os.getgid())]
    run_step(lay, "keystone-manage", [manage, *conf, "fernet_setup", *owner])
    run_step(lay, "keystone-manage", [manage, *conf, "credential_setup", *owner])
    run_step(lay, "keystone-manage", [manage, *conf, "bootstrap", "--bootstrap-password", pw["admin"],
                                      "--bootstrap-admin-url", url("keystone") + "/v3",
                                      "--bootstrap-public-url", url("keystone") + "/v3",
                                      "--bootstrap-internal-url", url("keystone") + "/v3",
                                      "--bootstrap-region-id", configs.REGION])


def start_api(lay: Layout, name: str) -> None:
    spawn(lay, f"{name}-api", [lay.bin("uwsgi"), "--ini", str(lay.etc / "uwsgi" / f"{name}.ini")])
    _STARTED.append(f"{name}-api")


def stop_apis(lay: Layout, names: list[str]) -> None:
    """Stop these APIs' uWSGI servers (by the pids `up` recorded), as an outage or the first half of a restart."""
    _stop_group(lay, {f"{name}-api" for name in names}, grace=8)
    for name in names:
        (lay.run / f"{name}-api.pid").unlink(missing_ok=True)


def start_apis(lay: Layout, names: list[str]) -> None:
    """Start these APIs again (new processes, nothing remembered but the database) and wait until they answer."""
    ports_free_for(names)
    for name in names:
        start_api(lay, name)
    for name in names:
        wait_for(f"the {name} API", lambda name=name: http_status(name, READY_PATHS[name]) < 400, 120, lay,
                 f"{name}-api.out")


def ports_free_for(names: list[str]) -> None:
    import socket

    for name in names:
        with socket.socket() as sock:
            if sock.connect_ex((HOST, PORTS[name])) == 0:
                raise StackError(f"{name} still answers on {HOST}:{PORTS[name]}: `stop-apis {name}` first")


def archive(lay: Layout) -> None:
    """What an operator's cron does: deleted rows moved to the shadow tables, so that changes-since no longer
    reports those servers as DELETED."""
    argv = [lay.bin("nova-manage"), "--config-file", str(lay.etc / "nova" / "nova.conf"), "db", "archive_deleted_rows",
            "--until-complete"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120, cwd=lay.root)
    with open(lay.log / "nova-archive.out", "a") as log:
        log.write(f"$ {' '.join(argv)}\n{done.stdout}{done.stderr}\n")
    if done.returncode not in (0, 1):  # nova-manage: 0 nothing archived, 1 rows archived
        raise StackError(f"nova-archive: exited {done.returncode}; see {lay.log / 'nova-archive.out'}\n"
                         f"{done.stderr[-1500:]}")


def db_syncs(lay: Layout, which: tuple[str, ...]) -> None:
    etc = lay.etc
    nova = ["--config-file", str(etc / "nova" / "nova.conf")]
    pw = secrets_for(lay)
    chains = {
        "placement-db": [[lay.bin("placement-manage"), "--config-file", str(etc / "placement" / "placement.conf"),
                          "db", "sync"]],
        "glance-db": [[lay.bin("glance-manage"), "--config-file", str(etc / "glance" / "glance-api.conf"),
                       "db_sync"]],
        "neutron-db": [[lay.bin("neutron-db-manage"), "--config-file", str(etc / "neutron" / "neutron.conf"),
                        "upgrade", "heads"]],
        "cinder-db": [[lay.bin("cinder-manage"), "--config-file", str(etc / "cinder" / "cinder.conf"),
                       "db", "sync"]],
        "heat-db": [[lay.bin("heat-manage"), "--config-file", str(etc / "heat" / "heat.conf"), "db_sync"]],
        "manila-db": [[lay.bin("manila-manage"), "--config-file", str(etc / "manila" / "manila.conf"), "db", "sync"]],
        "magnum-db": [[lay.bin("magnum-db-manage"), "--config-file", str(etc / "magnum" / "magnum.conf"), "upgrade"]],
        "nova-db": [[lay.bin("nova-manage"), *nova, "api_db", "sync"],
                    [lay.bin("nova-manage"), *nova, "cell_v2", "map_cell0", "--database_connection",
                     configs.db_url("nova_cell0", pw["db"])],
                    [lay.bin("nova-manage"), *nova, "cell_v2", "create_cell", "--name", "cell1"],
                    [lay.bin("nova-manage"), *nova, "db", "sync"]],
    }

    def chain(name: str) -> None:
        for argv in chains[name]:
            run_step(lay, name, argv)

    with concurrent.futures.ThreadPoolExecutor(len(which)) as pool:
        for future in [pool.submit(chain, f"{name}-db") for name in which]:
            future.result()


def start_workers(lay: Layout) -> None:
    nova = ["--config-file", str(lay.etc / "nova" / "nova.conf")]
    cinder = ["--config-file", str(lay.etc / "cinder" / "cinder.conf")]
    manila = ["--config-file", str(lay.etc / "manila" / "manila.conf")]
    for name, argv in {"nova-conductor": [lay.bin("nova-conductor"), *nova],
                       "nova-scheduler": [lay.bin("nova-scheduler"), *nova],
                       "nova-compute": [lay.bin("nova-compute"), *nova],
                       "cinder-scheduler": [lay.bin("cinder-scheduler"), *cinder],
                       "cinder-volume": [lay.bin("cinder-volume"), *cinder],
                       "manila-scheduler": [lay.bin("manila-scheduler"), *manila],
                       "manila-share": [lay.bin("manila-share"), *manila],
                       "magnum-conductor": [lay.bin("magnum-conductor"), "--config-file",
                                            str(lay.etc / "magnum" / "magnum.conf")],
                       "heat-engine": [lay.bin("heat-engine"), "--config-file",
                                       str(lay.etc / "heat" / "heat.conf")]}.items():
        spawn(lay, name, argv)
        _STARTED.append(name)


def bring_up(lay: Layout) -> None:
    began = time.monotonic()
    ports_free()
    for folder in (lay.etc, lay.data, lay.log, lay.run):
        folder.mkdir(parents=True, exist_ok=True)
    for sub in ("nova/instances", "nova/locks", "cinder/locks", "neutron/locks", "heat/locks", "manila/locks",
                "magnum/locks", "glance/images", "glance/staging", "glance/tasks", "glance/locks"):
        (lay.data / sub).mkdir(parents=True, exist_ok=True)
    fresh = not (lay.data / ".initialised").exists()
    if fresh and (lay.data / "mysql").exists():
        raise StackError(f"{lay.data} holds a half-made stack: `stack.py down --purge` and try again")
    pw = secrets_for(lay)
    write_configs(lay, pw)
    say("starting MariaDB and RabbitMQ")
    start_mariadb(lay, fresh)
    start_rabbitmq(lay)
    wait_for("MariaDB", lambda: mariadb_ready(lay), 60, lay, "mariadb.log")
    if fresh:
        create_databases(lay, pw)
        say("keystone: db_sync, fernet keys, bootstrap")
        keystone_setup(lay, pw)
    start_api(lay, "keystone")
    wait_for("Keystone", lambda: http_status("keystone", "/v3") == 200, 60, lay, "keystone-api.out")
    import seed  # the stack venv has openstacksdk from here on

    if fresh:
        say("service users and catalog (blocker 5: before anything that authenticates)")
        seed.catalog(pw)
        say("database migrations (placement, glance, neutron, cinder, nova, heat, manila and magnum in parallel)")
        db_syncs(lay, ("placement", "glance", "neutron", "cinder", "nova", "heat", "manila", "magnum"))
    added = [name for name in ("heat", "swift", "manila", "magnum")
             if not (lay.data / f".{name}-initialised").exists()]
    if added and not fresh:
        say(f"{' and '.join(added)} join a stack made without them: databases, users, catalog, migrations")
        create_databases(lay, pw)
        seed.catalog(pw)
        if {"heat", "manila", "magnum"} & set(added):
            db_syncs(lay, tuple(name for name in ("heat", "manila", "magnum") if name in added))
    if "heat" in added:
        seed.heat_domain(pw)
    for name in added:
        (lay.data / f".{name}-initialised").write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    wait_for("RabbitMQ", lambda: rabbit_ready(lay), 90, lay, "rabbitmq.out")
    say("starting the APIs and the workers")
    swift_rings(lay)
    start_swift(lay)
    for name in APIS[1:]:
        start_api(lay, name)
    workers_since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - 1))
    start_workers(lay)
    for name in APIS[1:]:
        wait_for(f"the {name} API", lambda name=name: http_status(name, READY_PATHS[name]) < 400, 120, lay,
                 f"{name}-api.out")
    wait_for("nova-compute, its resource provider and cinder-volume", lambda: seed.services_up(pw), 120, lay,
             "nova-compute.out")
    wait_for("the Swift proxy and its storage servers", swift_ready, 60, lay, "swift-proxy.out")
    wait_for("heat-engine", lambda: heat_engine_ready(lay, workers_since), 120, lay, "heat-engine.log")
    wait_for("manila-scheduler, manila-share and its dummy backend's pool", lambda: seed.shares_up(pw), 120, lay,
             "manila-share.log")
    seed.share_type(pw)  # Jetstream2's one share type (made once; found on a restart)
    wait_for("magnum-conductor", lambda: seed.magnum_up(pw), 120, lay, "magnum-conductor.log")
    run_step(lay, "nova-discover", [lay.bin("nova-manage"), "--config-file", str(lay.etc / "nova" / "nova.conf"),
                                    "cell_v2", "discover_hosts", "--verbose"])
    if fresh:
        say("seeding flavors, an image, networks, a router, the demo user and its application credential")
        seed.demo(lay, pw)
        (lay.data / ".initialised").write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    seed.cluster_templates(lay, pw)  # Jetstream2's public Kubernetes templates, of the seeded flavors (found on a restart)
    seed.write_clouds_yaml(lay, pw)
    say(f"up in {time.monotonic() - began:.1f} s; clouds.yaml: {lay.clouds_yaml}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down", "status", "install", "stop-apis", "start-apis", "archive"))
    parser.add_argument("apis", nargs="*", help=f"with stop-apis and start-apis: which ones ({', '.join(APIS)})")
    parser.add_argument("--purge", action="store_true", help="with down: delete the folder's data too")
    parser.add_argument("--in-venv", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    lay = layout()
    try:
        if args.apis and args.command not in ("stop-apis", "start-apis"):
            raise StackError(f"{args.command} takes no API names")
        if args.command == "status":
            alive = running(lay)
            print("\n".join(f"{name}: pid {pid}" for name, pid in alive.items()) or "nothing runs")
            return 0
        if args.command in ("stop-apis", "start-apis"):
            if not args.apis or set(args.apis) - set(APIS):
                raise StackError(f"{args.command}: name the APIs, among {', '.join(APIS)}")
            (stop_apis if args.command == "stop-apis" else start_apis)(lay, args.apis)
            return 0
        if args.command == "archive":
            archive(lay)
            return 0
        if args.command == "down":
            stop(lay)
            if args.purge:
                for folder in (lay.data, lay.etc, lay.log, lay.run):
                    shutil.rmtree(folder, ignore_errors=True)
                (lay.root / "secrets.json").unlink(missing_ok=True)
                lay.clouds_yaml.unlink(missing_ok=True)
            return 0
        if not args.in_venv:
            lay.root.mkdir(parents=True, exist_ok=True)
            ensure_packages()
            ensure_venv(lay)
            if args.command == "install":
                return 0
            os.execv(lay.bin("python"), [lay.bin("python"), str(Path(__file__).resolve()), "up", "--in-venv"])
        try:
            bring_up(lay)
        except BaseException:
            say("bring-up failed: stopping what it started")
            stop(lay)
            raise
        return 0
    except StackError as error:
        print(f"realcloud: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
