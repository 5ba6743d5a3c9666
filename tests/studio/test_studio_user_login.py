"""Studio login with a user name and password: the session acts as that user with their role in the project,
the audit log names ``user:<name>``, and deactivating the user (or taking the role away) ends the session."""

from __future__ import annotations

from fastapi.testclient import TestClient

from genloop.audit import AuditService
from genloop.auth import RoleService, UserService
from genloop.store import Store
from studio.conftest import csrf_of, token

PROMPT = "messages:\n  - role: user\n    content: 'Q: {{ question }}'\nmodel: mock:echo\n"


def _login(web: TestClient, user: str, password: str, project: str = "") -> int:
    data = {"user": user, "password": password, "project": project, "csrf_token": csrf_of(web.get("/login").text)}
    return web.post("/login", data=data, follow_redirects=False).status_code


def test_password_login_acts_as_the_user_with_their_role(auth_web: TestClient, auth_store: Store) -> None:
    users = UserService(auth_store, actor="op")
    users.create("ed", password="ed-password-1")
    users.create("vi", password="vi-password-1")
    RoleService(auth_store, "alpha").grant("ed", "editor")
    RoleService(auth_store, "alpha").grant("vi", "viewer")
    assert 'name="password"' in auth_web.get("/login").text
    assert _login(auth_web, "ed", "wrong-password") == 401
    assert _login(auth_web, "ed", "ed-password-1", "beta") == 403  # no role there
    assert _login(auth_web, "ed", "ed-password-1") == 303
    page = auth_web.get("/projects/alpha")
    assert page.status_code == 200 and "ed (editor)" in page.text
    made = auth_web.post("/projects/alpha/prompts-new", follow_redirects=False,
                         data={"name": "greet", "yaml": PROMPT, "csrf_token": token(auth_web, "/projects/alpha")})
    assert made.status_code == 303, made.text
    actors = {e.actor for e in AuditService(auth_store, "alpha").list(limit=20).items if e.entity_name == "greet"}
    assert actors == {"user:ed"}

    RoleService(auth_store, "alpha").revoke("ed")  # the role goes: the next page asks for a login again
    assert auth_web.get("/projects/alpha", follow_redirects=False).status_code == 303

    assert _login(auth_web, "vi", "vi-password-1") == 303
    assert auth_web.get("/projects/alpha/prompts").status_code == 200
    refused = auth_web.post("/projects/alpha/prompts-new", follow_redirects=False,
                            data={"name": "x", "yaml": PROMPT, "csrf_token": token(auth_web, "/projects/alpha")})
    assert refused.status_code == 403 and "project.write" in refused.text
    users.deactivate("vi")
    assert auth_web.get("/projects/alpha", follow_redirects=False).status_code == 303
    assert _login(auth_web, "vi", "vi-password-1") == 401
