"""The data path against the demo cloud over HTTP: session -> poller -> store -> change events."""

from __future__ import annotations

import asyncio
import json

import openstack
import pytest
from clouds import until

from exotui.cloud.models import Address, FloatingIP, Port, Server
from exotui.cloud.poller import Intervals, ProjectPoller, format_cursor, parse_updated
from exotui.cloud.session import CloudError, CloudSession
from exotui.cloud.store import KINDS, ProjectKey, ProjectStore
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.world import Knobs


def _session(cloud: str = CLOUD_NAME) -> CloudSession:
    return CloudSession(lambda: openstack.connect(cloud=cloud), label="test")


async def test_everything_loads_at_once(loaded):
    _session_, store, _poller = loaded
    for kind in KINDS:
        assert store.state(kind).loaded, f"{kind}: {store.state(kind).last_error}"
    names = {s.name for s in store.get("servers").values()}
    assert {"web-frontend", "archive-node", "broken-build"} <= names
    web = next(s for s in store.get("servers").values() if s.name == "web-frontend")
    assert web.flavor_name == "m3.small" and web.flavor_vcpus == 2 and web.floating_ips
    assert {"default", "ssh-icmp"} <= set(web.security_groups)
    broken = next(s for s in store.get("servers").values() if s.name == "broken-build")
    assert broken.status == "ERROR" and "No valid host" in (broken.fault or "")
    quotas = {q.id: q for q in store.get("quotas").values()}
    assert quotas["compute:instances"].limit == 20 and quotas["compute:instances"].in_use >= 8
    assert "network:floatingip" in quotas and "volume:gigabytes" in quotas
    assert any(a.resource == "jetstream2.indiana.xsede.org" for a in store.get("allocations").values())


async def test_change_events_name_what_changed(loaded, conn, demo):
    session, store, poller = loaded
    events = []
    store.subscribe(events.append)
    target = next(s for s in store.get("servers").values() if s.name == "db-primary")
    # someone else (the CLI, Horizon) acts behind our back; the next poll brings just that
    demo.call(demo.world.advance, 2.1)  # the cursor steps over the seed's second once the cloud's clock moved on
    await poller.poll_servers()
    events.clear()
    conn.compute.lock_server(target.id)
    await poller.poll_servers()
    server_events = [e for e in events if e.kind == "servers"]
    assert server_events and server_events[-1].updated == frozenset({target.id})
    assert store.item("servers", target.id).locked
    conn.compute.unlock_server(target.id)


async def test_deleted_servers_leave_the_store(loaded, conn):
    session, store, poller = loaded
    image = conn.image.find_image("Featured-Ubuntu24")
    flavor = conn.compute.find_flavor("m3.tiny")
    made = conn.compute.create_server(name="poller-doomed", image_id=image.id, flavor_id=flavor.id,
                                      networks="auto")
    await poller.poll_servers()
    assert made.id in store.get("servers")
    events = []
    store.subscribe(events.append)
    conn.compute.delete_server(made.id)
    await poller.poll_servers()
    assert made.id not in store.get("servers")
    assert any(made.id in e.removed for e in events)


async def test_idle_polls_are_tiny(clouds_env):
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False, servers=200)) as cloud:
        session = CloudSession(cloud.connect)
        store = ProjectStore(ProjectKey("bench", "BIO230045"))
        poller = ProjectPoller(session, store)
        await poller.load_all()
        assert len(store.get("servers")) == 208
        cloud.call(cloud.world.advance, 2.1)  # the Date header has whole seconds: 2 s puts it past the newest change
        await poller.poll_servers()  # may still carry the seed's last second
        before = poller.bytes_polled
        for _ in range(3):
            await poller.poll_servers()
        per_poll = (poller.bytes_polled - before) / 3
        assert per_poll < 100, f"an idle poll cost {per_poll} bytes"
        session.close()


async def test_the_loop_polls_fast_while_something_moves(clouds_env):
    with DemoCloudThread(Knobs(delay_scale=0.2, ssh=False)) as cloud:
        session = CloudSession(cloud.connect)
        store = ProjectStore(ProjectKey("moving", "BIO230045"))
        poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=5.0, others=60))
        seen: list[str] = []
        store.subscribe(lambda change: seen.extend(
            f"{store.item('servers', i).status}/{store.item('servers', i).task_state}"
            for i in change.updated if change.kind == "servers" and store.item("servers", i)
            and store.item("servers", i).name == "db-primary"))
        await poller.start()
        await until(lambda: store.state("servers").loaded, what="the first load")
        target = next(s for s in store.get("servers").values() if s.name == "db-primary")
        other = cloud.connect()
        other.compute.stop_server(target.id)
        poller.pending.add(target.id)
        poller.kick()
        await until(lambda: store.item("servers", target.id).status == "SHUTOFF", what="the stop to settle")
        poller.pending.clear()
        await poller.stop()
        session.close()
        assert store.item("servers", target.id).status == "SHUTOFF"
        assert "ACTIVE/powering-off" in seen  # the transition was seen, not just its end


async def test_failures_are_recorded_and_backed_off(clouds_env):
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False, error_rate=1.0)) as cloud:
        session = CloudSession(cloud.connect)
        store = ProjectStore(ProjectKey("broken", "BIO230045"))
        poller = ProjectPoller(session, store, Intervals(fast=1.0, max_backoff=8.0))
        await poller.load_all()
        error = store.state("servers").last_error
        assert error and "Traceback" not in error and "(HTTP 503)" in error
        assert not store.state("servers").loaded and store.age("servers") is None
        poller._failures = 3
        assert poller.next_delay() == 8.0
        session.close()


def test_unreadable_fields_become_neutral_values():
    odd = {"id": "x", "name": None, "status": None, "flavor": "m3.tiny", "image": "", "addresses": {"n": [None, {}]},
           "security_groups": [None, {"name": 3}], "metadata": ["not", "a", "dict"], "locked": "yes",
           "OS-EXT-STS:power_state": "1", "os-extended-volumes:volumes_attached": None, "fault": "boom"}
    server = Server.from_api(odd)
    assert server.name == "" and server.status == "UNKNOWN" and server.image_id is None
    assert server.addresses == () and server.metadata == {} and server.locked is False
    assert server.power_state == 1 and server.in_transition


def test_cursor_round_trips():
    assert format_cursor(parse_updated("2026-11-21T23:20:14Z")) == "2026-11-21T23:20:14Z"
    assert parse_updated("garbage") is None


async def test_a_session_per_project_from_the_profiles(clouds_env):
    from exotui.cloud.profiles import discover, find_profile, load_profiles

    profile = find_profile(load_profiles(), CLOUD_NAME)
    projects = {p.name: p.id for p in discover(profile).projects}
    session = CloudSession.for_project(profile, projects["CIS240112"], "RegionOne")
    page = await session.get_list("compute", "/servers", "servers")
    assert {s["name"] for s in page.items} == {"workshop-vm-1", "workshop-vm-2"}
    assert session.project_id == projects["CIS240112"]
    session.close()


async def test_errors_are_plain_lines(clouds_env):
    session = _session()
    with pytest.raises(CloudError) as caught:
        await session.get_json("compute", "/servers/00000000-0000-0000-0000-000000000000")
    assert "could not be found" in caught.value.message and caught.value.status == 404
    assert "Traceback" not in caught.value.message
    json.dumps(caught.value.message)
    session.close()


@pytest.mark.timeout(20)
async def test_stop_returns_even_when_a_kick_lands_with_the_cancel():
    """asyncio.wait_for could swallow stop()'s cancel on Python 3.11 (CPython gh-86296)."""
    store = ProjectStore(ProjectKey("none", "none"))
    poller = ProjectPoller(object(), store)  # type: ignore[arg-type]

    async def nothing(*_args, **_kwargs) -> None:
        return None

    poller.load_all = nothing  # type: ignore[method-assign]
    poller.poll_servers = nothing  # type: ignore[method-assign]
    for _ in range(100):
        await poller.start()
        await asyncio.sleep(0)
        poller.kick()
        await asyncio.wait_for(poller.stop(), 2)


async def test_every_kind_loads_and_polls_on_both_clouds(target):
    """Each resource kind through the raw-JSON fast path, then changes-since, on demo and real alike."""
    sid = await asyncio.to_thread(target.boot, "poll-kinds", "m3.small", "ACTIVE", True)
    volume = target.conn.block_storage.create_volume(name="poll-kinds-data", size=1)
    session = _session(target.cloud_name)
    store = ProjectStore(ProjectKey(target.cloud_name, "BIO230045"))
    poller = ProjectPoller(session, store, Intervals(fast=0.05, idle=0.2, others=0.5))
    try:
        await poller.load_all()
        for kind in KINDS:
            assert store.state(kind).loaded, f"{kind}: {store.state(kind).last_error}"
        server = store.item("servers", sid)
        assert server.flavor_name == "m3.small" and server.flavor_vcpus == 2 and server.fixed_ips
        assert server.image_id == target.image_id() and server.key_name == "exotui-demo"
        assert "default" in server.security_groups and server.status == "ACTIVE"
        names = lambda kind: {getattr(x, "name", None) for x in store.get(kind).values()}
        assert {"m3.tiny", "r3.large", "g3.xl"} <= names("flavors") and "Featured-Ubuntu24" in names("images")
        assert {"auto_allocated_network"} <= names("networks") and "auto_allocated_router" in names("routers")
        assert any(n.external for n in store.get("networks").values()), "the public network is listed"
        assert {"default", "ssh-icmp"} <= names("security_groups") and "exotui-demo" in names("keypairs")
        assert any(r.port_min == 22 for g in store.get("security_groups").values() if g.name == "ssh-icmp"
                   for r in g.rules)
        assert store.get("subnets") and any(p.device_id == sid for p in store.get("ports").values())
        assert volume.id in store.get("volumes") and store.item("volumes", volume.id).size_gb == 1
        ports = {p.id for p in store.get("ports").values() if p.device_id == sid}
        assert any(f.port_id in ports and f.address for f in store.get("floating_ips").values())
        quotas = {q.id: q for q in store.get("quotas").values()}
        assert quotas["compute:instances"].in_use >= 1 and quotas["compute:instances"].limit >= 20
        assert {"network:floatingip", "volume:gigabytes"} <= set(quotas)
        # allocations come from Jetstream2's accounting API, which the demo serves and a plain cloud lacks
        assert bool(store.get("allocations")) == (not target.real)

        await target.clock_moves_on(2.1)  # the cursor steps over the newest second once the cloud's clock moved on
        await poller.poll_servers()
        events = []
        store.subscribe(events.append)
        target.conn.compute.lock_server(sid)  # someone else acts; the next poll brings just that
        await poller.poll_servers()
        assert [e.updated for e in events if e.kind == "servers"][-1] == frozenset({sid})
        assert store.item("servers", sid).locked
        target.conn.compute.unlock_server(sid)

        # a floating IP moved elsewhere (CLI, Horizon) changes neither `updated` nor changes-since: Neutron tells
        fip = next(f for f in store.get("floating_ips").values() if f.port_id in ports)
        target.conn.network.update_ip(fip.id, port_id=None)
        await poller.load_all(("floating_ips",))
        assert fip.address not in store.item("servers", sid).floating_ips
        target.conn.network.update_ip(fip.id, port_id=fip.port_id)
        await poller.poll_servers()
        await poller.load_all(("floating_ips",))
        assert fip.address in store.item("servers", sid).floating_ips
        await poller.poll_servers()
        assert fip.address in store.item("servers", sid).floating_ips
        await asyncio.to_thread(target.delete, sid)
        await poller.poll_servers()
        assert sid not in store.get("servers"), "a DELETED row from changes-since removes the server"
    finally:
        await poller.stop()
        session.close()
        target.conn.block_storage.delete_volume(volume.id)


def test_news_from_an_earlier_request_never_overwrites_later_news():
    """Nova's `updated` has whole seconds: a poll sent just before an action's own fetch can land
    after it, same second, old state (seen on the real stack: a hard reboot judged done while still
    HARD_REBOOT). The store orders news by when each request was sent."""
    store = ProjectStore(ProjectKey("c", "p"))
    fresh = Server("s", "web", "HARD_REBOOT", task_state="rebooting_hard", updated="2026-01-01T00:00:05Z")
    stale = Server("s", "web", "ACTIVE", updated="2026-01-01T00:00:05Z")
    store.merge("servers", [fresh], as_of=10.0)
    assert not store.merge("servers", [stale], as_of=9.0)
    store.replace("servers", [stale], as_of=9.5)
    store.replace("servers", [], as_of=9.6)  # an older full list does not remove it either
    store.merge("servers", [], ["s"], as_of=9.7)
    assert store.item("servers", "s") == fresh
    done = Server("s", "web", "ACTIVE", updated="2026-01-01T00:00:05Z")
    assert store.merge("servers", [done], as_of=11.0).updated == frozenset({"s"})
    assert store.replace("servers", [], as_of=12.0).removed == frozenset({"s"})
    assert not store.replace("servers", [fresh], as_of=11.5).added, "a removal by a later list stays"
    store.merge("servers", [fresh])  # news with no send time (tests, the seed) is always taken
    assert store.item("servers", "s") == fresh



def test_an_instance_s_floating_ips_are_neutrons_once_they_are_loaded():
    """Nova's floating entries are a lagging cache; once floating IPs are loaded, Neutron decides."""
    store = ProjectStore(ProjectKey("c", "p"))
    events = []
    store.subscribe(events.append)
    fixed = Address("net", "10.0.0.5", 4, "fixed", "fa:16")
    other = Address("net2", "10.1.0.7", 4, "fixed", "fa:17")
    cached = Address("net", "203.0.113.9", 4, "floating", "fa:16")  # Nova still shows a released one
    store.replace("servers", [Server("s", "web", "ACTIVE", addresses=(fixed, other, cached)), Server("t", "db", "ACTIVE")])
    assert store.item("servers", "s").floating_ips == ("203.0.113.9",), "Nova's word until Neutron's is in"
    store.replace("ports", [Port("p1", "", "n", device_id="s"), Port("p2", "", "n2", device_id="t")])
    assert store.item("servers", "s").floating_ips == ("203.0.113.9",), "ports alone decide nothing"
    events.clear()
    store.replace("floating_ips", [
        FloatingIP("f1", "203.0.113.20", port_id="p1", fixed_address="10.1.0.7"),  # tied through the ports list
        FloatingIP("f2", "203.0.113.21", port_id="p9", fixed_address="10.2.0.1"),  # a port nobody knows
        FloatingIP("f3", "203.0.113.22", port_id="p7", fixed_address="10.0.0.8", device_id="t"),  # port_details
        FloatingIP("f4", "203.0.113.23"),  # free
    ])
    web, db = store.item("servers", "s"), store.item("servers", "t")
    assert [(a.network, a.addr, a.kind, a.mac) for a in web.addresses] == [
        ("net", "10.0.0.5", "fixed", "fa:16"), ("net2", "10.1.0.7", "fixed", "fa:17"),
        ("net2", "203.0.113.20", "floating", "fa:17")], "the released one is gone; the new one sits by its fixed IP"
    assert db.floating_ips == ("203.0.113.22",)
    assert [e.kind for e in events] == ["floating_ips", "servers"] and events[1].updated == {"s", "t"}
    store.merge("servers", [Server("s", "web", "ACTIVE", addresses=(fixed, other, cached))])  # Nova's next poll
    assert store.item("servers", "s") == web, "a lagging Nova picture changes nothing"
    events.clear()
    store.replace("floating_ips", list(store.get("floating_ips").values()))
    assert [e.kind for e in events] == [], "nothing moved, nothing said"
    store.merge("floating_ips", [], ["f1"])  # released
    assert store.item("servers", "s").floating_ips == () and events[-1].updated == {"s"}
    unplaced = Server("u", "x", "ACTIVE", addresses=(Address("n", "10.2.0.1", 4, "fixed"),
                                                     Address("n", "203.0.113.21", 4, "floating")))
    assert store.merge("servers", [unplaced]).added == {"u"}
    assert store.item("servers", "u").floating_ips == ("203.0.113.21",), "Neutron cannot place it: Nova's word stands"


async def test_an_unchanged_list_is_neither_parsed_nor_diffed(loaded, conn, monkeypatch):
    """Watched kinds are listed every 3.5 s and most answers are the last one again: the same bytes skip
    the models and the store's diff, and still count as fresh; a store changed since is diffed anew."""
    session, store, poller = loaded
    await poller.load_all(("floating_ips",))
    parsed = []
    real = FloatingIP.from_api.__func__
    monkeypatch.setattr(FloatingIP, "from_api", classmethod(lambda cls, item: (parsed.append(item), real(cls, item))[1]))
    events = []
    store.subscribe(events.append)
    fresh = store.state("floating_ips").last_ok
    await poller.load_all(("floating_ips",))
    assert parsed == [] and events == [] and store.state("floating_ips").last_ok >= fresh
    gone = next(iter(store.get("floating_ips")))
    store.merge("floating_ips", [], [gone])  # say an action's fetch found it gone (wrongly)
    await poller.load_all(("floating_ips",))  # the same answer, but the store is not what it said
    assert parsed and gone in store.get("floating_ips")
    parsed.clear()
    public = next(n for n in conn.network.networks() if n.is_router_external)
    made = conn.network.create_ip(floating_network_id=public.id)
    try:
        await poller.load_all(("floating_ips",))
        assert parsed and made.id in store.get("floating_ips")
    finally:
        conn.network.delete_ip(made)


def test_a_write_the_cloud_confirmed_is_not_undone_by_a_list_sent_before_it():
    """A key pair made (or deleted) by an action, then a full list that was already on the wire lands: the
    store keeps the action's answer (CI on the real stack: the new key pair vanished, and deleting it said
    "not in the project"); a list sent after the write decides as usual."""
    import time

    from exotui.cloud.models import Keypair

    store = ProjectStore(ProjectKey(CLOUD_NAME, "p"))
    made = Keypair.from_api({"name": "made", "public_key": "ssh-ed25519 AAAA made", "fingerprint": "f"})
    old = Keypair.from_api({"name": "old", "public_key": "ssh-ed25519 AAAA old", "fingerprint": "g"})
    store.replace("keypairs", [old], as_of=time.monotonic())
    in_flight = time.monotonic()  # a poll's list, sent before the writes' answers came
    store.merge("keypairs", [made])  # the action's own answer
    store.merge("keypairs", [], ["old"])  # a delete the cloud confirmed
    store.replace("keypairs", [old], as_of=in_flight)
    assert set(store.get("keypairs")) == {"made"}
    store.replace("keypairs", [], as_of=time.monotonic())  # sent later: the key pair really is gone
    assert set(store.get("keypairs")) == set()


def test_a_good_fetch_after_a_failed_one_is_news_even_when_nothing_changed():
    """The header says "⚠ stale" from a failed poll until a listener hears the failure is over: a good list
    (changed, or the same as held) tells it at once, not at the header's next tick (CI: the table already
    equalled the restarted cloud while the header still said "stale 2s: connection refused")."""
    from exotui.cloud.models import Keypair

    store = ProjectStore(ProjectKey(CLOUD_NAME, "p"))
    heard = []
    store.subscribe(heard.append)
    key = Keypair.from_api({"name": "k", "public_key": "ssh-ed25519 AAAA k", "fingerprint": "f"})
    store.replace("keypairs", [key])
    store.failed("keypairs", "connection refused")
    heard.clear()
    store.unchanged("keypairs")
    assert [c.recovered for c in heard] == [True] and store.state("keypairs").last_error is None
    store.unchanged("keypairs")
    assert len(heard) == 1, "a good fetch after a good one is not news"
    store.failed("keypairs", "connection refused")
    assert store.replace("keypairs", []).recovered
    assert not store.merge("keypairs", [key]).recovered


async def test_polls_read_the_catalog_once_per_token(loaded, demo, monkeypatch):
    """keystoneauth looks a request's endpoint up in the catalog (deep-copying all of it) unless told where to
    go: polls read it once per token and per service (a fifth of the idle CPU at 1,000 instances, profiled),
    and again after a new login, whose catalog may differ. The requests still go where the catalog says."""
    from keystoneauth1.access import service_catalog

    session, _store, _poller = loaded
    looked = []
    real = service_catalog.ServiceCatalog.endpoint_data_for
    monkeypatch.setattr(service_catalog.ServiceCatalog, "endpoint_data_for",
                        lambda self, *a, **k: looked.append(k.get("service_type")) or real(self, *a, **k))
    demo.world.asked.clear()  # it keeps the last 10,000: once full, a length taken before marks nothing
    before = 0
    for _ in range(5):
        await session.get_list("compute", "/servers/detail", "servers")
        await session.get_list("network", "/floatingips", "floatingips")
    assert len(looked) <= 2, looked
    paths = [path for _method, path in list(demo.world.asked)[before:]]
    assert sum(p.startswith("/compute/v2.1/servers/detail") for p in paths) == 5, paths
    assert sum("/floatingips" in p for p in paths) == 5, paths
    marker = session.auth_marker()
    conn = await session.connection()
    await session.run(conn.session.auth.invalidate)  # the token dropped: the next request logs in again
    looked.clear()
    await session.get_list("compute", "/servers/detail", "servers")
    assert session.auth_marker() is not marker
    assert looked == ["compute"], "a new token: the endpoint is read from its catalog again"
