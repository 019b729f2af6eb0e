"""The SSH doctor's fixes (exotui.net.doctor.Fix) run through cloud.actions: what each fix does, in one place."""

from __future__ import annotations

from ..net import doctor


async def apply_fix(project, fix: doctor.Fix) -> str:
    """Run one doctor Fix through cloud.actions; the answer in plain words."""
    actions, args = project.actions, dict(fix.args)
    if fix.action == "run":
        result = await actions.run(args["server_id"], args["action"])
    elif fix.action == "add_rule":
        result = await actions.add_rule(**args)
    elif fix.action == "assign_floating_ip":
        result = await actions.assign_floating_ip(args["floating_ip_id"], args["server_id"])
    elif fix.action == "allocate_and_assign_floating_ip":
        result = await actions.allocate_floating_ip(args.get("network_id"))
        if result.ok:
            result = await actions.assign_floating_ip(result.value.id, args["server_id"])
    elif fix.action == "attach_security_group":
        result = await actions.attach_security_group(args["server_id"], args["name"])
    elif fix.action == "console_log":
        return "open the instance (enter on the map) and press l for its console log"
    elif fix.action == "forget_host_key":
        from ..ssh.hostkeys import KnownHosts

        gone = KnownHosts().forget(args["host"], args["port"])
        return f"forgot {gone} pinned key{'s' if gone != 1 else ''} for {args['host']}"
    else:
        return f"nothing to run for {fix.label}"
    return result.message
