"""Benchmark the pure network logic on a synthetic project of 1,000 instances on 20 networks:

1. map: index the project, build the topology graph, lay it out and render it as text at 80
   columns: collapsed (the default view) and with every network expanded (goal <= 100 ms);
2. effective rules for all 1,000 instances, with groups shared as in real projects (10 groups,
   each instance in 1-3 of them) and in the worst case of one group per instance (goal <= 100 ms),
   cold (caches cleared before each run); then the worst case again after a poll that changed
   nothing (equal models, new objects), which the per-group and per-union caches answer;
3. the SSH doctor for all 1,000 instances, for scale.

No cloud, no I/O: the models are built in memory.

    .venv/bin/python bench/net.py [--runs 7]

The goal is checked against the median; the best run says what the code costs when the machine is
not busy with something else.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exotui.cloud.models import (
    Address,
    FixedIP,
    FloatingIP,
    Network,
    Port,
    Router,
    SecurityGroup,
    SecurityGroupRule,
    Server,
    Subnet,
)
from exotui.net import doctor, matrix, rules, topology
from exotui.net.view import NetView

GOAL_MS = 100.0


def project(instances: int = 1000, networks: int = 20, group_per_instance: bool = False, seed: int = 1) -> dict:
    rnd = random.Random(seed)
    ext = Network("ext", "public", external=True, subnet_ids=("ext-sub",))
    nets = [Network(f"net{i}", f"network-{i:02}", project_id="p", subnet_ids=(f"sub{i}",)) for i in range(networks)]
    subnets = [Subnet("ext-sub", "public-subnet", "ext", "149.165.0.0/16")]
    subnets += [Subnet(f"sub{i}", f"subnet-{i:02}", f"net{i}", f"10.{i}.0.0/16") for i in range(networks)]
    routers = [Router(f"r{i}", f"router-{i}", external_network_id="ext", external_ips=(f"149.165.0.{i + 2}",))
               for i in range(2)]
    ports = [Port(f"rp{i}", "", f"net{i}", f"r{i % 2}", "network:router_interface",
                  fixed_ips=(FixedIP(f"sub{i}", f"10.{i}.0.1"),)) for i in range(networks)]

    def group(gid: str, name: str, remote_of: str | None) -> SecurityGroup:
        spec = [("ingress", "tcp", 22, 22, "0.0.0.0/0", None), ("ingress", "tcp", 80, 80, "10.0.0.0/8", None),
                ("ingress", "tcp", 443, 443, "10.0.0.0/8", None), ("ingress", "tcp", 8000, 8100, "192.0.2.0/25", None),
                ("ingress", "tcp", 8050, 8200, "192.0.2.128/25", None), ("ingress", "icmp", None, None, None, None),
                ("ingress", None, None, None, None, remote_of or gid), ("egress", None, None, None, None, None)]
        return SecurityGroup(gid, name, rules=tuple(
            SecurityGroupRule(f"{gid}-r{k}", gid, d, "IPv4", p, lo, hi, c, g) for k, (d, p, lo, hi, c, g)
            in enumerate(spec)))

    groups = [group(f"sg{i}", f"group-{i}", f"sg{(i + 1) % 10}") for i in range(10)]
    servers, fips = [], []
    for i in range(instances):
        n = i % networks
        sid = f"srv{i}"
        ip = f"10.{n}.{i // 250}.{i % 250 + 2}"
        if group_per_instance:
            groups.append(group(f"own{i}", f"own-{i}", None))
            gids = (f"own{i}",)
        else:
            gids = tuple(rnd.sample([g.id for g in groups[:10]], rnd.randint(1, 3)))
        pid = f"port{i}"
        ports.append(Port(pid, "", f"net{n}", sid, "compute:nova", fixed_ips=(FixedIP(f"sub{n}", ip),),
                          security_group_ids=gids))
        addresses = [Address(f"network-{n:02}", ip, 4, "fixed")]
        if i % 5 == 0:
            fip = f"149.165.{1 + i // 250}.{i % 250 + 1}"
            fips.append(FloatingIP(f"fip{i}", fip, "ACTIVE", pid, ip, "ext"))
            addresses.append(Address(f"network-{n:02}", fip, 4, "floating"))
        servers.append(Server(sid, f"vm-{i:04}", rnd.choice(["ACTIVE"] * 8 + ["SHUTOFF", "SHELVED_OFFLOADED"]),
                              addresses=tuple(addresses), key_name="k", project_id="p"))
    return dict(servers=servers, networks=[ext, *nets], subnets=subnets, routers=routers, ports=ports,
                floating_ips=fips, security_groups=groups)


def timed(fn, runs: int, before=None) -> tuple[tuple[float, float], object]:
    """((median, best) in ms, the last value); `before` runs untimed before each run."""
    times, value = [], None
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        value = fn()
        times.append((time.perf_counter() - start) * 1000)
    return (statistics.median(times), min(times)), value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    shared = project()
    own = project(group_per_instance=True)

    def map_of(data, expand: bool):
        view = NetView(**data)
        topo = topology.build(view)
        expanded = {n for n, node in topo.nodes.items() if node.kind == "network"} if expand else frozenset()
        lines = topology.layout(topo, view, 80, expanded)
        return "\n".join(line.text for line in lines)

    results = []
    ms, text = timed(lambda: map_of(shared, False), args.runs)
    results.append(("map, collapsed (index+build+layout+render)", ms, f"{text.count(chr(10)) + 1} lines"))
    ms, text = timed(lambda: map_of(shared, True), args.runs)
    results.append(("map, every network expanded", ms, f"{text.count(chr(10)) + 1} lines"))
    cold = rules.clear_caches  # the goal holds for a first look, with nothing cached
    ms, eff = timed(lambda: rules.effective_all(NetView(**shared)), args.runs, cold)
    results.append(("effective rules, 10 shared groups", ms, f"{len(eff)} instances"))
    ms, eff = timed(lambda: rules.effective_all(NetView(**own)), args.runs, cold)
    results.append(("effective rules, one group each (worst)", ms, f"{len(eff)} instances"))
    polled = project(group_per_instance=True)  # equal models, new objects: what the store holds after a poll
    ms, eff = timed(lambda: rules.effective_all(NetView(**polled)), args.runs)
    results.append(("  the same after a poll that changed nothing", ms, f"{len(eff)} instances"))
    ms, _ = timed(lambda: matrix.matrix(NetView(**shared)), args.runs)
    results.append(("matrix instances x services", ms, ""))

    def doctor_all():
        view = NetView(**shared)
        return sum(doctor.diagnose(view, s, "203.0.113.9").ok for s in view.servers.values())

    ms, ok = timed(doctor_all, max(1, args.runs // 3))
    results.append(("doctor for every instance (for scale)", ms, f"{ok} pass"))

    print(f"python {sys.version.split()[0]}, 1,000 instances on 20 networks, median of {args.runs} runs")
    print(f"  {'':<46} {'median':>11} {'best':>8}")
    for name, (ms, best), note in results:
        goal = "" if "doctor" in name or "matrix" in name else ("  ok" if ms <= GOAL_MS else "  OVER GOAL")
        print(f"  {name:<46} {ms:8.1f} ms {best:5.1f} ms  {note}{goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
