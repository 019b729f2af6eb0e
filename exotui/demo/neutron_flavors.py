"""Neutron's network flavors and service profiles on the demo (`/v2.0/flavors`, `/v2.0/service_profiles`,
`/v2.0/flavors/{id}/service_profiles[/{profile_id}]`): the flavors service plugin is one of Neutron's defaults,
so the real tier lists and serves them.

Held against Neutron 29.0.0: neutron_lib/api/definitions/flavors.py (attributes: no project), neutron/db/flavors_db.py
(a profile needs a driver or metainfo; a driver must be a known provider; a profile bound to a flavor is in use;
binding twice is a conflict), neutron_lib's validate_service_plugin_type (the service type of a loaded plugin) and
the default policy (an admin makes, changes and deletes them and alone sees profiles; anyone reads flavors).
"""

from __future__ import annotations

from typing import Any

from . import neutron as model
from .common import ApiError
from .neutron_kinds import Kind, is_admin, to_bool
from .world import World

KINDS = [
    Kind("flavors", "flavor", "network_flavors", "Flavor {} could not be found.", "FlavorNotFound",
         frozenset({"name", "description", "service_type", "service_profiles", "enabled"}),
         frozenset({"name", "description", "service_profiles", "enabled"}), required=("service_type",), tags=False),
    Kind("service_profiles", "service_profile", "service_profiles", "Service Profile {} could not be found.",
         "ServiceProfileNotFound", frozenset({"description", "driver", "metainfo", "enabled"}),
         frozenset({"description", "driver", "metainfo", "enabled"}), tags=False),
]
FIELDS = {"network_flavors": ("id", "name", "description", "service_type", "enabled", "service_profiles"),
          "service_profiles": ("id", "description", "driver", "enabled", "metainfo", "flavors")}
# the plugin types the real tier loads (core ml2, router, and Neutron's default service plugins)
SERVICE_TYPES = {"CORE", "L3_ROUTER_NAT", "FLAVORS", "auto-allocated-topology", "TAG", "timestamp",
                 "network-ip-availability", "revision_plugin"}
# the providers the router plugin registers once flavors are loaded (l3_router/service_providers)
DRIVERS = {f"neutron.services.l3_router.service_providers.{module}" for module in (
    "dvr.DvrDriver", "dvrha.DvrHaDriver", "ha.HaDriver", "single_node.SingleNodeDriver")}


def _admin(ctx: dict, action: str) -> None:
    if not is_admin(ctx):
        raise ApiError(403, f"rule:{action} is disallowed by policy", "PolicyNotAuthorized")


def visible(table: str, ctx: dict) -> bool:
    """Anyone reads flavors; only an admin reads service profiles."""
    return table == "network_flavors" or is_admin(ctx)


def _profile_ids(world: World, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ApiError(400, f"Invalid input for service_profiles. Reason: '{value}' is not a list.", "HTTPBadRequest")
    for ident in value:
        if ident not in world.service_profiles:
            raise ApiError(404, f"Service Profile {ident} could not be found.", "ServiceProfileNotFound")
    return list(value)


def create_flavor(world: World, attrs: dict, ctx: dict) -> dict:
    _admin(ctx, "create_flavor")
    service_type = attrs["service_type"]
    if service_type not in SERVICE_TYPES:
        raise ApiError(400, f"Invalid service type: {service_type}.", "InvalidServiceType")
    flavor = {"id": model._uuid(world), "name": attrs.get("name", ""), "description": attrs.get("description") or "",
              "service_type": service_type, "enabled": to_bool("enabled", attrs.get("enabled", True)),
              "service_profiles": []}
    world.network_flavors[flavor["id"]] = flavor
    return flavor


def update_flavor(world: World, flavor: dict, attrs: dict, ctx: dict) -> None:
    _admin(ctx, "update_flavor")
    if "service_profiles" in attrs:
        flavor["service_profiles"] = _profile_ids(world, attrs["service_profiles"])
    if "enabled" in attrs:
        flavor["enabled"] = to_bool("enabled", attrs["enabled"])
    for key in ("name", "description"):
        if key in attrs:
            flavor[key] = attrs[key] or ""


def delete_flavor(world: World, flavor: dict) -> None:
    del world.network_flavors[flavor["id"]]


def _driver(driver: Any) -> str:
    if driver and driver not in DRIVERS:
        raise ApiError(404, f"Service Profile driver {driver} could not be found.", "ServiceProfileDriverNotFound")
    return driver or ""


def create_profile(world: World, attrs: dict, ctx: dict) -> dict:
    _admin(ctx, "create_service_profile")
    driver = _driver(attrs.get("driver"))
    if not driver and not attrs.get("metainfo"):
        raise ApiError(400, "Invalid input for operation: Service Profile needs either a driver or metainfo.",
                       "ServiceProfileEmpty")
    ident = model._uuid(world)
    profile = {"id": ident, "description": attrs.get("description") or "", "driver": driver,
               "enabled": to_bool("enabled", attrs.get("enabled", True)), "metainfo": attrs.get("metainfo") or ""}
    world.service_profiles[ident] = profile
    return profile


def update_profile(world: World, profile: dict, attrs: dict, ctx: dict) -> None:
    _admin(ctx, "update_service_profile")
    if attrs.get("driver"):
        _driver(attrs["driver"])
    _not_bound(world, profile)
    if "enabled" in attrs:
        profile["enabled"] = to_bool("enabled", attrs["enabled"])
    for key in ("description", "driver", "metainfo"):
        if key in attrs:
            profile[key] = attrs[key] or ""


def _not_bound(world: World, profile: dict) -> None:
    if any(profile["id"] in f["service_profiles"] for f in world.network_flavors.values()):
        raise ApiError(409, f"Service Profile {profile['id']} is used by some service instance.",
                       "ServiceProfileInUse")


def delete_profile(world: World, profile: dict) -> None:
    _not_bound(world, profile)
    del world.service_profiles[profile["id"]]


def profile_view(world: World, profile: dict) -> dict:
    """_make_service_profile_dict: with the flavors it is bound to."""
    return {**profile, "flavors": [f["id"] for f in world.network_flavors.values()
                                   if profile["id"] in f["service_profiles"]]}


def bind(world: World, flavor: dict, body: Any, ctx: dict) -> dict:
    """POST /flavors/{id}/service_profiles {"service_profile": {"id": ...}}: answers the flavor."""
    _admin(ctx, "create_flavor_service_profile")
    if not isinstance(body, dict) or not isinstance(body.get("service_profile"), dict):
        raise ApiError(400, "Unable to find 'service_profile' in request body")
    ident = body["service_profile"].get("id")
    _profile_ids(world, [ident])
    if ident in flavor["service_profiles"]:
        raise ApiError(409, f"Service Profile {ident} is already associated with flavor {flavor['id']}.",
                       "FlavorServiceProfileBindingExists")
    flavor["service_profiles"].append(ident)
    return flavor


def unbind(world: World, flavor: dict, profile_id: str, ctx: dict) -> None:
    _admin(ctx, "delete_flavor_service_profile")
    if profile_id not in flavor["service_profiles"]:
        raise ApiError(404, f"Service Profile {profile_id} is not associated with flavor {flavor['id']}.",
                       "FlavorServiceProfileBindingNotFound")
    flavor["service_profiles"].remove(profile_id)
