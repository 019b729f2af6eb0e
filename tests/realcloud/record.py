#!/usr/bin/env python3
"""Record what the real stack's Nova does, for the demo cloud to be held against.

    .venv/bin/python tests/realcloud/record.py            # needs `stack.py up`; ~2-4 min
    .venv/bin/python tests/realcloud/record.py --states ACTIVE,SHUTOFF --out /tmp/rec

Writes `recorded/nova-action-matrix.json` in the format of `tests/oracle/nova-action-matrix.json`:
every action from every state as the project's member, the HTTP status and Nova's words for a
refusal, the status/task_state/vm_state/power_state sequence polled every ~0.05 s for an accepted
one, and the settled state. Also `recorded/shapes.json`: the fields (and which are null) and the
microversion headers of the answers exotui reads. tests/demo/test_nova_matrix.py and
tests/demo/test_recorded_shapes.py hold the demo cloud to both. Re-run it against a newer
OpenStack release to capture that release.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import openstack

HERE = Path(__file__).resolve().parent
MICROVERSION = "2.104"  # the actions, as the oracle sent them
READ_MICROVERSION = "2.100"  # the highest exotui asks for when it reads
ACTIONS = ["os-start", "os-stop", "reboot SOFT", "reboot HARD", "suspend", "resume", "pause", "unpause", "shelve",
           "unshelve", "resize", "confirmResize", "revertResize", "lock", "unlock", "createImage", "rescue",
           "unrescue", "os-getConsoleOutput", "delete"]
STATES = ["ACTIVE", "SHUTOFF", "SUSPENDED", "PAUSED", "SHELVED_OFFLOADED", "VERIFY_RESIZE", "RESCUE",
          "ACTIVE+locked (owner/member acts)", "ERROR"]
STABLE = {"ACTIVE", "SHUTOFF", "SUSPENDED", "PAUSED", "SHELVED_OFFLOADED", "VERIFY_RESIZE", "RESCUE", "ERROR",
          "SHELVED"}


def step(body: dict) -> str:
    text = "/".join([body["status"], str(body["OS-EXT-STS:task_state"]), body["OS-EXT-STS:vm_state"],
                     str(body["OS-EXT-STS:power_state"])])
    return text + ("/locked" if body.get("locked") else "")


class Recorder:
    def __init__(self, cloud: str, admin_cloud: str) -> None:
        self.member = openstack.connect(cloud=cloud)
        self.admin = openstack.connect(cloud=admin_cloud)
        self.flavor = self.member.compute.find_flavor("m3.tiny", ignore_missing=False).id
        self.bigger = self.member.compute.find_flavor("m3.small", ignore_missing=False).id
        self.resize_to = self.member.compute.find_flavor("m3.quad", ignore_missing=False).id
        self.image = self.member.image.find_image("Featured-Ubuntu24", ignore_missing=False).id
        self.made: list[str] = []

    def show(self, sid: str) -> dict | None:
        answer = self.member.compute.get(f"/servers/{sid}", microversion=MICROVERSION, raise_exc=False)
        return None if answer.status_code == 404 else answer.json()["server"]

    def settle(self, sid: str, timeout: float = 120, leave: str | None = None, patience: float = 8) -> list[str]:
        """Poll until the server rests (no task_state, a stable status); the distinct steps seen.
        With `leave`, a rest in that step with nothing else seen counts only after `patience` seconds:
        confirmResize shows no task while the compute host finishes, so VERIFY_RESIZE is not yet the end."""
        seen: list[str] = []
        began = time.monotonic()
        deadline = began + timeout
        while time.monotonic() < deadline:
            body = self.show(sid)
            now = "404 (gone)" if body is None else step(body)
            if not seen or seen[-1] != now:
                seen.append(now)
            rests = body is None or (body["OS-EXT-STS:task_state"] is None and body["status"] in STABLE)
            if rests and (now != leave or len(seen) > 1 or time.monotonic() - began > patience):
                return seen
            time.sleep(0.05)
        raise TimeoutError(f"server {sid} did not settle: {seen}")

    def act(self, sid: str, action: str):
        if action == "delete":
            return self.member.compute.delete(f"/servers/{sid}", microversion=MICROVERSION, raise_exc=False)
        body = {"reboot": {"type": action.split()[1]}} if action.startswith("reboot") else \
            {"resize": {"flavorRef": self.resize_to}} if action == "resize" else \
            {"createImage": {"name": "recorded-snapshot"}} if action == "createImage" else \
            {"os-getConsoleOutput": {"length": 5}} if action == "os-getConsoleOutput" else {action: None}
        return self.member.compute.post(f"/servers/{sid}/action", json=body, microversion=MICROVERSION,
                                        raise_exc=False)

    def prepare(self, state: str, networks: str | list = "none") -> str:
        """A fresh server in `state`, as the oracle's capture made them."""
        server = self.member.compute.create_server(name=f"rec-{state.split()[0]}", flavor_id=self.flavor,
                                                   image_id=self.image, networks=networks)
        self.made.append(server.id)
        self.settle(server.id)
        status = state.split("+")[0].split(" ")[0]
        first = {"SHUTOFF": "os-stop", "SUSPENDED": "suspend", "PAUSED": "pause", "SHELVED_OFFLOADED": "shelve",
                 "RESCUE": "rescue", "VERIFY_RESIZE": "resize"}.get(status)
        if first == "resize":
            self.member.compute.post(f"/servers/{server.id}/action", json={"resize": {"flavorRef": self.bigger}},
                                     microversion=MICROVERSION)
        elif first:
            self.member.compute.post(f"/servers/{server.id}/action", json={first: None}, microversion=MICROVERSION)
        if status == "ERROR":
            self.admin.compute.reset_server_state(server.id, "error")
        if first:
            self.settle(server.id)
        if "locked" in state:
            self.member.compute.lock_server(server.id)
        return server.id

    def row(self, state: str) -> dict:
        began = time.monotonic()
        actions: dict[str, dict] = {}
        sid = self.prepare(state)
        before = step(self.show(sid))
        for action in ACTIONS:
            current = self.show(sid)
            if current is None or step(current) != before:  # the last action moved it: a fresh one
                sid = self.prepare(state)
            answer = self.act(sid, action)
            cell: dict = {"status": answer.status_code, "before": before}
            if answer.status_code >= 400:
                error = answer.json()
                key = next(iter(error))
                cell.update(error_key=key, message=error[key]["message"].replace(sid, "{server_id}"))
            elif action == "os-getConsoleOutput":
                cell.update(body=answer.json(), sequence=[before], final=before)
            else:
                cell["sequence"] = self.settle(sid, leave=before)
                cell["final"] = cell["sequence"][-1]
                if action == "createImage":
                    image = answer.json().get("image_id")
                    if image:
                        self.member.image.delete_image(image, ignore_missing=True)
            actions[action] = cell
        return {"actor": "member", "actions": actions, "start_step": before,
                "seconds": round(time.monotonic() - began, 1)}

    def cleanup(self) -> None:
        for sid in self.made:
            body = self.show(sid)
            if body is None:
                continue
            if body.get("locked"):
                self.member.compute.unlock_server(sid)
            self.admin.compute.delete_server(sid, force=True)


def shapes(conn) -> dict:
    """Field names, null fields and version headers of the answers exotui's fast path reads."""
    project = conn.current_project_id
    server = next(iter(conn.compute.servers()), None)
    gets = {
        "compute servers/detail mv2.1": ("compute", "/servers/detail?limit=1", "2.1", "servers"),
        f"compute servers/detail mv{READ_MICROVERSION}": ("compute", "/servers/detail?limit=1", READ_MICROVERSION,
                                                          "servers"),
        "compute flavors/detail": ("compute", "/flavors/detail?limit=1", READ_MICROVERSION, "flavors"),
        "compute keypairs": ("compute", "/os-keypairs", READ_MICROVERSION, "keypairs"),
        "compute quota detail": ("compute", f"/os-quota-sets/{project}/detail", READ_MICROVERSION, "quota_set"),
        "network networks": ("network", "/networks?name=auto_allocated_network", None, "networks"),
        "network ports": ("network", "/ports?limit=1", None, "ports"),
        "network routers": ("network", "/routers", None, "routers"),
        "network floatingips": ("network", "/floatingips", None, "floatingips"),
        "network security-groups": ("network", "/security-groups?name=default", None, "security_groups"),
        "network quota details": ("network", f"/quotas/{project}/details", None, "quota"),
        "volume volumes/detail mv3.0": ("block_storage", "/volumes/detail?limit=1", "3.0", "volumes"),
        "volume quota usage": ("block_storage", f"/os-quota-sets/{project}?usage=true", "3.0", "quota_set"),
        "image images": ("image", "/images?name=Featured-Ubuntu24", None, "images"),
    }
    if server is None:
        gets.pop("compute servers/detail mv2.1")
    out = {}
    for name, (service, path, mv, key) in gets.items():
        proxy = getattr(conn, service)
        answer = proxy.get(path, microversion=mv, raise_exc=True) if mv else proxy.get(path, raise_exc=True)
        body = answer.json()[key]
        item = body[0] if isinstance(body, list) and body else body
        if isinstance(body, list) and not body:
            continue
        out[name] = {"status": answer.status_code, "fields": sorted(item),
                     "nulls": sorted(k for k, v in item.items() if v is None),
                     "version_header": answer.headers.get("OpenStack-API-Version")}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clouds-yaml", default=str(Path(os.environ.get("EXOTUI_REALCLOUD_DIR") or
                                                          HERE.parent.parent / ".realcloud") / "clouds.yaml"))
    parser.add_argument("--cloud", default="realcloud")
    parser.add_argument("--out", default=str(HERE / "recorded"))
    parser.add_argument("--states", default=",".join(STATES))
    args = parser.parse_args(argv)
    os.environ["OS_CLIENT_CONFIG_FILE"] = args.clouds_yaml
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    recorder = Recorder(args.cloud, f"{args.cloud}-admin")
    began = time.monotonic()
    # one server and one volume, so that the lists have an item to show their fields
    network = recorder.member.network.find_network("auto_allocated_network", ignore_missing=False)
    sid = recorder.prepare("ACTIVE", networks=[{"uuid": network.id}])  # with a port: security_groups show
    volume = recorder.member.block_storage.create_volume(name="rec-shape", size=1)
    recorder.member.block_storage.wait_for_status(volume, "available")
    try:
        (out / "shapes.json").write_text(json.dumps(shapes(recorder.member), indent=1, sort_keys=True) + "\n")
    finally:
        recorder.member.compute.delete_server(sid)
        recorder.member.block_storage.delete_volume(volume)

    def record(state: str) -> dict:
        mine = Recorder(args.cloud, f"{args.cloud}-admin")  # a connection per thread
        try:
            return mine.row(state)
        finally:
            mine.cleanup()

    states = [s for s in args.states.split(",") if s]
    if not states:  # --states "" records the shapes alone
        print(f"recorded the shapes into {out}")
        return 0
    with concurrent.futures.ThreadPoolExecutor(3) as pool:  # Nova's one fake host takes a few at once
        rows = dict(zip(states, pool.map(record, states)))
    version = recorder.member.compute.get("/", raise_exc=False).json().get("version") or {}
    meta = {"nova_microversion_used": MICROVERSION, "nova_max_microversion": version.get("version"),
            "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(),
            "member": "demo (role member) of the real stack's BIO230045",
            "how": "tests/realcloud/record.py: each row's server booted fresh (m3.tiny, Featured-Ubuntu24, "
                   "networks=none) and brought into the state; a fresh one again after each accepted action; "
                   "GET /servers/{id} polled every ~0.05 s until it rests",
            "seconds": round(time.monotonic() - began, 1)}
    (out / "nova-action-matrix.json").write_text(json.dumps({"meta": meta, "states": rows}, indent=1) + "\n")
    print(f"recorded {sum(len(r['actions']) for r in rows.values())} cells in {meta['seconds']} s into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
