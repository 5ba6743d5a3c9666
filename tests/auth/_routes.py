"""Every route the running app answers, as ``(method, path template)``: REST, gateway and Studio; and every
CLI command. The permission tests check each against the permission table."""

from __future__ import annotations

from typing import Any

from starlette.routing import Mount

GATEWAY_ROUTES = [("POST", "/v1/chat/completions"), ("POST", "/v1/embeddings"), ("GET", "/v1/models"),
                  ("POST", "/v1/traces"), ("GET", "/metrics"), ("GET", "/healthz")]


def flatten(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    """(method, template) of every route, through included routers (fastapi's ``_IncludedRouter``) and mounts."""
    out: list[tuple[str, str]] = []
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            out += flatten(original.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            out.append(("GET", prefix + route.path + "/{file}"))
        elif hasattr(route, "methods"):
            methods = sorted(route.methods or {"GET"})
            out += [(m, prefix + route.path) for m in methods if m != "HEAD"]
    return sorted(set(out))


def rest_routes() -> list[tuple[str, str]]:
    import tempfile

    from genloop.server import create_app
    from genloop.settings import Settings
    from genloop.store import Store

    home = tempfile.mkdtemp(prefix="genloop-routes-")
    store = Store(Settings(home=home, database_url=f"sqlite:///{home}/routes.db"))
    try:
        return flatten(create_app(store).routes)
    finally:
        store.close()


def studio_routes(store: Any) -> list[tuple[str, str]]:
    from genloop.studio._app import create_studio

    return flatten(create_studio(store).routes)


def cli_commands() -> list[str]:
    import typer.main

    from genloop.cli.main import app

    out: list[str] = []

    def walk(command: Any, name: str) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for sub_name, sub in subs.items():
                walk(sub, f"{name} {sub_name}".strip())
        else:
            out.append(name)

    walk(typer.main.get_command(app), "")
    return sorted(out)
