"""Users, service accounts and roles: passwords hashed with scrypt, keys owned by users act with at most the
user's role, deactivation revokes every key at once and keeps the audit history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from genloop.auth import KeyService, RoleService, UserService, actor_user, authorize
from genloop.auth._tables import UserRow
from genloop.auth._users import hash_password, login_throttle, verify_password
from genloop.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Unauthorized
from genloop.store import Store


def test_password_hash_is_salted_scrypt() -> None:
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one.startswith("scrypt$") and one != two and "correct" not in one
    assert verify_password("correct horse", one) and not verify_password("wrong horse!", one)
    assert not verify_password("x", None) and not verify_password("x", "scrypt$bad")
    with pytest.raises(InvalidInput, match="at least 8"):
        hash_password("short")


def test_users_create_authenticate_and_bad_input(store: Store) -> None:
    users = UserService(store, actor="op")
    alice = users.create("alice", email="alice@example.com", password="s3cret-pass")
    assert (alice.kind, alice.has_password, alice.email) == ("user", True, "alice@example.com")
    with store.db.read() as session:
        assert "s3cret" not in session.scalar(select(UserRow.password_hash).where(UserRow.name == "alice"))
    assert users.authenticate("alice", "s3cret-pass").name == "alice"
    for name, password in (("alice", "wrong-pass"), ("nobody", "s3cret-pass")):
        with pytest.raises(Unauthorized, match="wrong user name or password"):
            users.authenticate(name, password)
    with pytest.raises(Conflict, match="already exists"):
        users.create("alice")
    with pytest.raises(InvalidInput, match="e-mail"):
        users.create("bob", email="not an address")
    with pytest.raises(InvalidInput, match="service account has no password"):
        users.create("ci", service=True, password="whatever-long")
    with pytest.raises(NotFound, match="no user"):
        users.get("nobody")
    assert [u.name for u in users.list()] == ["alice"]  # nothing half-written by the refused calls


def test_key_of_a_user_acts_with_scopes_and_role(store: Store) -> None:
    UserService(store).create("rita", password="rita-pass-1")
    UserService(store).create("ci", service=True)
    roles = RoleService(store, "p1", actor="op")
    keys = KeyService(store, "p1")
    with pytest.raises(InvalidInput, match="no role in project"):
        keys.create("rk", scopes=["admin"], user="rita")
    roles.grant("rita", "viewer")
    rk = keys.create("rk", scopes=["admin"], user="rita").key
    key = KeyService.verify(store, rk)
    assert (key.user, key.role, key.actor) == ("rita", "viewer", "user:rita")
    authorize(key, "GET", "/api/v1/projects/p1/datasets")
    with pytest.raises(Forbidden, match="role viewer"):
        authorize(key, "POST", "/api/v1/projects/p1/datasets/d")
    assert not key.allows("gateway") and not key.allows("admin") and key.allows("read")
    roles.grant("rita", "editor")  # a role change reaches the key once the cache is invalidated
    key = KeyService.verify(store, keys.create("rk2", scopes=["read"], user="rita").key)
    with pytest.raises(Forbidden, match="scopes: read"):  # role allows it, the key's scopes do not
        authorize(key, "POST", "/api/v1/projects/p1/datasets/d")
    service = KeyService.verify(store, keys.create("svc", scopes=["write"], user="ci").key)
    assert (service.owner, service.user, service.actor) == ("ci", None, "key:svc")
    authorize(service, "POST", "/api/v1/projects/p1/datasets/d")
    with pytest.raises(InvalidInput, match="service account"):
        roles.grant("ci", "admin")
    with pytest.raises(InvalidInput, match="unknown role"):
        roles.grant("rita", "owner")
    assert [(m.user, m.role) for m in roles.list()] == [("rita", "editor")]
    roles.revoke("rita")
    key = KeyService.verify(store, rk)  # still a valid key, but a user without a role may do nothing
    assert key.role is None and not key.permits("project.read")
    with pytest.raises(Forbidden, match="role none"):
        authorize(key, "GET", "/api/v1/projects/p1/datasets")
    with pytest.raises(NotFound):
        roles.revoke("rita")


def test_deactivate_revokes_keys_at_once_and_keeps_history(store: Store) -> None:
    from genloop.audit import AuditService

    users = UserService(store, actor="op")
    user = users.create("dan", password="dan-pass-123")
    RoleService(store, "p1").grant("dan", "editor")
    RoleService(store, "p2").grant("dan", "viewer")
    secrets = [KeyService(store, p).create("k", scopes=["read"], user="dan").key for p in ("p1", "p2")]
    KeyService.verify(store, secrets[0])
    gone = users.deactivate("dan")
    assert gone.deactivated_at is not None and gone.id == user.id
    for secret in secrets:
        with pytest.raises(Unauthorized):
            KeyService.verify(store, secret)
    with pytest.raises(Unauthorized):
        users.authenticate("dan", "dan-pass-123")
    assert users.get("dan").name == "dan" and users.list() == []
    assert [u.name for u in users.list(include_inactive=True)] == ["dan"]
    events = AuditService(store, "default").list(limit=50).items
    deactivated = [e for e in events if e.action == "deactivate" and e.entity_name == "dan"]
    assert deactivated and deactivated[0].after["id"] == user.id and len(deactivated[0].after["keys_revoked"]) == 2
    p1 = [e for e in AuditService(store, "p1").list(limit=50).items if e.action == "revoke"]
    assert p1 and p1[0].actor == "op"
    with pytest.raises(InvalidInput, match="deactivated"):
        KeyService(store, "p1").create("again", user="dan")


def test_actor_user() -> None:
    assert actor_user("user:alice") == "alice"
    assert actor_user("key:ci") is None and actor_user("local") is None and actor_user("user:") is None


def test_a_key_that_slipped_past_deactivation_is_dead(store: Store) -> None:
    """A key committed after its owner's deactivation (a race between the two) is treated as revoked."""
    from sqlalchemy import update

    from genloop.auth._tables import ApiKeyRow

    UserService(store).create("svc", service=True)
    key = KeyService(store, "p1").create("k", scopes=["write"], user="svc")
    UserService(store).deactivate("svc")
    store.db.write(lambda s: s.execute(update(ApiKeyRow).values(revoked_at=None)))  # as if created meanwhile
    store.cache.invalidate()
    with pytest.raises(Unauthorized):
        KeyService.verify(store, key.key)
    gateway_view = KeyService.active_keys(store)  # what a gateway holds: the key is there, but not active
    assert gateway_view and all(not k.active for k in gateway_view.values())


def test_the_last_admin_of_a_project_stays(store: Store) -> None:
    from genloop.errors import Conflict

    for name in ("ada", "bo"):
        UserService(store).create(name)
    roles = RoleService(store, "p1")
    roles.grant("ada", "admin")
    with pytest.raises(Conflict, match="last admin of project 'p1'"):
        roles.grant("ada", "viewer")
    with pytest.raises(Conflict, match="last admin"):
        roles.revoke("ada")
    roles.grant("bo", "admin")
    assert roles.grant("ada", "viewer").role == "viewer" and roles.revoke("ada").role == "viewer"
    assert [(m.user, m.role) for m in roles.list()] == [("bo", "admin")]


def test_failed_logins_lock_the_name_for_a_while(store: Store) -> None:
    users = UserService(store, actor="op")
    users.create("erin", password="erin-pass-123")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            users.authenticate("erin", "guess-guess")
    with pytest.raises(RateLimited, match="too many failed logins for user 'erin'"):
        users.authenticate("erin", "erin-pass-123")  # even the right password, while locked out
    with pytest.raises(Unauthorized):
        users.authenticate("frank", "guess-guess")  # other names are not affected
    throttle = login_throttle(store)
    throttle.window_s = 0.0  # the window passes
    assert users.authenticate("erin", "erin-pass-123").name == "erin"


def test_an_unknown_name_costs_the_same_scrypt_as_a_wrong_password(store: Store) -> None:
    import time

    users = UserService(store, actor="op")
    users.create("gina", password="gina-pass-123")

    def cost(name: str) -> float:
        start = time.process_time()
        with pytest.raises(Unauthorized):
            users.authenticate(name, "wrong-wrong")
        return time.process_time() - start

    cost("nobody-warmup")  # the dummy hash is made once
    known, unknown = min(cost("gina") for _ in range(2)), min(cost("nobody") for _ in range(2))
    assert unknown > known / 3, (known, unknown)  # both run scrypt (ms), not a dictionary miss (µs)


def test_addresses_that_are_not_addresses_are_refused(store: Store) -> None:
    users = UserService(store, actor="op")
    for email in ("<script>@x", "a@b", "@example.com", "a b@example.com", 'x"y@example.com'):
        with pytest.raises(InvalidInput, match="invalid e-mail"):
            users.create("hank", email=email)
    assert users.create("hank", email="hank@example.com").email == "hank@example.com"


def test_replicas_on_one_database_share_the_login_throttle(store: Store) -> None:
    """Two servers on one database (two Store objects here) count the same failures: 5 in all, not 5 each."""
    UserService(store, actor="op").create("ivy", password="ivy-pass-1234")
    other = Store(store.settings)
    try:
        replicas = [UserService(store), UserService(other)]
        for attempt in range(5):
            with pytest.raises(Unauthorized):
                replicas[attempt % 2].authenticate("Ivy", "guess-guess")  # names count case-folded
        for replica in replicas:
            with pytest.raises(RateLimited, match="try again in"):
                replica.authenticate("ivy", "ivy-pass-1234")
        login_throttle(other).window_s = 0.0  # the window passes (for this replica's check)
        assert replicas[1].authenticate("ivy", "ivy-pass-1234").name == "ivy"  # and success clears the name
        assert replicas[0].authenticate("ivy", "ivy-pass-1234").name == "ivy"
    finally:
        other.close()
