"""Running actions on a project's resources and following each until it settles, fails or runs long.

What each action is (its words, request, Nova's rule, what settles it) is declared once in
`cloud/action_table.py`; this package runs them, one module per service around the shared machinery of
`base.py` (the one door of every write, `_send`, and the one in-flight guard, `_claim`).
"""

from __future__ import annotations

from ..poller import ProjectPoller
from ..rules import CloudRules
from ..session import CloudSession
from ..store import ProjectStore
from .base import DEFAULT_TIMEOUT, LOST_ANSWER_WAIT, READ_ONLY, ActionRefused, ActionResult, InFlight, Progress
from .clusters import ClusterActions
from .credentials import CredentialActions
from .floating_ips import FloatingIPActions
from .images import ImageActions
from .keypairs import KeypairActions
from .objects import ObjectActions
from .routers import RouterActions
from .security_groups import SecurityGroupActions
from .servers import USER_DATA_MAX, ServerActions, ServerFollower
from .shares import ShareActions
from .snapshots import SnapshotActions
from .stacks import StackActions
from .volumes import VolumeActions

__all__ = ["DEFAULT_TIMEOUT", "LOST_ANSWER_WAIT", "READ_ONLY", "USER_DATA_MAX", "ActionRefused", "ActionResult",
           "Actions", "InFlight", "Progress", "ServerFollower"]


class Actions(ServerActions, VolumeActions, FloatingIPActions, SecurityGroupActions, StackActions,
              ObjectActions, CredentialActions, KeypairActions, SnapshotActions, ImageActions,
              RouterActions, ShareActions, ClusterActions):
    """Every action on one project: `await actions.run(server_id, "stop")`, `await actions.create_volume(...)`.
    One object, so one session, one in-flight guard and one read-only switch serve every service."""

    def __init__(self, session: CloudSession, store: ProjectStore, poller: ProjectPoller, *,
                 cloud_rules: CloudRules | None = None, timeout: float = DEFAULT_TIMEOUT, readonly: bool = False):
        super().__init__(session, store, poller, cloud_rules=cloud_rules, timeout=timeout, readonly=readonly)
