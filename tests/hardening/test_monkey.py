"""The monkey: thousands of random keystrokes and resizes over every screen against a faulty demo cloud.

Two promises are checked. Nothing crashes: the app is still running at the end, no worker died of an
unhandled error, and no flow reported a bug of its own. Nothing destructive happens unconfirmed: every
server deletion, floating-IP release, volume deletion, volume detach and rule removal the demo cloud
carried out, and every security group taken off an instance, was preceded by a confirmation dialog
answered yes that covered it.

It runs with the rest of the suite, on seed 3 (2-4 minutes); EXOTUI_MONKEY_SEED picks another seed ("random"
for a fresh one, printed at the end and on failure); EXOTUI_MONKEY_KEYS another number of keystrokes.

Quitting is in the key set (q, ctrl+q, ctrl+c, ':q' typed by chance): the app's exit() only counts the
request, so the monkey keeps going where a user would have restarted. f12 is left out: it suspends the
app to run the system ssh, which a headless test cannot do. The command palette (ctrl+p) is driven at
Pilot's pace: typed into at full speed, Textual 8.2.8's palette itself fails (NoMatches on CommandList,
a page_up on a list not laid out yet), which is not exotui's to fix.
"""

from __future__ import annotations

import asyncio
import collections
import os
import random
import string
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import WaitForScreenTimeout
from textual.worker import Worker, WorkerState

from exotui.cloud.models import printable
from exotui.cloud.poller import Intervals
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.workspace import Workspace
from exotui.demo import cinder, glance, magnum, manila, neutron, neutron_api, nova, nova_api, nova_catalog
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.service import world_of
from exotui.demo.world import Knobs
from exotui.ui import dialogs
from exotui.ui.app import ExotuiApp
from exotui.ui.plain import middle
from exotui.ui.widgets.views import ALIASES

SEED = os.environ.get("EXOTUI_MONKEY_SEED", "3")  # seed 3 reached all 13 screens when tried (seed 8: 10)
KEYSTROKES = int(os.environ.get("EXOTUI_MONKEY_KEYS", "10000"))
SIZES = [(80, 24), (120, 40), (60, 20), (200, 50), (40, 12), (100, 30), (132, 43)]

# every binding of every screen (views, table, detail, map, doctor, dialogs, forms, sessions, palette)
BINDINGS = ["colon", "slash", "a", "d", "n", "x", "e", "u", "s", "S", "l", "i", "f", "r", "h", "p", "c", "g", "G", "j",
            "k", "y", "o", "N", "q", "w", "enter", "escape", "space", "tab", "shift+tab", "backspace", "question_mark",
            "up", "down", "left", "right", "pageup", "pagedown", "home", "end", "ctrl+r", "ctrl+d",
            "ctrl+s", "ctrl+q", "ctrl+c", "ctrl+right_square_bracket", "ctrl+pageup", "ctrl+pagedown", "ctrl+f4",
            "ctrl+f5"]
# what a user presses most: moving, opening, answering and backing out
FAVOURITES = ["enter", "escape", "y", "y", "n", "down", "up", "a", "ctrl+d", "space", "x", "u", "tab", "d"]
OTHERS = list(string.digits + string.ascii_letters + "-_.")
VIEW_WORDS = [alias for names in ALIASES.values() for alias in names] + ["q", "nosuchview", ""]


def _seed() -> int:
    return random.SystemRandom().randrange(1 << 30) if SEED == "random" else int(SEED)


def strokes(rng: random.Random):
    """Key sequences: mostly single keys, sometimes ':alias enter' or '/text'."""
    while True:
        roll = rng.random()
        if roll < 0.005:
            yield ["ctrl+p", *f"open view {rng.choice(list(ALIASES))}", rng.choice(["enter", "escape"])]
        elif roll < 0.07:
            yield ["colon", *rng.choice(VIEW_WORDS), "enter"]
        elif roll < 0.10:
            yield ["slash", *rng.choices(string.ascii_lowercase + "!.", k=rng.randint(1, 3)),
                   rng.choice(["enter", "escape"])]
        elif roll < 0.45:
            yield [rng.choice(FAVOURITES)]
        elif roll < 0.90:
            yield [rng.choice(BINDINGS)]
        else:
            yield [rng.choice(OTHERS)]


class MonkeyApp(ExotuiApp):
    """The dashboard, except that quitting is counted rather than done until the test ends."""

    quits = 0
    closing = False

    def exit(self, *args, **kwargs) -> None:
        if self.closing:
            super().exit(*args, **kwargs)
        else:
            self.quits += 1


@dataclass
class Ledger:
    """What the monkey saw: confirmations answered, destructive calls made, worker and flow failures."""

    yes: list[tuple[float, str]] = field(default_factory=list)  # (when, title and message)
    destroyed: list[tuple[float, str, str]] = field(default_factory=list)  # (when, kind, resource name)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def unconfirmed(self) -> list[str]:
        """Each destructive call needs a yes before it, of its kind, with room left for it (a confirmation
        covers one resource, or N for "Delete N instances?"), naming it when it names one resource."""
        kinds = {"server": ("Delete instance", "Delete "), "volume": ("Delete volume",),
                 "fip": ("Release floating IP",), "rule": ("Remove this rule",), "detach": ("Detach volume",),
                 "group": ("Remove security group",), "keypair": ("Delete key pair",), "image": ("Delete image",),
                 "router": ("Delete router",), "interface": ("Remove ",), "share": ("Delete share",),
                 "access": ("Revoke ",), "cluster": ("Delete cluster",)}
        used: dict[int, int] = {}
        bad = []
        for when, kind, name in sorted(self.destroyed):
            for index, (said, text) in enumerate(self.yes):
                title = text.split("\n")[0]
                ticked = text.split("\n")[-1]
                if kind == "fip" and said <= when and ticked.startswith("also release") and (
                        _shown(name) in ticked or ticked.endswith(" more")):
                    used[index] = used.get(index, 0)  # a delete with its IPs' release ticked, naming this one
                    break
                if said > when or not title.startswith(kinds[kind]):
                    continue
                if kind == "server" and not (title.startswith("Delete instance") or title.endswith("instances?")):
                    continue
                room = int(title.split()[1]) if kind == "server" and title.endswith("instances?") else 1
                if used.get(index, 0) < room and (room > 1 or _shown(name) in text):
                    used[index] = used.get(index, 0) + 1
                    break
            else:
                bad.append(f"{kind} {name} at {when:.2f} with no confirmation covering it")
        return bad


@pytest.fixture()
def ledger(monkeypatch, tmp_path) -> Ledger:
    """Spies on both sides, installed before the demo cloud builds its routes."""
    book = Ledger()
    monkeypatch.setenv("EXOTUI_STATE_DIR", str(tmp_path / "state"))  # SSH's known_hosts, never the user's
    monkeypatch.chdir(tmp_path)  # the palette's "save screenshot" writes here
    monkeypatch.setenv("HOME", str(tmp_path))  # a key pair the monkey creates is saved under ~/.ssh: not the user's

    def confirmations(kind) -> None:  # the plain confirmation, and the one with an option (delete + release IPs)
        original_dismiss = kind.dismiss

        def dismiss(self, result=None):
            if result and not self._answered:  # a second answer to one dialog is dropped: not a confirmation
                ticked = f"\n{self.option}" if getattr(result, "option", False) else ""  # "also release … IP"
                book.yes.append((time.monotonic(), f"{self.title_text}\n{self.message}{ticked}"))
            return original_dismiss(self, result)

        monkeypatch.setattr(kind, "dismiss", dismiss)

    confirmations(dialogs.ConfirmDialog)
    confirmations(dialogs.ConfirmOptionDialog)

    def spy(module, name, kind, describe):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            label = describe(*args, **kwargs)  # before the call: the row may be gone after it
            result = original(*args, **kwargs)
            if label is not None:
                book.destroyed.append((time.monotonic(), kind, label))
            return result

        monkeypatch.setattr(module, name, wrapper)

    spy(nova, "delete", "server", lambda world, server: server["name"])
    spy(neutron, "delete_floating_ip", "fip", lambda world, fip_id: world.floatingips[fip_id]["floating_ip_address"])
    spy(neutron, "delete_security_group_rule", "rule",
        lambda world, rule_id: world.security_groups[world.security_group_rules[rule_id]["security_group_id"]]
        ["name"])
    # a deleted server's volumes are detached by Nova itself (instant=True): covered by the delete
    spy(cinder, "detach", "detach",
        lambda world, volume_id, server_id, instant=False: None if instant else world.volumes[volume_id]["name"])

    original_remove_group = nova_api._ACTIONS["removeSecurityGroup"]

    async def remove_group(world, server, *args):
        answer = await original_remove_group(world, server, *args)  # raises if refused: nothing removed then
        book.destroyed.append((time.monotonic(), "group", server["name"]))
        return answer

    monkeypatch.setitem(nova_api._ACTIONS, "removeSecurityGroup", remove_group)

    original_delete_volume = cinder.delete_volume

    async def delete_volume(request):
        volume = world_of(request).volumes.get(request.match_info["volume_id"], {})
        answer = await original_delete_volume(request)  # raises if refused: nothing was deleted then
        book.destroyed.append((time.monotonic(), "volume", volume.get("name", "?")))
        return answer

    monkeypatch.setattr(cinder, "delete_volume", delete_volume)

    def spy_handler(module, name, kind, describe):  # an API handler: what the app asked for, not Heat's own work
        original = getattr(module, name)

        async def handler(request, *args):
            label = describe(request, *args)
            answer = await original(request, *args)  # raises if refused: nothing was removed then
            if label is not None:
                book.destroyed.append((time.monotonic(), kind, label))
            return answer

        monkeypatch.setattr(module, name, handler)

    spy_handler(nova_catalog, "delete_keypair", "keypair", lambda request: request.match_info["name"])
    spy_handler(glance, "delete_image", "image",
                lambda request: world_of(request).images.get(request.match_info["image_id"], {}).get("name") or "?")
    spy_handler(neutron_api, "_router_interface", "interface", lambda request, action: None if action.startswith(
        "add") else world_of(request).routers.get(request.match_info["id"], {}).get("name") or "?")
    spy_handler(magnum, "delete_cluster", "cluster", lambda request: next(
        (c["name"] for c in magnum.state_of(world_of(request)).clusters.values()
         if request.match_info["ident"] in (c["uuid"], c["name"])), "?"))
    original_delete_router = neutron_api.DELETERS["routers"]

    def delete_router(world, item):
        original_delete_router(world, item)
        book.destroyed.append((time.monotonic(), "router", item["name"]))

    monkeypatch.setitem(neutron_api.DELETERS, "routers", delete_router)
    spy_handler(manila, "delete_share", "share", lambda request: (lambda share: share.get("name") or
                share.get("id", "?")[:8])(world_of(request).shares["shares"].get(request.match_info["share_id"], {})))
    original_deny = manila._deny

    async def deny(request, world, share, args):
        rule = world.shares["rules"].get(args.get("access_id"), {})
        answer = await original_deny(request, world, share, args)
        book.destroyed.append((time.monotonic(), "access", rule.get("access_to", "?")))
        return answer

    monkeypatch.setattr(manila, "_deny", deny)
    return book


def _key_event(key: str) -> events.Key:
    """The event Pilot.press would send for `key` (Pilot's own helper, minus its waits)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def press(app: ExotuiApp, keys: list[str], burst: bool = False) -> None:
    """Type `keys` as fast as a user could. Pilot.press waits for the whole process to idle after each
    key, which is 10-80 ms here with the demo cloud in the same process: too slow for 10,000 keys.
    `burst`: all of them in one read, as a paste or a laggy SSH link delivers them (issue 15)."""
    for key in keys:
        event = _key_event(key)
        event.set_sender(app)
        app._driver.send_message(event)
        if not burst:
            await asyncio.sleep(0.002)
    if burst:
        await asyncio.sleep(0.002)


async def paste(app: ExotuiApp, text: str) -> None:
    """A paste as the terminal delivers it (one Paste event to the focused widget): text, never keys, so a
    pasted "y" confirms nothing and a pasted ":net" opens no view by itself."""
    event = events.Paste(text)
    event.set_sender(app)
    app._driver.send_message(event)
    await asyncio.sleep(0.002)


# names any member of an allocation may give (issue 15): escapes, markup, bidi, zero-width, 5,000 characters
HOSTILE = ["t2\x1b[2J", "\x1b]0;pwned\x07", "[bold]markup[/]", "evil\u202egpj.exe", "zero\u200bwidth",
           "nl1\nnl2", "L" * 5000]
PASTES = [*HOSTILE, ":net\r", "/web\n", "y", "yyyy\r", "\x1b[2J\x1b]52;c;ZXZpbA==\x07", "a" * 3000,
           "12345678901234567890"]


def _hostile_names(world) -> None:
    """Some of every kind of thing get a hostile name; the default group and key pairs keep theirs (found by
    name when the monkey launches)."""
    for n, item in enumerate([*world.servers.values(), *world.networks.values(), *world.volumes.values(),
                              *(g for g in world.security_groups.values() if g["name"] != "default")]):
        if n % 3 == 0:
            item["name"] = HOSTILE[n % len(HOSTILE)] + f"-{n}"
    for server in world.servers.values():
        server["_addresses"] = None  # Nova's info cache: refilled with the networks' new names
    # a Magnum cluster, so the monkey finds `:clusters` with a row to open, resize and delete
    project = next(p for p in world.projects.values() if p["name"] == "BIO230045")
    user = next(u["id"] for u in world.users.values() if u["name"] == "demo")
    magnum.new_cluster(world, {"project_id": project["id"], "user_id": user},
                       {"cluster_template_id": "kubernetes-1-30-jammy", "name": "monkey-k8s", "node_count": 2})


def _shown(name: str) -> str:
    """A name as the dialogs show it: made printable, cut in the middle when long."""
    return middle(printable(name))


def _app(clouds_yaml: Path) -> MonkeyApp:
    profile = find_profile(load_profiles(config_file=clouds_yaml), CLOUD_NAME)
    return MonkeyApp(Workspace([profile], intervals=Intervals(fast=0.2, idle=0.5, others=2.0)))


@pytest.mark.timeout(900)  # 10,000 keys take 2-4 minutes here
async def test_monkey(ledger, tmp_path):
    seed = _seed()
    rng = random.Random(seed)
    knobs = Knobs(delay_scale=0.05, error_rate=0.2, latency_ms=20, ssh=False, seed=seed)

    def hook(message) -> None:
        if isinstance(message, Worker.StateChanged) and message.state == WorkerState.ERROR:
            ledger.failures.append(f"worker {message.worker.name!r} died: {message.worker.error!r}")

    sent = resizes = 0
    bursts = random.Random(seed + 1)  # its own: seed 3's key sequence stays what it was
    burst_count = 0
    pastes = random.Random(seed + 2)  # likewise: pastes (a terminal's bracketed paste) now and then
    paste_count = 0
    with DemoCloudThread(knobs, state_dir=tmp_path / "demo") as cloud:
        cloud.call(_hostile_names, cloud.world)
        app = _app(cloud.cloud.write_config(tmp_path))
        original_notify = app.notify

        def notify(message, *, title="", **kwargs):
            if title == "something went wrong":  # flows' last resort: a bug in a flow itself
                ledger.failures.append(f"flow bug: {message}")
            return original_notify(message, title=title, **kwargs)

        app.notify = notify
        started = time.monotonic()
        async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
            await pilot.pause(0.5)
            screens: set[str] = set()
            recent: collections.deque = collections.deque(maxlen=20)
            try:
                for keys in strokes(rng):
                    recent.append(" ".join(keys))
                    if sent >= KEYSTROKES:
                        break
                    if rng.random() < 0.01:
                        await pilot.resize_terminal(*rng.choice(SIZES))
                        resizes += 1
                    if keys[0] == "ctrl+p":  # at Pilot's pace: typed faster, Textual's palette races itself
                        await pilot.press(*keys)
                    else:
                        burst = len(keys) > 1 and bursts.random() < 0.5
                        burst_count += burst
                        await press(app, keys, burst)
                        if pastes.random() < 0.02:
                            await paste(app, pastes.choice(PASTES))
                            paste_count += 1
                    sent += len(keys)
                    screens.add(type(app.screen).__name__)
                    if sent % 500 < len(keys):
                        await pilot.pause(0.05)  # let polls, actions and their answers land between bursts
            except WaitForScreenTimeout:  # Pilot waited 30 s for a widget: say which and after what
                raise AssertionError(f"seed {seed}: the app stopped handling messages for 30 s on "
                                     f"{type(app.screen).__name__} after {list(recent)}; still queued: "
                                     f"{_queued(app)}") from None
            await pilot.pause(0.5)
            assert app.is_running, f"the app stopped (seed {seed})"
            app.closing = True
        elapsed = time.monotonic() - started
    assert app._exception is None, f"seed {seed}: {app._exception!r}"
    print(f"\nmonkey seed {seed}: {sent} keystrokes, {resizes} resizes in {elapsed:.0f}s; screens {sorted(screens)}; "
          f"{len(ledger.yes)} confirmations, {len(ledger.destroyed)} destructive calls, {app.quits} quits; "
          f"error rate {knobs.error_rate:.0%}, latency {knobs.latency_ms:g} ms; {burst_count} bursts in one read, "
          f"{paste_count} pastes")
    assert sent >= KEYSTROKES
    assert not ledger.failures, f"seed {seed}: {ledger.failures}"
    assert not ledger.unconfirmed(), f"seed {seed}: {ledger.unconfirmed()}"


def _queued(app) -> str:
    """The widgets with messages still waiting (the one stuck in a handler among them), for a timeout's report."""
    nodes = [app, *app.screen.walk_children(with_self=True)]
    busy = [f"{type(n).__name__}#{n.id}: {n._message_queue.qsize()}" for n in nodes if n._message_queue.qsize()]
    return ", ".join(busy) or "none"


def test_the_ledger_finds_what_no_confirmation_covered():
    """The monkey's judge can fail: a release needs a "Release floating IP" yes naming it, or a delete whose
    "also release" option was ticked and named it; an unticked delete covers no release."""
    book = Ledger()
    book.destroyed.append((2.0, "fip", "127.64.0.14"))
    assert book.unconfirmed() == ["fip 127.64.0.14 at 2.00 with no confirmation covering it"]
    book.yes.append((1.0, "Delete instance web?\nweb will be deleted with its root disk."))  # not ticked
    assert book.unconfirmed()
    book.yes.append((3.0, "Release floating IP 127.64.0.14?\nIt goes back to the pool."))  # after the fact
    assert book.unconfirmed()
    book.yes.append((1.5, "Delete instance web?\nweb will be deleted …\nalso release its floating IP 127.64.0.14"))
    assert book.unconfirmed() == []
    book.destroyed.append((4.0, "server", "db"))
    assert book.unconfirmed() == ["server db at 4.00 with no confirmation covering it"]
