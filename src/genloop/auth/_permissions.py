"""THE permission table: what every REST route, gateway route, Studio page or action and CLI command needs.

A request is allowed when the caller holds the route's permission. A key holds the permissions of its
scopes (``SCOPE_PERMISSIONS``); a key that belongs to a user holds only those that the user's role in the
key's project grants as well (``ROLE_PERMISSIONS``): effective = scopes ∩ role. Keys of service accounts
(and keys made before users existed) hold their scopes' permissions.

Rules are ``(methods, pattern, permission)``; the first that matches wins. A pattern's ``{x}`` matches
one path segment and a trailing ``**`` any rest (zero or more segments). ``permission`` None means open
(no key needed). ``tests/auth/test_permission_table.py`` fails when a route of the running app, the gateway,
Studio or a CLI command matches no rule, so a new route must be given its permission here.
"""

from __future__ import annotations

import functools
import re

__all__ = ["CLI_RULES", "GATEWAY_RULES", "PERMISSIONS", "REST_RULES", "ROLES", "ROLE_PERMISSIONS",
           "SCOPE_PERMISSIONS", "STUDIO_RULES", "Rule", "cli_permission", "match", "required_permission"]

PERMISSIONS: dict[str, str] = {
    "project.read": "read the project's datasets, prompts, models, runs, evals, traces, audit log",
    "project.write": "create and change them",
    "review.read": "see annotation queues and their items",
    "review.annotate": "claim, rate, skip and undo items of annotation queues",
    "review.decide": "approve, request changes to or reject a promotion review",
    "governance.manage": "promotion policies, retention, retirement, erasure",
    "audit.export": "export the audit log (JSONL) for compliance",
    "keys.manage": "create, list and revoke the project's API keys",
    "members.manage": "grant and revoke roles in the project",
    "gateway.call": "call the OpenAI-compatible gateway (/v1)",
    "metrics.read": "server-wide /metrics and the /healthz details of every project",
    "connections.manage": "provider connections (server credentials)",
    "users.manage": "create, deactivate users and service accounts (server-wide)",
}

_READ = frozenset({"project.read", "review.read"})
_WRITE = frozenset({"project.write", "review.annotate", "review.decide"})
_ADMIN = _READ | _WRITE | {"gateway.call", "keys.manage", "members.manage", "governance.manage", "audit.export"}

SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "gateway": frozenset({"gateway.call"}),
    "read": _READ,
    "write": _WRITE,
    "annotate": frozenset({"review.read", "review.annotate"}),
    "admin": _ADMIN,
    "metrics": frozenset({"metrics.read"}),
    "operator": _ADMIN | {"metrics.read", "connections.manage", "users.manage"},
}
"""What each key scope grants (the scopes of :data:`genloop.auth.SCOPES`, with their old implications)."""

ROLES: tuple[str, ...] = ("admin", "editor", "reviewer", "annotator", "viewer")

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),  # a key's scopes still bound it: server-wide ones need an operator key
    "editor": _READ | {"project.write", "review.annotate", "gateway.call"},
    "reviewer": _READ | {"review.annotate", "review.decide", "gateway.call"},
    "annotator": frozenset({"review.read", "review.annotate"}),
    "viewer": _READ,
}
"""What a user's role in a project lets their keys do there (intersected with the key's scopes)."""

#: The permission a scope stands for, for code that asks ``key.allows(scope)`` (the gateway, /healthz).
SCOPE_MAIN: dict[str, str] = {"gateway": "gateway.call", "read": "project.read", "write": "project.write",
                              "annotate": "review.annotate", "admin": "keys.manage", "metrics": "metrics.read",
                              "operator": "connections.manage"}

Rule = tuple[str, str, str | None]
_ANY = "*"
_GET = "GET HEAD OPTIONS"
_CHANGE = "POST PUT PATCH DELETE"
P = "/api/v1/projects/{project}"
#: Project areas whose reads need project.read and whose changes need project.write. The areas of
#: pipelines and monitoring are prefix rules (``/**``) so the routes their owners add stay covered.
_PLAIN_AREAS = ("datasets", "prompts", "models", "runs", "lineage", "evals", "deployments", "traces", "sessions",
                "feedback", "quality", "audit", "pipelines", "pipeline-runs", "monitoring", "optimize")

REST_RULES: list[Rule] = [
    (_GET, "/api/v1/health", None),
    (_GET, "/api/v1/openapi.json", None),
    (_GET, "/api/v1/docs/**", None),
    (_ANY, "/api/v1/connections/**", "connections.manage"),
    (_ANY, "/api/v1/users/**", "users.manage"),
    (_GET, P + "/members/**", "project.read"),
    (_CHANGE, P + "/members/**", "members.manage"),
    (_ANY, P + "/keys/**", "keys.manage"),
    # annotation: what an annotate key (or the annotator role) may do in the review queues
    (_GET, P + "/review/queues", "review.read"),
    (_GET, P + "/review/queues/{queue}", "review.read"),
    (_GET, P + "/review/queues/{queue}/progress", "review.read"),
    (_GET, P + "/review/queues/{queue}/items/{item}", "review.read"),
    ("POST", P + "/review/queues/{queue}/claim", "review.annotate"),
    ("POST", P + "/review/queues/{queue}/undo", "review.annotate"),
    ("POST", P + "/review/queues/{queue}/items/{item}/submit", "review.annotate"),
    ("POST", P + "/review/queues/{queue}/items/{item}/skip", "review.annotate"),
    (_GET, P + "/review/**", "project.read"),
    (_CHANGE, P + "/review/**", "project.write"),
    # governance (issue 13): prefix rules so the routes added there are covered; decisions need review.decide
    (_ANY, P + "/governance/reviews/{review}/decide", "review.decide"),
    (_ANY, P + "/governance/reviews/{review}/decision", "review.decide"),
    (_ANY, P + "/governance/reviews/{review}/approve", "review.decide"),
    (_ANY, P + "/governance/reviews/{review}/reject", "review.decide"),
    (_ANY, P + "/governance/reviews/{review}/request-changes", "review.decide"),
    (_GET, P + "/governance/audit/**", "audit.export"),
    (_GET, P + "/governance/**", "project.read"),
    ("POST", P + "/governance/reviews", "project.write"),  # an editor asks for a review of what they made
    (_ANY, P + "/governance/**", "governance.manage"),
    (_ANY, P + "/audit/export", "audit.export"),  # GET or POST, whichever the export route uses
    # retention and privacy (issue 13): reads need project.read, changes (and erasure) governance.manage
    *((_GET, f"{P}/{area}/**", "project.read") for area in ("retention", "privacy", "erasure")),
    *((_ANY, f"{P}/{area}/**", "governance.manage") for area in ("retention", "privacy", "erasure", "erase")),
    *((_GET, f"{P}/{area}/**", "project.read") for area in _PLAIN_AREAS),
    *((_CHANGE, f"{P}/{area}/**", "project.write") for area in _PLAIN_AREAS),
]

GATEWAY_RULES: list[Rule] = [
    (_GET, "/healthz", None),  # details only for a key (checked by the gateway itself)
    (_GET, "/metrics", "metrics.read"),
    (_ANY, "/v1/**", "gateway.call"),
]

S = "/projects/{project}"
STUDIO_RULES: list[Rule] = [
    (_ANY, "/login", None),
    (_ANY, "/logout", None),
    (_GET, "/static/**", None),
    (_GET, "/", "review.read"),  # the list of what the user may open: anyone who may log in
    (_GET, S, "project.read"),
    (_GET, S + "/prompts/{name}/labels/move", "project.write"),  # the form of an action
    (_GET, S + "/review/{queue}/rate", "review.annotate"),
    (_GET, S + "/review/{queue}/agreement", "project.read"),
    (_GET, S + "/review/**", "review.read"),
    ("POST", S + "/review/**", "review.annotate"),
    ("POST", S + "/governance/reviews/{review}/decide", "review.decide"),
    (_GET, S + "/**", "project.read"),
    ("POST", S + "/**", "project.write"),
]
"""Studio pages and actions: Studio checks them before the page runs (``genloop.studio._context``), and each page
also runs :func:`genloop.auth.authorize` on the REST route behind it."""

_CLI_READ = {"list", "show", "versions", "diff", "render", "export", "items", "compare", "report", "gate",
             "metrics", "sessions", "trajectory", "schemas", "queues", "progress", "agreement", "alerts", "runs",
             "status", "kinds", "scores", "overlap", "current"}
CLI_RULES: list[tuple[str, str | None]] = [
    # commands that run on this machine only (servers, the database, local files): no permission
    *((c, None) for c in ("server", "gateway", "trace-writer", "demo", "mock-upstream", "version", "db *",
                          "admin *", "scheduler", "pipelines compile", "eval validate-judge", "eval metrics", "tune tiny")),
    ("lineage", "project.read"), ("audit", "project.read"), ("distill", "project.write"),
    ("keys *", "keys.manage"), ("connections *", "connections.manage"), ("users *", "users.manage"),
    ("roles list", "project.read"), ("roles *", "members.manage"),
    ("review next", "review.annotate"), ("review rate", "review.annotate"), ("review skip", "review.annotate"),
    ("review undo", "review.annotate"), ("review queues", "review.read"), ("review progress", "review.read"),
    ("governance review decide", "review.decide"), ("governance review request", "project.write"),
    ("governance review list", "project.read"), ("governance review show", "project.read"),
    ("governance policies list", "project.read"), ("governance policies show", "project.read"),
    ("models card", "project.read"),  # reading; --intended-use/--limitations need project.write (PUT .../card)
    ("audit export", "audit.export"),
    *((f"{g} {v}", "project.read") for g in ("datasets", "prompts", "models", "runs", "eval", "deployments",
                                             "traces", "feedback", "review", "monitoring", "monitoring evaluators",
                                             "monitoring monitors", "pipelines", "quality", "governance",
                                             "triggers", "tune") for v in sorted(_CLI_READ)),
    *((f"{g} *", "project.write") for g in ("datasets", "prompts", "models", "runs", "eval", "deployments",
                                            "traces", "feedback", "review", "monitoring", "pipelines", "quality",
                                            "tune", "triggers")),
    ("governance *", "governance.manage"), ("audit *", "project.read"),
    ("retention *", "governance.manage"), ("privacy *", "governance.manage"),
]
"""CLI commands: the permission of the REST route the command calls when the client is remote."""


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    out, parts = "", pattern.strip("/").split("/") if pattern != "/" else []
    for i, part in enumerate(parts):
        if part == "**" and i == len(parts) - 1:
            out += "(?:/[^/]+)*"
        elif part.startswith("{") and part.endswith("}"):
            out += "/[^/]+"
        else:
            out += "/" + re.escape(part)
    return re.compile((out or "/") + "/?")


_Compiled = tuple[frozenset[str] | None, re.Pattern[str], Rule]
#: per rules list: the rules by the literal fifth segment of their pattern (the area: ``datasets``, ``keys``),
#: each bucket also holding, in order, the rules with no literal there ("" holds only those)
_INDEX: dict[int, dict[str, list[_Compiled]]] = {}


def _area(pattern: str) -> str | None:
    parts = pattern.strip("/").split("/")
    return parts[4] if len(parts) > 4 and not parts[4].startswith("{") and parts[4] != "**" else None


def _index(rules: list[Rule]) -> dict[str, list[_Compiled]]:
    index = _INDEX.get(id(rules))
    if index is None:
        areas = {a for a in (_area(r[1]) for r in rules) if a is not None}
        index = {}
        for area in (*areas, ""):
            index[area] = [(None if r[0] == _ANY else frozenset(r[0].split()), _compile(r[1]), r)
                           for r in rules if _area(r[1]) in (None, area)]
        _INDEX[id(rules)] = index
    return index


def match(rules: list[Rule], method: str, path: str) -> Rule | None:
    """The first rule for ``method`` and ``path`` (a concrete path or a route's template), or None."""
    parts = path.split("/", 6)  # '', 'api', 'v1', 'projects', '{project}', AREA, ...
    index = _index(rules)
    for methods, regex, rule in index.get(parts[5] if len(parts) > 5 else "", index[""]):
        if (methods is None or method in methods) and regex.fullmatch(path):
            return rule
    return None


@functools.lru_cache(maxsize=8192)
def required_permission(method: str, path: str) -> tuple[bool, str | None]:
    """``(known, permission)`` for a REST or gateway request; unknown paths need read or write by method."""
    rule = match(GATEWAY_RULES if not path.startswith("/api/") else REST_RULES, method, path)
    if rule is not None:
        return True, rule[2]
    return False, "project.read" if method in _GET.split() else "project.write"


def cli_permission(command: str) -> tuple[bool, str | None]:
    """``(known, permission)`` for a CLI command such as ``"keys create"``."""
    for pattern, permission in CLI_RULES:
        head, _, last = pattern.rpartition(" ")
        if pattern == command or (last == "*" and command.startswith(head + " ")):
            return True, permission
    return False, None
