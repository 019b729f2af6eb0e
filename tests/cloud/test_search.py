"""Search across kinds (issue 18 item 5): by name, ID, IP, MAC and fingerprint, over every open project,
ranked exact > prefix > inside, kept current by the store's Change events."""

from __future__ import annotations

from exotui.cloud.models import Address, FixedIP, FloatingIP, Keypair, Port, Server, Volume
from exotui.cloud.search import EXACT, INSIDE, PREFIX, SearchIndex
from exotui.cloud.store import ProjectKey, ProjectStore

BIO, CIS = ProjectKey("demo", "p1", project_name="BIO"), ProjectKey("demo", "p2", project_name="CIS")


def _server(sid: str, name: str, ip: str, mac: str = "", fip: str = "") -> Server:
    addresses = (Address("net", ip, 4, "fixed", mac),) + ((Address("net", fip, 4, "floating", mac),) if fip else ())
    return Server(id=sid, name=name, status="ACTIVE", addresses=addresses)


def _index() -> SearchIndex:
    index = SearchIndex()
    index.replace(BIO, "servers", [_server("aaaa-1111", "web-frontend", "10.0.0.11", "fa:16:3e:00:00:01",
                                           "149.165.1.7"),
                                   _server("bbbb-2222", "node-10", "10.0.0.1", "fa:16:3e:00:00:02")])
    index.replace(CIS, "servers", [_server("cccc-3333", "workshop-vm-1", "10.1.0.5")])
    index.replace(BIO, "keypairs", [Keypair("exotui-demo", "9f:2a:33:bb:cc")])
    index.replace(BIO, "volumes", [Volume("dddd-4444", "results", 500)])
    index.replace(BIO, "ports", [Port("eeee-5555", "", mac_address="fa:16:3e:00:00:09",
                                      fixed_ips=(FixedIP("s", "10.0.0.99"),))])
    index.replace(BIO, "floating_ips", [FloatingIP("ffff-6666", "149.165.1.8")])
    return index


def test_every_field_finds_its_item_across_projects():
    index = _index()
    assert [(h.kind, h.label, h.field) for h in index.search("web")] == [("servers", "web-frontend", "name")]
    assert [h.item_id for h in index.search("CCCC-3333")] == ["cccc-3333"]  # any case, another project
    assert index.search("cccc")[0].project == CIS
    assert {(h.kind, h.field) for h in index.search("fa:16:3e:00:00:0")} == {("servers", "mac"), ("ports", "mac")}
    assert [(h.label, h.field) for h in index.search("9f:2a")] == [("exotui-demo", "fingerprint")]
    assert [(h.kind, h.field) for h in index.search("149.165.1.8")] == [("floating_ips", "floating ip")]
    assert index.search("149.165.1.7")[0].field == "floating ip" and index.search("results")[0].kind == "volumes"
    assert index.search("no-such-thing") == [] and index.search("  ") == []


def test_exact_then_prefix_then_inside_and_one_hit_per_item():
    index = _index()
    hits = index.search("10.0.0.1")
    assert (hits[0].label, hits[0].rank) == ("node-10", EXACT)  # not 10.0.0.11 first
    assert (hits[1].label, hits[1].rank) == ("web-frontend", PREFIX)
    assert len({h.item_id for h in hits}) == len(hits)
    inside = index.search("frontend")
    assert inside[0].rank == INSIDE
    assert len(index.search("0", limit=2)) == 2


def test_the_store_keeps_it_current():
    store = ProjectStore(BIO)
    index = SearchIndex()
    store.subscribe(lambda change: index.apply(change, store.get(change.kind)))
    store.replace("servers", [_server("aaaa-1111", "web-frontend", "10.0.0.11")])
    assert index.search("web")[0].item_id == "aaaa-1111"
    store.replace("servers", [_server("aaaa-1111", "renamed", "10.0.0.11"), _server("gggg", "new-one", "10.0.0.2")])
    assert index.search("web") == [] and index.search("renamed")[0].item_id == "aaaa-1111"
    assert index.search("new-one")[0].item_id == "gggg"
    store.replace("servers", [])
    assert index.search("renamed") == [] and len(index) == 0
    index.replace(CIS, "servers", [_server("cccc", "x", "10.9.9.9")])
    index.forget(CIS)
    assert index.search("10.9.9.9") == []


def test_control_characters_are_not_searchable_as_newlines():
    index = SearchIndex()
    index.replace(BIO, "servers", [Server.from_api({"id": "x", "name": "evil\nname", "status": "ACTIVE"})])
    assert index.search("evil\nname") == []  # a newline never crosses into the next entry
    assert index.search("name")[0].value == "evil\u240aname"  # printable: the model made it visible


def test_many_changes_rebuild_and_few_are_searched_beside_the_built_text():
    index = SearchIndex()
    servers = [_server(f"id-{i}", f"vm-{i}", f"10.2.{i // 256}.{i % 256}") for i in range(2000)]
    index.replace(BIO, "servers", servers)
    assert index.search("vm-1999")[0].item_id == "id-1999"
    index.update(BIO, "servers", [_server("id-5", "moved", "10.3.0.5")], removed=["id-6"])
    assert index.search("moved")[0].item_id == "id-5"
    assert not {"id-5", "id-6"} & {h.item_id for h in index.search("vm-", limit=5000)}
    assert index.search("10.3.0.5")[0].rank == EXACT
    index.update(BIO, "servers", [_server(f"id-{i}", f"re-{i}", "10.4.0.1") for i in range(1000)])
    assert {h.item_id for h in index.search("re-99", limit=500)} == {"id-99"} | {f"id-{i}" for i in range(990, 1000)}
    assert index.search("vm-999") == [] and index.search("vm-1000")[0].item_id == "id-1000"


def test_following_a_store_indexes_what_it_holds_and_stops_when_asked():
    store = ProjectStore(CIS)
    store.replace("servers", [_server("hhhh", "early", "10.5.0.1")])
    index = SearchIndex()
    stop = index.follow(store)
    assert index.search("early")[0].project == CIS
    store.replace("servers", [_server("hhhh", "early", "10.5.0.1"), _server("iiii", "later", "10.5.0.2")])
    assert index.search("later")[0].item_id == "iiii"
    stop()
    assert index.search("early") == []
    store.replace("servers", [_server("jjjj", "after-stop", "10.5.0.3")])
    assert index.search("after-stop") == []
