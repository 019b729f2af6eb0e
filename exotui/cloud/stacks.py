"""Heat stacks, read: the list (a store kind), one stack's detail with outputs, its resources, its event log
followed a page at a time, and a local template file read for a create (its parameters, for a form).

Writes (create, delete) go through the actions layer (cloud/actions/stacks.py). A cloud without Heat in its
catalog has no stacks, not an error. Stack URLs are Heat's canonical /stacks/{name}/{id}, so no read pays
Heat's lookup redirect.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .models import Stack, StackEvent, StackResource
from .session import CloudError, CloudSession

SERVICE = "orchestration"
MAX_TEMPLATE_BYTES = 524_288  # Heat's max_template_size
EVENT_PAGE = 100


def stack_path(stack: Stack, tail: str = "") -> str:
    """The stack's canonical URL below the service: /stacks/{name}/{id}[/tail], the name quoted."""
    return f"/stacks/{urllib.parse.quote(stack.api_name, safe='')}/{stack.id}" + (f"/{tail}" if tail else "")


async def has_heat(session: CloudSession) -> bool:
    return bool(await session.endpoint(SERVICE))


async def fetch_stacks(session: CloudSession) -> list[Stack]:
    """Every stack of the project (not deleted ones); [] when the cloud has no Heat."""
    if not await has_heat(session):
        return []
    page = await session.get_list(SERVICE, "/stacks", "stacks")
    stacks = [Stack.from_api(item) for item in page.items if isinstance(item, dict)]
    # Heat records DELETE_COMPLETE before it marks the row deleted (heat/engine/stack.py delete), so a list
    # right after a delete can still hold the stack; the real tier caught the store keeping it until the next
    # poll, 30 s on. Gone is gone.
    return [stack for stack in stacks if stack.status != "DELETE_COMPLETE"]


async def fetch_stack(session: CloudSession, stack: Stack) -> Stack:
    """One stack's detail: parameters and outputs (resolved by Heat now), status and its reason."""
    body = await session.get_json(SERVICE, stack_path(stack))
    return Stack.from_api(body.get("stack") or {})


async def fetch_resources(session: CloudSession, stack: Stack) -> list[StackResource]:
    body = await session.get_json(SERVICE, stack_path(stack, "resources"))
    return [StackResource.from_api(r) for r in body.get("resources") or [] if isinstance(r, dict)]


@dataclass
class EventLog:
    """A stack's events, followed: each `poll` asks only for the events after the last one seen (Heat's
    `marker`), oldest first, so a stack followed live costs one small request per poll."""

    stack: Stack
    events: list[StackEvent] = field(default_factory=list)

    async def poll(self, session: CloudSession) -> list[StackEvent]:
        """The events new since the last poll (all of them the first time)."""
        new: list[StackEvent] = []
        while True:
            params: dict[str, Any] = {"sort_dir": "asc", "limit": EVENT_PAGE}
            if self.events or new:
                params["marker"] = (new or self.events)[-1].id
            try:
                body = await session.get_json(SERVICE, stack_path(self.stack, "events"), params=params)
            except CloudError as err:
                if err.status == 404 and "marker" in params and "Event" in err.message:
                    self.events.clear()  # the marker is gone (events expire): read from the start again
                    new.clear()
                    continue
                raise
            page = [StackEvent.from_api(e) for e in body.get("events") or [] if isinstance(e, dict)]
            new.extend(page)
            if len(page) < EVENT_PAGE:
                break
        self.events.extend(new)
        return new


# --- a template from a local file ------------------------------------------------------------------------

class TemplateProblem(ValueError):
    """A template file that cannot be sent, in one line for the user."""


@dataclass(frozen=True)
class TemplateParameter:
    name: str
    type: str = "string"
    default: Any = None
    description: str = ""
    hidden: bool = False  # a password: the form masks it

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class TemplateFile:
    path: Path
    text: str  # sent as is: Heat parses it, the way `openstack stack create -t` sends the file's content
    description: str
    parameters: tuple[TemplateParameter, ...]
    resource_types: tuple[str, ...]


def _loader():
    import yaml

    class Loader(yaml.SafeLoader):  # as Heat reads YAML: dates stay strings
        pass

    Loader.yaml_implicit_resolvers = {
        key: [(tag, rx) for tag, rx in value if tag != "tag:yaml.org,2002:timestamp"]
        for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return yaml, Loader


def read_template(path: Path) -> TemplateFile:
    """Read and check a HOT template file; TemplateProblem says what is wrong in one line."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise TemplateProblem(f"{path}: {err.strerror or err}") from None
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise TemplateProblem(f"{path}: {len(raw):,} bytes; Heat takes templates up to {MAX_TEMPLATE_BYTES:,}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TemplateProblem(f"{path}: not UTF-8 text") from None
    yaml, loader = _loader()
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise TemplateProblem(f"{path}: not valid YAML{where}") from None
    if not isinstance(data, dict) or "heat_template_version" not in data:
        raise TemplateProblem(f"{path}: not a Heat template (no heat_template_version)")
    if "get_file" in text or "type: file:" in text:
        raise TemplateProblem(f"{path}: uses get_file or nested template files, which exotui does not send yet")
    params = data.get("parameters") or {}
    resources = data.get("resources") or {}
    if not isinstance(params, dict) or not isinstance(resources, dict):
        raise TemplateProblem(f"{path}: parameters and resources must be maps")
    parameters = tuple(
        TemplateParameter(str(name), str(spec.get("type", "string")), spec.get("default"),
                          str(spec.get("description") or spec.get("label") or ""), bool(spec.get("hidden")))
        for name, spec in ((n, s if isinstance(s, dict) else {}) for n, s in params.items()))
    types = tuple(sorted({str(r.get("type")) for r in resources.values() if isinstance(r, dict)}))
    return TemplateFile(path, text, str(data.get("description") or ""), parameters, types)


def parse_parameters(pairs: list[str], template: TemplateFile) -> dict[str, str]:
    """`KEY=VALUE` strings (as `openstack stack create --parameter`) checked against the template: an
    unknown name or a required one missing is a TemplateProblem naming it."""
    known = {p.name: p for p in template.parameters}
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise TemplateProblem(f"parameter {pair!r}: write it as NAME=VALUE")
        if key not in known:
            raise TemplateProblem(f"parameter {key}: the template has no such parameter "
                                  f"(it has {', '.join(known) or 'none'})")
        values[key] = value
    missing = [p.name for p in template.parameters if p.required and p.name not in values]
    if missing:
        raise TemplateProblem(f"the template needs a value for {', '.join(missing)}")
    return values
