"""The same seed makes the same cloud: names, IDs and (with a frozen clock) times, so screenshots/make.py
writes the same bytes on every run and a changed SVG in a diff is a changed screen."""

from __future__ import annotations

from exotui.demo import seed
from exotui.demo.world import Knobs, World

FROZEN = "2026-12-01T12:00:00+00:00"


def _picture(knobs: Knobs) -> list[tuple]:
    world = World(knobs)
    seed.populate(world)
    return sorted((s["name"], s["id"], str(s["_created"])) for s in world.servers.values()) + sorted(
        (v["name"] or "", v["id"]) for v in world.volumes.values()) + sorted(
        (i["name"] or "", i["id"]) for i in world.images.values())


def test_the_same_seed_and_frozen_clock_make_the_same_cloud():
    knobs = Knobs(seed=0, ssh=False, delay_scale=0, frozen_at=FROZEN)
    first, second = _picture(knobs), _picture(knobs)
    assert first == second and len(first) > 10


def test_without_a_frozen_clock_every_start_has_new_ids_as_a_real_cloud():
    """A restarted cloud holds new instances (pins for the old ones must not meet them)."""
    knobs = Knobs(seed=0, ssh=False, delay_scale=0)
    first, second = _picture(knobs), _picture(knobs)
    assert [row[0] for row in first] == [row[0] for row in second]  # the same names
    assert not {row[1] for row in first if len(row) == 3} & {row[1] for row in second if len(row) == 3}


def test_another_seed_makes_other_ids():
    one = {row[1] for row in _picture(Knobs(seed=0, ssh=False, delay_scale=0, frozen_at=FROZEN))}
    other = {row[1] for row in _picture(Knobs(seed=1, ssh=False, delay_scale=0, frozen_at=FROZEN))}
    assert not one & other


def test_the_clock_stands_still_when_frozen_and_moves_when_advanced():
    world = World(Knobs(frozen_at=FROZEN))
    assert world.now().isoformat() == FROZEN
    world.advance(90)
    assert world.now().isoformat() == "2026-12-01T12:01:30+00:00"
