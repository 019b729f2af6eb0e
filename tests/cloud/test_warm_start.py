"""A restart shows each project's last picture at once (its age kept, so it reads stale), then the cloud's
(issue 14 item 6). The cache holds no secret, is private to the user and survives a corrupt file."""

from __future__ import annotations

import asyncio
import json
import logging
import stat

import pytest
from clouds import until

from exotui.cloud import cache
from exotui.cloud.profiles import find_profile, load_profiles
from exotui.cloud.store import KINDS
from exotui.cloud.workspace import Workspace
from exotui.demo.app import CLOUD_NAME, DemoCloudThread
from exotui.demo.seed import DEMO_PASSWORD
from exotui.demo.world import Knobs

pytestmark = pytest.mark.timeout(120)


def _loaded(workspace: Workspace) -> bool:
    return bool(workspace.projects) and all(p.store.state(kind).loaded for p in workspace.projects for kind in KINDS)


async def test_a_restart_shows_the_last_picture_at_once_then_the_cloud(tmp_path):
    with DemoCloudThread(Knobs(delay_scale=0, ssh=False)) as cloud:
        cloud.cloud.write_config(tmp_path)
        profile = find_profile(load_profiles(config_file=tmp_path / "clouds.yaml", env={}), CLOUD_NAME)
        folder = tmp_path / "cache"
        first = Workspace([profile], cache_dir=folder)
        await first.open()
        await until(lambda: _loaded(first), timeout=30, what="the first load")
        pictures = {p.key: {s.name for s in p.store.get("servers").values()} for p in first.projects}
        users = {p.key: p.user_id for p in first.projects}
        assert all(users.values())
        tokens = [p.session._conn.auth_token for p in first.projects if p.session._conn is not None]
        await first.close()

        files = sorted((folder / "projects").glob("*.json"))
        assert len(files) == len(pictures)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            text = path.read_text()
            assert DEMO_PASSWORD not in text and tokens and not any(t in text for t in tokens), "no secret on disk"
            body = json.loads(text)  # the restart comes ten minutes later
            body["last_ok"] = {kind: when - 600 for kind, when in body["last_ok"].items()}
            path.write_text(json.dumps(body))

        doomed = next(s for s in cloud.connect().compute.servers() if s.name == "db-primary")
        cloud.connect().compute.delete_server(doomed)  # behind the dashboard's back, while it was closed
        cloud.world.knobs.latency_ms = 1500  # a slow login: the picture must not wait for it
        shown = []
        second = Workspace([profile], cache_dir=folder)
        opening = asyncio.ensure_future(second.open(on_project=shown.append))
        # every answer takes 1.5 s, so a login takes longer: the picture comes before any
        await until(lambda: len(shown) == len(pictures), timeout=1.0, what="the cached picture")
        assert not opening.done()
        assert {p.key: {s.name for s in p.store.get("servers").values()} for p in shown} == pictures
        assert all(p.store.age("servers") >= 600 for p in shown), "the picture keeps its age: it reads stale"
        assert {p.key: p.user_id for p in shown} == users, "others' instances are told apart before the login"
        before = {p.key: p for p in first.projects}
        for project in shown:  # every kind comes back as it was, model for model
            for kind in KINDS:
                assert dict(project.store.get(kind)) == dict(before[project.key].store.get(kind)), kind
        cloud.world.knobs.latency_ms = 0
        await opening
        await until(lambda: all(p.store.age("servers") < 60 for p in second.projects), timeout=30,
                    what="the cloud's own picture")
        assert not any(s.id == doomed.id for p in second.projects for s in p.store.get("servers").values())
        assert len(second.projects) == len(pictures), "a cached project is not opened twice"
        await second.close()


def test_a_corrupt_cache_is_ignored_with_one_log_line(tmp_path, caplog):
    folder = tmp_path / "cache"
    (folder / "projects").mkdir(parents=True)
    (folder / "projects" / "broken.json").write_text('{"version": 1, "key": ')
    with caplog.at_level(logging.WARNING, logger="exotui.cache"):
        assert cache.known(folder, CLOUD_NAME) == []
    assert len(caplog.records) == 1 and "broken.json" in caplog.records[0].getMessage()
