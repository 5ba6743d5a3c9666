"""The permission table covers every route: REST, gateway, Studio and every CLI command. A new route or command
without a permission fails here; add its row to ``src/genloop/auth/_permissions.py``."""

from __future__ import annotations

import pytest

from auth._routes import GATEWAY_ROUTES, cli_commands, rest_routes, studio_routes
from genloop.auth._permissions import (
    CLI_RULES,
    GATEWAY_RULES,
    PERMISSIONS,
    REST_RULES,
    ROLE_PERMISSIONS,
    SCOPE_PERMISSIONS,
    STUDIO_RULES,
    cli_permission,
    match,
    required_permission,
)
from genloop.store import Store


def test_every_rest_route_has_a_permission() -> None:
    routes = rest_routes()
    assert len(routes) > 100 and ("GET", "/api/v1/projects/{project}/datasets/{ref}") in routes
    missing = [f"{m} {p}" for m, p in routes if match(REST_RULES, m, p) is None]
    assert not missing, f"routes without a permission (add them to genloop/auth/_permissions.py): {missing}"


def test_every_gateway_route_has_a_permission() -> None:
    missing = [f"{m} {p}" for m, p in GATEWAY_ROUTES if match(GATEWAY_RULES, m, p) is None]
    assert not missing
    from genloop.gateway._app import _TRACED

    assert {("POST", p) for p in _TRACED} <= set(GATEWAY_ROUTES), "a new traced gateway route: list it here"


def test_every_studio_route_has_a_permission(store: Store) -> None:
    routes = studio_routes(store)
    assert ("GET", "/projects/{project}/datasets") in routes
    missing = [f"{m} {p}" for m, p in routes if match(STUDIO_RULES, m, p) is None]
    assert not missing, f"Studio routes without a permission: {missing}"


def test_every_cli_command_has_a_permission() -> None:
    commands = cli_commands()
    assert "keys create" in commands and "datasets list" in commands
    missing = [c for c in commands if not cli_permission(c)[0]]
    assert not missing, f"CLI commands without a permission (add them to CLI_RULES): {missing}"


def test_the_table_names_only_known_permissions() -> None:
    named = {r[2] for r in (*REST_RULES, *GATEWAY_RULES, *STUDIO_RULES)} | {p for _, p in CLI_RULES}
    grants = set().union(*SCOPE_PERMISSIONS.values(), *ROLE_PERMISSIONS.values())
    assert (named - {None}) <= set(PERMISSIONS) and grants <= set(PERMISSIONS)
    for permission in PERMISSIONS:  # each can be held by some scope and by the admin role
        assert any(permission in perms for perms in SCOPE_PERMISSIONS.values()), permission
        assert permission in ROLE_PERMISSIONS["admin"]


@pytest.mark.parametrize(("method", "path", "permission"), [
    ("GET", "/api/v1/projects/p/datasets", "project.read"),
    ("POST", "/api/v1/projects/p/datasets/d", "project.write"),
    ("POST", "/api/v1/projects/p/keys", "keys.manage"),
    ("GET", "/api/v1/connections", "connections.manage"),
    ("POST", "/api/v1/projects/p/review/queues/q/claim", "review.annotate"),
    ("GET", "/api/v1/projects/p/review/queues/q/items/3", "review.read"),
    ("POST", "/api/v1/projects/p/governance/reviews/7/decide", "review.decide"),
    ("PUT", "/api/v1/projects/p/governance/policies", "governance.manage"),
    ("GET", "/api/v1/projects/p/audit/export", "audit.export"),
    ("POST", "/api/v1/users", "users.manage"),
    ("POST", "/api/v1/projects/p/members/alice", "members.manage"),
    ("POST", "/v1/chat/completions", "gateway.call"),
    ("GET", "/metrics", "metrics.read"),
    ("GET", "/api/v1/health", None),
])
def test_required_permission(method: str, path: str, permission: str | None) -> None:
    assert required_permission(method, path) == (True, permission)


def test_an_unlisted_area_is_caught() -> None:
    """The check above can fail: a route in an area the table does not know matches no rule."""
    assert match(REST_RULES, "POST", "/api/v1/projects/{project}/brand-new/{name}") is None
    assert match(REST_RULES, "GET", "/api/v1/secrets") is None
    assert cli_permission("brand-new run") == (False, None)
