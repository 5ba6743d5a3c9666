"""API keys (hashed, scoped to a project and optionally to deployments), rate limits and budgets."""

from genloop.auth._limits import LimitExceeded, RateLimiter
from genloop.auth._middleware import OPEN_PATHS, AuthMiddleware, authorize, bearer_token, install_auth
from genloop.auth._schemas import SCOPES, SERVER_SCOPES, CreatedKey, KeyInfo
from genloop.auth._service import KeyService, hash_key

__all__ = [
    "OPEN_PATHS",
    "SCOPES",
    "SERVER_SCOPES",
    "AuthMiddleware",
    "CreatedKey",
    "KeyInfo",
    "KeyService",
    "LimitExceeded",
    "RateLimiter",
    "authorize",
    "bearer_token",
    "hash_key",
    "install_auth",
]
