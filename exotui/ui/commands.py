"""Command palette (ctrl+p): every view by name and alias, and the app's own commands."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .widgets.kind_views import KIND_VIEWS
from .widgets.views import ALIASES

TITLES = {"servers": "Instances", "volumes": "Volumes", "networks": "Networks", "floating_ips": "Floating IPs",
          "security_groups": "Security groups", "images": "Images", "keypairs": "Key pairs",
          "projects": "Projects", **{view.kind: view.title for view in KIND_VIEWS}}


class ViewCommands(Provider):
    """"Open view: Instances (:servers :vm ...)" for every view, and refresh/wide/help."""

    def _commands(self):
        app = self.app
        for view, title in TITLES.items():
            aliases = " ".join(f":{a}" for a in ALIASES[view][:4])
            yield f"Open view: {title}", partial(app.show_view, view), aliases
        yield "Open the network map", partial(app.open_network_screen, "map"), ":map"
        yield "Open who may connect (services by instance)", partial(app.open_network_screen, "matrix"), ":matrix"
        yield "Open object storage (containers)", partial(app.open_screen, "objects"), ":objects"
        yield "Open EC2 credentials (S3: rclone, aws) and app credentials", partial(app.open_screen, "ec2"), ":ec2"
        yield "Open stacks (Heat)", partial(app.open_screen, "stacks"), ":stacks"
        yield "Refresh now", app.action_refresh, "ctrl+r"
        yield "Toggle wide columns", app.action_wide, "w"
        yield "Keys and aliases", app.action_help, "?"

    async def discover(self) -> Hits:
        for name, run, help_text in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, run, help_text in self._commands():
            score = max(matcher.match(name), matcher.match(help_text))
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
