"""Users, service accounts and roles per project; API keys (hashed, scoped to a project and optionally to
deployments), rate limits and budgets; the one permission table every interface is checked against."""

from genloop.auth._limits import LimitExceeded, RateLimiter
from genloop.auth._middleware import OPEN_PATHS, AuthMiddleware, authorize, bearer_token, install_auth
from genloop.auth._permissions import PERMISSIONS, ROLE_PERMISSIONS, ROLES, SCOPE_PERMISSIONS, required_permission
from genloop.auth._roles import RoleService
from genloop.auth._schemas import SCOPES, SERVER_SCOPES, CreatedKey, KeyInfo, Membership, UserInfo
from genloop.auth._service import KeyService, hash_key
from genloop.auth._users import UserService, actor_user

__all__ = [
    "OPEN_PATHS",
    "PERMISSIONS",
    "ROLES",
    "ROLE_PERMISSIONS",
    "SCOPES",
    "SCOPE_PERMISSIONS",
    "SERVER_SCOPES",
    "AuthMiddleware",
    "CreatedKey",
    "KeyInfo",
    "KeyService",
    "LimitExceeded",
    "Membership",
    "RateLimiter",
    "RoleService",
    "UserInfo",
    "UserService",
    "actor_user",
    "authorize",
    "bearer_token",
    "hash_key",
    "install_auth",
    "required_permission",
]
