"""Pure parts of the SSH layer: the known_hosts store and trust decision, the target (address, port,
user) worked out from the models, and the emulator's patches over pyte."""

from __future__ import annotations

import asyncssh

from exotui.cloud.models import Address, Image, Server
from exotui.ssh.hostkeys import KnownHosts, decide, mismatch_message
from exotui.ssh.target import Remembered, TargetError, guess_user, resolve
from exotui.ssh.terminal import PyteEmulator
from exotui.ui.widgets.terminal import key_bytes


def _key() -> tuple[str, str]:
    key = asyncssh.generate_private_key("ssh-ed25519")
    return tuple(key.export_public_key("openssh").decode().split()[:2])


CONSOLE = "[  1.0] boot\r\n-----BEGIN SSH HOST KEY KEYS-----\r\n{0} {1} root@vm\r\n-----END SSH HOST KEY KEYS-----\r\n"


def test_known_hosts_pin_lookup_forget(tmp_path):
    store = KnownHosts(tmp_path / "kh")
    a, b = _key(), _key()
    store.pin("10.0.0.5", 22, "srv-1", [a])
    store.pin("127.64.0.3", 2222, "srv-2", [b])
    assert [(p.key_type, p.blob, p.server_id) for p in store.lookup("10.0.0.5", 22)] == [(*a, "srv-1")]
    text = store.path.read_text()
    assert f"[127.64.0.3]:2222 {b[0]} {b[1]} exotui-server=srv-2" in text  # OpenSSH's format
    assert "\n10.0.0.5 " in text
    # OpenSSH's own parser (via asyncssh) reads the file
    assert asyncssh.read_known_hosts(str(store.path)).match("127.64.0.3", "127.64.0.3", 2222)[0]
    assert store.forget("10.0.0.5", 22) == 1 and store.lookup("10.0.0.5", 22) == []
    assert store.lookup("127.64.0.3", 2222)


def test_trust_decision(tmp_path):
    store = KnownHosts(tmp_path / "kh")
    a = _key()
    assert decide(store, "h", 22, CONSOLE.format(*a)).source == "console"
    assert decide(store, "h", 22, CONSOLE.format(*a)).keys == (a,)
    assert decide(store, "h", 22, "no block\n").source == "ask"
    assert decide(store, "h", 22, None).source == "ask"
    fp = "<14>Nov 21 23:20:14 cloud-init: -----BEGIN SSH HOST KEY FINGERPRINTS-----\n<14>Nov 21 23:20:14 cloud-init: 256 SHA256:abc root@vm " \
         "(ED25519)\n<14>Nov 21 23:20:14 cloud-init: -----END SSH HOST KEY FINGERPRINTS-----\n"
    assert decide(store, "h", 22, fp).fingerprints == ("SHA256:abc",)
    store.pin("h", 22, "old-server", [a])
    trust = decide(store, "h", 22, CONSOLE.format(*_key()))
    assert trust.source == "pinned" and trust.pinned_for == "old-server"  # a pin wins over any console log
    assert "reused" in mismatch_message("h", 22, trust, "new-server", "SHA256:x")
    assert "rebuilt" in mismatch_message("h", 22, trust, "old-server", "SHA256:x")


def _server(**kw) -> Server:
    base = dict(id="s1", name="vm", status="ACTIVE",
                addresses=(Address("net", "10.0.0.7", 4, "fixed", ""), Address("net", "149.165.1.2", 4, "floating", "")))
    base.update(kw)
    return Server(**base)


def test_user_guess():
    ubuntu = Image("i1", "Featured-Ubuntu24", properties={"os_distro": "ubuntu", "default_user": "ubuntu"})
    rocky = Image("i2", "Featured-RockyLinux9", properties={"os_distro": "rocky"})
    cirros = Image("i3", "cirros-0.6", properties={})
    assert guess_user(_server(), ubuntu)[0] == "ubuntu"
    assert guess_user(_server(), rocky)[0] == "rocky"
    assert guess_user(_server(), cirros)[0] == "cirros"  # from the name when there is no property
    assert guess_user(_server(metadata={"exoServerVersion": "5"}), ubuntu)[0] == "exouser"
    assert guess_user(_server(), ubuntu, {"ssh_users": {"Featured-Ubuntu24": "me"}})[0] == "me"
    assert guess_user(_server(), ubuntu, remembered="alice")[0] == "alice"
    assert guess_user(_server(), None)[0] == "exouser"


def test_target_address_port_and_jump(tmp_path):
    target = resolve(_server(), None, {"exotui": {"ssh_port": "2222"}})
    assert (target.host, target.port, target.jump) == ("149.165.1.2", 2222, None)
    fixed_only = _server(addresses=(Address("net", "10.0.0.7", 4, "fixed", ""),))
    try:
        resolve(fixed_only, None, {})
        raise AssertionError("no floating IP and no jump host must fail")
    except TargetError as err:
        assert "jump_host" in str(err)
    target = resolve(fixed_only, None, {"exotui": {"jump_host": "exouser@149.165.9.9"}}, user="rocky")
    assert (target.host, target.port, target.jump, target.user) == ("10.0.0.7", 22, "exouser@149.165.9.9", "rocky")
    argv = target.ssh_command(tmp_path / "kh", ("uname",))
    assert argv[-2:] == ["rocky@10.0.0.7", "uname"] and "-J" in argv and "StrictHostKeyChecking=yes" in argv
    try:
        resolve(_server(status="SHUTOFF"), None, {})
        raise AssertionError("a stopped instance has no SSH")
    except TargetError as err:
        assert "SHUTOFF" in str(err)


def test_remembered_user(tmp_path):
    remembered = Remembered(tmp_path / "users.json")
    remembered.set("s1", "rocky")
    assert Remembered(tmp_path / "users.json").get("s1") == "rocky"


def test_emulator_patches_over_pyte():
    emulator = PyteEmulator(30, 5, history=100)
    replies = []
    emulator.reply = replies.append
    emulator.feed(b"main text\r\n")
    emulator.feed(b"\x1b[?1049h\x1b[HALT\x1b[?1049l")  # the alternate screen leaves no trace
    assert emulator.display()[0].rstrip() == "main text" and "ALT" not in "".join(emulator.display())
    emulator.feed(b"\x1b[38:2::255:0:0mred\x1b[0m \x1b[4:3mcurly\x1b[0m\r\n")  # colon SGR is not printed
    assert emulator.display()[1].rstrip() == "red curly"
    assert [s.fg for t, s in emulator.runs(1) if t == "red"] == ["#ff0000"]
    emulator.feed(b"\x1b[38")  # a sequence cut between two reads
    emulator.feed(b":5:196mX\x1b[0m\r\n")
    assert emulator.display()[2].startswith("X")
    emulator.feed(b"\x1b[6n")  # queries are answered
    assert replies == [b"\x1b[4;1R"]
    for i in range(10):
        emulator.feed(b"line %d\r\n" % i)
    assert emulator.history_size >= 8 and emulator.runs(-1)[0][0].startswith("line 5")
    emulator.feed(b"\x1b[?2004h\x1b[?1h")
    assert emulator.bracketed_paste and emulator.app_cursor_keys


def test_key_translation():
    assert key_bytes("ctrl+c", None) == b"\x03"
    assert key_bytes("tab", "\t") == b"\t"
    assert key_bytes("up", None) == b"\x1b[A" and key_bytes("up", None, app_cursor=True) == b"\x1bOA"
    assert key_bytes("ctrl+left", None) == b"\x1b[1;5D"
    assert key_bytes("alt+b", "b") == b"\x1bb"
    assert key_bytes("é", "é") == "é".encode()


def test_an_images_default_user_is_a_login_name_only_if_it_is_one():
    """Anyone who may publish an image writes its properties: `default_user` with an escape sequence was
    shown (escaped) in the SSH tab's status line and then sent as the login name. It is used only if it
    is a user name; otherwise the image's other hints decide."""
    from exotui.cloud.models import Image, Server

    server = Server("s1", "web", "ACTIVE")
    hostile = Image.from_api({"id": "i1", "name": "Featured-Ubuntu24", "default_user": "\x1b]0;pwned\x07root"})
    assert "\x1b" not in hostile.properties["default_user"]  # shown made visible
    user, why = guess_user(server, hostile)
    assert (user, why) == ("ubuntu", "os_distro ubuntu")
    plain = Image.from_api({"id": "i2", "name": "custom", "default_user": "rocky"})
    assert guess_user(server, plain) == ("rocky", "the image's default_user property")
