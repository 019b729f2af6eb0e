"""Cinder's admin-only routes the demo models: os-reset_status on a volume and a snapshot, and os-services.

Held against cinder/api/contrib/admin_actions.py, cinder/api/schemas/admin_actions.py, the format checkers of
cinder/api/validation/validators.py and cinder/objects/fields.py (the statuses), cinder/api/v3/services.py and
cinder/policies/services.py. A reset checks the body's schema first, then finds the item, then the policy
(`volume_extension:volume_admin_actions:reset_status`, `...snapshot_admin_actions:reset_status`: admin only),
and answers 202 with no body. The services are the demo's all-in-one host's, as devstack's are: the
scheduler, and the volume service of its one LVM backend.
"""

from __future__ import annotations

from aiohttp import web

from .common import ApiError, iso_micro, json_response, no_content, policy_refused, schema_error
from .service import is_admin, world_of

VOLUME_STATUSES = ("creating", "available", "deleting", "error", "error_deleting", "error_managing", "managing",
                   "attaching", "in-use", "detaching", "maintenance", "restoring-backup", "error_restoring",
                   "reserved", "awaiting-transfer", "backing-up", "error_backing-up", "error_extending",
                   "downloading", "uploading", "retyping", "extending")
ATTACH_STATUSES = ("attached", "detached")  # validators.py: the two a reset may set
MIGRATION_STATUSES = ("migrating", "error", "success", "completing", "none", "starting")
SNAPSHOT_STATUSES = ("error", "available", "creating", "deleting", "deleted", "updating", "error_deleting",
                     "unmanaging", "backing-up", "restoring")


def _parameter(message: str) -> ApiError:
    """InvalidParameterValue raised by a format checker: Cinder answers 400 with its text as it is."""
    return ApiError(400, message)


def _reset_body(args, allowed: set[str]) -> dict:
    if not isinstance(args, dict):
        raise schema_error("os-reset_status", args, f"{args!r} is not of type 'object'")
    extra = sorted(set(args) - allowed)
    if extra:
        raise schema_error("os-reset_status", args, f"Additional properties are not allowed "
                            f"({', '.join(map(repr, extra))} {'was' if len(extra) == 1 else 'were'} unexpected)")
    for key, value in args.items():
        if value is not None and not isinstance(value, str):
            raise schema_error(key, value, f"{value!r} is not of type 'string', 'null'")
    return args


def reset_volume_status(request: web.Request, volume: dict, args) -> web.Response:
    """os-reset_status on a volume (the caller found it): status, attach_status, migration_status."""
    spec = _reset_body(args, {"status", "attach_status", "migration_status"})
    status, attach, migration = (spec.get(k) for k in ("status", "attach_status", "migration_status"))
    if status and status.lower() not in VOLUME_STATUSES:
        raise _parameter(f"Volume status: {status} is invalid, valid statuses are: {VOLUME_STATUSES}.")
    if attach and attach.lower() not in ATTACH_STATUSES:
        raise _parameter(f"Volume attach status: {attach} is invalid, valid statuses are: {list(ATTACH_STATUSES)}.")
    if migration and migration.lower() not in MIGRATION_STATUSES:
        raise _parameter(f"Volume migration status: {migration} is invalid, valid statuses are: "
                         f"{MIGRATION_STATUSES}.")
    if not (status or attach or migration):
        raise _parameter("Must specify 'status', 'attach_status' or 'migration_status' for update.")
    if not is_admin(request):
        raise policy_refused("volume_extension:volume_admin_actions:reset_status")
    if status and status.lower() in ("deleting", "error_deletingdetaching"):  # sic: Cinder's missing comma
        raise ApiError(400, f"Cannot reset-state to {status.lower()}")
    if status and status.lower() == "in-use" and not volume["attachments"]:
        raise ApiError(400, "Cannot reset-state to in-use because volume does not have any attachments.")
    if status:
        volume["status"] = status.lower()
    if migration:
        volume["_migration_status"] = None if migration.lower() == "none" else migration.lower()
    if attach and attach.lower() == "detached":
        volume["attachments"] = []
    return no_content(202)


def reset_snapshot_status(request: web.Request, snapshot: dict, args) -> web.Response:
    spec = _reset_body(args, {"status"})
    status = spec.get("status")
    if not status or status.lower() not in SNAPSHOT_STATUSES:
        raise _parameter(f"Snapshot status: {status} is invalid, valid statuses are: {SNAPSHOT_STATUSES}.")
    if not is_admin(request):
        raise policy_refused("volume_extension:snapshot_admin_actions:reset_status")
    snapshot["status"] = status.lower()
    return no_content(202)



async def list_services(request: web.Request) -> web.Response:
    """GET /os-services (v3/services.py index) with the os-extended-services fields, filtered by host and
    binary; every service up and enabled, reported a moment ago."""
    from . import nova  # it imports cinder, which imports this module

    if not is_admin(request):
        raise policy_refused("volume_extension:services:index")
    # (binary, host): Cinder names a volume service's host host@backend
    known = (("cinder-scheduler", nova.COMPUTE_HOST), ("cinder-volume", f"{nova.COMPUTE_HOST}@lvmdriver-1"))
    mv = request.get("mv", (3, 0))
    reported = iso_micro(world_of(request).now().replace(microsecond=0, tzinfo=None))
    services = []
    for binary, host in known:
        if request.query.get("host", host) != host or request.query.get("binary", binary) != binary:
            continue
        service: dict = {"binary": binary, "host": host, "zone": nova.AZ, "status": "enabled", "state": "up",
                   "updated_at": reported}
        if mv >= (3, 49) and binary == "cinder-volume":
            service["backend_state"] = "up"
        if mv >= (3, 7):
            service["cluster"] = None
        service["disabled_reason"] = None
        if binary == "cinder-volume":
            service.update(replication_status="disabled", active_backend_id=None, frozen=False)
        services.append(service)
    return json_response({"services": services})
