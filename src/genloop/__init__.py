"""GenLoop: the whole GenOps loop in one install.

    import genloop
    client = genloop.Client()          # local store, or GENLOOP_SERVER_URL
    client.prompts.get("support@production")
"""

__version__ = "0.1.0"  # before the imports below: modules they load read it

from genloop.client import Client
from genloop.errors import (
    Conflict,
    Forbidden,
    GenLoopError,
    InvalidInput,
    MissingDependency,
    NotFound,
    PayloadTooLarge,
    ProviderError,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from genloop.refs import Ref, parse_ref
from genloop.settings import Settings

__all__ = [
    "Client",
    "Conflict",
    "Forbidden",
    "GenLoopError",
    "InvalidInput",
    "MissingDependency",
    "NotFound",
    "PayloadTooLarge",
    "ProviderError",
    "RateLimited",
    "Ref",
    "Settings",
    "Unauthorized",
    "Unavailable",
    "parse_ref",
]
